"""Provider API keys: in the OS keyring when one is available, else a 0600 file in the data directory.

The database only ever holds ``ProviderSetting.key_ref`` — the *name* of a stored secret. Keys
are never logged: nothing here logs a value, and exceptions from the store are re-raised
without it. ``OPENAI_API_KEY`` / ``ANTHROPIC_API_KEY`` are used when no key is stored.

``OUTPUTHUB_KEYSTORE=file`` (or ``keyring``) forces a store; tests use ``file`` so they never
touch a developer's real keyring.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import tempfile
import threading
from pathlib import Path
from urllib.parse import urlsplit

from .. import config
from ..errors import UserError

log = logging.getLogger(__name__)

SERVICE_NAME = 'outputhub'
KEY_FILE_NAME = 'provider-keys.json'
ENV_KEYS = {'openai': 'OPENAI_API_KEY', 'anthropic': 'ANTHROPIC_API_KEY', 'google': 'GEMINI_API_KEY'}
# Where the SDKs go when a provider has no base URL of its own.
OFFICIAL_URLS = {'openai': 'https://api.openai.com/v1', 'anthropic': 'https://api.anthropic.com'}
_DEFAULT_PORTS = {'http': 80, 'https': 443}

_file_lock = threading.Lock()


class KeyStoreError(UserError):
    """The key could not be stored or read."""


# --------------------------------------------------------------------------- backends


def _usable_keyring():
    """The keyring backend, or None when only the "fail" / null backends exist (typical on servers)."""
    choice = os.environ.get('OUTPUTHUB_KEYSTORE', '').strip().lower()
    if choice == 'file':
        return None
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception:  # a broken keyring install must not break the app
        return None
    if isinstance(backend, fail.Keyring) or type(backend).__module__.startswith('keyring.backends.null'):
        return None
    priority = getattr(backend, 'priority', 1)
    if choice != 'keyring' and (priority is None or priority < 1):
        return None
    return backend


def backend_name() -> str:
    """Where keys go, for the settings page ("OS keyring (SecretService)" or the key file path)."""
    backend = _usable_keyring()
    if backend is not None:
        return f'OS keyring ({type(backend).__name__})'
    return f'key file {key_file_path()} (readable only by you)'


def key_file_path() -> Path:
    return config.data_dir() / KEY_FILE_NAME


def _read_file() -> dict[str, str]:
    path = key_file_path()
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding='utf-8'))
    except (OSError, ValueError):
        log.warning('The key file %s is unreadable; ignoring it.', path)
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _write_file(data: dict[str, str]) -> None:
    """Atomically replace the key file; the temp file is 0600 from birth, so no window of wider access."""
    path = key_file_path()
    fd, tmp = tempfile.mkstemp(prefix='.keys-', dir=str(path.parent))  # mkstemp creates with 0600
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


# --------------------------------------------------------------------------- public API


def new_key_ref(provider_name: str) -> str:
    """A fresh secret name. Random, so two databases (real and demo) never share one by accident."""
    slug = re.sub(r'[^a-z0-9]+', '-', provider_name.lower()).strip('-') or 'provider'
    return f'{slug}-{secrets.token_hex(4)}'


def set_secret(ref: str, secret: str) -> str:
    """Store ``secret`` under ``ref``; returns where it went (``keyring`` or ``file``)."""
    secret = (secret or '').strip()
    if not secret:
        raise KeyStoreError('The API key is empty.')
    backend = _usable_keyring()
    if backend is not None:
        try:
            backend.set_password(SERVICE_NAME, ref, secret)
            _delete_from_file(ref)  # one copy only
            return 'keyring'
        except Exception as exc:
            log.warning(
                'The OS keyring refused the key (%s); using the key file instead.', type(exc).__name__
            )
    with _file_lock:
        data = _read_file()
        data[ref] = secret
        try:
            _write_file(data)
        except OSError as exc:
            raise KeyStoreError(
                f'Could not save the key file in {key_file_path().parent} ({exc.strerror}).'
            ) from None
    return 'file'


def get_secret(ref: str | None) -> str | None:
    """The secret stored under ``ref`` (keyring first, then the key file), or None."""
    if not ref:
        return None
    backend = _usable_keyring()
    if backend is not None:
        try:
            value = backend.get_password(SERVICE_NAME, ref)
        except Exception as exc:
            log.warning('Reading the OS keyring failed (%s).', type(exc).__name__)
            value = None
        if value:
            return value
    with _file_lock:
        return _read_file().get(ref) or None


def delete_secret(ref: str | None) -> None:
    if not ref:
        return
    backend = _usable_keyring()
    if backend is not None:
        with contextlib.suppress(Exception):
            backend.delete_password(SERVICE_NAME, ref)
    _delete_from_file(ref)


def _delete_from_file(ref: str) -> None:
    with _file_lock:
        data = _read_file()
        if ref in data:
            del data[ref]
            _write_file(data)


def env_key(kind: str) -> str | None:
    """``OPENAI_API_KEY`` / ``ANTHROPIC_API_KEY`` for that provider kind, if set."""
    name = ENV_KEYS.get(kind)
    value = os.environ.get(name, '').strip() if name else ''
    return value or None


def resolve_key(kind: str, ref: str | None) -> tuple[str | None, str]:
    """(key, where from): the stored key named by ``ref``, else the environment variable, else None."""
    stored = get_secret(ref)
    if stored:
        return stored, 'stored'
    from_env = env_key(kind)
    if from_env:
        return from_env, ENV_KEYS[kind]
    return None, ''


def url_origin(url: str | None) -> tuple[str, str, int | None] | None:
    """(scheme, host, port) of an address: a stored key is only ever sent to the origin it was entered for."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ('', url.strip().lower(), None)
    scheme = parts.scheme.lower()
    return (scheme, (parts.hostname or '').lower(), port or _DEFAULT_PORTS.get(scheme))


def url_origin_text(url: str | None) -> str:
    """``https://api.openai.com`` for a base URL (what a sentence names)."""
    origin = url_origin(url)
    if origin is None:
        return ''
    scheme, host, port = origin
    shown = f'[{host}]' if ':' in host else host
    return f'{scheme}://{shown}' + ('' if port in (None, _DEFAULT_PORTS.get(scheme)) else f':{port}')


def mask(secret: str | None) -> str:
    """A key as the settings page shows it: ``sk-…wxyz``; short keys show nothing of themselves."""
    if not secret:
        return ''
    secret = secret.strip()
    if len(secret) < 12:
        return '••••'
    prefix = secret[:3] if secret[:3].endswith('-') else secret[:2]
    return f'{prefix}…{secret[-4:]}'


# --------------------------------------------------------------------------- provider settings


def _provider_row(provider: object):
    from ..data.models import Provider

    pid = provider if isinstance(provider, int) else getattr(provider, 'id', None)
    row = Provider.get_or_none(Provider.id == pid)
    if row is None:
        raise UserError(f'Provider {pid} does not exist.')
    return row


def save_provider_key(provider: object, secret: str) -> str:
    """Store a provider's key and point its ``ProviderSetting.key_ref`` at it; returns where it went."""
    from ..data.db import write_tx
    from ..data.models import ProviderSetting

    row = _provider_row(provider)
    with write_tx():
        setting, _ = ProviderSetting.get_or_create(provider=row.id)
        if not setting.key_ref:
            setting.key_ref = new_key_ref(row.name)
            setting.save()
    return set_secret(setting.key_ref, secret)


def clear_provider_key(provider: object) -> None:
    """Forget a provider's stored key (the environment variable, if any, still applies)."""
    from ..data.db import write_tx
    from ..data.models import ProviderSetting

    row = _provider_row(provider)
    setting = ProviderSetting.get_or_none(ProviderSetting.provider == row.id)
    if setting is None or not setting.key_ref:
        return
    delete_secret(setting.key_ref)
    with write_tx():
        ProviderSetting.update(key_ref=None).where(ProviderSetting.id == setting.id).execute()


def provider_key(provider: object) -> tuple[str | None, str]:
    """(key, where from) for a provider: its stored key, else its environment variable."""
    from ..data.models import ProviderSetting

    row = _provider_row(provider)
    setting = ProviderSetting.get_or_none(ProviderSetting.provider == row.id)
    return resolve_key(row.kind, setting.key_ref if setting else None)


def provider_key_display(provider: object) -> str:
    """What the settings page shows: ``sk-…wxyz (stored)``, ``sk-…wxyz (OPENAI_API_KEY)`` or ``not set``."""
    key, source = provider_key(provider)
    return f'{mask(key)} ({source})' if key else 'not set'
