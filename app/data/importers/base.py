"""What every importer shares: parsed conversations, the import report and the idempotent bulk writer."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from peewee import Field, Model

try:
    import orjson as _orjson
except ImportError:  # pragma: no cover - optional speed-up
    _orjson = None

from ..db import current, write_tx
from ..lookups import find_model, find_or_create_model
from ..models import Collection, CollectionConversation, Conversation, Message, Source, utcnow
from ..text import first_line_title

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, 'int | None'], None]
"""Called as ``progress(done, total)`` after each conversation (``total`` None while unknown)."""

SOURCE_NAMES = {
    'chatgpt': 'ChatGPT export',
    'claude': 'Claude export',
    'llm': 'llm CLI',
    'claude_code': 'Claude Code',
    'codex': 'Codex CLI',
    'gemini_cli': 'Gemini CLI',
    'grok': 'Grok export',
    'deepseek': 'DeepSeek export',
    'aistudio': 'Google AI Studio',
    'gemini_takeout': 'Gemini (Google Takeout)',
    'lechat': 'Mistral Le Chat',
    'perplexity': 'Perplexity',
    'openwebui': 'Open WebUI',
    'librechat': 'LibreChat',
}

MAX_TITLE = 500
MAX_ERRORS = 200  # a broken export must not make the report itself huge


# --------------------------------------------------------------------------- parsed shapes


@dataclass
class ParsedMessage:
    """One message as the source has it; ``parent_id`` is the parent's external id."""

    external_id: str
    parent_id: str | None
    role: str
    content: str = ''
    content_type: str = 'text'
    author_name: str | None = None
    hidden: bool = False
    status: str = 'complete'
    model: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    finish_reason: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    raw: Any = None
    # Exact usage reported by the API (coding-agent sessions): the input tokens weighted by what they
    # cost (cache reads and writes are priced differently); set, the cost is computed from the models table.
    billed_input_tokens: float | None = None
    # The external id this message was stored under by an earlier read of a file still being written (its
    # first trace then, e.g. Codex's event line before the response item that says the same): the stored
    # message takes this id instead of a second copy being added beside it.
    replaces: str | None = None


@dataclass
class ParsedConversation:
    external_id: str
    title: str
    messages: list[ParsedMessage]
    created_at: datetime | None = None
    updated_at: datetime | None = None
    active_leaf: str | None = None  # external id of the leaf of the shown branch
    model: str | None = None
    summary: str | None = None
    favourite: bool = False
    raw: Any = None
    collection_external_id: str | None = None  # e.g. the Claude project it belongs to


@dataclass
class Block:
    """A piece of one source message: text for the reading view, hidden traffic (thinking, tool calls),
    or a ``separate`` part that gets a message of its own (an attached document)."""

    text: str
    hidden: bool = False
    content_type: str = 'text'
    author_name: str | None = None
    role: str | None = None
    created_at: datetime | None = None
    separate: bool = False


def split_blocks(base: ParsedMessage, blocks: list[Block]) -> list[ParsedMessage]:
    """One source message with hidden or separate parts becomes a short chain: those parts first, then
    the message's own text.

    The last message keeps the source id (so replies still find their parent); the parts before it
    get ``<id>#<n>`` ids, stable across re-imports. Hidden parts are kept (raw text, in order) but out
    of the reading view; separate visible parts (attached documents) are searchable messages of their
    own.
    """
    inline = [b for b in blocks if not b.hidden and not b.separate and b.text]
    parts = [b for b in blocks if b.hidden or b.separate]
    if not inline and parts:
        *parts, last = parts
        main = _with(
            base, last.text, last.hidden, last.content_type, last.author_name, last.role, last.created_at
        )
    else:
        types = {b.content_type for b in inline}
        ctype = types.pop() if len(types) == 1 else 'text'
        text = '\n\n'.join(b.text for b in inline)
        main = _with(base, text, base.hidden, ctype if inline else base.content_type, None, None, None)
    out: list[ParsedMessage] = []
    parent = base.parent_id
    for i, b in enumerate(parts):
        seg = _with(base, b.text, b.hidden, b.content_type, b.author_name, b.role, b.created_at)
        seg.external_id = f'{base.external_id}#{i}'
        seg.parent_id = parent
        seg.raw = None  # the whole source message is kept once, on its last message
        seg.input_tokens = seg.output_tokens = None
        out.append(seg)
        parent = seg.external_id
    main.parent_id = parent
    out.append(main)
    return out


def _with(base, text, hidden, ctype, author, role, created) -> ParsedMessage:
    return ParsedMessage(
        **{
            **asdict_shallow(base),
            'content': text,
            'hidden': hidden,
            'content_type': ctype,
            'author_name': author if author is not None else base.author_name,
            'role': role or base.role,
            'created_at': created or base.created_at,
        }
    )


def asdict_shallow(obj: Any) -> dict[str, Any]:
    return {f: getattr(obj, f) for f in obj.__dataclass_fields__}


# --------------------------------------------------------------------------- report


@dataclass
class ImportReport:
    """What an import did (or, with ``dry_run``, would do)."""

    format: str | None = None
    path: str = ''
    dry_run: bool = False
    conversations_added: int = 0
    conversations_updated: int = 0
    conversations_unchanged: int = 0
    messages_added: int = 0
    # messages already here that were brought up to date in place (``refresh``: a session being written)
    messages_updated: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)
    agents_added: int = 0
    agent_versions_added: int = 0
    collections_added: int = 0
    models_added: list[str] = field(default_factory=list)
    unknown_content_types: dict[str, int] = field(default_factory=dict)
    conversation_ids: list[int] = field(default_factory=list)  # what was added or updated (first 1000)
    entities: dict[str, int] = field(default_factory=dict)  # our own format: rows added per kind
    lines_skipped: int = 0  # unreadable JSON lines (a session still being written ends mid-line)
    notes: list[str] = field(default_factory=list)  # how the source was read, in a sentence each
    total: int | None = None
    cancelled: bool = False
    seconds: float = 0.0
    run_id: int | None = None

    def error(self, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(message)
        elif len(self.errors) == MAX_ERRORS:
            self.errors.append('… more errors left out.')

    def note(self, sentence: str) -> None:
        if sentence not in self.notes and len(self.notes) < MAX_ERRORS:
            self.notes.append(sentence)

    def unknown(self, kind: str) -> None:
        self.unknown_content_types[kind] = self.unknown_content_types.get(kind, 0) + 1

    def touched(self, conversation_id: int) -> None:
        if len(self.conversation_ids) < 1000:
            self.conversation_ids.append(conversation_id)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def run_columns(self) -> dict[str, Any]:
        """The columns of its ``ImportRun`` row (the import history) that come from the report."""
        return {
            'conversations_added': self.conversations_added,
            'conversations_updated': self.conversations_updated,
            'messages_added': self.messages_added,
            'skipped': self.skipped,
            'errors': self.errors or None,
            'report': self.to_dict(),
        }

    def summary(self) -> str:
        """One line for humans: what was added, updated and skipped."""
        verb = 'would add' if self.dry_run else 'added'
        parts = [
            f'{verb} {self.conversations_added} conversations and {self.messages_added} messages',
            f'{self.conversations_updated} updated',
            f'{self.conversations_unchanged} unchanged',
        ]
        if self.agents_added or self.collections_added:
            parts.append(f'{self.agents_added} agents, {self.collections_added} collections')
        if self.entities:
            parts.append(', '.join(f'{n} {k}' for k, n in self.entities.items() if n))
        if self.skipped:
            parts.append(f'{self.skipped} skipped')
        if self.lines_skipped:
            parts.append(f'{self.lines_skipped} unreadable lines skipped')
        if self.errors:
            parts.append(f'{len(self.errors)} errors')
        if self.cancelled:
            parts.append('stopped before the end')
        return f'{self.format or "import"}: ' + '; '.join(p for p in parts if p)


# --------------------------------------------------------------------------- small parsers


def from_epoch(value: Any) -> datetime | None:
    """Epoch seconds (float, int or numeric string) as naive UTC; None for missing or absurd values."""
    if value is None or isinstance(value, bool):
        return None
    try:
        seconds = float(value)
        return datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


_ISO_FIX = re.compile(r'(\.\d{6})\d+')


def from_iso(value: Any) -> datetime | None:
    """ISO 8601 (``Z`` or an offset, any fraction) as naive UTC."""
    if not value or not isinstance(value, str):
        return from_epoch(value) if isinstance(value, int | float) else None
    try:
        parsed = datetime.fromisoformat(value)  # the common case, in one C call (sessions stamp every line)
    except ValueError:
        text = value.strip().replace('Z', '+00:00')
        text = _ISO_FIX.sub(r'\1', text)
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def clean_title(title: Any, messages: list[ParsedMessage]) -> str:
    """The source's title, else one made from the first visible user message, else ''."""
    text = ' '.join(str(title).split()) if isinstance(title, str | int | float) and title != '' else ''
    if not text:
        for m in messages:
            if m.role == 'user' and not m.hidden and m.content.strip():
                text = first_line_title(m.content)
                break
    return text[:MAX_TITLE]


def text_of(value: Any) -> str:
    """A field that should hold text: the text, or '' for anything else (a missing key, a number, null)."""
    return value if isinstance(value, str) else ''


def json_text(value: Any, *, keep_strings: bool = False) -> str:
    """A structured field (tool input, a result) as indented JSON for a folded step; '' when empty. With
    ``keep_strings`` a string stays as it is (formats whose field is text or JSON)."""
    if keep_strings and isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, indent=2) if value not in (None, '', {}, []) else ''


def as_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def normalise_tree(messages: list[ParsedMessage]) -> list[ParsedMessage]:
    """Parents before children; duplicate ids dropped; unknown or cyclic parents become roots.

    Missing timestamps are taken from the parent (a child stamped before its parent is kept as is).
    """
    by_id: dict[str, ParsedMessage] = {}
    for m in messages:
        if m.external_id and m.external_id not in by_id:
            by_id[m.external_id] = m
    children: dict[str | None, list[ParsedMessage]] = {}
    for m in by_id.values():
        if m.parent_id is not None and (m.parent_id not in by_id or m.parent_id == m.external_id):
            m.parent_id = None
        children.setdefault(m.parent_id, []).append(m)
    ordered: list[ParsedMessage] = []
    seen: set[str] = set()
    stack = list(reversed(children.get(None, [])))
    while stack:
        m = stack.pop()
        if m.external_id in seen:
            continue
        seen.add(m.external_id)
        ordered.append(m)
        stack.extend(reversed(children.get(m.external_id, [])))
    if len(ordered) < len(by_id):  # a cycle: cut it at its first member and keep everything
        for m in by_id.values():
            if m.external_id not in seen:
                m.parent_id = None
                stack = [m]
                while stack:
                    x = stack.pop()
                    if x.external_id in seen:
                        continue
                    seen.add(x.external_id)
                    ordered.append(x)
                    stack.extend(reversed([c for c in children.get(x.external_id, []) if c is not x]))
    for m in ordered:
        if m.created_at is None and m.parent_id is not None:
            m.created_at = by_id[m.parent_id].created_at
    return ordered


def latest_leaf(messages: list[ParsedMessage]) -> str | None:
    """The most recent leaf (by time, then by position): the fallback active branch."""
    parents = {m.parent_id for m in messages}
    best: tuple[datetime, int] | None = None
    best_id = None
    for i, m in enumerate(messages):
        if m.external_id in parents:
            continue
        key = (m.created_at or datetime.min, i)
        if best is None or key > best:
            best, best_id = key, m.external_id
    return best_id


# --------------------------------------------------------------------------- the writer


def _dump_json(value: Any) -> str | None:
    """The raw source JSON as stored: orjson (a NiceGUI dependency) is ~3x faster than json here."""
    if value is None:
        return None
    if _orjson is not None:
        try:
            return _orjson.dumps(value).decode('utf-8')
        except TypeError:  # e.g. non-string keys: the standard encoder copes
            pass
    return Message.raw.db_value(value)


def _column_defaults(model: type[Model]) -> list[tuple[Field, Any]]:
    out = []
    for f in model._meta.sorted_fields:
        default = f.default() if callable(f.default) else f.default
        out.append((f, default))
    return out


_DATED = re.compile(r'-(?:\d{8}|\d{4}-\d{2}-\d{2})$')  # an API model id's snapshot date


class ConversationWriter:
    """Writes parsed conversations idempotently: a savepoint per conversation (see ``Batch`` for the
    commits), one bulk insert for its messages, and no UPDATE at all for what did not change (FTS
    triggers make needless updates expensive)."""

    def __init__(
        self, kind: str, report: ImportReport, *, dry_run: bool = False, refresh: bool = False
    ) -> None:
        self.kind = kind
        self.report = report
        self.dry_run = dry_run
        # ``refresh``: messages already here are brought up to date too (a session still being written:
        # its last reply grows, a split API message gains parts). Off for exports: only new messages.
        self.refresh = refresh
        self.db = current()
        self.source_id = self._source_id(kind)
        self._models: dict[str, int | None] = {}
        self._msg_cols = _column_defaults(Message)
        # every column's database-ready default; a row is a copy with the source's values put in
        self._msg_template = [f.db_value(d) for f, d in self._msg_cols]
        self._msg_index = {f.name: i for i, (f, _) in enumerate(self._msg_cols)}
        self._dump_raw = _dump_json
        self._msg_sql = 'INSERT INTO "message" ({}) VALUES ({})'.format(
            ', '.join(f'"{f.column_name}"' for f, _ in self._msg_cols),
            ', '.join('?' for _ in self._msg_cols),
        )
        self._conv_cols = [(f, d) for f, d in _column_defaults(Conversation) if f.name != 'id']
        self._conv_sql = 'INSERT INTO "conversation" ({}) VALUES ({})'.format(
            ', '.join(f'"{f.column_name}"' for f, _ in self._conv_cols),
            ', '.join('?' for _ in self._conv_cols),
        )
        # One query for what this source already holds: re-imports then cost one lookup per conversation.
        self.existing: dict[str, tuple] = {}
        if self.source_id is not None:
            rows = self.db.execute_sql(
                'SELECT external_id, id, title, source_title, message_count FROM conversation '
                'WHERE source_id = ? AND external_id IS NOT NULL',
                (self.source_id,),
            )
            self.existing = {r[0]: r[1:] for r in rows}
        self._collections: dict[str, int | None] = {}
        self._prices: dict[int, Any] = {}

    # ---- lookups

    def _source_id(self, kind: str) -> int | None:
        row = Source.select(Source.id).where(Source.kind == kind).order_by(Source.id).first()
        if row is not None:
            return row.id
        if self.dry_run:
            return None
        with write_tx():
            name = SOURCE_NAMES.get(kind, kind)
            existing = Source.get_or_none(Source.name == name)
            return existing.id if existing else Source.create(name=name, kind=kind).id

    def model_id(self, name: str | None) -> int | None:
        """The LlmModel id for a model name, created (provider guessed from the name) when new."""
        if not name or not str(name).strip():
            return None
        key = str(name).strip()[:200].lower()
        if key in self._models:
            return self._models[key]
        found = find_model(key)
        if found is None:
            if key not in self.report.models_added:
                self.report.models_added.append(key)
            found = None if self.dry_run else find_or_create_model(str(name).strip()[:200])
        self._models[key] = found.id if found else None
        return self._models[key]

    def cost(
        self, model_id: int | None, input_tokens: float | None, output_tokens: int | None
    ) -> float | None:
        """USD for exact token counts, from the model's prices (None while they are unknown)."""
        if model_id is None:
            return None
        from ...llm.pricing import cost_for
        from ..models import LlmModel

        if model_id not in self._prices:
            model = LlmModel.get_or_none(LlmModel.id == model_id)
            if model is not None and model.input_price is None and model.output_price is None:
                # a dated snapshot (claude-sonnet-4-5-20250929) costs what its model costs
                base = _DATED.sub('', model.name or '')
                priced = find_model(base) if base != model.name else None
                if priced is not None and (priced.input_price is not None or priced.output_price is not None):
                    model = priced
            self._prices[model_id] = model
        return cost_for(self._prices[model_id], input_tokens, output_tokens)

    def collection_id(self, external_id: str | None) -> int | None:
        if not external_id or self.source_id is None:
            return None
        if external_id not in self._collections:
            row = (
                Collection.select(Collection.id)
                .where((Collection.source == self.source_id) & (Collection.external_id == external_id))
                .first()
            )
            self._collections[external_id] = row.id if row else None
        return self._collections[external_id]

    # ---- writing

    def save(self, conv: ParsedConversation) -> None:
        """Add the conversation, or only what is new in it. Errors roll back this conversation only."""
        messages = normalise_tree(conv.messages)
        if conv.created_at is None:
            conv.created_at = min((m.created_at for m in messages if m.created_at), default=None) or utcnow()
        if conv.updated_at is None:
            conv.updated_at = max((m.created_at for m in messages if m.created_at), default=conv.created_at)
        for m in messages:
            if m.created_at is None:
                m.created_at = conv.created_at
        ids = {m.external_id for m in messages}
        leaf = conv.active_leaf if conv.active_leaf in ids else latest_leaf(messages)
        title = clean_title(conv.title, messages)
        model_ids = {m.model: self.model_id(m.model) for m in messages if m.model}
        conv_model = self.model_id(conv.model) if conv.model else None
        if conv_model is None:
            # no model named for the conversation: the last one that answered in it
            for m in reversed(messages):
                if m.role == 'assistant' and m.model:
                    conv_model = model_ids.get(m.model)
                    break

        existing = self.existing.get(conv.external_id)
        if existing is None:
            self._add(conv, messages, leaf, title, model_ids, conv_model)
        else:
            self._update(conv, messages, leaf, title, model_ids, existing)

    def _message_rows(self, messages, conv_id, first_id, known: dict[str, int], model_ids) -> list[list]:
        for offset, m in enumerate(messages):
            known[m.external_id] = first_id + offset
        template = self._msg_template
        at = self._msg_index
        dump = self._dump_raw
        rows = []
        for offset, m in enumerate(messages):
            row = template.copy()  # every column's default, then what the source says
            row[at['id']] = first_id + offset
            row[at['created_at']] = m.created_at
            row[at['updated_at']] = m.updated_at or m.created_at
            row[at['conversation']] = conv_id
            row[at['parent']] = known.get(m.parent_id) if m.parent_id else None
            row[at['role']] = m.role
            row[at['content']] = m.content or ''
            row[at['content_type']] = (m.content_type or 'text')[:100]
            row[at['author_name']] = (m.author_name or None) and str(m.author_name)[:200]
            row[at['hidden']] = bool(m.hidden)
            row[at['status']] = m.status
            row[at['model']] = model_ids.get(m.model) if m.model else None
            row[at['input_tokens']] = m.input_tokens
            row[at['output_tokens']] = m.output_tokens
            if m.billed_input_tokens is not None and m.model:
                row[at['cost']] = self.cost(model_ids.get(m.model), m.billed_input_tokens, m.output_tokens)
            row[at['finish_reason']] = (m.finish_reason or None) and str(m.finish_reason)[:100]
            row[at['external_id']] = m.external_id
            row[at['raw']] = dump(m.raw)
            rows.append(row)
        return rows

    def _next_message_id(self) -> int:
        # Inside the write transaction nobody else can insert: ids can be handed out up front,
        # so parents and children go in one executemany.
        return (self.db.execute_sql('SELECT COALESCE(MAX(id), 0) FROM message').fetchone()[0] or 0) + 1

    def _add(self, conv, messages, leaf, title, model_ids, conv_model) -> None:
        report = self.report
        if self.dry_run:
            report.conversations_added += 1
            report.messages_added += len(messages)
            self.existing[conv.external_id] = (None, title, title, len(messages))
            return
        values = {
            'created_at': conv.created_at,
            'updated_at': conv.updated_at,
            'title': title,
            'source_title': title,
            'summary': conv.summary or None,
            'model': conv_model,
            'message_count': len(messages),
            'raw': conv.raw,
            'favourite': bool(conv.favourite),
            'source': self.source_id,
            'external_id': conv.external_id,
        }
        collection = self.collection_id(conv.collection_external_id)
        with write_tx():
            cur = self.db.cursor()
            cur.execute(
                self._conv_sql,
                tuple(f.db_value(values.get(f.name, d)) for f, d in self._conv_cols),
            )
            conv_id = cur.lastrowid
            if messages:
                known: dict[str, int] = {}
                cur.executemany(
                    self._msg_sql,
                    self._message_rows(messages, conv_id, self._next_message_id(), known, model_ids),
                )
                if leaf in known:
                    cur.execute(
                        'UPDATE conversation SET active_leaf_id = ? WHERE id = ?', (known[leaf], conv_id)
                    )
            if collection is not None:
                CollectionConversation.insert(
                    collection=collection, conversation=conv_id
                ).on_conflict_ignore().execute()
        self.existing[conv.external_id] = (conv_id, title, title, len(messages))
        report.conversations_added += 1
        report.messages_added += len(messages)
        report.touched(conv_id)

    def _update(self, conv, messages, leaf, title, model_ids, existing) -> None:
        conv_id, old_title, old_source_title, old_count = existing
        report = self.report
        known: dict[str, int] = {}
        if conv_id is not None:
            rows = self.db.execute_sql(
                'SELECT external_id, id FROM message WHERE conversation_id = ? AND external_id IS NOT NULL',
                (conv_id,),
            )
            known = {r[0]: r[1] for r in rows}
        renamed: list[tuple[str, int]] = []
        present = {m.external_id for m in messages}
        for m in messages:
            # a stored message no longer in the source under its id, claimed by one message only
            if (
                m.replaces
                and m.external_id not in known
                and m.replaces in known
                and m.replaces not in present
            ):
                renamed.append((m.external_id, known.pop(m.replaces)))
                known[m.external_id] = renamed[-1][1]
        new = [m for m in messages if m.external_id not in known]
        changes: dict[str, Any] = {}
        stale: list[ParsedMessage] = []
        if self.refresh and conv_id is not None and len(new) < len(messages):
            stale = self._stale(conv_id, [m for m in messages if m.external_id in known], known, model_ids)
        if title and title != old_source_title:
            changes['source_title'] = title
            # the user's own title wins: only follow the source while they never renamed it
            if old_title == old_source_title or not old_title:
                changes['title'] = title
        if not new and not changes and not stale and not renamed:
            report.conversations_unchanged += 1
            return
        report.conversations_updated += 1
        report.messages_added += len(new)
        report.messages_updated += len(stale)
        if self.dry_run or conv_id is None:
            return
        with write_tx():
            cur = self.db.cursor()
            if renamed:
                cur.executemany('UPDATE message SET external_id = ? WHERE id = ?', renamed)
            if new:
                cur.executemany(
                    self._msg_sql, self._message_rows(new, conv_id, self._next_message_id(), known, model_ids)
                )
                changes['message_count'] = (old_count or 0) + len(new)
            if stale:
                cur.executemany(_REFRESH_SQL, [self._refresh_row(m, known, model_ids) for m in stale])
            if new or stale:
                if leaf in known:
                    changes['active_leaf_id'] = known[leaf]
                changes['raw'] = Conversation.raw.db_value(conv.raw)
                changes['updated_at'] = Conversation.updated_at.db_value(conv.updated_at)
            # an edit in the app may be newer than the export: updated_at only moves forward
            sets = ', '.join(f'"{k}" = MAX("{k}", ?)' if k == 'updated_at' else f'"{k}" = ?' for k in changes)
            cur.execute(f'UPDATE conversation SET {sets} WHERE id = ?', (*changes.values(), conv_id))
        self.existing[conv.external_id] = (
            conv_id,
            changes.get('title', old_title),
            changes.get('source_title', old_source_title),
            changes.get('message_count', old_count),
        )
        report.touched(conv_id)

    def _stale(self, conv_id: int, present: list[ParsedMessage], known: dict[str, int], model_ids) -> list:
        """The messages already stored whose text, place or figures the source has since changed."""
        rows = self.db.execute_sql(
            f'SELECT external_id, {", ".join(_REFRESH_COLUMNS)} FROM message '
            'WHERE conversation_id = ? AND external_id IS NOT NULL',
            (conv_id,),
        )
        stored = {r[0]: tuple(r[1:]) for r in rows}
        out = []
        for m in present:
            # the parent may be new in this pass: compare by external id where the id is not known yet
            if stored.get(m.external_id) != self._refresh_values(m, known, model_ids, compare=True):
                out.append(m)
        return out

    def _refresh_values(
        self, m: ParsedMessage, known: dict[str, int], model_ids, compare: bool = False
    ) -> tuple:
        parent = known.get(m.parent_id) if m.parent_id else None
        return (
            parent if parent is not None or not m.parent_id or not compare else -1,
            m.role,
            m.content or '',
            (m.content_type or 'text')[:100],
            (m.author_name or None) and str(m.author_name)[:200],
            int(bool(m.hidden)),
            m.status,
            model_ids.get(m.model) if m.model else None,
            m.input_tokens,
            m.output_tokens,
            (m.finish_reason or None) and str(m.finish_reason)[:100],
        )

    def _refresh_row(self, m: ParsedMessage, known: dict[str, int], model_ids) -> tuple:
        cost = None
        if m.billed_input_tokens is not None and m.model:
            cost = self.cost(model_ids.get(m.model), m.billed_input_tokens, m.output_tokens)
        updated = Message.updated_at.db_value(m.updated_at or m.created_at or utcnow())
        return (
            *self._refresh_values(m, known, model_ids),
            cost,
            updated,
            self._dump_raw(m.raw),
            known[m.external_id],
        )


_REFRESH_COLUMNS = (
    'parent_id',
    'role',
    'content',
    'content_type',
    'author_name',
    'hidden',
    'status',
    'model_id',
    'input_tokens',
    'output_tokens',
    'finish_reason',
)
_REFRESH_SQL = 'UPDATE message SET {} WHERE id = ?'.format(
    ', '.join(f'"{c}" = ?' for c in (*_REFRESH_COLUMNS, 'cost', 'updated_at', 'raw'))
)


class Batch:
    """Few commits for many small writes: each conversation is its own savepoint (a failure rolls back
    that conversation only), and the enclosing transaction commits every ``seconds`` — so the write lock
    is never held long (the UI's writes wait a fraction of a second at most) while an import does not
    pay a WAL commit and an FTS segment flush for every conversation."""

    def __init__(self, db, *, seconds: float = 0.5, enabled: bool = True) -> None:
        self.db = db
        self.seconds = seconds
        self.enabled = enabled
        self._tx = None
        self._since = 0.0

    def ensure(self) -> None:
        if self.enabled and self._tx is None:
            self._tx = self.db.atomic()
            self._tx.__enter__()
            self._since = time.monotonic()

    def maybe_commit(self) -> None:
        if self._tx is not None and time.monotonic() - self._since >= self.seconds:
            self.commit()

    def commit(self) -> None:
        if self._tx is not None:
            tx, self._tx = self._tx, None
            tx.__exit__(None, None, None)

    def __enter__(self) -> Batch:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._tx is not None:
            tx, self._tx = self._tx, None
            tx.__exit__(exc_type, exc, tb)  # an error that ends the import rolls back the open batch only


def save_each(
    writer: ConversationWriter,
    items: Iterable[tuple[str, Callable[[], ParsedConversation]]],
    tick: Callable[[], None],
) -> None:
    """Convert and save each conversation; a broken one is reported and skipped, the rest go on."""
    report = writer.report
    stop = getattr(tick, 'stop_requested', lambda: False)
    with Batch(writer.db, enabled=not writer.dry_run) as batch:
        for label, build in items:
            if stop():
                break  # the open batch still commits: what was imported is kept, whole conversations only
            try:
                conv = build()
                batch.ensure()
                writer.save(conv)  # its own savepoint inside the batch
            except Exception as exc:  # one malformed conversation must not stop the import
                report.skipped += 1
                report.error(f'{label}: {type(exc).__name__}: {exc}'[:500])
                log.warning('import: skipped %s: %s', label, exc)
            batch.maybe_commit()
            tick()
