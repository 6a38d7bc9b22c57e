"""Agents (personas) and their immutable versions (system prompt, model, parameters): create, add a version,
restore, mark current, diff, provenance."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from peewee import fn

from ..errors import NotFound, ValidationError
from . import sensitivity, versioning
from .db import write_tx
from .models import Agent, AgentVersion, LlmModel, utcnow
from .versioning import AgentDiff, VersionStats, agent_diff

_VERSION_FIELDS = ('system_prompt', 'model', 'temperature', 'top_p', 'max_tokens', 'params')


def get_agent(agent_id: int) -> Agent:
    agent = Agent.get_or_none(Agent.id == agent_id)
    if agent is None:
        raise NotFound(f'Agent {agent_id} does not exist.')
    return agent


def _number(value: Any, cast: type, label: str) -> Any:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return cast(value)
    except (TypeError, ValueError):
        raise ValidationError(f'{label} must be a number.') from None


def _check(values: dict[str, Any]) -> dict[str, Any]:
    for key, cast, label in (
        ('temperature', float, 'Temperature'),
        ('top_p', float, 'top_p'),
        ('max_tokens', int, 'max_tokens'),
    ):
        if key in values:
            values[key] = _number(values[key], cast, label)
    t = values.get('temperature')
    if t is not None and not 0 <= t <= 2:
        raise ValidationError('Temperature must be between 0 and 2.')
    p = values.get('top_p')
    if p is not None and not 0 < p <= 1:
        raise ValidationError('top_p must be greater than 0 and at most 1.')
    m = values.get('max_tokens')
    if m is not None and m < 1:
        raise ValidationError('max_tokens must be a positive number.')
    model = values.get('model')
    if isinstance(model, LlmModel):
        values['model'] = model.id
    elif isinstance(model, str):
        from .lookups import find_or_create_model  # lookups is a sibling; imported late to keep this light

        values['model'] = find_or_create_model(model).id if model.strip() else None
    elif model is not None and LlmModel.get_or_none(LlmModel.id == model) is None:
        raise NotFound('That model no longer exists.')
    params = values.get('params')
    if params is not None and not isinstance(params, dict):
        raise ValidationError('Extra parameters must be a JSON object, like {"seed": 7}.')
    if params == {}:
        values['params'] = None  # "no extra parameters" has one form, so versions compare equal
    return values


def create_agent(
    name: str,
    system_prompt: str = '',
    *,
    model: LlmModel | int | None = None,
    temperature: float | None = None,
    top_p: float | None = None,
    max_tokens: int | None = None,
    params: dict | None = None,
    description: str | None = None,
    note: str | None = None,
    created_at: datetime | None = None,
) -> Agent:
    """A new agent with its first version."""
    name = (name or '').strip()
    if not name:
        raise ValidationError('An agent needs a name.')
    values = _check(
        {
            'system_prompt': system_prompt or '',
            'model': model,
            'temperature': temperature,
            'top_p': top_p,
            'max_tokens': max_tokens,
            'params': params,
        }
    )
    now = created_at or utcnow()
    with write_tx():
        agent = Agent.create(name=name[:255], description=description, created_at=now, updated_at=now)
        version = AgentVersion.create(agent=agent, number=1, note=note, created_at=now, **values)
        agent.current_version = version
        agent.save(touch=False)
    return agent


def new_version(agent_id: int, *, note: str | None = None, **changes: Any) -> AgentVersion:
    """A new version: the current one with ``changes`` applied (and made current). No change adds nothing."""
    unknown = set(changes) - set(_VERSION_FIELDS)
    if unknown:
        raise ValidationError(f'{", ".join(sorted(unknown))} is not part of an agent version.')
    with write_tx():
        agent = get_agent(agent_id)
        current = AgentVersion.get_or_none(AgentVersion.id == agent.current_version_id)
        base = (
            {
                f: (getattr(current, f + '_id') if f == 'model' else getattr(current, f))
                for f in _VERSION_FIELDS
            }
            if current
            else {}
        )
        values = _check({**base, **changes})
        values.setdefault('system_prompt', '')
        if current is not None and all(values.get(f) == base.get(f) for f in _VERSION_FIELDS):
            return current
        number = (
            AgentVersion.select(fn.MAX(AgentVersion.number)).where(AgentVersion.agent == agent_id).scalar()
            or 0
        ) + 1
        version = AgentVersion.create(
            agent=agent_id, number=number, note=(note or '').strip() or None, **values
        )
        Agent.update(current_version=version.id, updated_at=utcnow()).where(Agent.id == agent_id).execute()
    return version


def versions(agent_id: int) -> list[AgentVersion]:
    """Every version, newest first."""
    return list(
        AgentVersion.select().where(AgentVersion.agent == agent_id).order_by(AgentVersion.number.desc())
    )


def get_version(version_id: int) -> AgentVersion:
    version = AgentVersion.get_or_none(AgentVersion.id == version_id)
    if version is None:
        raise NotFound(f'Agent version {version_id} does not exist.')
    return version


def current_version(agent_id: int) -> AgentVersion | None:
    agent = get_agent(agent_id)
    return AgentVersion.get_or_none(AgentVersion.id == agent.current_version_id)


def search_versions(
    text: str = '', limit: int = 12, *, exclude_restricted: bool = False
) -> list[AgentVersion]:
    """Versions of agents whose name matches ``text`` (current versions first), with ``.agent`` loaded."""
    q = (
        AgentVersion.select(AgentVersion, Agent)
        .join(Agent, on=(AgentVersion.agent == Agent.id))
        .where(Agent.deleted_at.is_null())
    )
    text = (text or '').strip()
    if text:
        q = q.where(Agent.name.contains(text))
    if exclude_restricted:  # a LAN device or token not allowed to see Secret agents
        q = sensitivity.exclude_restricted(q, Agent)
    is_current = AgentVersion.id == Agent.current_version
    return list(
        q.order_by(is_current.desc(), Agent.updated_at.desc(), AgentVersion.number.desc()).limit(limit)
    )


# --------------------------------------------------------------------------- history, restore, provenance


def version_values(version: AgentVersion) -> dict[str, Any]:
    """The settings a version holds, in the form ``create_agent`` / ``new_version`` take them."""
    return {f: (version.model_id if f == 'model' else getattr(version, f)) for f in _VERSION_FIELDS}


def version_by_number(agent_id: int, number: int) -> AgentVersion:
    version = AgentVersion.get_or_none((AgentVersion.agent == agent_id) & (AgentVersion.number == number))
    if version is None:
        get_agent(agent_id)
        raise NotFound(f'Agent {agent_id} has no version {number}.')
    return version


def set_current(agent_id: int, number: int) -> AgentVersion:
    """Make an existing version the current one (the one chats use). Adds no version."""
    with write_tx():
        version = version_by_number(agent_id, number)
        Agent.update(current_version=version.id, updated_at=utcnow()).where(Agent.id == agent_id).execute()
    return version


def restore_version(agent_id: int, number: int, note: str | None = None) -> AgentVersion:
    """A new version with every setting of version ``number`` (history is never rewritten).
    When the current version already has those settings, it is returned unchanged."""
    old = version_by_number(agent_id, number)
    return new_version(agent_id, note=note or f'Restored from v{number}', **version_values(old))


def diff_versions(agent_id: int, old_number: int, new_number: int) -> AgentDiff:
    """System prompt (word level) and settings compared from ``old_number`` to ``new_number``."""
    return agent_diff(version_by_number(agent_id, old_number), version_by_number(agent_id, new_number))


def version_stats(agent_id: int) -> list[VersionStats]:
    """Every version, newest first, with the outputs and messages it produced and their average rating."""
    agent = get_agent(agent_id)
    return versioning.version_stats('agent', agent_id, agent.current_version_id)
