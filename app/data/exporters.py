"""Export the library: lossless JSON (imports back into an identical library) and Markdown (Obsidian-friendly)."""

from __future__ import annotations

import json
import os
import re
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from peewee import ForeignKeyField, Model

from ..errors import UserError
from . import sensitivity as restriction
from .db import current
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
    OutputLink,
    OutputTag,
    Prompt,
    PromptTag,
    PromptVersion,
    Provider,
    ProviderSetting,
    RetentionPlan,
    SensitivityLevel,
    Source,
    Tag,
    utcnow,
)

FORMAT = 'outputhub'
FORMAT_VERSION = 1

ProgressFn = Callable[[int, 'int | None'], None]


def _app_version() -> str:
    try:
        from importlib.metadata import version

        return version('outputhub')
    except Exception:  # running from a source tree that is not installed
        return 'dev'


# Record types in the order an importer needs them (everything a row points at comes first).
# Left out on purpose: ApiToken (hashes), Device (pairings), AppSetting (may hold login material),
# ImportRun / PurgeRun (logs). Provider keys never live in the database at all.
LOOKUP_MODELS: list[type[Model]] = [
    RetentionPlan,
    AccuracyLevel,
    SensitivityLevel,
    Category,
    Source,
    Tag,
    Collection,
    Provider,
    LlmModel,
    ProviderSetting,
]
JUNCTION_MODELS: list[type[Model]] = [
    OutputTag,
    PromptTag,
    ConversationTag,
    AgentTag,
    CollectionOutput,
    CollectionPrompt,
    CollectionConversation,
    CollectionAgent,
    OutputLink,
]
CONTENT_MODELS: list[type[Model]] = [Prompt, Agent, Conversation, Output]


def table(model: type[Model]) -> str:
    return model._meta.table_name


@dataclass
class ExportReport:
    format: str
    path: str
    counts: dict[str, int] = field(default_factory=dict)
    left_out_secret: int = 0
    files: int = 0
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode('utf-8', 'replace')
    raise TypeError(f'cannot export {type(value).__name__}')


def _restricted_ids() -> list[int]:
    return [r.id for r in SensitivityLevel.select(SensitivityLevel.id).where(SensitivityLevel.restricted)]


class _Scope:
    """Which content rows are exported: everything, or everything but Secret (restricted) items."""

    def __init__(self, include_secret: bool) -> None:
        self.restricted = [] if include_secret else _restricted_ids()
        # Messages a Secret output was captured from keep their place in the thread, not their text.
        self.withheld: set[int] = (
            {r[0] for r in current().execute_sql(restriction.CAPTURED_MESSAGES_SQL)}
            if self.restricted
            else set()
        )

    def message(self, row: dict[str, Any]) -> dict[str, Any]:
        """A message row as exported: a withheld one carries the notice instead of its text."""
        if row['id'] in self.withheld:
            return {**row, 'content': restriction.WITHHELD_NOTICE, 'raw': None}
        return row

    def query(self, model: type[Model]):
        q = model.select()
        if self.restricted:
            q = q.where(model.sensitivity.is_null() | model.sensitivity.not_in(self.restricted))
        return q

    def left_out(self) -> int:
        if not self.restricted:
            return 0
        return sum(m.select().where(m.sensitivity.in_(self.restricted)).count() for m in CONTENT_MODELS)

    def excluded_ids(self, model: type[Model]) -> set[int]:
        """Ids of the rows left out (Secret items are few: this set stays small)."""
        if not self.restricted:
            return set()
        return {r.id for r in model.select(model.id).where(model.sensitivity.in_(self.restricted))}


def _rows(query) -> Iterator[dict[str, Any]]:
    yield from query.dicts().iterator()


def _out_path(out: str | Path, suffix: str) -> Path:
    p = Path(out).expanduser()
    if p.suffix.lower() == suffix:
        p.parent.mkdir(parents=True, exist_ok=True)
        return p
    if p.exists() and not p.is_dir():
        raise UserError(f'{p} exists and is not a folder.')
    p.mkdir(parents=True, exist_ok=True)
    return p / f'outputhub-export-{utcnow():%Y%m%d-%H%M%S}{suffix}'


# --------------------------------------------------------------------------- JSON


def export_json(
    out: str | Path, *, include_secret: bool = False, progress: ProgressFn | None = None
) -> ExportReport:
    """Write every entity, relation, version and text to one JSON file (in folder ``out``, or the file
    ``out`` if it ends in .json). Secret items are left out unless ``include_secret``.

    The file is ``{"format": "outputhub", "version": 1, ..., "records": [...]}`` with one record per
    row (``"type"`` = table name), in dependency order; conversations carry their messages and
    prompts/agents their versions, so an importer can stream it one record at a time.
    """
    started = time.monotonic()
    path = _out_path(out, '.json')
    tmp = path.with_name(path.name + '.part')
    db = current()
    counts: dict[str, int] = {}
    # One read transaction: a consistent snapshot while the app keeps writing (WAL readers never block).
    with db.atomic(lock_type='DEFERRED'):
        scope = _Scope(include_secret)
        total = sum(scope.query(m).count() for m in CONTENT_MODELS)
        done = 0
        excluded = {table(m): scope.excluded_ids(m) for m in CONTENT_MODELS}
        with open(tmp, 'w', encoding='utf-8') as fh:
            header = {
                'format': FORMAT,
                'version': FORMAT_VERSION,
                'app_version': _app_version(),
                'exported_at': utcnow().isoformat(),
                'include_secret': include_secret,
            }
            fh.write(json.dumps(header, ensure_ascii=False)[:-1] + ', "records": [\n')
            first = True

            def write(record: dict[str, Any]) -> None:
                nonlocal first
                if not first:
                    fh.write(',\n')
                first = False
                fh.write(json.dumps(record, ensure_ascii=False, default=_json_default))
                counts[record['type']] = counts.get(record['type'], 0) + 1

            # Messages that outputs point at: the importer keeps their new ids (and only theirs).
            refs = [
                r[0]
                for r in db.execute_sql(
                    'SELECT DISTINCT message_id FROM output WHERE message_id IS NOT NULL ORDER BY 1'
                )
            ]
            write({'type': 'message_refs', 'ids': refs})
            for model in LOOKUP_MODELS:
                for row in _rows(model.select().order_by(model.id)):
                    write({'type': table(model), **row})
            for model, version_model, fk in (
                (Prompt, PromptVersion, 'prompt'),
                (Agent, AgentVersion, 'agent'),
            ):
                versions = _group_rows(
                    version_model.select().order_by(getattr(version_model, fk), version_model.id), fk
                )
                for row in _rows(scope.query(model).order_by(model.id)):
                    write({'type': table(model), **row, 'versions': [v for v in versions(row['id'])]})
                    done += 1
                    if progress:
                        progress(done, total)
            messages = _group_rows(
                Message.select().order_by(Message.conversation, Message.id), 'conversation'
            )
            for row in _rows(scope.query(Conversation).order_by(Conversation.id)):
                write(
                    {
                        'type': 'conversation',
                        **row,
                        'messages': [scope.message(m) for m in messages(row['id'])],
                    }
                )
                done += 1
                if progress:
                    progress(done, total)
            for row in _rows(scope.query(Output).order_by(Output.id)):
                write({'type': 'output', **row})
                done += 1
                if progress:
                    progress(done, total)
            for model in JUNCTION_MODELS:
                owners = _junction_owners(model)
                for row in _rows(model.select()):
                    if any(row.get(col) in excluded[tbl] for col, tbl in owners):
                        continue
                    write({'type': table(model), **row})
            fh.write('\n]}\n')
        left_out = scope.left_out()
    os.replace(tmp, path)
    counts.pop('message_refs', None)
    return ExportReport('json', str(path), counts, left_out, 1, round(time.monotonic() - started, 3))


def _junction_owners(model: type[Model]) -> list[tuple[str, str]]:
    owners = []
    for f in model._meta.sorted_fields:
        if isinstance(f, ForeignKeyField) and f.rel_model in CONTENT_MODELS:
            owners.append((f.name, table(f.rel_model)))
    return owners


def _group_rows(query, key: str) -> Callable[[int], Iterator[dict[str, Any]]]:
    """Rows of a child table grouped by parent id, read in one ordered pass (a merge join, no N+1).

    The returned function must be called with increasing parent ids.
    """
    it = _rows(query)
    pending: list[dict[str, Any] | None] = [next(it, None)]

    def children(parent_id: int) -> Iterator[dict[str, Any]]:
        while pending[0] is not None and pending[0][key] < parent_id:
            pending[0] = next(it, None)
        while pending[0] is not None and pending[0][key] == parent_id:
            yield pending[0]
            pending[0] = next(it, None)

    return children


# --------------------------------------------------------------------------- Markdown

_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*\[\]#^]')
_RESERVED = {
    'CON',
    'PRN',
    'AUX',
    'NUL',
    *(f'COM{i}' for i in range(1, 10)),
    *(f'LPT{i}' for i in range(1, 10)),
}


def safe_name(name: str, limit: int = 80) -> str:
    """A file or folder name that is valid on Windows, macOS and Linux and sane in Obsidian links."""
    text = unicodedata.normalize('NFC', name or '')
    text = _UNSAFE.sub(' ', text)
    text = ' '.join(text.split()).strip(' .')
    if len(text) > limit:
        text = text[:limit].rsplit(' ', 1)[0].strip(' .') or text[:limit].strip(' .')
    if not text or text.upper().split('.')[0] in _RESERVED:
        text = f'_{text}' if text else 'Untitled'
    return text


def _yaml(value: Any) -> str:
    """A YAML scalar or flow list. JSON strings are valid YAML double-quoted scalars."""
    if value is None:
        return 'null'
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, list | tuple):
        return '[' + ', '.join(_yaml(v) for v in value) + ']'
    return json.dumps(str(value), ensure_ascii=False)


def front_matter(fields: dict[str, Any]) -> str:
    lines = ['---']
    for key, value in fields.items():
        if value is None or value == [] or value == '':
            continue
        lines.append(f'{key}: {_yaml(value)}')
    lines.append('---')
    return '\n'.join(lines) + '\n'


class _Names:
    """Unique, stable note names: ``Title (o12)`` — the id suffix keeps links unambiguous."""

    PREFIX = {'output': 'o', 'conversation': 'c', 'prompt': 'p', 'agent': 'a'}

    def __init__(self) -> None:
        self.titles: dict[tuple[str, int], str] = {}

    def note(self, kind: str, row_id: int, title: str) -> str:
        name = f'{safe_name(title, 70)} ({self.PREFIX[kind]}{row_id})'
        self.titles[(kind, row_id)] = name
        return name

    def link(self, kind: str, row_id: int | None) -> str | None:
        if row_id is None or (kind, row_id) not in self.titles:
            return None
        return f'[[{self.titles[(kind, row_id)]}]]'


def _lookup_names(model: type[Model]) -> dict[int, str]:
    return {r.id: r.name for r in model.select(model.id, model.name)}


def _relations(junction: type[Model], owner: str, other: str) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for row in junction.select().dicts().iterator():
        out.setdefault(row[owner], []).append(row[other])
    return out


def export_markdown(
    out: str | Path, *, include_secret: bool = False, progress: ProgressFn | None = None
) -> ExportReport:
    """One Markdown note per conversation, output, prompt and agent, with YAML front matter (ids, dates,
    model, tags, links as ``[[wiki links]]``), in one folder per collection (``Unfiled`` otherwise),
    plus one index note per collection. Secret items are left out unless ``include_secret``."""
    started = time.monotonic()
    root = Path(out).expanduser()
    if root.exists() and not root.is_dir():
        raise UserError(f'{root} exists and is not a folder.')
    root = root / f'outputhub-markdown-{utcnow():%Y%m%d-%H%M%S}'
    root.mkdir(parents=True, exist_ok=True)
    db = current()
    counts: dict[str, int] = {}
    files = 0
    with db.atomic(lock_type='DEFERRED'):
        scope = _Scope(include_secret)
        tags = _lookup_names(Tag)
        models = {m.id: m.name for m in LlmModel.select(LlmModel.id, LlmModel.name)}
        categories = _lookup_names(Category)
        sources = _lookup_names(Source)
        sensitivity = _lookup_names(SensitivityLevel)
        accuracy = _lookup_names(AccuracyLevel)
        collections = {c.id: c for c in Collection.select()}
        folder_of_collection = _collection_folders(collections)
        kinds = [
            ('prompt', Prompt, PromptTag, CollectionPrompt, 'title'),
            ('agent', Agent, AgentTag, CollectionAgent, 'name'),
            ('conversation', Conversation, ConversationTag, CollectionConversation, 'title'),
            ('output', Output, OutputTag, CollectionOutput, 'title'),
        ]
        # First pass: names for every note, so links between notes can be written in one go.
        names = _Names()
        item_tags: dict[str, dict[int, list[int]]] = {}
        item_colls: dict[str, dict[int, list[int]]] = {}
        rows_by_kind: dict[str, list[int]] = {}
        for kind, model, tag_j, coll_j, title_field in kinds:
            item_tags[kind] = _relations(tag_j, kind, 'tag')
            item_colls[kind] = _relations(coll_j, kind, 'collection')
            ids = []
            for row in (
                scope.query(model)
                .select(model.id, getattr(model, title_field))
                .where(model.deleted_at.is_null())
                .tuples()
                .iterator()
            ):
                names.note(kind, row[0], row[1] or 'Untitled')
                ids.append(row[0])
            rows_by_kind[kind] = ids
        total = sum(len(v) for v in rows_by_kind.values())
        done = 0
        related: dict[int, list[int]] = {}
        for link in OutputLink.select().tuples().iterator():
            related.setdefault(link[1], []).append(link[2])
            related.setdefault(link[2], []).append(link[1])
        prompt_of_version = {
            v.id: (v.prompt_id, v.number)
            for v in PromptVersion.select(PromptVersion.id, PromptVersion.prompt, PromptVersion.number)
        }
        agent_of_version = {
            v.id: (v.agent_id, v.number)
            for v in AgentVersion.select(AgentVersion.id, AgentVersion.agent, AgentVersion.number)
        }
        members: dict[int, list[str]] = {}

        def common(kind: str, row: Model, title: str) -> dict[str, Any]:
            coll_ids = item_colls[kind].get(row.id, [])
            return {
                'title': title,
                'type': kind,
                'outputhub_id': f'{kind}/{row.id}',
                'created': row.created_at,
                'updated': row.updated_at,
                'tags': [_tag(tags[t]) for t in item_tags[kind].get(row.id, []) if t in tags],
                'collections': [collections[c].name for c in coll_ids if c in collections],
                'category': categories.get(row.category_id),
                'sensitivity': sensitivity.get(row.sensitivity_id),
                'rating': row.rating,
                'favourite': row.favourite or None,
                'source': sources.get(row.source_id),
                'source_id': row.external_id,
            }

        def write(kind: str, row: Model, meta: dict[str, Any], body: str) -> None:
            nonlocal files, done
            coll_ids = [c for c in item_colls[kind].get(row.id, []) if c in collections]
            folder = (
                root / (folder_of_collection[coll_ids[0]] if coll_ids else 'Unfiled') / f'{kind.title()}s'
            )
            folder.mkdir(parents=True, exist_ok=True)
            name = names.titles[(kind, row.id)]
            (folder / f'{name}.md').write_text(
                front_matter(meta) + '\n' + body.rstrip() + '\n', encoding='utf-8'
            )
            for c in coll_ids:
                members.setdefault(c, []).append(f'[[{name}]]')
            files += 1
            counts[kind + 's'] = counts.get(kind + 's', 0) + 1
            done += 1
            if progress:
                progress(done, total)

        for p in _by_ids(Prompt, rows_by_kind['prompt']):
            versions = list(
                PromptVersion.select().where(PromptVersion.prompt == p.id).order_by(PromptVersion.number)
            )
            cur = next(
                (v for v in versions if v.id == p.current_version_id), versions[-1] if versions else None
            )
            meta = common('prompt', p, p.title) | {
                'version': cur.number if cur else None,
                'versions': len(versions),
                'description': p.description,
            }
            body = (
                f'# {p.title}\n\n'
                + (p.description + '\n\n' if p.description else '')
                + (cur.body if cur else '')
            )
            if p.notes:
                body += f'\n\n## Notes\n\n{p.notes}'
            write('prompt', p, meta, body)
        for a in _by_ids(Agent, rows_by_kind['agent']):
            cur = AgentVersion.get_or_none(AgentVersion.id == a.current_version_id)
            meta = common('agent', a, a.name) | {
                'model': models.get(cur.model_id) if cur else None,
                'version': cur.number if cur else None,
                'temperature': cur.temperature if cur else None,
                'description': a.description,
            }
            body = f'# {a.name}\n\n' + (a.description + '\n\n' if a.description else '')
            body += '## System prompt\n\n' + (cur.system_prompt if cur else '')
            if a.notes:
                body += f'\n\n## Notes\n\n{a.notes}'
            write('agent', a, meta, body)
        from .conversations import latest_leaf, path_ids

        for c in _by_ids(Conversation, rows_by_kind['conversation']):
            leaf = c.active_leaf_id or latest_leaf(c.id)
            ids = path_ids(leaf) if leaf else []
            msgs = {m.id: m for m in Message.select().where(Message.id.in_(ids))} if ids else {}
            branches = (
                Message.select()
                .where(
                    (Message.conversation == c.id)
                    & Message.id.not_in(
                        Message.select(Message.parent).where(
                            (Message.conversation == c.id) & Message.parent.is_null(False)
                        )
                    )
                )
                .count()
            )
            meta = common('conversation', c, c.title or 'Untitled') | {
                'model': models.get(c.model_id),
                'messages': c.message_count,
                'branches': branches if branches > 1 else None,
                'agent': _version_link(names, 'agent', agent_of_version.get(c.agent_version_id)),
                'summary': c.summary,
            }
            body = [f'# {c.title or "Untitled"}']
            if c.notes:
                body.append(f'> [!note] Notes\n> {_quote(c.notes)}')
            for mid in ids:
                m = msgs.get(mid)
                if m is None or (m.hidden and not (m.content or '').strip()):
                    continue
                if m.id in scope.withheld:
                    m.content = restriction.WITHHELD_NOTICE  # this row is only read, never saved
                body.append(_message_md(m, models))
            write('conversation', c, meta, '\n\n'.join(body))
        for o in _by_ids(Output, rows_by_kind['output']):
            pv = prompt_of_version.get(o.prompt_version_id)
            av = agent_of_version.get(o.agent_version_id)
            meta = common('output', o, o.title or 'Untitled') | {
                'model': models.get(o.model_id),
                'accuracy': accuracy.get(o.accuracy_id),
                'prompt': _version_link(names, 'prompt', pv),
                'prompt_version': pv[1] if pv else None,
                'agent': _version_link(names, 'agent', av),
                'agent_version': av[1] if av else None,
                'conversation': names.link('conversation', o.conversation_id),
                'related': [x for x in (names.link('output', r) for r in sorted(related.get(o.id, []))) if x],
                'source_url': o.source_url,
                'input_tokens': o.input_tokens,
                'output_tokens': o.output_tokens,
                'cost': o.cost,
            }
            body = f'# {o.title or "Untitled"}\n\n{o.body}'
            if o.notes:
                body += f'\n\n## Notes\n\n{o.notes}'
            write('output', o, meta, body)
        for cid, coll in collections.items():
            folder = root / folder_of_collection[cid]
            if not members.get(cid) and not coll.notes and not coll.description:
                continue
            folder.mkdir(parents=True, exist_ok=True)
            meta = {
                'title': coll.name,
                'type': 'collection',
                'outputhub_id': f'collection/{cid}',
                'created': coll.created_at,
            }
            body = [f'# {coll.name}']
            if coll.description:
                body.append(coll.description)
            if coll.notes:
                body.append(coll.notes)
            if members.get(cid):
                body.append('## Items\n\n' + '\n'.join(f'- {m}' for m in sorted(members[cid])))
            (folder / f'{safe_name(coll.name)}.md').write_text(
                front_matter(meta) + '\n' + '\n\n'.join(body) + '\n', encoding='utf-8'
            )
            files += 1
        left_out = scope.left_out()
    return ExportReport('markdown', str(root), counts, left_out, files, round(time.monotonic() - started, 3))


def _tag(name: str) -> str:
    # Obsidian tags cannot hold spaces
    return re.sub(r'\s+', '-', name.strip())


def _quote(text: str) -> str:
    return text.replace('\n', '\n> ')


def _version_link(names: _Names, kind: str, owner_and_number: tuple[int, int] | None) -> str | None:
    return names.link(kind, owner_and_number[0]) if owner_and_number else None


def _by_ids(model: type[Model], ids: list[int]) -> Iterator[Model]:
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        yield from model.select().where(model.id.in_(chunk)).order_by(model.id)


def _collection_folders(collections: dict[int, Collection]) -> dict[int, str]:
    used: set[str] = {'unfiled'}
    out = {}
    for cid in sorted(collections):
        name = safe_name(collections[cid].name, 60)
        candidate, n = name, 2
        while candidate.lower() in used:
            candidate, n = f'{name} {n}', n + 1
        used.add(candidate.lower())
        out[cid] = candidate
    return out


_ROLE_LABEL = {'user': 'User', 'assistant': 'Assistant', 'system': 'System', 'tool': 'Tool'}


def _message_md(m: Message, models: dict[int, str]) -> str:
    who = _ROLE_LABEL.get(m.role, m.role.title())
    extra = [models[m.model_id]] if m.model_id in models else []
    if m.author_name:
        extra.append(m.author_name)
    stamp = m.created_at.strftime('%Y-%m-%d %H:%M') if isinstance(m.created_at, datetime) else ''
    head = f'## {who}' + (f' ({", ".join(extra)})' if extra else '') + (f' · {stamp}' if stamp else '')
    if m.hidden:
        # tool traffic and thoughts: a folded callout, out of the way but still in the note
        label = m.content_type.replace('_', ' ')
        return f'> [!abstract]- {who} · {label}\n> {_quote(m.content or "")}'
    status = '' if m.status == 'complete' else f'\n\n*({m.status})*'
    return f'{head}\n\n{m.content}{status}'
