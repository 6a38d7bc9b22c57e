"""Outputs: capture one (with its prompt, model, agent, tags, collections), find duplicates, read one
with every relation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from peewee import Model

from ..errors import NotFound, ValidationError
from . import lookups, prompts, relations
from .db import write_tx
from .models import (
    AccuracyLevel,
    Agent,
    AgentVersion,
    Category,
    Collection,
    Conversation,
    LlmModel,
    Message,
    Output,
    Prompt,
    PromptVersion,
    Provider,
    RetentionPlan,
    SensitivityLevel,
    Source,
    Tag,
    utcnow,
)
from .text import body_hash, first_line_title, normalise_body

MAX_BODY = 2_000_000  # characters; a pasted book is fine, a runaway paste is refused with a message


@dataclass
class CaptureData:
    """Everything a capture may carry; only ``body`` is required. Names create lookups on the fly."""

    body: str
    title: str = ''
    prompt: str = ''  # prompt text: reuses the version holding this exact text, else makes a new prompt
    prompt_version_id: int | None = None
    model: str | int | None = None  # model id, or a name (unknown names are created)
    agent_id: int | None = None  # uses the agent's current version
    agent_version_id: int | None = None
    tags: list[str | int] = field(default_factory=list)
    collections: list[str | int] = field(default_factory=list)
    category: str | int | None = None
    rating: int | None = None
    accuracy_id: int | None = None
    sensitivity_id: int | None = None
    retention_id: int | None = None
    favourite: bool = False
    notes: str = ''
    source_url: str = ''
    source_kind: str = 'manual'
    source_id: int | None = None  # a particular source row (e.g. "MCP · Claude Desktop"); else by kind
    conversation_id: int | None = None
    message_id: int | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost: float | None = None
    created_at: datetime | None = None


def _lookup_id(key: str, value: str | int | None) -> int | None:
    if value is None or value == '':
        return None
    if isinstance(value, int):
        return lookups.get(key, value).id
    return lookups.get_or_create(key, value).id


def _check_fk(model: type[Model], value: int | None, what: str) -> int | None:
    if value is None:
        return None
    if model.get_or_none(model.id == value) is None:
        raise NotFound(f'That {what} no longer exists.')
    return value


def find_duplicates(body: str, *, exclude_id: int | None = None) -> list[Output]:
    """Outputs (not in the trash) whose text is the same as ``body`` once whitespace is normalised."""
    q = Output.select().where((Output.body_hash == body_hash(body)) & Output.deleted_at.is_null())
    if exclude_id is not None:
        q = q.where(Output.id != exclude_id)
    return list(q.order_by(Output.created_at.desc()))


def capture_output(data: CaptureData) -> Output:
    """Store one captured output and all its relations in one short transaction."""
    body = normalise_body(data.body)
    if not body.strip():
        raise ValidationError('There is nothing to capture: the output text is empty.')
    if len(body) > MAX_BODY:
        raise ValidationError(
            f'That output is too long ({len(body):,} characters; the limit is {MAX_BODY:,}).'
        )
    if data.rating is not None and not (isinstance(data.rating, int) and 1 <= data.rating <= 5):
        raise ValidationError('A rating is a whole number from 1 to 5.')
    for name in ('input_tokens', 'output_tokens'):
        value = getattr(data, name)
        if value is not None and (not isinstance(value, int) or value < 0):
            raise ValidationError('Token counts are whole numbers of zero or more.')
    now = data.created_at or utcnow()
    with write_tx():
        model_id = None
        if isinstance(data.model, int):
            model_id = lookups.get('model', data.model).id
        elif data.model and str(data.model).strip():
            model_id = lookups.find_or_create_model(str(data.model)).id
        agent_version_id = _check_fk(AgentVersion, data.agent_version_id, 'agent version')
        if agent_version_id is None and data.agent_id is not None:
            agent = Agent.get_or_none(Agent.id == data.agent_id)
            if agent is None:
                raise NotFound('That agent no longer exists.')
            agent_version_id = agent.current_version_id
        prompt_version_id = _check_fk(PromptVersion, data.prompt_version_id, 'prompt version')
        if prompt_version_id is None and data.prompt.strip():
            version = prompts.version_for_text(data.prompt)
            prompt_version_id = version.id
        if prompt_version_id is not None:
            Prompt.update(use_count=Prompt.use_count + 1, last_used_at=now).where(
                Prompt.id
                == PromptVersion.select(PromptVersion.prompt).where(PromptVersion.id == prompt_version_id)
            ).execute()
        source = (
            (Source.get_or_none(Source.id == data.source_id) if data.source_id else None)
            or Source.get_or_none(Source.kind == data.source_kind)
            or Source.get_or_none(Source.kind == 'manual')
        )
        output = Output.create(
            title=(data.title.strip() or first_line_title(body))[:255],
            body=body,
            body_hash=body_hash(body),
            model=model_id,
            prompt_version=prompt_version_id,
            agent_version=agent_version_id,
            conversation=_check_fk(Conversation, data.conversation_id, 'conversation'),
            message=_check_fk(Message, data.message_id, 'message'),
            category=_lookup_id('category', data.category),
            rating=data.rating,
            accuracy=_check_fk(AccuracyLevel, data.accuracy_id, 'accuracy level'),
            sensitivity=_check_fk(SensitivityLevel, data.sensitivity_id, 'sensitivity level'),
            retention=_check_fk(RetentionPlan, data.retention_id, 'retention plan'),
            favourite=bool(data.favourite),
            notes=data.notes.strip() or None,
            source_url=data.source_url.strip() or None,
            source=source,
            input_tokens=data.input_tokens,
            output_tokens=data.output_tokens,
            cost=data.cost,
            created_at=now,
            updated_at=now,
        )
        tag_ids = [_lookup_id('tag', t) for t in data.tags if str(t).strip()]
        if tag_ids:
            relations.add_tags('output', [output.id], tag_ids)
        for c in data.collections:
            if str(c).strip():
                relations.add_to_collection('output', [output.id], _lookup_id('collection', c))
    return output


def discard_capture(output_id: int) -> None:
    """Undo a capture that was just made: the output is deleted for good (not kept in the trash)."""
    with write_tx():
        Output.delete().where(Output.id == output_id).execute()


def get_output(output_id: int) -> Output:
    output = Output.get_or_none(Output.id == output_id)
    if output is None:
        raise NotFound(f'Output {output_id} does not exist.')
    return output


@dataclass
class OutputDetail:
    """An output with every relation, both directions, for its detail page and the API."""

    output: Output
    model: LlmModel | None
    provider: Provider | None
    prompt_version: PromptVersion | None
    prompt: Prompt | None
    agent_version: AgentVersion | None
    agent: Agent | None
    conversation: Conversation | None
    message: Message | None
    category: Category | None
    accuracy: AccuracyLevel | None
    sensitivity: SensitivityLevel | None
    retention: RetentionPlan | None
    source: Source | None
    tags: list[Tag]
    collections: list[Collection]
    related: list[Output]


def _maybe(model: type[Model], row_id: int | None) -> Model | None:
    return model.get_or_none(model.id == row_id) if row_id else None


def output_detail(output_id: int) -> OutputDetail:
    o = get_output(output_id)
    model = _maybe(LlmModel, o.model_id)
    pv = _maybe(PromptVersion, o.prompt_version_id)
    av = _maybe(AgentVersion, o.agent_version_id)
    return OutputDetail(
        output=o,
        model=model,
        provider=_maybe(Provider, model.provider_id) if model else None,
        prompt_version=pv,
        prompt=_maybe(Prompt, pv.prompt_id) if pv else None,
        agent_version=av,
        agent=_maybe(Agent, av.agent_id) if av else None,
        conversation=_maybe(Conversation, o.conversation_id),
        message=_maybe(Message, o.message_id),
        category=_maybe(Category, o.category_id),
        accuracy=_maybe(AccuracyLevel, o.accuracy_id),
        sensitivity=_maybe(SensitivityLevel, o.sensitivity_id),
        retention=_maybe(RetentionPlan, o.retention_id),
        source=_maybe(Source, o.source_id),
        tags=relations.tags_for('output', [o.id]).get(o.id, []),
        collections=relations.collections_for('output', [o.id]).get(o.id, []),
        related=relations.related_outputs(o.id),
    )


def set_provenance(
    output_id: int,
    *,
    prompt_version_id: int | None | object = ...,
    agent_version_id: int | None | object = ...,
    conversation_id: int | None | object = ...,
    message_id: int | None | object = ...,
) -> None:
    """Point an output at the prompt version / agent version / conversation / message it came from
    (``None`` clears a link; an omitted argument leaves it)."""
    changes: dict = {}
    for field_, model, value, what in (
        (Output.prompt_version, PromptVersion, prompt_version_id, 'prompt version'),
        (Output.agent_version, AgentVersion, agent_version_id, 'agent version'),
        (Output.conversation, Conversation, conversation_id, 'conversation'),
        (Output.message, Message, message_id, 'message'),
    ):
        if value is not ...:
            changes[field_] = _check_fk(model, value, what)
    if not changes:
        return
    changes[Output.updated_at] = utcnow()
    with write_tx():
        get_output(output_id)
        Output.update(changes).where(Output.id == output_id).execute()
