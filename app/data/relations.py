"""Many-to-many relations: tags and collections on any main item, related outputs — read in batches,
linked and unlinked one at a time or in bulk."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from peewee import Model

from ..errors import NotFound, ValidationError
from . import sensitivity
from .db import write_tx
from .kinds import ITEMS
from .kinds import item as entity_kind
from .models import Collection, Output, OutputLink, Tag, utcnow


def tags_for(key: str, ids: Iterable[int]) -> dict[int, list[Tag]]:
    """Tags of many items in one query: {item id: [Tag, ...]} sorted by name."""
    spec = entity_kind(key)
    ids = list(ids)
    out: dict[int, list[Tag]] = {}
    if not ids:
        return out
    j = spec.tag_junction
    rows = (
        Tag.select(Tag, spec.tag_owner.alias('owner_id'))
        .join(j, on=(j.tag == Tag.id))
        .where(spec.tag_owner.in_(ids))
        .order_by(Tag.name)
        .objects()
    )
    for tag in rows:
        out.setdefault(tag.owner_id, []).append(tag)
    return out


def collections_for(key: str, ids: Iterable[int]) -> dict[int, list[Collection]]:
    spec = entity_kind(key)
    ids = list(ids)
    out: dict[int, list[Collection]] = {}
    if not ids:
        return out
    j = spec.collection_junction
    rows = (
        Collection.select(Collection, spec.collection_owner.alias('owner_id'))
        .join(j, on=(j.collection == Collection.id))
        .where(spec.collection_owner.in_(ids))
        .order_by(Collection.name)
        .objects()
    )
    for col in rows:
        out.setdefault(col.owner_id, []).append(col)
    return out


def _touch(key: str, ids: list[int]) -> None:
    spec = entity_kind(key)
    spec.model.update({spec.model.updated_at: utcnow()}).where(spec.model.id.in_(ids)).execute()


def _check_items(key: str, ids: list[int]) -> None:
    spec = entity_kind(key)
    found = spec.model.select().where(spec.model.id.in_(ids)).count()
    if found != len(set(ids)):
        raise NotFound(f'Some of those {spec.plural} no longer exist.')


def add_tags(key: str, ids: Iterable[int], tag_ids: Iterable[int]) -> int:
    """Tag every item with every tag (existing links are kept). Returns links added."""
    spec = entity_kind(key)
    ids, tag_ids = list(dict.fromkeys(ids)), list(dict.fromkeys(tag_ids))
    if not ids or not tag_ids:
        return 0
    j = spec.tag_junction
    owner = spec.tag_owner.name
    with write_tx():
        _check_items(key, ids)
        if Tag.select().where(Tag.id.in_(tag_ids)).count() != len(tag_ids):
            raise NotFound('That tag no longer exists.')
        rows = [{owner: i, 'tag': t} for i in ids for t in tag_ids]
        added = 0
        for start in range(0, len(rows), 500):
            added += j.insert_many(rows[start : start + 500]).on_conflict_ignore().as_rowcount().execute()
        _touch(key, ids)
    return added


def remove_tags(key: str, ids: Iterable[int], tag_ids: Iterable[int]) -> int:
    spec = entity_kind(key)
    ids, tag_ids = list(ids), list(tag_ids)
    if not ids or not tag_ids:
        return 0
    j = spec.tag_junction
    with write_tx():
        n = j.delete().where(spec.tag_owner.in_(ids) & j.tag.in_(tag_ids)).execute()
        _touch(key, ids)
    return n


def set_tags(key: str, item_id: int, tag_ids: Iterable[int]) -> None:
    """Make the item's tags exactly ``tag_ids``."""
    spec = entity_kind(key)
    wanted = set(tag_ids)
    with write_tx():
        current = {t.id for t in tags_for(key, [item_id]).get(item_id, [])}
        if current - wanted:
            j = spec.tag_junction
            j.delete().where((spec.tag_owner == item_id) & j.tag.in_(list(current - wanted))).execute()
        if wanted - current:
            add_tags(key, [item_id], sorted(wanted - current))
        _touch(key, [item_id])


def add_to_collection(key: str, ids: Iterable[int], collection_id: int) -> int:
    spec = entity_kind(key)
    ids = list(dict.fromkeys(ids))
    if not ids:
        return 0
    if Collection.get_or_none(Collection.id == collection_id) is None:
        raise NotFound('That collection no longer exists.')
    j = spec.collection_junction
    owner = spec.collection_owner.name
    with write_tx():
        _check_items(key, ids)
        j.insert_many([{owner: i, 'collection': collection_id} for i in ids]).on_conflict_ignore().execute()
        _touch(key, ids)
    return len(ids)


def remove_from_collection(key: str, ids: Iterable[int], collection_id: int) -> int:
    spec = entity_kind(key)
    ids = list(ids)
    j = spec.collection_junction
    with write_tx():
        n = j.delete().where(spec.collection_owner.in_(ids) & (j.collection == collection_id)).execute()
        _touch(key, ids)
    return n


def move_to_collection(key: str, ids: Iterable[int], collection_id: int) -> int:
    """Put the items in this collection and take them out of every other one."""
    spec = entity_kind(key)
    ids = list(dict.fromkeys(ids))
    j = spec.collection_junction
    with write_tx():
        j.delete().where(spec.collection_owner.in_(ids) & (j.collection != collection_id)).execute()
        return add_to_collection(key, ids, collection_id)


def set_collections(key: str, item_id: int, collection_ids: Iterable[int]) -> None:
    spec = entity_kind(key)
    wanted = set(collection_ids)
    j = spec.collection_junction
    with write_tx():
        current = {c.id for c in collections_for(key, [item_id]).get(item_id, [])}
        if current - wanted:
            j.delete().where(
                (spec.collection_owner == item_id) & j.collection.in_(list(current - wanted))
            ).execute()
        for cid in sorted(wanted - current):
            add_to_collection(key, [item_id], cid)
        _touch(key, [item_id])


# --------------------------------------------------------------------------- related outputs


def link_outputs(a: int, b: int, kind: str = 'related') -> None:
    """Mark two outputs as related (symmetric; linking twice is harmless)."""
    if a == b:
        raise ValidationError('An output cannot be related to itself.')
    lo, hi = sorted((a, b))
    with write_tx():
        if Output.select().where(Output.id.in_([lo, hi])).count() != 2:
            raise NotFound('That output no longer exists.')
        OutputLink.insert(a=lo, b=hi, kind=kind).on_conflict_ignore().execute()


def unlink_outputs(a: int, b: int) -> int:
    lo, hi = sorted((a, b))
    with write_tx():
        return OutputLink.delete().where((OutputLink.a == lo) & (OutputLink.b == hi)).execute()


def related_outputs(output_id: int, *, include_trashed: bool = False) -> list[Output]:
    """Outputs linked to this one, in either direction, newest first."""
    others = OutputLink.select(OutputLink.b).where(OutputLink.a == output_id) | OutputLink.select(
        OutputLink.a
    ).where(OutputLink.b == output_id)
    q = Output.select().where(Output.id.in_(others))
    if not include_trashed:
        q = q.where(Output.deleted_at.is_null())
    return list(q.order_by(Output.created_at.desc()))


# --------------------------------------------------------------------------- reverse relations


@dataclass
class Members:
    """What a tag or collection holds, per kind: a first page of items and the total."""

    items: dict[str, list[Model]]
    totals: dict[str, int]


def members(lookup: str, row_id: int, *, limit: int = 50, exclude_restricted: bool = False) -> Members:
    """Items tagged with a tag / held by a collection, per entity kind (trash excluded). With
    ``exclude_restricted`` (a LAN device not allowed to see Secret items) they are neither listed nor counted."""
    if lookup not in ('tag', 'collection'):
        raise ValidationError('Only tags and collections hold items.')
    items: dict[str, list[Model]] = {}
    totals: dict[str, int] = {}
    for key, spec in ITEMS.items():
        if lookup == 'tag':
            j, owner, col = spec.tag_junction, spec.tag_owner, spec.tag_junction.tag
        else:
            j, owner, col = (
                spec.collection_junction,
                spec.collection_owner,
                spec.collection_junction.collection,
            )
        m = spec.model
        q = m.select().join(j, on=(owner == m.id)).where((col == row_id) & m.deleted_at.is_null())
        if exclude_restricted:
            q = sensitivity.exclude_restricted(q, m)
        totals[key] = q.count()
        items[key] = list(q.order_by(m.updated_at.desc()).limit(limit))
    return Members(items, totals)
