"""Settings loads like any other page: the providers tab built eleven full provider forms and the
folded models table (a menu per row) up front, 864 elements on the demo library; the General tab
counted every message on the event loop. What is folded is now built when it is opened."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing import User

from app.data import db as dbmod
from app.data import demo
from app.data.models import LlmModel, Provider, ProviderSetting

RETRIES = 80


@pytest.fixture
def demo_library(db_path):
    dbmod.connect(db_path)
    demo.seed(outputs=20)  # the demo's 11 providers (5 off) and its models
    off = [s.provider_id for s in ProviderSetting.select().where(ProviderSetting.enabled == False)]  # noqa: E712
    assert off, 'the demo should have providers that are off'
    return off


def elements(user: User) -> int:
    return len(user.client.elements)


async def test_the_providers_tab_builds_what_is_folded_only_when_opened(user: User, demo_library) -> None:
    off = demo_library
    on = [p.id for p in Provider.select() if p.id not in off]
    await user.open('/settings?tab=providers')
    await user.should_see(marker=f'key-input-{on[0]}', retries=RETRIES)
    # an enabled provider shows its form; one that is off is one line with "Set up"
    await user.should_see(marker=f'setup-{off[0]}')
    await user.should_not_see(marker=f'key-input-{off[0]}')
    # the models table is not built while it is folded
    model = LlmModel.select().first()
    await user.should_not_see(marker=f'actions-{model.id}')
    assert elements(user) < 500  # 864 before

    user.find(marker=f'setup-{off[0]}').click()
    await user.should_see(marker=f'key-input-{off[0]}')

    expansion = next(iter(user.find(marker='models-table').elements))
    assert isinstance(expansion, ui.expansion)
    expansion.set_value(True)
    await user.should_see(marker=f'actions-{model.id}', retries=RETRIES)


async def test_turning_a_provider_off_keeps_its_form_open(user: User, demo_library) -> None:
    on = next(p.id for p in Provider.select() if p.id not in demo_library)
    await user.open('/settings?tab=providers')
    await user.should_see(marker=f'key-input-{on}', retries=RETRIES)
    next(iter(user.find(marker=f'enabled-{on}').elements)).set_value(False)
    await user.should_see('Saved', retries=RETRIES)
    await user.should_see(marker=f'key-input-{on}')


async def test_the_general_tab_shows_the_counts(user: User, demo_library) -> None:
    await user.open('/settings')
    await user.should_see('20 outputs', retries=RETRIES)


async def test_on_a_fresh_install_providers_without_key_or_address_are_one_line_each(
    user: User, db_path, monkeypatch
) -> None:
    for var in ('OPENAI_API_KEY', 'ANTHROPIC_API_KEY'):
        monkeypatch.delenv(var, raising=False)
    await user.open('/settings?tab=providers')
    providers = list(Provider.select())
    assert providers
    for prov in providers:  # on, but nothing to talk to yet: no form until "Set up"
        await user.should_see(marker=f'setup-{prov.id}', retries=RETRIES)
        await user.should_not_see(marker=f'key-input-{prov.id}')
    await user.should_see('not set up')
    assert elements(user) < 200
    user.find(marker=f'setup-{providers[0].id}').click()
    await user.should_see(marker=f'key-input-{providers[0].id}')
