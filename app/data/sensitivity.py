"""Restricted (Secret) sensitivity: which levels are restricted, and which items carry one.

A level with ``restricted`` set (the default one is "Secret") marks items that LAN devices and API
tokens see only when allowed, that exports leave out unless asked, and that lists show with a badge.
A message is restricted when its conversation is.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

from peewee import Model

from . import entities
from .db import current
from .models import Conversation, Message, SensitivityLevel

CACHE_SECONDS = 2.0  # levels change rarely; lists ask once per row

_cache: dict[str, tuple[float, dict[int, SensitivityLevel]]] = {}
_lock = threading.Lock()


def restricted_levels() -> dict[int, SensitivityLevel]:
    """{id: level} of the restricted levels (cached for a moment, per database file)."""
    key = str(current().database)
    now = time.monotonic()
    with _lock:
        hit = _cache.get(key)
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            return hit[1]
    levels = {lv.id: lv for lv in SensitivityLevel.select().where(SensitivityLevel.restricted == True)}  # noqa: E712
    with _lock:
        _cache[key] = (now, levels)
    return levels


def forget_cache() -> None:
    with _lock:
        _cache.clear()


def exclude_restricted(query: Any, model: type[Model]) -> Any:
    """``query`` without the rows of ``model`` (one with a ``sensitivity`` field) at a restricted level:
    what a LAN device or API token without permission may see."""
    restricted = SensitivityLevel.select(SensitivityLevel.id).where(SensitivityLevel.restricted == True)  # noqa: E712
    return query.where(model.sensitivity.is_null() | model.sensitivity.not_in(restricted))


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
    if kind == 'message':
        q = (
            Message.select(Message.id, Conversation.sensitivity)
            .join(Conversation, on=(Message.conversation == Conversation.id))
            .where(Message.id.in_(ids) & Conversation.sensitivity.in_(levels))
        )
    else:
        m = entities.kind(kind).model
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
