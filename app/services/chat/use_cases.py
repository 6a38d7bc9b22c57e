"""The chat use-cases: send, answer, regenerate and edit — each stores what the user typed first,
creates the reply message at once and starts streaming it (``replies.ChatReply``)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from ...data import conversations as convs
from ...data.db import write_tx
from ...data.models import (
    Agent,
    AgentVersion,
    Conversation,
    LlmModel,
    Message,
    PromptVersion,
    Provider,
    Source,
)
from ...data.text import first_line_title
from ...errors import NotFound, ValidationError
from ...llm.providers import ChatMessage, GenerationParams
from .replies import ChatReply
from .targets import Target, resolve_target

MAX_USER_MESSAGE = 500_000  # characters

_UNSET: Any = object()


def _history(conversation_id: int, leaf_id: int | None) -> list[ChatMessage]:
    """The path from the root to ``leaf_id`` as the model sees it: visible text turns only."""
    if leaf_id is None:
        return []
    ids = convs.path_ids(leaf_id)
    rows = {
        m.id: m
        for m in Message.select(
            Message.id, Message.conversation, Message.role, Message.content, Message.hidden
        ).where(Message.id.in_(ids))
    }
    out: list[ChatMessage] = []
    for mid in ids:
        m = rows[mid]
        if m.conversation_id != conversation_id:
            raise ValidationError('That message belongs to another conversation.')
        if m.hidden or m.role not in ('system', 'user', 'assistant') or not (m.content or '').strip():
            continue
        out.append(ChatMessage(m.role, m.content))
    return out


def _conversation_model_id(conv: Conversation) -> int | None:
    """The model a conversation was last answered with (its own field, else its latest reply's)."""
    if conv.model_id is not None:
        return conv.model_id
    return (
        Message.select(Message.model)
        .where((Message.conversation == conv.id) & Message.model.is_null(False))
        .order_by(Message.created_at.desc(), Message.id.desc())
        .scalar()
    )


@dataclass
class _Prepared:
    conversation_id: int
    user_message_id: int | None
    message_id: int
    target: Target
    history: list[ChatMessage] = field(default_factory=list)


def _check_text(text: str) -> str:
    text = (text or '').replace('\r\n', '\n')
    if not text.strip():
        raise ValidationError('Type a message first.')
    if len(text) > MAX_USER_MESSAGE:
        raise ValidationError(
            f'That message is too long ({len(text):,} characters; the limit is {MAX_USER_MESSAGE:,}).'
        )
    return text


def _prompt_version_id(value: PromptVersion | int | None) -> int | None:
    if value is None:
        return None
    pid = value if isinstance(value, int) else value.id
    if PromptVersion.get_or_none(PromptVersion.id == pid) is None:
        raise NotFound(f'Prompt version {pid} does not exist.')
    return pid


def _start_reply_rows(conv_id: int, parent_id: int, target: Target, prompt_version_id: int | None) -> int:
    """The reply's message (empty, incomplete) under ``parent_id``; the conversation remembers model and agent."""
    with write_tx():
        reply = convs.add_message(
            conv_id,
            'assistant',
            '',
            parent=parent_id,
            model=target.model.id,
            agent_version=target.agent_version_id,
            prompt_version=prompt_version_id,
            status='incomplete',
        )
        Conversation.update(model=target.model.id, agent_version=target.agent_version_id).where(
            Conversation.id == conv_id
        ).execute()
    return reply.id


def _prepare_send(
    text: str,
    conversation_id: int | None,
    parent: Any,
    target_kwargs: dict[str, Any],
    prompt_version: PromptVersion | int | None,
    title: str | None,
) -> _Prepared:
    text = _check_text(text)
    conv = convs.get_conversation(conversation_id) if conversation_id is not None else None
    if conv is not None and conv.deleted_at is not None:
        raise ValidationError('That conversation is in the trash; restore it to continue it.')
    if conv is not None and target_kwargs.get('agent_version') is _UNSET:
        target_kwargs['agent_version'] = conv.agent_version_id if target_kwargs.get('agent') is None else None
    elif target_kwargs.get('agent_version') is _UNSET:
        target_kwargs['agent_version'] = None
    target = resolve_target(
        **target_kwargs, fallback_model_id=_conversation_model_id(conv) if conv is not None else None
    )
    pv_id = _prompt_version_id(prompt_version)
    with write_tx():
        if conv is None:
            source = Source.get_or_none(Source.kind == 'chat')
            conv = convs.create_conversation(
                (title or first_line_title(text))[:200],
                source=source,
                model=target.model.id,
                agent_version=target.agent_version_id,
            )
        user = convs.add_message(
            conv.id,
            'user',
            text,
            parent=_UNSET_PARENT if parent is _UNSET else parent,
            prompt_version=pv_id,
        )
        reply_id = _start_reply_rows(conv.id, user.id, target, pv_id)
    return _Prepared(conv.id, user.id, reply_id, target, _history(conv.id, user.id))


# conversations.add_message's own "not given" marker: the parent defaults to the active leaf.
_UNSET_PARENT: Any = convs.UNSET


def _prepare_reply_to(
    user_message_id: int, target_kwargs: dict[str, Any], inherit_from: Message | None
) -> _Prepared:
    prompt = Message.get_or_none(Message.id == user_message_id)
    if prompt is None:
        raise NotFound(f'Message {user_message_id} does not exist.')
    conv = convs.get_conversation(prompt.conversation_id)
    if target_kwargs.get('agent_version') is _UNSET:
        if target_kwargs.get('agent') is not None:
            target_kwargs['agent_version'] = None  # the agent's current version decides
        elif inherit_from is not None:
            target_kwargs['agent_version'] = inherit_from.agent_version_id
        else:
            target_kwargs['agent_version'] = conv.agent_version_id
    fallback = inherit_from.model_id if inherit_from is not None and inherit_from.model_id else None
    target = resolve_target(**target_kwargs, fallback_model_id=fallback or _conversation_model_id(conv))
    pv_id = (inherit_from.prompt_version_id if inherit_from is not None else None) or prompt.prompt_version_id
    reply_id = _start_reply_rows(conv.id, prompt.id, target, pv_id)
    return _Prepared(
        conv.id, prompt.id if prompt.role == 'user' else None, reply_id, target, _history(conv.id, prompt.id)
    )


def _launch(prepared: _Prepared) -> ChatReply:
    reply = ChatReply(
        conversation_id=prepared.conversation_id,
        user_message_id=prepared.user_message_id,
        message_id=prepared.message_id,
        target=prepared.target,
        history=prepared.history,
    )
    reply._start()
    return reply


def _target_kwargs(
    model: Any,
    provider: Any,
    base_url: str | None,
    agent_version: Any,
    agent: Any,
    params: GenerationParams | None,
) -> dict[str, Any]:
    return {
        'model': model,
        'provider': provider,
        'base_url': base_url,
        'agent_version': agent_version,
        'agent': agent,
        'params': params,
    }


# --------------------------------------------------------------------------- use-cases


async def send_message(
    text: str,
    *,
    conversation_id: int | None = None,
    model: LlmModel | int | str | None = None,
    provider: Provider | int | str | None = None,
    base_url: str | None = None,
    agent_version: AgentVersion | int | None = _UNSET,
    agent: Agent | int | None = None,
    prompt_version: PromptVersion | int | None = None,
    params: GenerationParams | None = None,
    parent: Message | int | None = _UNSET,
    title: str | None = None,
) -> ChatReply:
    """Store the user's message (new conversation when ``conversation_id`` is None) and start the reply.

    Continues any conversation — imported ones too — with any model. Without ``model`` the
    conversation's last model (or the agent's, or the provider's default) answers. Without
    ``agent_version`` / ``agent`` a continued conversation keeps its agent; pass
    ``agent_version=None`` for none. ``parent`` defaults to the active leaf.
    Raises a ``UserError`` (nothing stored) when no model, key or budget is available.
    """
    kwargs = _target_kwargs(model, provider, base_url, agent_version, agent, params)
    prepared = await asyncio.to_thread(
        _prepare_send, text, conversation_id, parent, kwargs, prompt_version, title
    )
    return _launch(prepared)


async def reply_to(
    message_id: int,
    *,
    model: LlmModel | int | str | None = None,
    provider: Provider | int | str | None = None,
    base_url: str | None = None,
    agent_version: AgentVersion | int | None = _UNSET,
    agent: Agent | int | None = None,
    params: GenerationParams | None = None,
) -> ChatReply:
    """A new reply to an existing (user) message, as a new branch — e.g. an imported conversation
    that ends with a question, or a retry after a failed reply."""
    kwargs = _target_kwargs(model, provider, base_url, agent_version, agent, params)
    prepared = await asyncio.to_thread(_prepare_reply_to, message_id, kwargs, None)
    return _launch(prepared)


def _regenerate_source(reply_message_id: int) -> Message:
    reply = Message.get_or_none(Message.id == reply_message_id)
    if reply is None:
        raise NotFound(f'Message {reply_message_id} does not exist.')
    if reply.role != 'assistant':
        raise ValidationError('Only a model reply can be regenerated.')
    if reply.parent_id is None:
        raise ValidationError('That reply answers nothing, so it cannot be regenerated.')
    return reply


async def regenerate(
    reply_message_id: int,
    *,
    model: LlmModel | int | str | None = None,
    provider: Provider | int | str | None = None,
    base_url: str | None = None,
    agent_version: AgentVersion | int | None = _UNSET,
    agent: Agent | int | None = None,
    params: GenerationParams | None = None,
) -> ChatReply:
    """A new sibling of a reply (same question, new answer — a new branch, the old one kept).

    Uses the original reply's model and agent version unless others are given.
    """
    kwargs = _target_kwargs(model, provider, base_url, agent_version, agent, params)

    def prepare() -> _Prepared:
        original = _regenerate_source(reply_message_id)
        return _prepare_reply_to(original.parent_id, kwargs, original)

    prepared = await asyncio.to_thread(prepare)
    return _launch(prepared)


async def edit_user_message(
    message_id: int,
    new_text: str,
    *,
    model: LlmModel | int | str | None = None,
    provider: Provider | int | str | None = None,
    base_url: str | None = None,
    agent_version: AgentVersion | int | None = _UNSET,
    agent: Agent | int | None = None,
    params: GenerationParams | None = None,
) -> ChatReply:
    """Edit a user message: a new sibling user message (a new branch) and a reply to it."""

    def prepare() -> _Prepared:
        original = Message.get_or_none(Message.id == message_id)
        if original is None:
            raise NotFound(f'Message {message_id} does not exist.')
        if original.role != 'user':
            raise ValidationError('Only your own messages can be edited.')
        kwargs = _target_kwargs(model, provider, base_url, agent_version, agent, params)
        if kwargs['agent_version'] is _UNSET and agent is None:
            # Keep the agent that answered the original question, if one did.
            answered_by = (
                Message.select(Message.agent_version)
                .where((Message.parent == original.id) & (Message.role == 'assistant'))
                .order_by(Message.id.desc())
                .scalar()
            )
            conv = convs.get_conversation(original.conversation_id)
            kwargs['agent_version'] = answered_by or conv.agent_version_id
        return _prepare_send(
            new_text,
            original.conversation_id,
            original.parent_id,
            kwargs,
            original.prompt_version_id,
            None,
        )

    prepared = await asyncio.to_thread(prepare)
    return _launch(prepared)
