"""Retention plans: which plan applies to an item, what a purge would move to the trash, and the purge.

Which plan applies (the *effective plan*), first match wins:

1. the plan set on the item itself (``Keep forever`` set there exempts it whatever else applies);
2. else its category's plan;
3. else the plans of the collections holding it — the longest one: ``Keep forever`` beats any number
   of days, and 365 days beat 30 (filing an item in a second collection never shortens its life).

No plan at all: never purged. Favourites and items marked *keep* are never purged, whatever the plan.
An item has *expired* when it has not changed for the plan's number of days: its age counts from
``updated_at`` (captured, edited, re-tagged or, for a conversation, continued). A plan needs at least
one day; a plan with fewer is ignored. Expired items go to the trash (``deleted_at``), where they stay
``trash.TRASH_DAYS`` days before they are deleted for good — a purge never deletes anything itself.
Each purge that is carried out (not a preview) is recorded as a ``PurgeRun``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from . import kinds, settings_store
from .db import current, write_tx
from .models import Category, Collection, PurgeRun, RetentionPlan, utcnow

KINDS = tuple(kinds.ITEMS)  # every main kind can carry a plan
SETTING_KEY = 'retention'
DEFAULT_SETTINGS: dict[str, Any] = {'auto_purge': True}
DETAIL_ITEMS = 1000  # a PurgeRun keeps the first this many items it moved (counts are always complete)
BATCH = 500


@dataclass(frozen=True)
class EffectivePlan:
    plan_id: int
    plan: str
    days: int | None  # None = keep forever
    via: str  # item | category | collection
    via_name: str = ''  # the category's or collection's name

    @property
    def label(self) -> str:
        where = {'item': 'set on the item', 'category': 'from category', 'collection': 'from collection'}
        return f'{self.plan} ({where[self.via]}{" " + self.via_name if self.via_name else ""})'


@dataclass(frozen=True)
class Candidate:
    """An item that has a plan with a number of days (possibly exempt, possibly not yet expired)."""

    kind: str
    id: int
    title: str
    updated_at: datetime
    plan: EffectivePlan
    favourite: bool
    keep: bool

    @property
    def expires_at(self) -> datetime:
        return self.updated_at + timedelta(days=self.plan.days or 0)

    @property
    def exempt(self) -> bool:
        return self.favourite or self.keep

    def to_dict(self) -> dict[str, Any]:
        return {
            'kind': self.kind,
            'id': self.id,
            'title': self.title,
            'plan': self.plan.plan,
            'via': self.plan.via,
            'via_name': self.plan.via_name,
            'days': self.plan.days,
            'last_changed': self.updated_at.isoformat(timespec='seconds'),
            'expired_at': self.expires_at.isoformat(timespec='seconds'),
        }


@dataclass
class PurgePreview:
    """What a purge would do now: ``items`` expire (go to the trash); ``exempt`` expired too but are
    favourites or marked keep."""

    now: datetime
    items: list[Candidate] = field(default_factory=list)
    exempt: list[Candidate] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.items)

    def by_kind(self) -> dict[str, int]:
        out = dict.fromkeys(KINDS, 0)
        for c in self.items:
            out[c.kind] += 1
        return out

    def by_plan(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for c in self.items:
            out[c.plan.plan] = out.get(c.plan.plan, 0) + 1
        return out

    def keys(self) -> set[tuple[str, int]]:
        return {(c.kind, c.id) for c in self.items}

    def to_dict(self, limit: int | None = None) -> dict[str, Any]:
        items = self.items if limit is None else self.items[:limit]
        return {
            'now': self.now.isoformat(timespec='seconds'),
            'total': self.total,
            'by_kind': self.by_kind(),
            'by_plan': self.by_plan(),
            'exempt': len(self.exempt),
            'items': [c.to_dict() for c in items],
        }


@dataclass
class PurgeResult:
    run_id: int
    moved: int
    by_kind: dict[str, int]
    preview: PurgePreview

    def to_dict(self) -> dict[str, Any]:
        return {'run_id': self.run_id, 'moved': self.moved, 'by_kind': self.by_kind}


# --------------------------------------------------------------------------- effective plans


def _plans() -> dict[int, RetentionPlan]:
    return {p.id: p for p in RetentionPlan.select()}


def _usable(plan: RetentionPlan | None) -> bool:
    return plan is not None and (plan.days is None or plan.days >= 1)


def _longest(plans: Iterable[tuple[RetentionPlan, str]]) -> tuple[RetentionPlan, str] | None:
    best: tuple[RetentionPlan, str] | None = None
    for plan, name in plans:
        if not _usable(plan):
            continue
        if best is None or best[0].days is not None and (plan.days is None or plan.days > best[0].days):
            best = (plan, name)
    return best


def _resolve(
    own: int | None,
    category: tuple[int, str] | None,
    collections: list[tuple[int, str]],
    plans: dict[int, RetentionPlan],
) -> EffectivePlan | None:
    def make(plan: RetentionPlan, via: str, name: str = '') -> EffectivePlan:
        return EffectivePlan(plan.id, plan.name, plan.days, via, name)

    if own is not None and _usable(plans.get(own)):
        return make(plans[own], 'item')
    if category is not None and _usable(plans.get(category[0])):
        return make(plans[category[0]], 'category', category[1])
    best = _longest((plans[p], name) for p, name in collections if p in plans)
    return make(best[0], 'collection', best[1]) if best else None


def _collection_plans(kind: str, ids: list[int] | None) -> dict[int, list[tuple[int, str]]]:
    """{item id: [(plan id, collection name), ...]} for collections that carry a plan."""
    spec = kinds.item(kind)
    j = spec.collection_junction
    q = (
        j.select(spec.collection_owner.alias('owner'), Collection.retention, Collection.name)
        .join(Collection, on=(j.collection == Collection.id))
        .where(Collection.retention.is_null(False))
    )
    if ids is not None:
        q = q.where(spec.collection_owner.in_(ids))
    out: dict[int, list[tuple[int, str]]] = {}
    for owner, plan_id, name in q.tuples().iterator():
        out.setdefault(owner, []).append((plan_id, name))
    return out


def _in_planned_collection(kind: str):
    """A subquery of the items in a collection that carries a plan (a subquery, not a list of ids: a
    collection may hold more items than SQLite accepts as parameters)."""
    spec = kinds.item(kind)
    j = spec.collection_junction
    return (
        j.select(spec.collection_owner)
        .join(Collection, on=(j.collection == Collection.id))
        .where(Collection.retention.is_null(False))
    )


def effective_plans(kind: str, ids: Iterable[int]) -> dict[int, EffectivePlan | None]:
    """The effective plan of each item (None: no plan applies)."""
    spec = kinds.item(kind)
    m = spec.model
    ids = list(ids)
    if not ids:
        return {}
    plans = _plans()
    cats = {
        c.id: (c.retention_id, c.name)
        for c in Category.select(Category.id, Category.retention, Category.name)
    }
    cols = _collection_plans(kind, ids)
    out: dict[int, EffectivePlan | None] = {}
    for item_id, own, cat in m.select(m.id, m.retention, m.category).where(m.id.in_(ids)).tuples():
        category = cats.get(cat) if cat is not None else None
        category = category if category and category[0] is not None else None
        out[item_id] = _resolve(own, category, cols.get(item_id, []), plans)
    return out


def effective_plan(kind: str, item_id: int) -> EffectivePlan | None:
    return effective_plans(kind, [item_id]).get(item_id)


def _candidates(kind: str) -> list[Candidate]:
    """Live items of ``kind`` whose effective plan has a number of days."""
    spec = kinds.item(kind)
    m = spec.model
    plans = _plans()
    if not any(_usable(p) and p.days is not None for p in plans.values()):
        return []
    cats = {
        c.id: (c.retention_id, c.name)
        for c in Category.select(Category.id, Category.retention, Category.name).where(
            Category.retention.is_null(False)
        )
    }
    cols = _collection_plans(kind, None)
    q = m.select(m.id, spec.title_field, m.updated_at, m.retention, m.category, m.favourite, m.keep).where(
        m.deleted_at.is_null()
        & (
            m.retention.is_null(False)
            | m.category.in_(list(cats) or [0])
            | m.id.in_(_in_planned_collection(kind))
        )
    )
    out = []
    for item_id, title, updated_at, own, cat, favourite, keep in q.tuples().iterator():
        plan = _resolve(own, cats.get(cat) if cat is not None else None, cols.get(item_id, []), plans)
        if plan is None or plan.days is None:
            continue
        out.append(Candidate(kind, item_id, title or '', updated_at, plan, bool(favourite), bool(keep)))
    return out


# --------------------------------------------------------------------------- preview and purge


def preview(now: datetime | None = None, kinds: Iterable[str] = KINDS) -> PurgePreview:
    """What a purge would move to the trash now (nothing is changed)."""
    now = now or utcnow()
    result = PurgePreview(now=now)
    db = current()
    with db.atomic(lock_type='DEFERRED'):  # one consistent snapshot
        for kind in kinds:
            for c in _candidates(kind):
                if c.expires_at > now:
                    continue
                (result.exempt if c.exempt else result.items).append(c)
    result.items.sort(key=lambda c: (c.expires_at, c.kind, c.id))
    return result


def purge(
    *, trigger: str = 'manual', now: datetime | None = None, only: Iterable[tuple[str, int]] | None = None
) -> PurgeResult:
    """Move every expired item to the trash and record the run. ``only``: restrict to these items (what a
    user saw in the preview) — anything not expired any more, favourited or marked keep since is left."""
    now = now or utcnow()
    plan = preview(now)
    allowed = set(only) if only is not None else None
    chosen = [c for c in plan.items if allowed is None or (c.kind, c.id) in allowed]
    moved: dict[str, int] = dict.fromkeys(KINDS, 0)
    moved_items: list[Candidate] = []
    # Group by (kind, days): the UPDATE re-checks expiry, favourite and keep, so an item changed since
    # the preview is not trashed.
    groups: dict[tuple[str, int], list[Candidate]] = {}
    for c in chosen:
        groups.setdefault((c.kind, c.plan.days or 0), []).append(c)
    for (kind, days), cands in groups.items():
        m = kinds.item(kind).model
        cutoff = now - timedelta(days=days)
        for start in range(0, len(cands), BATCH):
            batch = cands[start : start + BATCH]
            ids = [c.id for c in batch]
            with write_tx():
                still = {
                    r[0]
                    for r in m.select(m.id)
                    .where(
                        m.id.in_(ids)
                        & m.deleted_at.is_null()
                        & (m.favourite == False)  # noqa: E712 - peewee expression
                        & (m.keep == False)  # noqa: E712
                        & (m.updated_at <= cutoff)
                    )
                    .tuples()
                }
                if still:
                    m.update({m.deleted_at: now}).where(m.id.in_(list(still))).execute()
            moved[kind] += len(still)
            moved_items.extend(c for c in batch if c.id in still)
    total = sum(moved.values())
    by_plan: dict[str, int] = {}
    for c in moved_items:
        by_plan[c.plan.plan] = by_plan.get(c.plan.plan, 0) + 1
    with write_tx():
        run = PurgeRun.create(
            trigger=trigger,
            item_count=total,
            details={
                'by_kind': moved,
                'by_plan': by_plan,
                'exempt': len(plan.exempt),
                'items': [c.to_dict() for c in moved_items[:DETAIL_ITEMS]],
                'items_left_out': max(0, len(moved_items) - DETAIL_ITEMS),
            },
        )
    return PurgeResult(run.id, total, moved, plan)


def recent_runs(limit: int = 10) -> list[PurgeRun]:
    return list(PurgeRun.select().order_by(PurgeRun.id.desc()).limit(limit))


def plan_usage() -> list[dict[str, Any]]:
    """Each plan with how many items, categories and collections carry it directly (for the settings tab)."""
    out = []
    for plan in RetentionPlan.select().order_by(RetentionPlan.sort_order, RetentionPlan.name):
        items = sum(
            kinds.item(k)
            .model.select()
            .where((kinds.item(k).model.retention == plan.id) & kinds.item(k).model.deleted_at.is_null())
            .count()
            for k in KINDS
        )
        out.append(
            {
                'id': plan.id,
                'name': plan.name,
                'days': plan.days,
                'items': items,
                'categories': [
                    c.name for c in Category.select(Category.name).where(Category.retention == plan.id)
                ],
                'collections': [
                    c.name for c in Collection.select(Collection.name).where(Collection.retention == plan.id)
                ],
            }
        )
    return out


def settings() -> dict[str, Any]:
    stored = settings_store.get(SETTING_KEY, {}) or {}
    return {**DEFAULT_SETTINGS, **(stored if isinstance(stored, dict) else {})}


def set_auto_purge(on: bool) -> None:
    settings_store.put(SETTING_KEY, {**settings(), 'auto_purge': bool(on)})
