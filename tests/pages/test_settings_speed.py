"""Settings loads like any other page: the providers tab built eleven full provider forms and the
folded models table (a menu per row) up front, 864 elements on the demo library; then still the five
forms of the providers that are set up (253 elements); the General tab counted every message on the
event loop. Every provider is now one line, and what is folded is built when it is opened."""

from __future__ import annotations

from typing import Any

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


def the(user: User, marker: str) -> Any:
    return next(iter(user.find(marker=marker).elements))


async def test_the_providers_tab_builds_what_is_folded_only_when_opened(user: User, demo_library) -> None:
    off = demo_library
    on = [p.id for p in Provider.select() if p.id not in off]
    await user.open('/settings?tab=providers')
    # a provider that is set up is one line with "Edit"; one that is off is one line with "Set up"
    await user.should_see(marker=f'edit-{on[0]}', retries=RETRIES)
    await user.should_not_see(marker=f'key-input-{on[0]}')
    await user.should_see(marker=f'setup-{off[0]}')
    await user.should_not_see(marker=f'key-input-{off[0]}')
    # the models table is not built while it is folded
    model = LlmModel.select().first()
    await user.should_not_see(marker=f'actions-{model.id}')
    assert elements(user) < 500  # 864 before

    user.find(marker=f'setup-{off[0]}').click()
    await user.should_see(marker=f'key-input-{off[0]}')
    user.find(marker=f'edit-{on[0]}').click()
    await user.should_see(marker=f'key-input-{on[0]}')

    expansion = next(iter(user.find(marker='models-table').elements))
    assert isinstance(expansion, ui.expansion)
    expansion.set_value(True)
    await user.should_see(marker=f'actions-{model.id}', retries=RETRIES)


async def test_turning_a_provider_off_keeps_its_form_open(user: User, demo_library) -> None:
    on = next(p.id for p in Provider.select() if p.id not in demo_library)
    await user.open('/settings?tab=providers')
    await user.should_see(marker=f'edit-{on}', retries=RETRIES)
    user.find(marker=f'edit-{on}').click()
    await user.should_see(marker=f'key-input-{on}')
    next(iter(user.find(marker=f'enabled-{on}').elements)).set_value(False)
    await user.should_see('Saved', retries=RETRIES)
    await user.should_see(marker=f'key-input-{on}')


async def test_set_up_providers_are_one_line_each_and_edit_builds_the_form_with_its_values(
    user: User, demo_library
) -> None:
    from app.services import chat

    set_up = chat.configured_provider_ids()
    on = [p for p in Provider.select().order_by(Provider.id) if p.id in set_up]
    settings = {s.provider_id: s for s in ProviderSetting.select()}
    # the demo's six enabled providers: five with an address of their own, Google with neither
    assert len(on) == 5 and all(settings[p.id].base_url for p in on)
    await user.open('/settings?tab=providers')
    await user.should_see('Models and prices', retries=RETRIES)
    for prov in on:  # set up, yet one line: name, what is set, Edit
        await user.should_see(marker=f'edit-{prov.id}')
        await user.should_not_see(marker=f'key-input-{prov.id}')
        summary = the(user, f'summary-{prov.id}').text
        assert settings[prov.id].base_url in summary
        if settings[prov.id].default_model:
            assert f'default {settings[prov.id].default_model}' in summary
    built = elements(user)
    assert built < 150, built  # 253 with the five forms built up front (133 now)

    prov = next(p for p in on if settings[p.id].monthly_cap is not None)
    setting = settings[prov.id]
    user.find(marker=f'edit-{prov.id}').click()
    await user.should_see(marker=f'key-input-{prov.id}')
    assert the(user, f'base-url-{prov.id}').value == setting.base_url
    assert the(user, f'default-model-{prov.id}').value == setting.default_model
    assert the(user, f'cap-{prov.id}').value == f'{setting.monthly_cap:g}'
    await user.should_see(marker=f'test-{prov.id}')
    await user.should_not_see(marker=f'summary-{prov.id}')  # the form says it all
    for other in on:  # only the one opened is built
        if other.id != prov.id:
            await user.should_not_see(marker=f'key-input-{other.id}')
    user.find(marker=f'fold-{prov.id}').click()  # Done folds it again
    await user.should_see(marker=f'summary-{prov.id}')
    await user.should_not_see(marker=f'key-input-{prov.id}')


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
