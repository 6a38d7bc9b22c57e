"""Who answers a chat turn: the provider, the model, the agent version and how to reach them."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass

from ...data import lookups
from ...data.db import write_tx
from ...data.models import Agent, AgentVersion, LlmModel, Provider, ProviderSetting
from ...errors import NotFound, UserError, ValidationError
from ...llm import keys, pricing
from ...llm.errors import MissingKey
from ...llm.providers import GenerationParams, ModelInfo, ProviderConfig, make_provider

# Providers whose OpenAI-compatible endpoint is known, used when none is configured.
DEFAULT_BASE_URLS = {'google': 'https://generativelanguage.googleapis.com/v1beta/openai/'}


def _client_limits() -> tuple[float, int]:
    """Read timeout and SDK retries; tests and scripts tune them with environment variables."""
    timeout = float(os.environ.get('OUTPUTHUB_LLM_TIMEOUT') or 120)
    retries = int(os.environ.get('OUTPUTHUB_LLM_MAX_RETRIES') or 2)
    return timeout, retries


@dataclass(frozen=True)
class Target:
    """Who answers and how: the model row, its provider, how to reach it, and generation parameters."""

    model: LlmModel
    provider: Provider
    config: ProviderConfig
    params: GenerationParams
    agent_version_id: int | None = None

    @property
    def label(self) -> str:
        return f'{self.provider.name} · {self.model.label}'


def find_provider(value: Provider | int | str) -> Provider:
    """A provider by row, id, name or kind ("openai", "Anthropic", "local")."""
    if isinstance(value, Provider):
        return value
    if isinstance(value, int):
        found = Provider.get_or_none(Provider.id == value)
    else:
        name = value.strip()
        found = Provider.get_or_none(Provider.name == name) or (
            Provider.select().where(Provider.kind == name.lower()).order_by(Provider.id).first()
        )
    if found is None:
        names = ', '.join(p.name for p in Provider.select().order_by(Provider.id))
        raise NotFound(f'There is no provider called {value!r}; known providers: {names}.')
    return found


def _find_model(value: LlmModel | int | str, provider: Provider | None) -> LlmModel:
    if isinstance(value, LlmModel):
        return value
    if isinstance(value, int):
        found = LlmModel.get_or_none(LlmModel.id == value)
        if found is None:
            raise NotFound(f'Model {value} does not exist.')
        return found
    name = value.strip()
    if not name:
        raise ValidationError('The model name is empty.')
    query = LlmModel.select().where((LlmModel.name == name) | (LlmModel.display_name == name))
    if provider is not None:
        query = query.where(LlmModel.provider == provider.id)
    found = query.order_by(LlmModel.id).first()
    if found is not None:
        return found
    if provider is None:
        return lookups.find_or_create_model(name)
    # A model the table does not list yet (a local model, a new release): record it, prices unknown.
    with write_tx():
        return LlmModel.get_or_create(provider=provider.id, name=name)[0]


def _default_model(provider: Provider) -> LlmModel | None:
    setting = ProviderSetting.get_or_none(ProviderSetting.provider == provider.id)
    if setting is not None and setting.default_model:
        return _find_model(setting.default_model, provider)
    return (
        LlmModel.select()
        .where((LlmModel.provider == provider.id) & (LlmModel.is_active == True))  # noqa: E712
        .order_by(LlmModel.id)
        .first()
    )


def _seeded_base_urls() -> dict[str, str | None]:
    from ...data.defaults import PROVIDERS

    return {name.lower(): url for name, _kind, url, _colour in PROVIDERS}


def configured_provider_ids() -> set[int]:
    """The providers chat can use: not turned off, and with an API key or an address of their own (a
    base URL set in Settings → Providers, or given when the provider was added). The addresses that come
    with the app (the local server's default port) do not count: a provider with neither is off, and
    its models are not offered."""
    settings = {s.provider_id: s for s in ProviderSetting.select()}
    seeded = _seeded_base_urls()
    found: set[int] = set()
    for prov in Provider.select().order_by(Provider.id):
        setting = settings.get(prov.id)
        if setting is not None and setting.enabled is False:
            continue
        own_url = (setting.base_url if setting is not None else None) or (
            prov.base_url if prov.base_url and prov.base_url != seeded.get(prov.name.lower(), '') else None
        )
        if own_url or keys.resolve_key(prov.kind, setting.key_ref if setting is not None else None)[0]:
            found.add(prov.id)
    return found


def _configured_provider() -> Provider | None:
    """The provider whose default answers when nothing is chosen: a configured one with a default model
    set first, then the first configured one."""
    ids = configured_provider_ids()
    if not ids:
        return None
    with_default = {
        s.provider_id
        for s in ProviderSetting.select().where(ProviderSetting.provider.in_(list(ids)))
        if s.default_model
    }
    first = min(with_default or ids)
    return Provider.get_by_id(first)


def default_model_id() -> int | None:
    """The model a new chat starts with: the default of a configured provider (None when none is set up)."""
    prov = _configured_provider()
    row = _default_model(prov) if prov is not None else None
    return row.id if row is not None else None


def provider_config(provider: Provider | int | str, *, base_url: str | None = None) -> ProviderConfig:
    """How to reach a provider: its base URL (setting, else default), its key, timeouts.

    Raises ``MissingKey`` when the official OpenAI / Anthropic endpoint would be called without a key.
    """
    prov = find_provider(provider)
    setting = ProviderSetting.get_or_none(ProviderSetting.provider == prov.id)
    if setting is not None and not setting.enabled and base_url is None:
        raise UserError(f'{prov.name} is turned off in Settings → Providers.')
    configured = (
        (setting.base_url if setting is not None else None)
        or prov.base_url
        or DEFAULT_BASE_URLS.get(prov.kind)
    )
    url = base_url or configured
    kind = prov.kind if prov.kind in ('openai', 'anthropic') else 'openai_compatible'
    if kind == 'openai_compatible' and not url:
        # Without one the openai SDK would quietly call api.openai.com.
        raise ValidationError(
            f'{prov.name} has no base URL: set one in Settings → Providers '
            '(for example http://localhost:11434/v1 for Ollama).'
        )
    key, _source = keys.resolve_key(prov.kind, setting.key_ref if setting is not None else None)
    official = keys.OFFICIAL_URLS.get(prov.kind)
    if base_url and keys.url_origin(base_url) != keys.url_origin(configured or official):
        key = None  # a key goes only to the address it was set up for, never to a one-off other host
    timeout, retries = _client_limits()
    config = ProviderConfig(
        kind=kind, name=prov.name, base_url=url, api_key=key, timeout=timeout, max_retries=retries
    )
    needs_key = config.needs_key or (prov.kind in keys.ENV_KEYS and url == DEFAULT_BASE_URLS.get(prov.kind))
    if needs_key and not key:
        env = keys.ENV_KEYS.get(prov.kind, '')
        hint = f' or set {env}' if env else ''
        raise MissingKey(f'There is no API key for {prov.name}: add one in Settings → Providers{hint}.')
    return config


def _agent_params(version: AgentVersion | None) -> GenerationParams:
    if version is None:
        return GenerationParams()
    extra = version.params if isinstance(version.params, dict) else {}
    return GenerationParams(
        system=version.system_prompt or None,
        temperature=version.temperature,
        max_tokens=version.max_tokens,
        top_p=version.top_p,
        extra=extra,
    )


def _agent_version(
    agent_version: AgentVersion | int | None, agent: Agent | int | None
) -> AgentVersion | None:
    if agent_version is not None:
        if isinstance(agent_version, AgentVersion):
            return agent_version
        found = AgentVersion.get_or_none(AgentVersion.id == agent_version)
        if found is None:
            raise NotFound(f'Agent version {agent_version} does not exist.')
        return found
    if agent is not None:
        agent_id = agent if isinstance(agent, int) else agent.id
        row = Agent.get_or_none(Agent.id == agent_id)
        if row is None or row.deleted_at is not None:
            raise NotFound(f'Agent {agent_id} does not exist.')
        if row.current_version_id is None:
            raise ValidationError(f'Agent {row.name!r} has no version yet.')
        return AgentVersion.get_by_id(row.current_version_id)
    return None


def resolve_target(
    *,
    model: LlmModel | int | str | None = None,
    provider: Provider | int | str | None = None,
    base_url: str | None = None,
    agent_version: AgentVersion | int | None = None,
    agent: Agent | int | None = None,
    params: GenerationParams | None = None,
    fallback_model_id: int | None = None,
    check_cap: bool = True,
) -> Target:
    """Work out who answers: explicit model > agent version's model > ``fallback_model_id`` > defaults.

    Raises a ``UserError`` (no model, no key, cap reached, unknown agent) before anything is stored.
    """
    version = _agent_version(agent_version, agent)
    prov = find_provider(provider) if provider is not None else None
    row: LlmModel | None = None
    if model is not None and model != '':
        row = _find_model(model, prov)
    elif version is not None and version.model_id is not None:
        row = LlmModel.get_by_id(version.model_id)
    elif fallback_model_id is not None:
        row = LlmModel.get_or_none(LlmModel.id == fallback_model_id)
    if row is not None and prov is not None and row.provider_id != prov.id:
        # The same model name under the provider asked for (e.g. a local server serving "gpt-4o").
        row = _find_model(row.name, prov)
    if row is None:
        prov = prov or _configured_provider()
        if prov is None:
            raise ValidationError(
                'No model provider is set up yet: add an API key or a server address in Settings → Providers.'
            )
        row = _default_model(prov)
    if row is None:
        raise ValidationError(
            f'Choose a model: {prov.name} has no default model (set one in Settings → Providers).'
        )
    prov = Provider.get_by_id(row.provider_id)
    config = provider_config(prov, base_url=base_url)
    if check_cap:
        pricing.check_cap(prov)
    merged = _agent_params(version).overridden_by(params)
    return Target(row, prov, config, merged, version.id if version is not None else None)


# --------------------------------------------------------------------------- provider checks for the settings page


async def list_provider_models(
    provider: Provider | int | str, *, base_url: str | None = None
) -> list[ModelInfo]:
    """The models the provider's API lists (raises an ``LlmError`` with the reason when it cannot)."""
    config = await asyncio.to_thread(provider_config, provider, base_url=base_url)
    async with await asyncio.to_thread(make_provider, config) as client:
        return await client.list_models()


async def check_connection(provider: Provider | int | str, *, base_url: str | None = None) -> str:
    """One sentence for the "Test connection" button; raises an ``LlmError`` saying what is wrong."""
    config = await asyncio.to_thread(provider_config, provider, base_url=base_url)
    async with await asyncio.to_thread(make_provider, config) as client:
        models = await client.list_models()
    return f'Connected to {config.label}: {len(models)} model{"s" if len(models) != 1 else ""} available.'
