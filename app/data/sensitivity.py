"""Restricted (Secret) sensitivity: which levels are restricted, and which items carry one.

A level with ``restricted`` set (the default one is "Secret") marks items that LAN devices and API
tokens see only when allowed, that exports leave out unless asked, and that lists show with a badge.
A message is restricted when its conversation is, and when a restricted output was captured from it
(``Output.message``, "Save as output"; an output in the trash counts until it is deleted for good):
restriction follows provenance, so the text of a Secret output cannot be read through the message it
came from. Such a message is *withheld*, not its whole conversation: whoever may not see it gets the
conversation with ``WITHHELD_NOTICE`` in its place (pages, API, exports), search and "similar" never
return it, and the chat page does not continue such a conversation for them (the model would be sent
the withheld text). An output linked only to a conversation (no message) restricts nothing else.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

from peewee import Model

from . import kinds
from .db import current
from .models import Conversation, Message, Output, SensitivityLevel

CACHE_SECONDS = 2.0  # levels change rarely; lists ask once per row

WITHHELD_NOTICE = '*Withheld: this message was saved as a restricted output.*'

# Raw SQL for the same rule (search, exporters): the ids of restricted levels, and of the messages a
# restricted output was captured from (``IS NOT NULL``: a NULL would make ``NOT IN`` match nothing).
RESTRICTED_LEVELS_SQL = 'SELECT id FROM sensitivity_level WHERE restricted = 1'
CAPTURED_MESSAGES_SQL = f'SELECT message_id FROM output WHERE message_id IS NOT NULL AND sensitivity_id IN ({RESTRICTED_LEVELS_SQL})'

_cache: dict[str, tuple[float, dict[int, SensitivityLevel]]] = {}
_lock = threading.Lock()


def _restricted(*fields: Any) -> Any:
    """The one query for the restricted levels (a select to run, or to use as a subquery)."""
    return SensitivityLevel.select(*fields).where(SensitivityLevel.restricted == True)  # noqa: E712


def restricted_level_ids() -> list[int]:
    """The ids of the restricted levels, read now (exports and the API: not even a moment stale)."""
    return [lv.id for lv in _restricted(SensitivityLevel.id)]


def restricted_levels() -> dict[int, SensitivityLevel]:
    """{id: level} of the restricted levels (cached for a moment, per database file)."""
    key = str(current().database)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            return hit[1]
    levels = {lv.id: lv for lv in _restricted()}
    with _lock:
        _cache[key] = (now, levels)
    return levels


def forget_cache() -> None:
    with _lock:
        _cache.clear()


def exclude_restricted(query: Any, model: type[Model]) -> Any:
    """``query`` without the rows of ``model`` (one with a ``sensitivity`` field, or ``Message``) that are
    restricted: what a LAN device or API token without permission may see."""
    restricted = _restricted(SensitivityLevel.id)
    if model is Message:
        convs = Conversation.select(Conversation.id).where(Conversation.sensitivity.in_(restricted))
        return query.where(
            Message.conversation.not_in(convs) & Message.id.not_in(_captured_messages(restricted))
        )
    return query.where(model.sensitivity.is_null() | model.sensitivity.not_in(restricted))


def exclude_restricted_sql(owner: str, message: str | None = None) -> list[str]:
    """``exclude_restricted`` as raw SQL conditions (search): on the row aliased ``owner`` (one with a
    ``sensitivity_id``; for a message its conversation) and, given ``message``, the message aliased so."""
    conditions = [
        f'({owner}.sensitivity_id IS NULL OR {owner}.sensitivity_id NOT IN ({RESTRICTED_LEVELS_SQL}))'
    ]
    if message is not None:  # restriction follows provenance: the message a Secret output came from
        conditions.append(f'{message}.id NOT IN ({CAPTURED_MESSAGES_SQL})')
    return conditions


def _captured_messages(levels: Any) -> Any:
    """The ids of the messages an output at one of ``levels`` was captured from (a subquery)."""
    return Output.select(Output.message).where(Output.message.is_null(False) & Output.sensitivity.in_(levels))


def restricted_level(sensitivity_id: int | None) -> SensitivityLevel | None:
    """The restricted level with this id, or None (not restricted, or no level)."""
    if sensitivity_id is None:
        return None
    return restricted_levels().get(sensitivity_id)


def is_restricted(sensitivity_id: int | None) -> bool:
    return restricted_level(sensitivity_id) is not None


def restricted_ids(kind: str, ids: Iterable[int]) -> dict[int, int]:
    """Which of these items (output, conversation, prompt, agent or message) are restricted, as
    {item id: restricted level id} — one query."""
    ids = list(ids)
    levels = list(restricted_levels())
    if not ids or not levels:
        return {}
    if kind == 'message':  # its conversation's level, or that of a restricted output captured from it
        q = (
            Message.select(Message.id, Conversation.sensitivity)
            .join(Conversation, on=(Message.conversation == Conversation.id))
            .where(Message.id.in_(ids) & Conversation.sensitivity.in_(levels))
        ) | Output.select(Output.message, Output.sensitivity).where(
            Output.message.in_(ids) & Output.sensitivity.in_(levels)
        )
    else:
        m = kinds.item(kind).model
        q = m.select(m.id, m.sensitivity).where(m.id.in_(ids) & m.sensitivity.in_(levels))
    return dict(q.tuples())


def restricted_keys(keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], int]:
    """The restricted ones among ``(kind, id)`` pairs (e.g. search hits of mixed kinds), with their level id."""
    by_kind: dict[str, list[int]] = {}
    for kind, item_id in keys:
        by_kind.setdefault(kind, []).append(item_id)
    return {
        (kind, i): level for kind, ids in by_kind.items() for i, level in restricted_ids(kind, ids).items()
    }


def withhold(messages: Iterable[Message]) -> set[int]:
    """Replace, in these loaded rows (never saved), the text of the restricted ones with ``WITHHELD_NOTICE``
    (and clear their raw import data); they get ``withheld = True``. Returns their ids — one query."""
    messages = list(messages)
    hidden = set(restricted_ids('message', [m.id for m in messages]))
    for m in messages:
        m.withheld = m.id in hidden
        if m.withheld:
            m.content = WITHHELD_NOTICE
            m.raw = None
    return hidden


def withholds_in(conversation_id: int) -> bool:
    """True when a message of this conversation is withheld (a restricted output was captured from it)."""
    levels = list(restricted_levels())
    if not levels:
        return False
    return (
        Output.select(Output.id)
        .join(Message, on=(Output.message == Message.id))
        .where((Message.conversation == conversation_id) & Output.sensitivity.in_(levels))
        .exists()
    )
