"""The trash across all four kinds (outputs, conversations, prompts, agents): list, count, restore,
delete forever, empty — and the automatic emptying of items trashed more than ``TRASH_DAYS`` ago.

Putting an item in the trash is ``entities.trash`` (soft delete: ``deleted_at`` is set); this module
deals with what is already there. Deletions run in small batches, each its own short write
transaction, so emptying a large trash never holds the write lock for long.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..errors import ValidationError
from . import entities, kinds
from .db import current
from .listing import Page, clamp_page
from .models import utcnow
from .text import LIKE_ESCAPE, like_contains

TRASH_DAYS = 30  # items stay this long in the trash, then the housekeeping service deletes them
KINDS = tuple(k for k, spec in kinds.ITEMS.items() if spec.trashable)
BATCH = 100  # items per delete transaction: a conversation may take thousands of messages with it

# (kind, table, title column) of each, for SQL.
_TABLES = [(k, kinds.ITEMS[k].table, kinds.ITEMS[k].title_column) for k in KINDS]


@dataclass(frozen=True)
class TrashItem:
    kind: str
    id: int
    title: str
    deleted_at: datetime

    @property
    def deleted_for_good_at(self) -> datetime:
        """When the automatic emptying will delete it."""
        return expires_at(self.deleted_at)

    @property
    def url(self) -> str:
        return kinds.item(self.kind).url(self.id)


def expires_at(deleted_at: datetime) -> datetime:
    return deleted_at + timedelta(days=TRASH_DAYS)


def _check_kinds(kinds: Iterable[str] | None) -> list[str]:
    chosen = list(kinds) if kinds else list(KINDS)
    for k in chosen:
        if k not in KINDS:
            raise ValidationError(f'The trash holds outputs, conversations, prompts and agents, not {k!r}.')
    return chosen


# Restricted (Secret) items, for a viewer that may not see them (a LAN device without permission).
_NOT_RESTRICTED = ' AND (sensitivity_id IS NULL OR sensitivity_id NOT IN (SELECT id FROM sensitivity_level WHERE restricted = 1))'


def counts(*, exclude_restricted: bool = False) -> dict[str, int]:
    """How many items of each kind are in the trash (one query)."""
    extra = _NOT_RESTRICTED if exclude_restricted else ''
    sql = ' UNION ALL '.join(
        f'SELECT \'{k}\', COUNT(*) FROM "{t}" WHERE deleted_at IS NOT NULL{extra}' for k, t, _ in _TABLES
    )
    return {row[0]: row[1] for row in current().execute_sql(sql)}


def list_trash(
    kinds: Iterable[str] | None = None,
    *,
    text: str = '',
    page: int = 1,
    per_page: int = 25,
    exclude_restricted: bool = False,
) -> Page[TrashItem]:
    """Trashed items of the chosen kinds (default all), most recently deleted first, one page."""
    chosen = _check_kinds(kinds)
    parts, args = [], []
    for k, t, title in _TABLES:
        if k not in chosen:
            continue
        where = 'deleted_at IS NOT NULL' + (_NOT_RESTRICTED if exclude_restricted else '')
        if text.strip():
            where += f' AND "{title}" LIKE ? {LIKE_ESCAPE}'
            args.append(like_contains(text.strip()))
        parts.append(f'SELECT \'{k}\' AS kind, id, "{title}" AS title, deleted_at FROM "{t}" WHERE {where}')
    union = ' UNION ALL '.join(parts)
    db = current()
    with db.atomic(lock_type='DEFERRED'):  # count and page from one snapshot
        total = db.execute_sql(f'SELECT COUNT(*) FROM ({union})', args).fetchone()[0]
        page, per_page = clamp_page(page, per_page, total)
        rows = db.execute_sql(
            f'SELECT kind, id, title, deleted_at FROM ({union}) ORDER BY deleted_at DESC, kind, id DESC '
            'LIMIT ? OFFSET ?',
            [*args, per_page, (page - 1) * per_page],
        ).fetchall()
    items = [TrashItem(k, i, t or '', _as_datetime(d)) for k, i, t, d in rows]
    return Page(items=items, total=total, page=page, per_page=per_page)


def _as_datetime(value: object) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _group(items: Iterable[tuple[str, int]]) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for k, i in items:
        _check_kinds([k])
        out.setdefault(k, []).append(int(i))
    return out


def restore(items: Iterable[tuple[str, int]]) -> int:
    """Take ``(kind, id)`` items out of the trash. Returns how many were restored."""
    return sum(entities.restore(k, ids) for k, ids in _group(items).items())


def delete_forever(items: Iterable[tuple[str, int]]) -> int:
    """Permanently delete ``(kind, id)`` items that are in the trash (others are left alone)."""
    done = 0
    for k, ids in _group(items).items():
        for start in range(0, len(ids), BATCH):
            done += entities.delete_forever(k, ids[start : start + BATCH])
    return done


def empty(
    *,
    older_than: timedelta | None = None,
    before: datetime | None = None,
    now: datetime | None = None,
    exclude_restricted: bool = False,
) -> dict[str, int]:
    """Delete for good what is in the trash: everything, or what was trashed more than ``older_than`` ago,
    or before ``before`` (the moment a user looked at the trash, so something trashed since then stays).
    Returns the number deleted per kind."""
    cutoff = before
    if older_than is not None:
        limit = (now or utcnow()) - older_than
        cutoff = limit if cutoff is None else min(cutoff, limit)
    deleted: dict[str, int] = {}
    db = current()
    for k, t, _ in _TABLES:
        sql = f'SELECT id FROM "{t}" WHERE deleted_at IS NOT NULL' + (
            _NOT_RESTRICTED if exclude_restricted else ''
        )
        args: list[object] = []
        if cutoff is not None:
            sql += ' AND deleted_at <= ?'
            args.append(cutoff)
        ids = [r[0] for r in db.execute_sql(sql + ' ORDER BY id', args)]
        deleted[k] = delete_forever((k, i) for i in ids) if ids else 0
    return deleted


def empty_expired(now: datetime | None = None) -> dict[str, int]:
    """What the housekeeping service runs: delete items trashed more than ``TRASH_DAYS`` days ago."""
    return empty(older_than=timedelta(days=TRASH_DAYS), now=now)
