"""Import our own lossless JSON export (``exporters.export_json``): the round trip back into a library.

Into an empty library everything comes back identical, ids included. Into a library that already holds
things it merges: lookups match by name, content by its source id (or title + creation time), and
what already exists is left as the user has it (re-importing the same file adds nothing).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from peewee import (
    BooleanField,
    CharField,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
)

from ..db import current, write_tx
from ..exporters import JUNCTION_MODELS, LOOKUP_MODELS, table
from ..models import (
    Agent,
    AgentVersion,
    Collection,
    Conversation,
    JSONField,
    LlmModel,
    Message,
    Output,
    OutputLink,
    Prompt,
    PromptVersion,
    ProviderSetting,
)
from ..text import body_hash
from .base import Batch, ImportReport

log = logging.getLogger(__name__)

MODELS: dict[str, type[Model]] = {
    table(m): m
    for m in [
        *LOOKUP_MODELS,
        *JUNCTION_MODELS,
        Prompt,
        PromptVersion,
        Agent,
        AgentVersion,
        Conversation,
        Message,
        Output,
    ]
}


def _dt(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


class RecordImporter:
    def __init__(self, report: ImportReport, *, dry_run: bool) -> None:
        self.report = report
        self.dry_run = dry_run
        self.db = current()
        self.maps: dict[str, dict[int, int]] = {name: {} for name in MODELS}
        self.message_refs: set[int] = set()
        # An empty library gets an identical copy (ids kept, lookups made to match the export).
        self.pristine = not any(m.select().exists() for m in (Prompt, Agent, Conversation, Output))
        self.seen_lookups: dict[str, set[int]] = {}
        self.pending: list[dict[str, Any]] = []

    # ---- helpers

    def count(self, key: str, n: int = 1) -> None:
        self.report.entities[key] = self.report.entities.get(key, 0) + n

    def values(self, model: type[Model], rec: dict[str, Any], skip: tuple[str, ...] = ()) -> dict[str, Any]:
        vals: dict[str, Any] = {}
        for f in model._meta.sorted_fields:
            if f.name == 'id' or f.name in skip or f.name not in rec:
                continue
            v = rec[f.name]
            if isinstance(f, ForeignKeyField):
                if v is not None:  # a reference is an id (a number or a string); anything else: none
                    v = self.maps.get(table(f.rel_model), {}).get(v) if _is_ref(v) else None
            elif isinstance(f, DateTimeField):
                v = _dt(v)
                if v is not None and not isinstance(v, datetime):
                    raise ValueError(f'its {f.name} is not a date')
            elif v is not None and not _fits(f, v):
                raise ValueError(f'its {f.name} is not {_KIND_WORDS.get(type(f).__name__, "valid")}')
            vals[f.name] = v
        return vals

    def insert(self, model: type[Model], vals: dict[str, Any], old_id: Any) -> int:
        if self.pristine and isinstance(old_id, int):
            vals = {'id': old_id, **vals}
        return model.insert(**vals).execute()

    # ---- records

    def handle(self, rec: Any) -> None:
        if not isinstance(rec, dict) or not isinstance(rec.get('type'), str):
            raise ValueError('a record without a type')
        kind = rec['type']
        if kind == 'message_refs':
            self.message_refs = {i for i in rec.get('ids') or [] if isinstance(i, int)}
            return
        model = MODELS.get(kind)
        if model is None or model is Message:
            self.report.unknown(f'outputhub {kind}')
            return
        if model not in JUNCTION_MODELS and not _is_ref(rec.get('id')):
            raise ValueError(f'a {kind} record without an id')  # what links to it names it by that id
        if model in LOOKUP_MODELS:
            self.lookup(model, rec)
        elif model in JUNCTION_MODELS:
            self.junction(model, rec)
        elif model in (Prompt, Agent):
            self.versioned(model, rec)
        elif model is Conversation:
            self.conversation(rec)
        elif model is Output:
            self.output(rec)
        else:
            self.report.unknown(f'outputhub {kind}')

    def lookup(self, model: type[Model], rec: dict[str, Any]) -> None:
        name = table(model)
        vals = self.values(model, rec)
        if model is LlmModel:
            found = model.get_or_none(
                (model.provider == vals.get('provider')) & (model.name == vals.get('name'))
            )
        elif model is ProviderSetting:
            found = model.get_or_none(model.provider == vals.get('provider'))
        else:
            found = model.get_or_none(model.name == vals.get('name'))
        if found is None and model is Collection and vals.get('external_id') is not None:
            found = model.get_or_none(
                (model.source == vals.get('source')) & (model.external_id == vals['external_id'])
            )
        if found is not None:
            row_id = found.id
            if self.pristine and not self.dry_run:
                changed = {k: v for k, v in vals.items() if _differs(model, found, k, v)}
                if changed:
                    model.update(**changed).where(model.id == row_id).execute()
        else:
            self.count(name + 's')
            row_id = None if self.dry_run else model.insert(**vals).execute()
        if isinstance(rec.get('id'), int) and row_id is not None:
            self.maps[name][rec['id']] = row_id
        if row_id is not None:
            self.seen_lookups.setdefault(name, set()).add(row_id)

    def _existing(self, model: type[Model], vals: dict[str, Any], title_field: str) -> Model | None:
        if vals.get('external_id') is not None:
            return model.get_or_none(
                (model.source == vals.get('source')) & (model.external_id == vals['external_id'])
            )
        if model is Output:
            return model.get_or_none(
                (model.body_hash == vals.get('body_hash')) & (model.created_at == vals.get('created_at'))
            )
        return model.get_or_none(
            (getattr(model, title_field) == vals.get(title_field))
            & (model.created_at == vals.get('created_at'))
        )

    def versioned(self, model: type[Model], rec: dict[str, Any]) -> None:
        vmodel, fk, title_field = (
            (PromptVersion, 'prompt', 'title') if model is Prompt else (AgentVersion, 'agent', 'name')
        )
        vals = self.values(model, rec, skip=('current_version',))
        found = self._existing(model, vals, title_field)
        versions = [v for v in rec.get('versions') or [] if isinstance(v, dict)]
        if found is not None:
            self.maps[table(model)][rec['id']] = found.id
            by_number = {
                v.number: v.id
                for v in vmodel.select(vmodel.id, vmodel.number).where(getattr(vmodel, fk) == found.id)
            }
            for v in versions:
                if v.get('number') in by_number:
                    self.maps[table(vmodel)][v['id']] = by_number[v['number']]
            return
        self.count(table(model) + 's')
        self.count(table(vmodel) + 's', len(versions))
        if self.dry_run:
            return
        new_id = self.insert(model, vals, rec.get('id'))
        self.maps[table(model)][rec['id']] = new_id
        for v in versions:
            vvals = self.values(vmodel, v)
            vvals[fk] = new_id
            self.maps[table(vmodel)][v['id']] = self.insert(vmodel, vvals, v.get('id'))
        current = rec.get('current_version')
        current_version = self.maps[table(vmodel)].get(current) if _is_ref(current) else None
        if current_version is not None:
            model.update(current_version=current_version).where(model.id == new_id).execute()

    def conversation(self, rec: dict[str, Any]) -> None:
        vals = self.values(Conversation, rec, skip=('active_leaf',))
        messages = [
            m for m in rec.get('messages') or [] if isinstance(m, dict) and isinstance(m.get('id'), int)
        ]
        found = self._existing(Conversation, vals, 'title')
        local: dict[int, int] = {}
        if found is not None:
            conv_id = found.id
            self.maps['conversation'][rec['id']] = conv_id
            by_ext, by_content = {}, {}
            for m in Message.select(
                Message.id, Message.external_id, Message.created_at, Message.role, Message.content
            ).where(Message.conversation == conv_id):
                if m.external_id:
                    by_ext[m.external_id] = m.id
                by_content[(m.created_at, m.role, body_hash(m.content))] = m.id
            new = []
            for m in messages:
                match = by_ext.get(m.get('external_id')) if m.get('external_id') else None
                if match is None:
                    match = by_content.get(
                        (_dt(m.get('created_at')), m.get('role'), body_hash(m.get('content') or ''))
                    )
                if match is None:
                    new.append(m)
                else:
                    local[m['id']] = match
            if not new:
                self.report.conversations_unchanged += 1
            else:
                self.report.conversations_updated += 1
                self.report.messages_added += len(new)
                if not self.dry_run:
                    self._insert_messages(new, conv_id, local)
                    Conversation.update(
                        message_count=Message.select().where(Message.conversation == conv_id).count()
                    ).where(Conversation.id == conv_id).execute()
        else:
            self.report.conversations_added += 1
            self.report.messages_added += len(messages)
            if self.dry_run:
                return
            conv_id = self.insert(Conversation, vals, rec.get('id'))
            self.maps['conversation'][rec['id']] = conv_id
            self._insert_messages(messages, conv_id, local)
            leaf = local.get(rec.get('active_leaf')) if _is_ref(rec.get('active_leaf')) else None
            if leaf is not None:
                Conversation.update(active_leaf=leaf).where(Conversation.id == conv_id).execute()
            self.report.touched(conv_id)
        for old, new_id in local.items():
            if old in self.message_refs:
                self.maps['message'][old] = new_id

    def _insert_messages(self, messages: list[dict[str, Any]], conv_id: int, local: dict[int, int]) -> None:
        ordered = _parents_first(messages)
        next_id = (self.db.execute_sql('SELECT COALESCE(MAX(id), 0) FROM message').fetchone()[0] or 0) + 1
        taken = set()
        if self.pristine:
            ids = [m['id'] for m in ordered]
            marks = ','.join('?' * len(ids))
            taken = (
                {r[0] for r in self.db.execute_sql(f'SELECT id FROM message WHERE id IN ({marks})', ids)}
                if ids
                else set()
            )
        for m in ordered:
            if self.pristine and m['id'] not in taken:
                local[m['id']] = m['id']
            else:
                local[m['id']] = next_id
                next_id += 1
        fields = Message._meta.sorted_fields
        rows = []
        for m in ordered:
            vals = self.values(Message, m, skip=('parent', 'conversation'))
            vals['id'] = local[m['id']]
            vals['conversation'] = conv_id
            vals['parent'] = local.get(m.get('parent')) if m.get('parent') is not None else None
            rows.append(tuple(f.db_value(vals[f.name] if f.name in vals else _default(f)) for f in fields))
        sql = 'INSERT INTO "message" ({}) VALUES ({})'.format(
            ', '.join(f'"{f.column_name}"' for f in fields), ', '.join('?' for _ in fields)
        )
        self.db.cursor().executemany(sql, rows)

    def output(self, rec: dict[str, Any]) -> None:
        vals = self.values(Output, rec)
        if not vals.get('body_hash'):
            vals['body_hash'] = body_hash(vals.get('body') or '')
        found = self._existing(Output, vals, 'title')
        if found is not None:
            self.maps['output'][rec['id']] = found.id
            return
        self.count('outputs')
        if not self.dry_run:
            self.maps['output'][rec['id']] = self.insert(Output, vals, rec.get('id'))

    def junction(self, model: type[Model], rec: dict[str, Any]) -> None:
        vals = self.values(model, rec)
        fks = [f.name for f in model._meta.sorted_fields if isinstance(f, ForeignKeyField)]
        if any(vals.get(k) is None for k in fks):
            if not self.dry_run:
                log.debug('outputhub import: %s row points at something not imported: %s', table(model), rec)
            return
        if model is OutputLink and vals['a'] > vals['b']:
            vals['a'], vals['b'] = vals['b'], vals['a']
        if self.dry_run:
            return
        if self.db.execute(model.insert(**vals).on_conflict_ignore()).rowcount:
            self.count(table(model) + 's')

    def finish(self) -> None:
        """Into an empty library: lookup rows the export does not have (defaults the user removed) go."""
        if not self.pristine or self.dry_run:
            return
        for name, keep in self.seen_lookups.items():
            model = MODELS[name]
            if model in (ProviderSetting,):
                continue
            if keep:
                model.delete().where(model.id.not_in(list(keep))).execute()


def _default(f) -> Any:
    return f.default() if callable(f.default) else f.default


def _differs(model: type[Model], row: Model, name: str, value: Any) -> bool:
    field = model._meta.fields[name]
    current_value = getattr(row, field.name + '_id' if isinstance(field, ForeignKeyField) else field.name)
    return current_value != value


def _parents_first(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    ids = {m['id'] for m in messages}
    children: dict[Any, list[dict]] = {}
    for m in messages:
        parent = m.get('parent') if m.get('parent') in ids else None
        children.setdefault(parent, []).append(m)
    out: list[dict] = []
    seen: set[int] = set()
    stack = list(reversed(children.get(None, [])))
    while stack:
        m = stack.pop()
        if m['id'] in seen:
            continue
        seen.add(m['id'])
        out.append(m)
        stack.extend(reversed(children.get(m['id'], [])))
    out.extend(m for m in messages if m['id'] not in seen)  # cycles: keep them, as roots
    return out


def import_records(
    records: Iterator[Any], report: ImportReport, *, dry_run: bool, tick: Callable[[], None]
) -> None:
    """Stream the records in; each is its own savepoint (a bad one is reported and skipped) inside
    short batches of transactions (see ``base.Batch``)."""
    importer = RecordImporter(report, dry_run=dry_run)
    stop = getattr(tick, 'stop_requested', lambda: False)
    with Batch(importer.db, enabled=not dry_run) as batch:
        for rec in records:
            if stop():
                return
            batch.ensure()
            _one(importer, rec, report)
            batch.maybe_commit()
            tick()
        batch.ensure()
        importer.finish()


_INT64 = (-(2**63), 2**63 - 1)  # what an SQLite integer holds
_KIND_WORDS = {'CharField': 'text', 'TextField': 'text', 'IntegerField': 'a number', 'FloatField': 'a number'}
_KIND_WORDS['BooleanField'] = 'true or false'


def _fits(f: Any, value: Any) -> bool:
    """Whether an exported value can go in the column (JSON columns take anything)."""
    if isinstance(f, JSONField):
        return True
    if isinstance(f, CharField | TextField):
        return isinstance(value, str)
    if isinstance(f, BooleanField):
        return isinstance(value, bool | int)
    if isinstance(f, IntegerField):
        return isinstance(value, int) and not isinstance(value, bool) and _INT64[0] <= value <= _INT64[1]
    if isinstance(f, FloatField):
        return isinstance(value, int | float) and not isinstance(value, bool)
    return True


def _is_ref(value: Any) -> bool:
    """Whether ``value`` can be a record's id (what other records name it by)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return _INT64[0] <= value <= _INT64[1]
    return isinstance(value, str)


def _one(importer: RecordImporter, rec: Any, report: ImportReport) -> None:
    try:
        with write_tx():  # a savepoint: only this record rolls back
            importer.handle(rec)
    except Exception as exc:
        report.skipped += 1
        kind = rec.get('type') if isinstance(rec, dict) else '?'
        rid = rec.get('id') if isinstance(rec, dict) else '?'
        report.error(f'{kind} {rid}: {type(exc).__name__}: {exc}'[:500])
        log.warning('outputhub import: skipped %s %s: %s', kind, rid, exc)
