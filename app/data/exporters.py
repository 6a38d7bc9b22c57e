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
from . import kinds
from . import sensitivity as restriction
from .conversations import path_ids
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
NoteWriter = Callable[[Path, str], None]  # (path relative to the vault, the note's text)


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

    @property
    def items(self) -> int:
        """How many prompts, agents, conversations and outputs it holds (JSON counts tables, Markdown notes)."""
        return sum(self.counts.get(k, 0) + self.counts.get(k + 's', 0) for k in kinds.ITEMS)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode('utf-8', 'replace')
    raise TypeError(f'cannot export {type(value).__name__}')


class _Scope:
    """Which content rows are exported: everything, or everything but Secret (restricted) items."""

    def __init__(self, include_secret: bool) -> None:
        self.restricted = [] if include_secret else restriction.restricted_level_ids()
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


# The kinds a vault holds, in the order their notes are written: (kind, model, tag junction,
# collection junction, title column).
_VAULT_KINDS: list[tuple[str, type[Model], type[Model], type[Model], str]] = [
    (k.key, k.model, k.tag_junction, k.collection_junction, k.title_field.name)
    for k in map(kinds.item, ('prompt', 'agent', 'conversation', 'output'))
]
_CHUNK = 500  # rows read per query (and the ids of their relations in one more)
_CONVERSATION_CHUNK = 100  # conversations carry their messages: fewer at a time


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
    with current().atomic(lock_type='DEFERRED'):
        vault = _Vault(root, _Scope(include_secret), progress)
        vault.write()
        left_out = vault.scope.left_out()
    return ExportReport(
        'markdown', str(root), vault.counts, left_out, vault.files, round(time.monotonic() - started, 3)
    )


def render_vault(
    write_note: NoteWriter, *, include_secret: bool = False, progress: ProgressFn | None = None
) -> tuple[dict[str, int], int]:
    """The notes of ``export_markdown``, each handed to ``write_note(relative path, text)`` instead of
    written into a new folder (the synced notes folder decides what to write). Returns the counts of
    notes per kind and how many Secret items were left out."""
    with current().atomic(lock_type='DEFERRED'):
        vault = _Vault(Path('.'), _Scope(include_secret), progress, write_note)
        vault.write()
        return vault.counts, vault.scope.left_out()


class _Vault:
    """One Markdown export: lookups and relations are read once up front, every kind's rows a chunk
    at a time with their versions or messages in one more query (never a query per note), and one
    renderer per kind turns a row into front matter and a body."""

    def __init__(
        self, root: Path, scope: _Scope, progress: ProgressFn | None, write_note: NoteWriter | None = None
    ) -> None:
        self.root, self.scope, self.progress = root, scope, progress
        self.write_note = write_note or self._write_file
        self.counts: dict[str, int] = {}
        self.files = 0
        self.done = 0
        self.tags = _lookup_names(Tag)
        self.models = {m.id: m.name for m in LlmModel.select(LlmModel.id, LlmModel.name)}
        self.categories = _lookup_names(Category)
        self.sources = _lookup_names(Source)
        self.sensitivity = _lookup_names(SensitivityLevel)
        self.accuracy = _lookup_names(AccuracyLevel)
        self.collections = {c.id: c for c in Collection.select()}
        self.folder_of_collection = _collection_folders(self.collections)
        # First pass: names for every note, so links between notes can be written in one go.
        self.names = _Names()
        self.item_tags: dict[str, dict[int, list[int]]] = {}
        self.item_colls: dict[str, dict[int, list[int]]] = {}
        self.rows_by_kind: dict[str, list[int]] = {}
        for kind, model, tag_j, coll_j, title_field in _VAULT_KINDS:
            self.item_tags[kind] = _relations(tag_j, kind, 'tag')
            self.item_colls[kind] = _relations(coll_j, kind, 'collection')
            ids = []
            for row in (
                scope.query(model)
                .select(model.id, getattr(model, title_field))
                .where(model.deleted_at.is_null())
                .tuples()
                .iterator()
            ):
                self.names.note(kind, row[0], row[1] or 'Untitled')
                ids.append(row[0])
            self.rows_by_kind[kind] = ids
        self.total = sum(len(v) for v in self.rows_by_kind.values())
        self.related: dict[int, list[int]] = {}
        for link in OutputLink.select().tuples().iterator():
            self.related.setdefault(link[1], []).append(link[2])
            self.related.setdefault(link[2], []).append(link[1])
        self.prompt_of_version = {
            v.id: (v.prompt_id, v.number)
            for v in PromptVersion.select(PromptVersion.id, PromptVersion.prompt, PromptVersion.number)
        }
        self.agent_of_version = {
            v.id: (v.agent_id, v.number)
            for v in AgentVersion.select(AgentVersion.id, AgentVersion.agent, AgentVersion.number)
        }
        self.members: dict[int, list[str]] = {}

    def write(self) -> None:
        for chunk in _chunks(Prompt, self.rows_by_kind['prompt'], _CHUNK):
            versions = _prompt_versions([p.id for p in chunk])
            for p in chunk:
                self._note('prompt', p, *self._prompt(p, versions.get(p.id, [])))
        for chunk in _chunks(Agent, self.rows_by_kind['agent'], _CHUNK):
            current_versions = {
                v.id: v
                for v in AgentVersion.select().where(
                    AgentVersion.id.in_([a.current_version_id for a in chunk if a.current_version_id])
                )
            }
            for a in chunk:
                self._note('agent', a, *self._agent(a, current_versions.get(a.current_version_id)))
        for chunk in _chunks(Conversation, self.rows_by_kind['conversation'], _CONVERSATION_CHUNK):
            threads = _Threads(chunk)
            for c in chunk:
                self._note('conversation', c, *self._conversation(c, threads))
        for chunk in _chunks(Output, self.rows_by_kind['output'], _CHUNK):
            for o in chunk:
                self._note('output', o, *self._output(o))
        self._collection_notes()

    # ---------------------------------------------------------------- what every note has

    def _common(self, kind: str, row: Model, title: str) -> dict[str, Any]:
        coll_ids = self.item_colls[kind].get(row.id, [])
        return {
            'title': title,
            'type': kind,
            'outputhub_id': f'{kind}/{row.id}',
            'created': row.created_at,
            'updated': row.updated_at,
            'tags': [_tag(self.tags[t]) for t in self.item_tags[kind].get(row.id, []) if t in self.tags],
            'collections': [self.collections[c].name for c in coll_ids if c in self.collections],
            'category': self.categories.get(row.category_id),
            'sensitivity': self.sensitivity.get(row.sensitivity_id),
            'rating': row.rating,
            'favourite': row.favourite or None,
            'source': self.sources.get(row.source_id),
            'source_id': row.external_id,
        }

    def _note(self, kind: str, row: Model, meta: dict[str, Any], body: str) -> None:
        coll_ids = [c for c in self.item_colls[kind].get(row.id, []) if c in self.collections]
        folder = Path(self.folder_of_collection[coll_ids[0]] if coll_ids else 'Unfiled') / f'{kind.title()}s'
        name = self.names.titles[(kind, row.id)]
        self.write_note(folder / f'{name}.md', front_matter(meta) + '\n' + body.rstrip() + '\n')
        for c in coll_ids:
            self.members.setdefault(c, []).append(f'[[{name}]]')
        self.files += 1
        self.counts[kind + 's'] = self.counts.get(kind + 's', 0) + 1
        self.done += 1
        if self.progress:
            self.progress(self.done, self.total)

    # ---------------------------------------------------------------- one renderer per kind

    def _prompt(self, p: Prompt, versions: list[PromptVersion]) -> tuple[dict[str, Any], str]:
        cur = next((v for v in versions if v.id == p.current_version_id), versions[-1] if versions else None)
        meta = self._common('prompt', p, p.title) | {
            'version': cur.number if cur else None,
            'versions': len(versions),
            'description': p.description,
        }
        body = (
            f'# {p.title}\n\n' + (p.description + '\n\n' if p.description else '') + (cur.body if cur else '')
        )
        if p.notes:
            body += f'\n\n## Notes\n\n{p.notes}'
        return meta, body

    def _agent(self, a: Agent, cur: AgentVersion | None) -> tuple[dict[str, Any], str]:
        meta = self._common('agent', a, a.name) | {
            'model': self.models.get(cur.model_id) if cur else None,
            'version': cur.number if cur else None,
            'temperature': cur.temperature if cur else None,
            'description': a.description,
        }
        body = f'# {a.name}\n\n' + (a.description + '\n\n' if a.description else '')
        body += '## System prompt\n\n' + (cur.system_prompt if cur else '')
        if a.notes:
            body += f'\n\n## Notes\n\n{a.notes}'
        return meta, body

    def _conversation(self, c: Conversation, threads: _Threads) -> tuple[dict[str, Any], str]:
        ids, branches = threads.path(c), threads.branches(c.id)
        meta = self._common('conversation', c, c.title or 'Untitled') | {
            'model': self.models.get(c.model_id),
            'messages': c.message_count,
            'branches': branches if branches > 1 else None,
            'agent': _version_link(self.names, 'agent', self.agent_of_version.get(c.agent_version_id)),
            'summary': c.summary,
        }
        body = [f'# {c.title or "Untitled"}']
        if c.notes:
            body.append(f'> [!note] Notes\n> {_quote(c.notes)}')
        for mid in ids:
            m = threads.messages.get(mid)
            if m is None or (m.hidden and not (m.content or '').strip()):
                continue
            if m.id in self.scope.withheld:
                m.content = restriction.WITHHELD_NOTICE  # this row is only read, never saved
            body.append(_message_md(m, self.models))
        return meta, '\n\n'.join(body)

    def _output(self, o: Output) -> tuple[dict[str, Any], str]:
        pv = self.prompt_of_version.get(o.prompt_version_id)
        av = self.agent_of_version.get(o.agent_version_id)
        links = (self.names.link('output', r) for r in sorted(self.related.get(o.id, [])))
        meta = self._common('output', o, o.title or 'Untitled') | {
            'model': self.models.get(o.model_id),
            'accuracy': self.accuracy.get(o.accuracy_id),
            'prompt': _version_link(self.names, 'prompt', pv),
            'prompt_version': pv[1] if pv else None,
            'agent': _version_link(self.names, 'agent', av),
            'agent_version': av[1] if av else None,
            'conversation': self.names.link('conversation', o.conversation_id),
            'related': [x for x in links if x],
            'source_url': o.source_url,
            'input_tokens': o.input_tokens,
            'output_tokens': o.output_tokens,
            'cost': o.cost,
        }
        body = f'# {o.title or "Untitled"}\n\n{o.body}'
        if o.notes:
            body += f'\n\n## Notes\n\n{o.notes}'
        return meta, body

    def _collection_notes(self) -> None:
        for cid, coll in self.collections.items():
            folder = Path(self.folder_of_collection[cid])
            members = self.members.get(cid)
            if not members and not coll.notes and not coll.description:
                continue
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
            if members:
                body.append('## Items\n\n' + '\n'.join(f'- {m}' for m in sorted(members)))
            self.write_note(
                folder / f'{safe_name(coll.name)}.md', front_matter(meta) + '\n' + '\n\n'.join(body) + '\n'
            )
            self.files += 1

    def _write_file(self, relative: Path, text: str) -> None:
        """The plain export's writer: every note written into the new export folder."""
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding='utf-8')


def _prompt_versions(prompt_ids: list[int]) -> dict[int, list[PromptVersion]]:
    """Every version of these prompts, oldest first, in one query."""
    out: dict[int, list[PromptVersion]] = {}
    query = (
        PromptVersion.select()
        .where(PromptVersion.prompt.in_(prompt_ids))
        .order_by(PromptVersion.prompt, PromptVersion.number)
    )
    for v in query:
        out.setdefault(v.prompt_id, []).append(v)
    return out


class _Threads:
    """The active path and the branch count of a chunk of conversations, from one read of their message
    tree (ids, parents, times) and one of the messages on those paths.

    Same answers as ``conversations.latest_leaf`` / ``path_ids``, which still serve the rare path that
    leaves its conversation (a parent stored in another one).
    """

    def __init__(self, convs: list[Conversation]) -> None:
        conv_ids = [c.id for c in convs]
        marks = ', '.join('?' * len(conv_ids))
        db = current()
        self.parent_of: dict[int, int | None] = {}
        self.members: dict[int, list[tuple[int, Any]]] = {}  # conversation -> (id, created_at)
        for mid, parent, conv, created in db.execute_sql(
            f'SELECT id, parent_id, conversation_id, created_at FROM message WHERE conversation_id IN ({marks})',
            conv_ids,
        ):
            self.parent_of[mid] = parent
            self.members.setdefault(conv, []).append((mid, created))
        # Messages with a child anywhere (a child may sit in another conversation).
        self.has_child = {
            r[0]
            for r in db.execute_sql(
                'SELECT DISTINCT parent_id FROM message WHERE parent_id IN '
                f'(SELECT id FROM message WHERE conversation_id IN ({marks}))',
                conv_ids,
            )
        }
        self.paths = {c.id: self._path(c) for c in convs}
        wanted = {mid for ids in self.paths.values() for mid in ids}
        self.messages: dict[int, Message] = {
            m.id: m for m in Message.select().where(Message.conversation.in_(conv_ids)) if m.id in wanted
        }
        stray = sorted(wanted - set(self.messages))
        for start in range(0, len(stray), _CHUNK):
            self.messages.update(
                {m.id: m for m in Message.select().where(Message.id.in_(stray[start : start + _CHUNK]))}
            )

    def path(self, conv: Conversation) -> list[int]:
        return self.paths[conv.id]

    def branches(self, conversation_id: int) -> int:
        """Leaves of the conversation: its messages no other message of it answers."""
        ids = self.members.get(conversation_id, [])
        parents = {self.parent_of[mid] for mid, _ in ids}
        return sum(1 for mid, _ in ids if mid not in parents)

    def _path(self, conv: Conversation) -> list[int]:
        leaf = conv.active_leaf_id or self._latest_leaf(conv.id)
        if not leaf:
            return []
        ids, mid = [], leaf
        while mid is not None:
            if mid not in self.parent_of or len(ids) > len(self.parent_of):
                return path_ids(leaf)  # the path leaves this conversation (or loops): ask the database
            ids.append(mid)
            mid = self.parent_of[mid]
        return ids[::-1]

    def _latest_leaf(self, conversation_id: int) -> int | None:
        leaves = [
            (created, mid)
            for mid, created in self.members.get(conversation_id, [])
            if mid not in self.has_child
        ]
        if not leaves:
            return None
        # SQLite's ORDER BY created_at DESC, id DESC: NULL sorts lowest, text compares as text.
        return max(leaves, key=lambda t: (t[0] is not None, t[0] if t[0] is not None else '', t[1]))[1]


def _tag(name: str) -> str:
    # Obsidian tags cannot hold spaces
    return re.sub(r'\s+', '-', name.strip())


def _quote(text: str) -> str:
    return text.replace('\n', '\n> ')


def _version_link(names: _Names, kind: str, owner_and_number: tuple[int, int] | None) -> str | None:
    return names.link(kind, owner_and_number[0]) if owner_and_number else None


def _chunks(model: type[Model], ids: list[int], size: int) -> Iterator[list[Model]]:
    """The rows with these ids, ``size`` at a time, in id order."""
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        yield list(model.select().where(model.id.in_(chunk)).order_by(model.id))


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
