"""What the parts of one chat page share: the conversation as last read, and which replies stream in it.

The page (``app/pages/chat.py``) owns and changes it; the sidebar, thread and composer read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..data import chat_choices, conversations
from ..data.models import Conversation


@dataclass
class Loaded:
    """One read of a conversation for the page, done in a worker thread."""

    conv: Conversation
    path: list[conversations.ThreadMessage]
    usage: chat_choices.ConversationUsage
    outputs: dict[int, int] = field(default_factory=dict)  # message id -> output saved from it


def load_thread(conversation_id: int, leaf_id: int | None) -> Loaded:
    conv = conversations.get_conversation(conversation_id)
    path = conversations.thread(conversation_id, leaf_id)
    usage = chat_choices.conversation_usage(conversation_id)
    replies = [tm.message.id for tm in path if tm.message.role == 'assistant']
    return Loaded(conv, path, usage, chat_choices.outputs_of_messages(replies))


@dataclass
class ChatState:
    """The state of one chat tab."""

    conv_id: int | None
    from_id: int | None = None  # ?from=: continue from an earlier message (a new branch)
    prompt_version_id: int | None = None  # the reply will be recorded as made by this prompt version
    loaded: Loaded | None = None
    running_ids: set[int] = field(default_factory=set)  # replies streaming in this conversation
    busy: bool = False  # a send / regenerate / edit is being prepared
    sees_restricted: bool = True  # a LAN device may not be allowed Secret items
