"""Provider settings for the settings page and the ``outputhub keys`` commands: what each provider is set
to (key shown masked, this month's spend against its cap), changing those settings, and adding models a
provider lists to the models table. One place validates for both (a cap is a finite amount, a base URL
is http(s)); every change is administration (``roles.require_admin``: this computer only).

A stored key belongs to the address it was entered for: moving a provider to another host (scheme, host
or port) forgets the key, so it is never sent somewhere new without the user typing it again.
The key itself goes through ``app.llm.keys`` only; nothing here returns or stores it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..data.db import write_tx
from ..data.models import LlmModel, Provider, ProviderSetting
from ..errors import NotFound, ValidationError
from ..llm import keys, pricing
from ..llm.providers import ModelInfo
from ..roles import require_admin
from . import chat
from .chat import DEFAULT_BASE_URLS

KIND_LABELS = {
    'openai': 'OpenAI API',
    'anthropic': 'Anthropic API',
    'google': 'Google (OpenAI-compatible endpoint)',
    'openai_compatible': 'OpenAI-compatible server',
    'local': 'OpenAI-compatible server',
}
_UNSET: Any = object()


@dataclass(frozen=True)
class ProviderOverview:
    id: int
    name: str
    kind: str
    base_url: str | None  # the user's setting
    default_base_url: str | None  # used when the setting is empty
    default_model: str | None
    enabled: bool
    key_display: str  # "sk-…wxyz (stored)", "… (OPENAI_API_KEY)" or "not set"
    has_stored_key: bool
    needs_key: bool  # the provider's official API wants one (local servers do not)
    env_var: str | None
    spend: float
    cap: float | None
    models: list[tuple[int, str, str]]  # (id, API id, label) of the provider's models

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)

    @property
    def cap_reached(self) -> bool:
        return self.cap is not None and self.spend >= self.cap

    @property
    def cap_fraction(self) -> float | None:
        if self.cap is None:
            return None
        return 1.0 if self.cap <= 0 else min(1.0, self.spend / self.cap)


def _provider(provider_id: int) -> Provider:
    row = Provider.get_or_none(Provider.id == provider_id)
    if row is None:
        raise NotFound(f'Provider {provider_id} does not exist.')
    return row


def overview() -> list[ProviderOverview]:
    """Every provider with its settings (reads the key store: call it off the event loop)."""
    spend = pricing.spend_by_provider()
    settings = {s.provider_id: s for s in ProviderSetting.select()}
    models: dict[int, list[tuple[int, str, str]]] = {}
    for m in LlmModel.select().order_by(LlmModel.name):
        models.setdefault(m.provider_id, []).append((m.id, m.name, m.label))
    out = []
    for prov in Provider.select().order_by(Provider.id):
        s = settings.get(prov.id)
        key, source = keys.resolve_key(prov.kind, s.key_ref if s is not None else None)
        out.append(
            ProviderOverview(
                id=prov.id,
                name=prov.name,
                kind=prov.kind,
                base_url=s.base_url if s is not None else None,
                default_base_url=prov.base_url or DEFAULT_BASE_URLS.get(prov.kind),
                default_model=s.default_model if s is not None else None,
                enabled=s.enabled if s is not None else True,
                key_display=f'{keys.mask(key)} ({source})' if key else 'not set',
                has_stored_key=source == 'stored',
                needs_key=prov.kind in keys.ENV_KEYS,
                env_var=keys.ENV_KEYS.get(prov.kind),
                spend=spend.get(prov.id, 0.0),
                cap=s.monthly_cap if s is not None else None,
                models=models.get(prov.id, []),
            )
        )
    return out


def check_base_url(value: str | None) -> str | None:
    """A base URL as stored: None for empty, else an http(s) URL with a host."""
    text = (value or '').strip()
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        raise ValidationError(
            f'{text!r} is not a web address: use one like https://api.example.com/v1 '
            'or http://localhost:11434/v1.'
        )
    return text


def parse_cap(value: object) -> float | None:
    """A monthly cap in USD from what the user typed ("", "none" -> no cap)."""
    if value is None:
        return None
    if isinstance(value, int | float):
        cap = float(value)
    else:
        text = str(value).strip().lstrip('$').replace(',', '')
        if text.lower() in ('', 'none', 'off'):
            return None
        try:
            cap = float(text)
        except ValueError:
            raise ValidationError(
                f'{value!r} is not an amount in USD (leave it empty or "none" for no cap).'
            ) from None
    if cap != cap or cap in (float('inf'), float('-inf')):  # NaN / inf: a cap that never triggers
        raise ValidationError(f'{value!r} is not an amount in USD (leave it empty or "none" for no cap).')
    if cap < 0:
        raise ValidationError('A spending cap cannot be negative.')
    return round(cap, 2)


def effective_base_url(prov: Provider, setting: ProviderSetting | None) -> str | None:
    """Where the provider's requests go: its setting, else its own URL, else the SDK's official address."""
    return (
        (setting.base_url if setting is not None else None)
        or prov.base_url
        or DEFAULT_BASE_URLS.get(prov.kind)
        or keys.OFFICIAL_URLS.get(prov.kind)
    )


KEY_FORGOTTEN = 'The stored key was for {old}; enter the key again for the new address.'


def forget_key_if_moved(prov: Provider, old_url: str | None) -> str | None:
    """After a change of address: forget the stored key when it now would go to another host.
    Returns the sentence that says so (None when nothing was forgotten)."""
    setting = ProviderSetting.get_or_none(ProviderSetting.provider == prov.id)
    if setting is None or not setting.key_ref:
        return None
    if keys.url_origin(old_url) == keys.url_origin(effective_base_url(prov, setting)):
        return None
    keys.clear_provider_key(prov.id)
    return KEY_FORGOTTEN.format(old=keys.url_origin_text(old_url) or 'the old address')


def update_provider(
    principal: Any,
    provider_id: int,
    *,
    base_url: str | None = _UNSET,
    default_model: str | None = _UNSET,
    enabled: bool = _UNSET,
    monthly_cap: object = _UNSET,
) -> str | None:
    """Change a provider's settings; only the arguments given change. Raises ``ValidationError`` first.
    Returns a sentence to show when the stored key was forgotten because the address moved."""
    require_admin(principal, 'change provider settings')
    prov = _provider(provider_id)
    changes: dict[str, Any] = {}
    if base_url is not _UNSET:
        changes['base_url'] = check_base_url(base_url)
    if default_model is not _UNSET:
        changes['default_model'] = (default_model or '').strip()[:200] or None
    if enabled is not _UNSET:
        changes['enabled'] = bool(enabled)
    if monthly_cap is not _UNSET:
        changes['monthly_cap'] = parse_cap(monthly_cap)
    if not changes:
        return None
    with write_tx():
        setting, _ = ProviderSetting.get_or_create(provider=prov.id)
        old_url = effective_base_url(prov, setting)
        ProviderSetting.update(changes).where(ProviderSetting.id == setting.id).execute()
    return forget_key_if_moved(prov, old_url) if 'base_url' in changes else None


def save_key(principal: Any, provider_id: int, secret: str) -> str:
    """Store a provider's key (for its current address); returns where it went (``keyring`` or ``file``)."""
    require_admin(principal, 'store provider keys')
    return keys.save_provider_key(_provider(provider_id), secret)


def clear_key(principal: Any, provider_id: int) -> None:
    require_admin(principal, 'forget provider keys')
    keys.clear_provider_key(_provider(provider_id))


async def test_connection(principal: Any, provider_id: int) -> str:
    """The "Test connection" button: it sends the provider's key, so it is administration too."""
    require_admin(principal, 'test provider connections')
    return await chat.check_connection(provider_id)


async def fetch_models(principal: Any, provider_id: int) -> list[ModelInfo]:
    require_admin(principal, "fetch a provider's models")
    return await chat.list_provider_models(provider_id)


def add_models(principal: Any, provider_id: int, names: Iterable[str]) -> int:
    """Add models (API ids, e.g. from the provider's own list) to the models table; returns how many were new."""
    require_admin(principal, 'add models')
    prov = _provider(provider_id)
    wanted = []
    for name in names:
        name = (name or '').strip()[:200]
        if name and name not in wanted:
            wanted.append(name)
    if not wanted:
        return 0
    added = 0
    with write_tx():
        for name in wanted:
            _, created = LlmModel.get_or_create(provider=prov.id, name=name)
            added += int(created)
    return added


def create_provider(principal: Any, name: str, base_url: str, kind: str = 'openai_compatible') -> Provider:
    """A new provider reached through an OpenAI-compatible base URL (OpenRouter, vLLM, LM Studio, …)."""
    from ..data import lookups

    require_admin(principal, 'add providers')
    url = check_base_url(base_url)
    if url is None:
        raise ValidationError('Give the base URL of the server (for example http://localhost:1234/v1).')
    if kind not in ('openai_compatible', 'openai', 'anthropic'):
        raise ValidationError(f'Unknown kind of provider {kind!r}.')
    return lookups.create('provider', name, kind=kind, base_url=url)
