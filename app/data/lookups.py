"""Lookup rows (tags, categories, collections, levels, plans, providers, models, sources): find, create,
rename, recolour, merge and delete, with usage counts."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from peewee import JOIN, Field, IntegrityError, Model, fn

from ..errors import NotFound, ValidationError
from .db import write_tx
from .listing import Page, clamp_page
from .models import (
    AccuracyLevel,
    Agent,
    AgentTag,
    AgentVersion,
    Category,
    Collection,
    CollectionAgent,
    CollectionConversation,
    CollectionOutput,
    CollectionPrompt,
    Conversation,
    ConversationTag,
    LlmModel,
    Message,
    Output,
    OutputTag,
    Prompt,
    PromptTag,
    Provider,
    ProviderSetting,
    RetentionPlan,
    SensitivityLevel,
    Source,
    Tag,
    utcnow,
)


@dataclass(frozen=True)
class Usage:
    """One way a lookup row is used: a junction table (link rows) or a foreign key on an entity."""

    label: str  # what uses it, plural ("outputs")
    field: Field  # the column pointing at the lookup row
    junction: bool  # True: rows are links (merge = re-link, delete = unlink); False: a nullable FK
    protected: bool = False  # users are immutable rows (versions): the lookup cannot be merged or deleted


@dataclass(frozen=True)
class LookupKind:
    key: str
    model: type[Model]
    singular: str
    plural: str
    usages: tuple[Usage, ...]
    has_color: bool = True
    creatable: bool = True  # typing a new name in a picker creates it

    @property
    def name_field(self) -> Field:
        return self.model.name


def _u(label: str, field: Field, junction: bool = False, protected: bool = False) -> Usage:
    return Usage(label, field, junction, protected)


KINDS: dict[str, LookupKind] = {
    k.key: k
    for k in [
        LookupKind(
            'tag',
            Tag,
            'tag',
            'tags',
            (
                _u('outputs', OutputTag.tag, True),
                _u('prompts', PromptTag.tag, True),
                _u('conversations', ConversationTag.tag, True),
                _u('agents', AgentTag.tag, True),
            ),
        ),
        LookupKind(
            'collection',
            Collection,
            'collection',
            'collections',
            (
                _u('outputs', CollectionOutput.collection, True),
                _u('prompts', CollectionPrompt.collection, True),
                _u('conversations', CollectionConversation.collection, True),
                _u('agents', CollectionAgent.collection, True),
            ),
        ),
        LookupKind(
            'category',
            Category,
            'category',
            'categories',
            (
                _u('outputs', Output.category),
                _u('prompts', Prompt.category),
                _u('conversations', Conversation.category),
                _u('agents', Agent.category),
            ),
        ),
        LookupKind(
            'accuracy', AccuracyLevel, 'accuracy level', 'accuracy levels', (_u('outputs', Output.accuracy),)
        ),
        LookupKind(
            'sensitivity',
            SensitivityLevel,
            'sensitivity level',
            'sensitivity levels',
            (
                _u('outputs', Output.sensitivity),
                _u('prompts', Prompt.sensitivity),
                _u('conversations', Conversation.sensitivity),
                _u('agents', Agent.sensitivity),
            ),
        ),
        LookupKind(
            'retention',
            RetentionPlan,
            'retention plan',
            'retention plans',
            (
                _u('outputs', Output.retention),
                _u('prompts', Prompt.retention),
                _u('conversations', Conversation.retention),
                _u('agents', Agent.retention),
                _u('categories', Category.retention),
                _u('collections', Collection.retention),
            ),
            has_color=False,
            creatable=False,
        ),
        LookupKind(
            'provider',
            Provider,
            'provider',
            'providers',
            (_u('models', LlmModel.provider), _u('provider settings', ProviderSetting.provider)),
        ),
        LookupKind(
            'model',
            LlmModel,
            'model',
            'models',
            (
                _u('outputs', Output.model),
                _u('messages', Message.model),
                _u('conversations', Conversation.model),
                _u('agent versions', AgentVersion.model, protected=True),
            ),
            has_color=False,
        ),
        LookupKind(
            'source',
            Source,
            'source',
            'sources',
            (
                _u('outputs', Output.source),
                _u('prompts', Prompt.source),
                _u('conversations', Conversation.source),
                _u('agents', Agent.source),
                _u('collections', Collection.source),
            ),
            has_color=False,
        ),
    ]
}


def kind(key: str) -> LookupKind:
    try:
        return KINDS[key]
    except KeyError:
        raise ValidationError(f'Unknown kind of lookup: {key!r}.') from None


def clean_name(name: str) -> str:
    cleaned = ' '.join((name or '').split())
    if not cleaned:
        raise ValidationError('A name cannot be empty.')
    if len(cleaned) > 200:
        raise ValidationError('Names are limited to 200 characters.')
    return cleaned


def get(key: str, row_id: int) -> Model:
    spec = kind(key)
    row = spec.model.get_or_none(spec.model.id == row_id)
    if row is None:
        raise NotFound(f'That {spec.singular} no longer exists.')
    return row


def find_by_name(key: str, name: str) -> Model | None:
    spec = kind(key)
    return spec.model.get_or_none(spec.name_field == clean_name(name))


def ids_for_names(key: str, names: Iterable[str]) -> list[int]:
    """Rows named so (case-insensitive), or given by id, for filters typed by a person or a model: a model
    matches its name or display name, an agent its name. An unknown name is a clear error."""
    out: list[int] = []
    for name in names:
        name = str(name).strip()
        if name.isdigit():
            out.append(int(name))
            continue
        if key == 'model':
            rows = [
                m.id
                for m in LlmModel.select().where((LlmModel.name == name) | (LlmModel.display_name == name))
            ]
        elif key == 'agent':
            rows = [a.id for a in Agent.select().where(Agent.name == name)]
        else:
            row = find_by_name(key, name)
            rows = [row.id] if row is not None else []
        if not rows:
            raise ValidationError(f'There is no {key} called {name!r}.')
        out += rows
    return out


def search(key: str, text: str = '', limit: int = 20) -> list[Model]:
    """Rows whose name contains ``text`` (prefix matches first), for pickers and autocomplete."""
    spec = kind(key)
    q = spec.model.select()
    text = (text or '').strip()
    if text:
        q = q.where(spec.name_field.contains(text)).order_by(
            fn.INSTR(fn.LOWER(spec.name_field), text.lower()), spec.name_field
        )
    else:
        q = q.order_by(spec.name_field)
    return list(q.limit(limit))


def get_or_create(key: str, name: str, **defaults: Any) -> Model:
    """The row with that name (case-insensitive), created if missing."""
    spec = kind(key)
    if key == 'model':
        return find_or_create_model(name)
    name = clean_name(name)
    existing = spec.model.get_or_none(spec.name_field == name)
    if existing is not None:
        return existing
    if not spec.creatable:
        raise ValidationError(f'There is no {spec.singular} called {name!r}.')
    with write_tx():
        try:
            return spec.model.create(name=name, **defaults)
        except IntegrityError:  # created concurrently
            return spec.model.get(spec.name_field == name)


def get_or_create_many(key: str, names: Iterable[str]) -> list[Model]:
    seen: dict[str, Model] = {}
    for name in names:
        if name and name.strip():
            row = get_or_create(key, name)
            seen.setdefault(row.name.lower(), row)
    return list(seen.values())


_PROVIDER_PREFIXES = [
    (('gpt', 'o1', 'o3', 'o4', 'chatgpt', 'text-davinci', 'davinci', 'dall-e', 'gpt-'), 'OpenAI'),
    (('claude',), 'Anthropic'),
    (('gemini', 'gemma', 'palm', 'bard'), 'Google'),
]


def guess_provider_name(model_name: str) -> str:
    low = model_name.lower()
    for prefixes, provider in _PROVIDER_PREFIXES:
        if low.startswith(prefixes):
            return provider
    return 'Local'


def find_model(name: str) -> LlmModel | None:
    name = (name or '').strip()
    if not name:
        return None
    return (
        LlmModel.select()
        .where((LlmModel.name == name) | (LlmModel.display_name == name))
        .order_by(LlmModel.id)
        .first()
    )


def find_or_create_model(name: str, provider: str | None = None) -> LlmModel:
    """A model by API id or display name; unknown names are created under the provider their name suggests."""
    name = clean_name(name)
    found = find_model(name)
    if found is not None:
        return found
    provider_name = provider or guess_provider_name(name)
    with write_tx():
        prov = Provider.get_or_none(Provider.name == provider_name)
        if prov is None:
            prov = Provider.create(name=provider_name, kind='openai_compatible')
        try:
            return LlmModel.create(provider=prov, name=name)
        except IntegrityError:
            return LlmModel.get((LlmModel.provider == prov) & (LlmModel.name == name))


def usage(key: str, row_id: int) -> dict[str, int]:
    """How many items use the row, per kind of user ({'outputs': 3, 'prompts': 0, ...})."""
    spec = kind(key)
    counts = {}
    for u in spec.usages:
        counts[u.label] = u.field.model.select().where(u.field == row_id).count()
    return counts


@dataclass
class LookupRow:
    row: Model
    usage: int

    @property
    def id(self) -> int:
        return self.row.id

    @property
    def name(self) -> str:
        return self.row.name


def list_with_usage(
    key: str, *, text: str = '', page: int = 1, per_page: int = 50, sort: str = 'name', desc: bool = False
) -> Page[LookupRow]:
    """A page of rows with their total usage count; sort by ``name``, ``usage`` or ``created_at``."""
    spec = kind(key)
    m = spec.model
    usage_expr = None
    q = m.select(m)
    for i, u in enumerate(spec.usages):
        sub = (
            u.field.model.select(u.field.alias('ref'), fn.COUNT(u.field).alias('n'))
            .group_by(u.field)
            .alias(f'u{i}')
        )
        q = q.select_extend(fn.COALESCE(sub.c.n, 0).alias(f'n{i}')).join(
            sub, JOIN.LEFT_OUTER, on=(sub.c.ref == m.id)
        )
        term = fn.COALESCE(sub.c.n, 0)
        usage_expr = term if usage_expr is None else usage_expr + term
    if text.strip():
        q = q.where(spec.name_field.contains(text.strip()))
    total = q.count()
    page, per_page = clamp_page(page, per_page, total)
    if sort == 'usage' and usage_expr is not None:
        order = usage_expr.desc() if desc else usage_expr.asc()
        q = q.order_by(order, spec.name_field)
    elif sort == 'created_at':
        q = q.order_by(m.created_at.desc() if desc else m.created_at)
    else:
        q = q.order_by(spec.name_field.desc() if desc else spec.name_field)
    items = []
    for row in q.paginate(page, per_page):
        n = sum(getattr(row, f'n{i}', 0) or 0 for i in range(len(spec.usages)))
        items.append(LookupRow(row, n))
    return Page(items=items, total=total, page=page, per_page=per_page)


def create(key: str, name: str, **fields: Any) -> Model:
    spec = kind(key)
    name = clean_name(name)
    if spec.model.get_or_none(spec.name_field == name) is not None:
        raise ValidationError(f'A {spec.singular} called {name!r} already exists.')
    with write_tx():
        return spec.model.create(name=name, **fields)


def rename(key: str, row_id: int, new_name: str) -> Model:
    spec = kind(key)
    new_name = clean_name(new_name)
    row = get(key, row_id)
    clash = spec.model.get_or_none((spec.name_field == new_name) & (spec.model.id != row_id))
    if clash is not None:
        raise ValidationError(
            f'Another {spec.singular} is already called {clash.name!r}; merge the two instead of renaming.'
        )
    with write_tx():
        row.name = new_name
        row.save()
    return row


def update_fields(key: str, row_id: int, **fields: Any) -> Model:
    """Change colour, description or kind-specific fields (days, rank, prices, ...)."""
    spec = kind(key)
    row = get(key, row_id)
    for name in fields:
        if name in ('id', 'name', 'created_at') or name not in spec.model._meta.fields:
            raise ValidationError(f'{name!r} cannot be changed on a {spec.singular}.')
    if fields.get('color') is not None and not is_color(fields['color']):
        raise ValidationError('A colour is a hex value such as #3b82f6.')
    with write_tx():
        for name, value in fields.items():
            setattr(row, name, value)
        row.save()
    return row


_HEX_COLOR = re.compile(r'#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})')


def is_color(value: object) -> bool:
    """A CSS hex colour and nothing else: a colour is written into style attributes, where any other text
    (``red; background:url(...)``) would make the browser fetch from another host."""
    return isinstance(value, str) and _HEX_COLOR.fullmatch(value) is not None


def recolor(key: str, row_id: int, color: str | None) -> Model:
    return update_fields(key, row_id, color=color or None)


def merge(key: str, source_ids: Iterable[int], into_id: int) -> int:
    """Move every use of the source rows to ``into_id`` and delete the sources. Returns uses moved."""
    spec = kind(key)
    target = get(key, into_id)
    sources = [i for i in dict.fromkeys(source_ids) if i != target.id]
    if not sources:
        return 0
    moved = 0
    with write_tx():
        for sid in sources:
            get(key, sid)
            _refuse_if_protected(spec, sid, 'merged')
            for u in spec.usages:
                table = u.field.model
                if u.junction:
                    other = [
                        f for f in table._meta.sorted_fields if f.name not in (u.field.name, 'created_at')
                    ]
                    cols = [f.column_name for f in other]
                    col_list = ', '.join(f'"{c}"' for c in cols)
                    tname = table._meta.table_name
                    cursor = table._meta.database.execute_sql(
                        f'INSERT OR IGNORE INTO "{tname}" ({col_list}, "{u.field.column_name}", "created_at") '
                        f'SELECT {col_list}, ?, "created_at" FROM "{tname}" WHERE "{u.field.column_name}" = ?',
                        (target.id, sid),
                    )
                    moved += cursor.rowcount
                    table.delete().where(u.field == sid).execute()
                else:
                    moved += table.update({u.field: target.id}).where(u.field == sid).execute()
            spec.model.delete().where(spec.model.id == sid).execute()
        target.updated_at = utcnow()
        target.save()
    return moved


def _refuse_if_protected(spec: LookupKind, row_id: int, verb: str) -> None:
    for u in spec.usages:
        if u.protected and u.field.model.select().where(u.field == row_id).exists():
            raise ValidationError(
                f'This {spec.singular} is recorded in {u.label}, which never change, so it cannot be {verb}.'
            )


def delete(key: str, row_id: int, *, reassign_to: int | None = None) -> None:
    """Delete a row. Its users are moved to ``reassign_to`` if given, otherwise unlinked (FKs become empty)."""
    spec = kind(key)
    get(key, row_id)
    _refuse_if_protected(spec, row_id, 'deleted')
    with write_tx():
        if reassign_to is not None:
            merge(key, [row_id], reassign_to)
            return
        for u in spec.usages:
            table = u.field.model
            if u.junction:
                table.delete().where(u.field == row_id).execute()
            elif u.field.null:
                table.update({u.field: None}).where(u.field == row_id).execute()
            elif table.select().where(u.field == row_id).exists():
                raise ValidationError(
                    f'This {spec.singular} is still used by {u.label}; move them to another {spec.singular} first.'
                )
        try:
            spec.model.delete().where(spec.model.id == row_id).execute()
        except IntegrityError as exc:
            raise ValidationError(
                f'This {spec.singular} is still in use ({exc}); move its users to another {spec.singular} first.'
            ) from exc
