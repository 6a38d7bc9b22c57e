"""Key storage: keyring when usable, else a 0600 file; env vars honoured; the database holds only a name."""

from __future__ import annotations

import os
import stat

import pytest

from app.data.models import Provider, ProviderSetting
from app.llm import keys


def test_file_store_is_private_and_round_trips() -> None:
    assert keys.set_secret('openai-abc', 'sk-file-secret-000111') == 'file'
    path = keys.key_file_path()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert keys.get_secret('openai-abc') == 'sk-file-secret-000111'
    keys.set_secret('other', 'sk-second-secret-2222')
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # still private after a rewrite
    keys.delete_secret('openai-abc')
    assert keys.get_secret('openai-abc') is None
    assert keys.get_secret('other') == 'sk-second-secret-2222'
    assert 'key file' in keys.backend_name()


def test_empty_key_is_refused() -> None:
    with pytest.raises(keys.KeyStoreError, match='empty'):
        keys.set_secret('x', '   ')


def test_a_working_keyring_is_preferred(monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        priority = 5
        store: dict = {}

        def set_password(self, service, username, password):
            self.store[(service, username)] = password

        def get_password(self, service, username):
            return self.store.get((service, username))

        def delete_password(self, service, username):
            self.store.pop((service, username), None)

    monkeypatch.setenv('OUTPUTHUB_KEYSTORE', '')
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        assert keys.set_secret('anthropic-1', 'sk-ant-in-keyring-1234') == 'keyring'
        assert keys.get_secret('anthropic-1') == 'sk-ant-in-keyring-1234'
        assert not keys.key_file_path().exists() or 'sk-ant' not in keys.key_file_path().read_text()
        assert MemoryKeyring.store[('outputhub', 'anthropic-1')] == 'sk-ant-in-keyring-1234'
        assert 'OS keyring' in keys.backend_name()
    finally:
        keyring.set_keyring(previous)


def test_provider_key_lives_outside_the_database(db) -> None:
    openai = Provider.get(Provider.kind == 'openai')
    assert keys.provider_key_display(openai) == 'not set'
    keys.save_provider_key(openai, 'sk-stored-key-abcdef123456')
    setting = ProviderSetting.get(ProviderSetting.provider == openai.id)
    assert setting.key_ref and 'sk-' not in setting.key_ref
    assert keys.provider_key(openai) == ('sk-stored-key-abcdef123456', 'stored')
    assert keys.provider_key_display(openai) == 'sk-…3456 (stored)'
    keys.clear_provider_key(openai)
    assert ProviderSetting.get(ProviderSetting.provider == openai.id).key_ref is None
    assert keys.get_secret(setting.key_ref) is None


def test_environment_variables_are_honoured(db, monkeypatch: pytest.MonkeyPatch) -> None:
    anthropic = Provider.get(Provider.kind == 'anthropic')
    monkeypatch.setenv('ANTHROPIC_API_KEY', 'sk-ant-from-env-99998888')
    assert keys.provider_key(anthropic) == ('sk-ant-from-env-99998888', 'ANTHROPIC_API_KEY')
    assert keys.provider_key_display(anthropic) == 'sk-…8888 (ANTHROPIC_API_KEY)'
    keys.save_provider_key(anthropic, 'sk-ant-stored-wins-7777')
    assert keys.provider_key(anthropic)[0] == 'sk-ant-stored-wins-7777'


def test_key_refs_differ_between_databases() -> None:
    assert keys.new_key_ref('OpenAI') != keys.new_key_ref('OpenAI')
    assert keys.new_key_ref('My Local Box!').startswith('my-local-box-')


@pytest.mark.parametrize(
    ('secret', 'shown'),
    [
        ('sk-proj-abcdefghijklmnop1234', 'sk-…1234'),
        ('sk-ant-api03-xyzxyzxyzxyz9876', 'sk-…9876'),
        ('AIzaSyA1234567890abcd', 'AI…abcd'),
        ('short', '••••'),
        ('', ''),
        (None, ''),
    ],
)
def test_mask(secret, shown) -> None:
    assert keys.mask(secret) == shown
