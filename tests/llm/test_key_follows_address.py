"""A stored provider key belongs to the address it was entered for (issue 14, item 4): moving a provider
to another host forgets the key, so "Test connection" (or any call) never carries it to a listener
someone else chose — whether the move comes from Settings → Providers, the lookups or the CLI."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from app import auth
from app.cli import main
from app.data.models import Provider, ProviderSetting
from app.llm import keys
from app.services import chat, library_admin, provider_settings
from tests.llm.fake_llm_server import FakeLLMServer

OLD_KEY = 'sk-proj-stored-for-api-openai-com-0001'


@pytest.fixture
def openai(db) -> Provider:
    """OpenAI with its default (official) address and a stored key."""
    prov = Provider.get(Provider.kind == 'openai')
    keys.save_provider_key(prov, OLD_KEY)
    return prov


def _keys_sent(server: FakeLLMServer) -> list[str | None]:
    return [r.api_key for r in server.requests] + [r.headers.get('authorization') for r in server.requests]


def test_moving_to_another_host_forgets_the_key_and_test_connection_does_not_send_it(
    openai: Provider, fake_llm: FakeLLMServer
) -> None:
    notice = provider_settings.update_provider(auth.LOCAL, openai.id, base_url=fake_llm.openai_url)
    assert notice == (
        'The stored key was for https://api.openai.com; enter the key again for the new address.'
    )
    message = asyncio.run(provider_settings.test_connection(auth.LOCAL, openai.id))
    assert message.startswith('Connected to OpenAI')
    assert fake_llm.requests, 'the listener was called'
    assert not any(OLD_KEY in (sent or '') for sent in _keys_sent(fake_llm))
    assert keys.provider_key(openai) == (None, '')
    assert provider_settings.overview()[0].key_display == 'not set'


def test_a_key_entered_for_the_new_address_is_used_there(openai: Provider, fake_llm: FakeLLMServer) -> None:
    provider_settings.update_provider(auth.LOCAL, openai.id, base_url=fake_llm.openai_url)
    provider_settings.save_key(auth.LOCAL, openai.id, 'sk-for-the-local-server-0002')
    asyncio.run(provider_settings.test_connection(auth.LOCAL, openai.id))
    assert fake_llm.requests[-1].api_key == 'sk-for-the-local-server-0002'


def test_same_host_keeps_the_key(openai: Provider) -> None:
    assert (
        provider_settings.update_provider(auth.LOCAL, openai.id, base_url='https://api.openai.com/v1/')
        is None
    )
    assert (
        provider_settings.update_provider(auth.LOCAL, openai.id, base_url='HTTPS://API.OPENAI.COM:443/v1')
        is None
    )
    assert keys.provider_key(openai)[0] == OLD_KEY
    # another port or scheme is another address
    assert provider_settings.update_provider(auth.LOCAL, openai.id, base_url='http://api.openai.com/v1')
    assert keys.provider_key(openai)[0] is None


def test_a_one_off_address_gets_no_stored_key(openai: Provider, fake_llm: FakeLLMServer) -> None:
    """``outputhub ask --base-url`` and every call with a per-call address: the key stays home."""
    asyncio.run(chat.check_connection(openai.id, base_url=fake_llm.openai_url))
    assert fake_llm.requests and not any(OLD_KEY in (sent or '') for sent in _keys_sent(fake_llm))
    assert keys.provider_key(openai)[0] == OLD_KEY  # still stored for its own address


def test_moving_a_provider_in_the_lookups_forgets_its_key(db, fake_llm: FakeLLMServer) -> None:
    box = provider_settings.create_provider(auth.LOCAL, 'My box', 'http://127.0.0.1:1/v1')
    provider_settings.save_key(auth.LOCAL, box.id, 'sk-box-key-0003')
    library_admin.update_fields(auth.LOCAL, 'provider', box.id, base_url=fake_llm.openai_url)
    asyncio.run(provider_settings.test_connection(auth.LOCAL, box.id))
    assert fake_llm.requests and not any('sk-box-key-0003' in (sent or '') for sent in _keys_sent(fake_llm))


def test_the_cli_says_the_key_must_be_entered_again(openai: Provider, db_path: Path, capsys) -> None:
    code = main(['keys', 'endpoint', 'openai', '--base-url', 'http://127.0.0.1:9/v1', '--db', str(db_path)])
    out = capsys.readouterr().out
    assert code == 0 and 'enter the key again for the new address' in out
    assert ProviderSetting.get(ProviderSetting.provider == openai.id).key_ref is None
    assert keys.provider_key(openai)[0] is None
