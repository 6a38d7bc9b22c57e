"""The four main kinds of content (outputs, conversations, prompts, agents): listing with filters,
bulk edits, trash and restore — one implementation for all of them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from typing import Any

from peewee import JOIN, Field, Model, fn

from ..errors import DiskFull, NotFound, ValidationError
from . import kinds
from .db import write_tx
from .listing import ListParams, Page, check_sort, clamp_page
from .models import (
    Agent,
    AgentVersion,
    Category,
    LlmModel,
    Output,
    Prompt,
    PromptVersion,
    SensitivityLevel,
    utcnow,
)
from .relations import collections_for, tags_for
from .sensitivity import exclude_restricted
from .text import body_hash

# The registry lives in ``kinds`` (lists, trash, search and the graph read it too); these names stay for callers.
EntityKind = kinds.Kind
KINDS = kinds.ITEMS
kind = kinds.item


def get_item(key: str, item_id: int) -> Model:
    spec = kind(key)
    item = spec.model.get_or_none(spec.model.id == item_id)
    if item is None:
        raise NotFound(f'{spec.singular.capitalize()} {item_id} does not exist.')
    return item


def title_of(item: Model) -> str:
    return getattr(item, 'title', None) or getattr(item, 'name', None) or f'#{item.id}'


# --------------------------------------------------------------------------- listing


def filtered_query(key: str, params: ListParams, query: Any = None) -> Any:
    """Apply ``params``' filters (not sort/page) to a select over the entity. Filters a kind lacks are ignored."""
    spec = kind(key)
    m = spec.model
    q = query if query is not None else m.select()
    q = q.where(m.deleted_at.is_null(False) if params.trashed else m.deleted_at.is_null())
    if key == 'prompt' and not params.trashed:  # the library, or the texts from captures and chats
        q = q.where(m.saved == (not params.unsaved))
    text = params.text.strip()
    if text:
        q = q.where(spec.title_field.contains(text))
    for tag_id in params.tags:  # all of the chosen tags
        j = spec.tag_junction
        q = q.where(fn.EXISTS(j.select(j.tag).where((spec.tag_owner == m.id) & (j.tag == tag_id))))
    if params.collections:
        j = spec.collection_junction
        q = q.where(
            fn.EXISTS(
                j.select(j.collection).where(
                    (spec.collection_owner == m.id) & (j.collection.in_(params.collections))
                )
            )
        )
    if params.categories:
        q = q.where(m.category.in_(params.categories))
    if params.sensitivities:
        q = q.where(m.sensitivity.in_(params.sensitivities))
    if params.sources:
        q = q.where(m.source.in_(params.sources))
    if params.exclude_restricted:
        q = exclude_restricted(q, m)
    if params.models:
        if spec.model_field is not None:
            q = q.where(spec.model_field.in_(params.models))
        elif key == 'agent':
            q = q.where(
                m.current_version.in_(
                    AgentVersion.select(AgentVersion.id).where(AgentVersion.model.in_(params.models))
                )
            )
    if params.agents:
        if spec.agent_version_field is not None:
            q = q.where(
                spec.agent_version_field.in_(
                    AgentVersion.select(AgentVersion.id).where(AgentVersion.agent.in_(params.agents))
                )
            )
        elif key == 'agent':
            q = q.where(m.id.in_(params.agents))
    if params.rating_min is not None:
        q = q.where(m.rating >= params.rating_min)
    if params.favourite is not None:
        q = q.where(m.favourite == params.favourite)
    if params.date_from is not None:
        q = q.where(m.created_at >= datetime.combine(params.date_from, time.min))
    if params.date_to is not None:
        q = q.where(m.created_at < datetime.combine(params.date_to + timedelta(days=1), time.min))
    return q


def list_items(key: str, params: ListParams) -> Page[Model]:
    """One page of items, each with ``.tags``, ``.collections`` and (where it applies) ``.llm_model``,
    ``.category_row`` and ``.sensitivity_row`` already loaded — a constant number of queries."""
    spec = kind(key)
    m = spec.model
    sort = check_sort(params.sort, spec.sorts, spec.default_sort if not params.trashed else 'deleted_at')
    base = filtered_query(key, params)
    total = base.count()
    page, per_page = clamp_page(params.page, params.per_page, total)

    q = filtered_query(key, params, m.select(m, Category, SensitivityLevel))
    q = q.join_from(m, Category, JOIN.LEFT_OUTER, on=(m.category == Category.id), attr='category_row')
    q = q.join_from(
        m,
        SensitivityLevel,
        JOIN.LEFT_OUTER,
        on=(m.sensitivity == SensitivityLevel.id),
        attr='sensitivity_row',
    )
    if spec.model_field is not None:
        q = q.select_extend(LlmModel).join_from(
            m, LlmModel, JOIN.LEFT_OUTER, on=(spec.model_field == LlmModel.id), attr='llm_model'
        )
    order_field = spec.sorts[sort]
    nulls = 'LAST'
    order = order_field.desc(nulls=nulls) if params.desc else order_field.asc(nulls=nulls)
    tie = m.id.desc() if params.desc else m.id.asc()
    items = list(q.order_by(order, tie).paginate(page, per_page))
    ids = [i.id for i in items]
    tags = tags_for(key, ids)
    cols = collections_for(key, ids)
    for item in items:
        item.tags = tags.get(item.id, [])
        item.collections = cols.get(item.id, [])
        if not hasattr(item, 'category_row'):
            item.category_row = None
        if not hasattr(item, 'sensitivity_row'):
            item.sensitivity_row = None
        if spec.model_field is not None and not hasattr(item, 'llm_model'):
            item.llm_model = None
    if key == 'prompt':
        _attach_current_versions(items, Prompt, PromptVersion)
    elif key == 'agent':
        _attach_current_versions(items, Agent, AgentVersion)
    return Page(items=items, total=total, page=page, per_page=per_page)


def _attach_current_versions(items: list[Model], owner: type[Model], version_model: type[Model]) -> None:
    ids = [i.current_version_id for i in items if i.current_version_id]
    versions = {v.id: v for v in version_model.select().where(version_model.id.in_(ids))} if ids else {}
    for item in items:
        item.current = versions.get(item.current_version_id)


# --------------------------------------------------------------------------- edits (single and bulk)

EDITABLE = {
    'favourite',
    'rating',
    'notes',
    'category',
    'sensitivity',
    'retention',
    'keep',
    'title',
    'name',
    'description',
    'accuracy',
    'model',
    'source_url',
    'summary',
    'body',
}


def update_item(key: str, item_id: int, **values: Any) -> Model:
    """Change editable fields of one item (one short transaction)."""
    update_many(key, [item_id], **values)
    return get_item(key, item_id)


def update_many(key: str, ids: Iterable[int], **values: Any) -> int:
    """Set the same fields on many items (bulk actions). Returns how many changed."""
    spec = kind(key)
    ids = list(dict.fromkeys(ids))
    if not ids or not values:
        return 0
    changes: dict[Field, Any] = {}
    for name, value in values.items():
        if name not in EDITABLE or name not in spec.model._meta.fields:
            raise ValidationError(f'{name!r} cannot be changed on {spec.plural}.')
        if name == 'rating' and value is not None and not (isinstance(value, int) and 1 <= value <= 5):
            raise ValidationError('A rating is a whole number from 1 to 5.')
        if name in ('title', 'name') and isinstance(value, str):
            value = value.strip()
            if not value and name == 'name':
                raise ValidationError('A name cannot be empty.')
        changes[spec.model._meta.fields[name]] = value
    if 'body' in values and key == 'output':
        changes[Output.body_hash] = body_hash(values['body'] or '')
    changes[spec.model.updated_at] = utcnow()
    with write_tx():
        return spec.model.update(changes).where(spec.model.id.in_(ids)).execute()


def mark_viewed(key: str, item_id: int) -> None:
    """Record that the item was opened (does not count as an edit). On a full disk the stamp is skipped:
    reading must go on working when nothing can be written."""
    spec = kind(key)
    with contextlib.suppress(DiskFull), write_tx():
        spec.model.update({spec.model.last_viewed_at: utcnow()}).where(spec.model.id == item_id).execute()


def trash(key: str, ids: Iterable[int]) -> int:
    """Move items to the trash (soft delete). Undo with ``restore``."""
    spec = kind(key)
    ids = list(ids)
    with write_tx():
        return (
            spec.model.update({spec.model.deleted_at: utcnow()})
            .where(spec.model.id.in_(ids) & spec.model.deleted_at.is_null())
            .execute()
        )


def restore(key: str, ids: Iterable[int]) -> int:
    spec = kind(key)
    ids = list(ids)
    with write_tx():
        return (
            spec.model.update({spec.model.deleted_at: None})
            .where(spec.model.id.in_(ids) & spec.model.deleted_at.is_null(False))
            .execute()
        )


def delete_forever(key: str, ids: Iterable[int]) -> int:
    """Permanently delete items that are already in the trash."""
    spec = kind(key)
    ids = list(ids)
    with write_tx():
        return (
            spec.model.delete().where(spec.model.id.in_(ids) & spec.model.deleted_at.is_null(False)).execute()
        )


def recent(key: str, *, limit: int = 8, field: str = 'created_at', favourites: bool = False) -> list[Model]:
    """Most recent items by ``field`` (``created_at``, ``updated_at`` or ``last_viewed_at``)."""
    spec = kind(key)
    m = spec.model
    f = getattr(m, field)
    q = m.select().where(m.deleted_at.is_null())
    if field == 'last_viewed_at':
        q = q.where(m.last_viewed_at.is_null(False))
    if favourites:
        q = q.where(m.favourite == True)  # noqa: E712 - peewee expression
    return list(q.order_by(f.desc(), m.id.desc()).limit(limit))
