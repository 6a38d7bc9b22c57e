"""Agents (personas) and their immutable versions: system prompt, model and parameters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from peewee import fn

from ..errors import NotFound, ValidationError
from .db import write_tx
from .models import Agent, AgentVersion, LlmModel, utcnow

_VERSION_FIELDS = ('system_prompt', 'model', 'temperature', 'top_p', 'max_tokens', 'params')


def get_agent(agent_id: int) -> Agent:
    agent = Agent.get_or_none(Agent.id == agent_id)
    if agent is None:
        raise NotFound(f'Agent {agent_id} does not exist.')
    return agent


def _check(values: dict[str, Any]) -> dict[str, Any]:
    t = values.get('temperature')
    if t is not None and not 0 <= float(t) <= 2:
        raise ValidationError('Temperature must be between 0 and 2.')
    p = values.get('top_p')
    if p is not None and not 0 < float(p) <= 1:
        raise ValidationError('top_p must be greater than 0 and at most 1.')
    m = values.get('max_tokens')
    if m is not None and int(m) < 1:
        raise ValidationError('max_tokens must be a positive number.')
    model = values.get('model')
    if isinstance(model, LlmModel):
        values['model'] = model.id
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


def search_versions(text: str = '', limit: int = 12) -> list[AgentVersion]:
    """Versions of agents whose name matches ``text`` (current versions first), with ``.agent`` loaded."""
    q = (
        AgentVersion.select(AgentVersion, Agent)
        .join(Agent, on=(AgentVersion.agent == Agent.id))
        .where(Agent.deleted_at.is_null())
    )
    text = (text or '').strip()
    if text:
        like = text.replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_')
        q = q.where(Agent.name ** f'%{like}%')
    is_current = AgentVersion.id == Agent.current_version
    return list(
        q.order_by(is_current.desc(), Agent.updated_at.desc(), AgentVersion.number.desc()).limit(limit)
    )
