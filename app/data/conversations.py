"""Conversations as trees of messages: add messages, walk the active path, switch branches."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from peewee import JOIN, fn

from ..errors import NotFound, ValidationError
from . import sensitivity
from .db import current, write_tx
from .models import AgentVersion, Conversation, LlmModel, Message, PromptVersion, Source, utcnow

ROLES = ('system', 'user', 'assistant', 'tool')

UNSET = object()


def get_conversation(conversation_id: int, *, include_trashed: bool = True) -> Conversation:
    query = Conversation.select().where(Conversation.id == conversation_id)
    if not include_trashed:
        query = query.where(Conversation.deleted_at.is_null())
    conv = query.first()
    if conv is None:
        raise NotFound(f'Conversation {conversation_id} does not exist.')
    return conv


def create_conversation(
    title: str = '',
    *,
    source: Source | int | None = None,
    external_id: str | None = None,
    model: LlmModel | int | None = None,
    agent_version: AgentVersion | int | None = None,
    created_at: datetime | None = None,
) -> Conversation:
    now = created_at or utcnow()
    with write_tx():
        return Conversation.create(
            title=(title or '').strip()[:500],
            source=source,
            external_id=external_id,
            model=model,
            agent_version=agent_version,
            created_at=now,
            updated_at=now,
        )


def add_message(
    conversation: Conversation | int,
    role: str,
    content: str,
    *,
    parent: Message | int | None | object = UNSET,
    model: LlmModel | int | None = None,
    agent_version: AgentVersion | int | None = None,
    prompt_version: PromptVersion | int | None = None,
    status: str = 'complete',
    hidden: bool = False,
    author_name: str | None = None,
    input_tokens: int | None = None,
    output_tokens: int | None = None,
    cost: float | None = None,
    finish_reason: str | None = None,
    created_at: datetime | None = None,
    make_active: bool = True,
) -> Message:
    """Append a message. By default its parent is the conversation's active leaf and it becomes the new leaf.

    Pass ``parent=`` to branch (an edit or a regeneration makes a sibling of an existing message).
    """
    if role not in ROLES:
        raise ValidationError(f'Unknown message role {role!r}; expected one of {", ".join(ROLES)}.')
    conv_id = conversation if isinstance(conversation, int) else conversation.id
    now = created_at or utcnow()
    with write_tx():
        conv = get_conversation(conv_id)
        if parent is UNSET:
            parent_id = conv.active_leaf_id
        else:
            parent_id = parent if (parent is None or isinstance(parent, int)) else parent.id
        if parent_id is not None:
            parent_conv = Message.select(Message.conversation).where(Message.id == parent_id).scalar()
            if parent_conv != conv_id:
                raise ValidationError('The parent message belongs to another conversation.')
        msg = Message.create(
            conversation=conv_id,
            parent=parent_id,
            role=role,
            content=content or '',
            model=model,
            agent_version=agent_version,
            prompt_version=prompt_version,
            status=status,
            hidden=hidden,
            author_name=author_name,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost=cost,
            finish_reason=finish_reason,
            created_at=now,
            updated_at=now,
        )
        updates = {
            Conversation.message_count: Conversation.message_count + 1,
            Conversation.updated_at: utcnow(),
        }
        if make_active:
            updates[Conversation.active_leaf] = msg.id
        Conversation.update(updates).where(Conversation.id == conv_id).execute()
    return msg


def update_message(message_id: int, **fields: object) -> None:
    """Change a message's text or bookkeeping (a streaming reply fills in as it arrives)."""
    allowed = {
        'content',
        'status',
        'input_tokens',
        'output_tokens',
        'cost',
        'finish_reason',
        'model',
        'hidden',
    }
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError(f'Cannot change {", ".join(sorted(unknown))} on a message.')
    if not fields:
        return
    with write_tx():
        Message.update({**fields, 'updated_at': utcnow()}).where(Message.id == message_id).execute()


def path_ids(leaf_id: int) -> list[int]:
    """Ids from the root down to ``leaf_id`` (one recursive query)."""
    rows = (
        current()
        .execute_sql(
            """
        WITH RECURSIVE path(id, parent_id, depth) AS (
            SELECT id, parent_id, 0 FROM message WHERE id = ?
            UNION ALL
            SELECT m.id, m.parent_id, p.depth + 1 FROM message m JOIN path p ON m.id = p.parent_id
        )
        SELECT id FROM path ORDER BY depth DESC
        """,
            (leaf_id,),
        )
        .fetchall()
    )
    return [r[0] for r in rows]


def latest_leaf(conversation_id: int, under: int | None = None) -> int | None:
    """The most recent leaf of the conversation, or of the subtree under message ``under``."""
    db = current()
    if under is None:
        row = db.execute_sql(
            """
            SELECT m.id FROM message m
            WHERE m.conversation_id = ?
              AND NOT EXISTS (SELECT 1 FROM message c WHERE c.parent_id = m.id)
            ORDER BY m.created_at DESC, m.id DESC LIMIT 1
            """,
            (conversation_id,),
        ).fetchone()
    else:
        row = db.execute_sql(
            """
            WITH RECURSIVE sub(id) AS (
                SELECT id FROM message WHERE id = ?
                UNION ALL SELECT m.id FROM message m JOIN sub s ON m.parent_id = s.id
            )
            SELECT m.id FROM message m JOIN sub s ON s.id = m.id
            WHERE NOT EXISTS (SELECT 1 FROM message c WHERE c.parent_id = m.id)
            ORDER BY m.created_at DESC, m.id DESC LIMIT 1
            """,
            (under,),
        ).fetchone()
    return row[0] if row else None


@dataclass
class ThreadMessage:
    """A message on the shown path, with where it sits among its siblings (for a "2 / 3" switcher)."""

    message: Message
    sibling_ids: list[int] = field(default_factory=list)

    @property
    def sibling_index(self) -> int:
        return self.sibling_ids.index(self.message.id) if self.message.id in self.sibling_ids else 0

    @property
    def sibling_count(self) -> int:
        return max(1, len(self.sibling_ids))


def thread(
    conversation_id: int, leaf_id: int | None = None, *, hide_restricted: bool = False
) -> list[ThreadMessage]:
    """The path from the root to ``leaf_id`` (default: the active leaf, else the latest leaf).

    ``hide_restricted`` (a viewer without permission): restricted messages carry a "withheld" notice
    instead of their text (``sensitivity.withhold``)."""
    conv = get_conversation(conversation_id)
    leaf = leaf_id or conv.active_leaf_id or latest_leaf(conversation_id)
    if leaf is None:
        return []
    ids = path_ids(leaf)
    if not ids and leaf_id is None:  # a stale active leaf (its message was deleted)
        fallback = latest_leaf(conversation_id)
        ids = path_ids(fallback) if fallback else []
    if not ids:
        return []
    messages = {
        m.id: m
        for m in Message.select(Message, LlmModel)
        .join(LlmModel, JOIN.LEFT_OUTER, on=(Message.model == LlmModel.id))
        .where(Message.id.in_(ids))
    }
    if any(m.conversation_id != conversation_id for m in messages.values()):
        raise ValidationError('That message belongs to another conversation.')
    parent_ids = {messages[i].parent_id for i in ids}
    siblings: dict[int | None, list[int]] = {}
    query = Message.select(Message.id, Message.parent).where(Message.conversation == conversation_id)
    non_null = [p for p in parent_ids if p is not None]
    if None in parent_ids:
        query = (
            query.where(Message.parent.in_(non_null) | Message.parent.is_null())
            if non_null
            else query.where(Message.parent.is_null())
        )
    else:
        query = query.where(Message.parent.in_(non_null))
    for row in query.order_by(Message.created_at, Message.id).tuples():
        siblings.setdefault(row[1], []).append(row[0])
    if hide_restricted:
        sensitivity.withhold(messages.values())
    return [ThreadMessage(messages[i], siblings.get(messages[i].parent_id, [i])) for i in ids]


def set_active_leaf(conversation_id: int, message_id: int) -> int:
    """Show the branch through ``message_id``: its most recent leaf becomes the active leaf."""
    with write_tx():
        msg = Message.get_or_none(Message.id == message_id)
        if msg is None or msg.conversation_id != conversation_id:
            raise NotFound('That message is not part of this conversation.')
        leaf = latest_leaf(conversation_id, under=message_id) or message_id
        Conversation.update(active_leaf=leaf).where(Conversation.id == conversation_id).execute()
    return leaf


def message_count(conversation_id: int) -> int:
    return Message.select(fn.COUNT(Message.id)).where(Message.conversation == conversation_id).scalar() or 0


def create_from_turns(
    title: str,
    turns: list[tuple[str, str]],
    *,
    model: str | int | None = None,
    tags: list[str] | None = None,
    collections: list[str] | None = None,
    source_url: str | None = None,
    source: Source | int | None = None,
) -> Conversation:
    """Store a pasted conversation (role, text pairs) as one linear thread, in one transaction.
    ``source`` defaults to manual capture."""
    from . import lookups, relations
    from .text import first_line_title

    turns = [(r, t) for r, t in turns if (t or '').strip()]
    if not turns:
        raise ValidationError('There is no message to save.')
    for role, _ in turns:
        if role not in ROLES:
            raise ValidationError(f'Unknown message role {role!r}.')
    with write_tx():
        model_id = None
        if isinstance(model, int):
            model_id = model
        elif model:
            model_id = lookups.find_or_create_model(model).id
        if source is None:
            source = Source.get_or_none(Source.kind == 'manual')
        conv = create_conversation(
            title.strip() or first_line_title(turns[0][1]), source=source, model=model_id
        )
        if source_url:
            Conversation.update(notes=f'Source: {source_url}').where(Conversation.id == conv.id).execute()
        for role, text in turns:
            add_message(conv.id, role, text, model=model_id if role == 'assistant' else None)
        tag_ids = [lookups.get_or_create('tag', t).id for t in tags or [] if t.strip()]
        if tag_ids:
            relations.add_tags('conversation', [conv.id], tag_ids)
        for name in collections or []:
            if name.strip():
                relations.add_to_collection(
                    'conversation', [conv.id], lookups.get_or_create('collection', name).id
                )
    return get_conversation(conv.id)


def add_turns(
    conversation_id: int, turns: list[tuple[str, str]], *, model: str | int | None = None
) -> tuple[int, list[int]]:
    """Continue a stored conversation with (role, text) turns that repeat its start: the turns already
    stored (same role and text, from the root down, on any branch) are followed, the rest are added
    under the last one that matched (at the root when even the first differs) — a new branch when that
    message already has replies — and become the active branch. Returns (turns already stored, ids of the messages added), in one transaction."""
    from . import lookups

    turns = [(r, t) for r, t in turns if (t or '').strip()]
    if not turns:
        raise ValidationError('There is no message to save.')
    for role, _ in turns:
        if role not in ROLES:
            raise ValidationError(f'Unknown message role {role!r}.')
    with write_tx():
        get_conversation(conversation_id)
        parent: int | None = None
        matched = 0
        for role, text in turns:
            child = (
                Message.select(Message.id)
                .where(
                    (Message.conversation == conversation_id)
                    & (Message.parent.is_null() if parent is None else (Message.parent == parent))
                    & (Message.role == role)
                    & (Message.content == text)
                )
                .order_by(Message.id)
                .first()
            )
            if child is None:
                break
            parent, matched = child.id, matched + 1
        model_id = None
        if isinstance(model, int):
            model_id = model
        elif model:
            model_id = lookups.find_or_create_model(model).id
        added = []
        for role, text in turns[matched:]:
            msg = add_message(
                conversation_id, role, text, parent=parent, model=model_id if role == 'assistant' else None
            )
            parent = msg.id
            added.append(msg.id)
        if not added and parent is not None:
            set_active_leaf(conversation_id, parent)
    return matched, added


def capture_prefill(message_id: int, *, hide_restricted: bool = False) -> dict:
    """What the capture form needs to save a message as an output: its text, the user turn before it,
    its model, agent and prompt versions, and where it came from. ``hide_restricted`` (a viewer without
    permission): a restricted message is as if it did not exist, a restricted user turn is left out."""
    msg = Message.get_or_none(Message.id == message_id)
    if msg is None or (hide_restricted and sensitivity.restricted_ids('message', [msg.id])):
        raise NotFound('That message no longer exists.')
    prompt = ''
    parent = Message.get_or_none(Message.id == msg.parent_id) if msg.parent_id else None
    while parent is not None and parent.role != 'user':
        parent = Message.get_or_none(Message.id == parent.parent_id) if parent.parent_id else None
    if parent is not None and not (hide_restricted and sensitivity.restricted_ids('message', [parent.id])):
        prompt = parent.content
    conv = get_conversation(msg.conversation_id)
    model = LlmModel.get_or_none(LlmModel.id == msg.model_id) if msg.model_id else None
    return {
        'body': msg.content,
        'prompt': prompt,
        'model': model.name if model else '',
        'conversation_id': conv.id,
        'conversation_title': conv.title,
        'message_id': msg.id,
        'agent_version_id': msg.agent_version_id,
        'prompt_version_id': msg.prompt_version_id,
        'input_tokens': msg.input_tokens,
        'output_tokens': msg.output_tokens,
        'cost': msg.cost,
    }


def saved_outputs(conversation_id: int, limit: int = 20) -> list:
    """Outputs saved from this conversation (not in the trash), newest first."""
    from .models import Output

    return list(
        Output.select()
        .where((Output.conversation == conversation_id) & Output.deleted_at.is_null())
        .order_by(Output.created_at.desc())
        .limit(limit)
    )
