"""The first chat starts with the default model of the provider that is set up; providers with no key and
no address of their own are off and their models are not offered; a model without prices says
"cost unknown", never "$0"."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from nicegui.testing import User

from app.components.message_view import usage_text
from app.data import db as dbmod
from app.data.db import write_tx
from app.data.models import LlmModel, Provider, ProviderSetting

RETRIES = 50


def the(user: User, marker: str) -> Any:
    return next(iter(user.find(marker=marker).elements))


@pytest.fixture
def local_only(db_path):
    """Only the local server is set up (its address saved in Settings → Providers), with a default model."""
    dbmod.connect(db_path)
    local = Provider.get(Provider.name == 'Local')
    with write_tx():
        ProviderSetting.create(provider=local.id, base_url='http://127.0.0.1:9/v1', default_model='qwen3:4b')
        LlmModel.create(provider=local.id, name='qwen3:4b', display_name='Qwen3 4B')  # no prices known
    return local


async def test_the_first_chat_preselects_the_default_of_the_configured_provider(
    user: User, local_only
) -> None:
    await user.open('/chat')
    await user.should_see(marker='composer-text', retries=RETRIES)
    select = the(user, 'model-select')
    qwen = LlmModel.get(LlmModel.name == 'qwen3:4b')
    assert select.value == qwen.id
    # OpenAI, Anthropic and Google have no key and no address: their models are not offered
    labels = list(select.options.values())
    assert labels and all(label.startswith('Local · ') for label in labels)
    assert the(user, 'model-price').text == 'cost unknown'


async def test_a_model_without_prices_says_cost_unknown_never_zero(user: User, local_only) -> None:
    await user.open('/chat')
    await user.should_see(marker='composer-text', retries=RETRIES)
    llama = LlmModel.get(LlmModel.name == 'llama3.1:8b')  # the app's local model, prices set to 0
    the(user, 'model-select').set_value(llama.id)
    await user.should_see('free (prices set to 0)', retries=RETRIES)
    reply = SimpleNamespace(input_tokens=120, output_tokens=340, cost=None)
    assert usage_text(reply) == '120 in · 340 out · cost unknown'
    assert (
        usage_text(SimpleNamespace(input_tokens=120, output_tokens=340, cost=0.0))
        == '120 in · 340 out · free'
    )
