"""What the chat page offers to choose from (models by provider, agents and their versions) and the
totals it shows (tokens and cost of a conversation)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from peewee import JOIN, Case, fn

from . import sensitivity
from .models import Agent, AgentVersion, LlmModel, Message, Output, Provider, ProviderSetting


@dataclass(frozen=True)
class ModelChoice:
    id: int
    name: str  # the API id
    label: str  # "OpenAI · GPT-4o mini"
    provider_id: int
    provider_name: str
    input_price: float | None = None  # USD per million tokens; None: not known
    output_price: float | None = None

    @property
    def price_text(self) -> str:
        """ "$0.15 in · $0.60 out per million tokens", or "cost unknown" when the model has no prices."""
        if self.input_price is None and self.output_price is None:
            return 'cost unknown'
        if not self.input_price and not self.output_price:
            return 'free (prices set to 0)'

        def usd(value: float | None) -> str:
            return '?' if value is None else f'${value:,.2f}'

        return f'{usd(self.input_price)} in · {usd(self.output_price)} out per million tokens'


def model_choices(include: int | None = None, providers: Collection[int] | None = None) -> list[ModelChoice]:
    """Active models of providers that are not turned off, by provider then name; ``include`` is always listed
    (the model a conversation or agent already uses, even when it is inactive). ``providers``: only the
    models of these providers (the ones set up to be used), ``include`` too."""
    enabled = ProviderSetting.enabled.is_null() | (ProviderSetting.enabled == True)  # noqa: E712
    wanted = (LlmModel.is_active == True) & enabled  # noqa: E712
    if include is not None:
        wanted = wanted | (LlmModel.id == include)
    if providers is not None:
        wanted = wanted & LlmModel.provider.in_(list(providers))
    rows = (
        LlmModel.select(LlmModel, Provider)
        .join(Provider, on=(LlmModel.provider == Provider.id))
        .join(ProviderSetting, JOIN.LEFT_OUTER, on=(ProviderSetting.provider == Provider.id))
        .where(wanted)
        .order_by(Provider.id, fn.LOWER(fn.COALESCE(LlmModel.display_name, LlmModel.name)))
    )
    return [
        ModelChoice(
            m.id,
            m.name,
            f'{m.provider.name} · {m.label}',
            m.provider_id,
            m.provider.name,
            m.input_price,
            m.output_price,
        )
        for m in rows
    ]


@dataclass(frozen=True)
class AgentChoice:
    id: int
    name: str
    current_version_id: int | None


def agent_choices(limit: int = 500, *, exclude_restricted: bool = False) -> list[AgentChoice]:
    """Agents (not in the trash) that have a version, by name. ``exclude_restricted``: not the Secret
    ones (a LAN device without permission)."""
    rows = Agent.select(Agent.id, Agent.name, Agent.current_version).where(
        Agent.deleted_at.is_null() & Agent.current_version.is_null(False)
    )
    if exclude_restricted:
        rows = sensitivity.exclude_restricted(rows, Agent)
    rows = rows.order_by(fn.LOWER(Agent.name), Agent.id).limit(limit)
    return [AgentChoice(a.id, a.name, a.current_version_id) for a in rows]


@dataclass(frozen=True)
class VersionChoice:
    id: int
    number: int
    model_id: int | None


def agent_versions(agent_id: int) -> list[VersionChoice]:
    """An agent's versions, newest first."""
    rows = (
        AgentVersion.select(AgentVersion.id, AgentVersion.number, AgentVersion.model)
        .where(AgentVersion.agent == agent_id)
        .order_by(AgentVersion.number.desc())
    )
    return [VersionChoice(v.id, v.number, v.model_id) for v in rows]


def version_owner(agent_version_id: int) -> tuple[int, int | None] | None:
    """(agent id, model id) of an agent version, or None when it no longer exists."""
    row = (
        AgentVersion.select(AgentVersion.agent, AgentVersion.model)
        .where(AgentVersion.id == agent_version_id)
        .tuples()
        .first()
    )
    return (row[0], row[1]) if row else None


@dataclass(frozen=True)
class ConversationUsage:
    input_tokens: int
    output_tokens: int
    cost: float | None  # None when no message has a known cost
    replies: int
    unknown_cost: int = 0  # replies that used tokens but whose cost is not known (a model without prices)


def conversation_usage(conversation_id: int) -> ConversationUsage:
    """Tokens and cost of every reply in a conversation, all branches (each was paid for)."""
    row = (
        Message.select(
            fn.COALESCE(fn.SUM(Message.input_tokens), 0),
            fn.COALESCE(fn.SUM(Message.output_tokens), 0),
            fn.SUM(Message.cost),
            fn.COUNT(Message.id),
            fn.SUM(
                Case(
                    None,
                    [
                        (
                            Message.cost.is_null()
                            & ((Message.input_tokens > 0) | (Message.output_tokens > 0)),
                            1,
                        )
                    ],
                    0,
                )
            ),
        )
        .where((Message.conversation == conversation_id) & (Message.role == 'assistant'))
        .tuples()
        .first()
    )
    if row is None:
        return ConversationUsage(0, 0, None, 0)
    return ConversationUsage(int(row[0] or 0), int(row[1] or 0), row[2], int(row[3] or 0), int(row[4] or 0))


def outputs_of_messages(message_ids: list[int]) -> dict[int, int]:
    """Message id -> the first output saved from it (outputs in the trash do not count)."""
    if not message_ids:
        return {}
    found: dict[int, int] = {}
    query = (
        Output.select(Output.id, Output.message)
        .where(Output.message.in_(message_ids) & Output.deleted_at.is_null())
        .order_by(Output.id)
        .tuples()
    )
    for output_id, message_id in query:
        found.setdefault(message_id, output_id)
    return found
