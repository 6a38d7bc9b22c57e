"""Saving a model reply as an Output (by hand, or every reply when the option is on)."""

from __future__ import annotations

from ...data import settings_store
from ...data.models import Message, Output
from ...data.outputs import CaptureData, capture_output
from ...errors import NotFound, ValidationError

AUTO_SAVE_SETTING = 'chat.auto_save_outputs'


def auto_save_enabled() -> bool:
    """Whether every finished reply is also saved as an Output."""
    return bool(settings_store.get(AUTO_SAVE_SETTING, False))


def set_auto_save(enabled: bool) -> None:
    settings_store.put(AUTO_SAVE_SETTING, bool(enabled))


def save_reply_as_output(message_id: int) -> Output:
    """Save a model reply as an Output, with its provenance; saving the same reply twice returns the first.

    The preceding user turn becomes the output's prompt version: its own prompt version when it
    has one (a prompt run in chat), else the prompt version holding that exact text — created as
    a new Prompt if none does, the same way a manual capture treats a pasted prompt.
    """
    msg = Message.get_or_none(Message.id == message_id)
    if msg is None:
        raise NotFound(f'Message {message_id} does not exist.')
    if msg.role != 'assistant':
        raise ValidationError('Only a model reply can be saved as an output.')
    if not (msg.content or '').strip():
        raise ValidationError('That reply is empty, so there is nothing to save.')
    existing = (
        Output.select()
        .where((Output.message == msg.id) & Output.deleted_at.is_null())
        .order_by(Output.id)
        .first()
    )
    if existing is not None:
        return existing
    user = _preceding_user_message(msg)
    return capture_output(
        CaptureData(
            body=msg.content,
            prompt='' if (user is None or user.prompt_version_id) else user.content,
            prompt_version_id=msg.prompt_version_id or (user.prompt_version_id if user is not None else None),
            model=msg.model_id,
            agent_version_id=msg.agent_version_id,
            conversation_id=msg.conversation_id,
            message_id=msg.id,
            input_tokens=msg.input_tokens,
            output_tokens=msg.output_tokens,
            cost=msg.cost,
            source_kind='chat',
        )
    )


def _preceding_user_message(msg: Message) -> Message | None:
    parent_id = msg.parent_id
    for _ in range(50):  # a reply's question is its parent; tool steps may sit in between
        if parent_id is None:
            return None
        parent = Message.get_or_none(Message.id == parent_id)
        if parent is None:
            return None
        if parent.role == 'user':
            return parent
        parent_id = parent.parent_id
    return None
