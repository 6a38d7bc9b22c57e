"""Search: keyword (FTS5, bm25), semantic (local embeddings), hybrid (reciprocal rank fusion), find similar.

Every function here is synchronous data-layer code; a page calls it through ``run.io_bound``.

- Keyword: user text is turned into a valid FTS5 expression (``fts_query``): it never raises, and
  phrases, ``prefix*``, ``-exclusion``, ``OR`` still work when well-formed. Titles weigh more than
  bodies. To bound the cost of very common words, at most ``KEYWORD_CANDIDATES`` newest matches per
  kind are ranked (bm25 costs ~3 µs per matching row).
- Semantic: outputs and messages (prompts and conversations are keyword-only). The query vector is
  scored against every chunk in memory (``vectors.VectorIndex``); a filter is a mask over all rows,
  so a filtered query returns ``limit`` hits whenever that many matching items exist.
- Snippets are plain text plus highlight spans (Markdown syntax removed: ``text.markdown_to_plain``);
  ``SearchHit.snippet_html`` escapes the text and adds ``<mark>`` only around the spans, so user HTML is
  never passed through. Below a model's floor (``meaning_floor``) a neighbour by meaning is no match.
- Result lists show one row per item (``one_per_item``: a conversation's messages fold into it); the
  palette asks ``quick_search`` while typing (grouped by kind, the last word a prefix, bounded per kind)
  and ``meaning_matches`` once the model is loaded (never waiting for it).
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
import peewee

from ..errors import NotFound, UserError, ValidationError
from . import db as dbmod
from . import embeddings, kinds, sensitivity, vectors
from .text import LIKE_ESCAPE, like_contains, markdown_to_plain

log = logging.getLogger(__name__)

KINDS = kinds.SEARCHABLE
SEMANTIC_KINDS = embeddings.OWNER_KINDS
MODES = ('keyword', 'semantic', 'hybrid')
KEYWORD_CANDIDATES = 2000  # per kind; the newest matches of a very common word are ranked
RRF_K = 60  # the usual reciprocal-rank-fusion constant: rank 1 and rank 5 differ, rank 50 and 55 hardly
SNIPPET_TOKENS = 24
SNIPPET_CHARS = 220
MAX_QUERY_TERMS = 32

# Private-use noncharacters mark matches inside FTS5 snippets; they never occur in real text.
_OPEN, _CLOSE = '\ufdd0', '\ufdd1'


# --------------------------------------------------------------------------- filters and hits


@dataclass
class SearchFilters:
    """What to search in. Lists of ids: ``tags`` = all of them, the other lists = any of them.

    A filter a kind cannot satisfy leaves that kind out (a model filter leaves prompts out). For a
    message, tags / collections / category / rating / favourite / sensitivity are its conversation's,
    model and agent its own (else its conversation's), the date its own.
    """

    kinds: list[str] = field(default_factory=list)  # empty = all four
    tags: list[int] = field(default_factory=list)
    collections: list[int] = field(default_factory=list)
    categories: list[int] = field(default_factory=list)
    models: list[int] = field(default_factory=list)
    agents: list[int] = field(default_factory=list)
    sensitivities: list[int] = field(default_factory=list)
    rating_min: int | None = None
    favourite: bool | None = None
    date_from: date | datetime | None = None
    date_to: date | datetime | None = None  # a date is inclusive (the whole day)
    exclude_restricted: bool = False  # hide restricted sensitivity levels (LAN devices, API tokens)

    def kind_list(self) -> list[str]:
        if not self.kinds:
            return list(KINDS)
        unknown = [k for k in self.kinds if k not in KINDS]
        if unknown:
            raise ValidationError(f'Cannot search {unknown[0]!r}; choose from {", ".join(KINDS)}.')
        return [k for k in KINDS if k in self.kinds]

    @property
    def restricts_items(self) -> bool:
        """True when anything beyond the kinds narrows the results."""
        return bool(
            self.tags
            or self.collections
            or self.categories
            or self.models
            or self.agents
            or self.sensitivities
            or self.rating_min is not None
            or self.favourite is not None
            or self.date_from is not None
            or self.date_to is not None
            or self.exclude_restricted
        )

    @classmethod
    def from_list_params(cls, params: Any, kinds: Iterable[str] = ()) -> SearchFilters:
        """From the lists' ``ListParams`` (same field names), so one filter bar serves both."""
        return cls(
            kinds=list(kinds),
            **{
                name: getattr(params, name)
                for name in (
                    'tags',
                    'collections',
                    'categories',
                    'models',
                    'agents',
                    'sensitivities',
                    'rating_min',
                    'favourite',
                    'date_from',
                    'date_to',
                )
            },
        )


@dataclass(frozen=True)
class SearchHit:
    """One result. ``snippet`` is plain text; ``highlights`` are [start, end) spans in it."""

    kind: str  # output | message | prompt | conversation
    id: int
    title: str
    snippet: str
    score: float  # higher is better; keyword: -bm25, semantic: cosine, hybrid: fused rank score
    highlights: tuple[tuple[int, int], ...] = ()
    conversation_id: int | None = None  # messages: the conversation to open
    role: str | None = None  # messages
    created_at: datetime | None = None
    matched: str = 'keyword'  # keyword | semantic | both

    @property
    def url(self) -> str:
        if self.kind == 'message':
            return f'/conversations/{self.conversation_id}?m={self.id}'
        return f'/{self.kind}s/{self.id}'

    @property
    def snippet_html(self) -> str:
        """The snippet as safe HTML: the text escaped, each match in ``<mark>``."""
        out, pos = [], 0
        for start, end in self.highlights:
            out.append(html.escape(self.snippet[pos:start]))
            out.append(f'<mark>{html.escape(self.snippet[start:end])}</mark>')
            pos = end
        out.append(html.escape(self.snippet[pos:]))
        return ''.join(out)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d['highlights'] = [list(h) for h in self.highlights]
        d['created_at'] = (
            self.created_at.isoformat(sep=' ') if isinstance(self.created_at, datetime) else None
        )
        d['url'] = self.url
        d['snippet_html'] = self.snippet_html
        return d


# --------------------------------------------------------------------------- user text -> FTS5


_TOKEN = re.compile(r'(?P<neg>-)?"(?P<phrase>[^"]*)"|(?P<word>[^\s"()]+)|(?P<other>["()])')


_CONTROL = re.compile(r'[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]')
_SURROGATE = re.compile('[\ud800-\udfff]')


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def fts_query(text: str) -> str | None:
    """A valid FTS5 expression for what the user typed, or None when nothing is left to search.

    Bare words must all match (AND); ``"a phrase"``; ``word*`` prefix; ``-word`` / ``NOT word`` /
    ``-"a phrase"`` excludes; ``a OR b``. Everything else (stray quotes, brackets, dangling operators,
    ``col:`` prefixes, lone punctuation) is neutralised by quoting each term.
    """
    groups: list[list[str]] = []
    negatives: list[str] = []
    pending_or = False
    negate_next = False
    last_positive = False
    text = _CONTROL.sub(' ', _SURROGATE.sub('\ufffd', text or ''))  # a NUL ends an FTS5 string early
    for m in _TOKEN.finditer(text):
        if m.group('other'):
            continue
        negative = bool(m.group('neg')) or negate_next
        if m.group('phrase') is not None:
            term, prefix = m.group('phrase'), False
        else:
            word = m.group('word')
            if word in ('AND', '&&'):
                continue
            if word in ('OR', '|', '||'):
                pending_or = last_positive
                continue
            if word == 'NOT':
                negate_next = True
                continue
            if word.startswith('-'):
                negative = True
                word = word.lstrip('-')
            prefix = word.endswith('*')
            term = word.rstrip('*')
        negate_next = False
        if not re.search(r'\w', term):  # lone punctuation: the tokenizer would leave nothing
            pending_or = False
            continue
        item = _quote(term.strip()) + ('*' if prefix and re.search(r'\w$', term) else '')
        if negative:
            if len(negatives) < MAX_QUERY_TERMS:
                negatives.append(item)
            pending_or = last_positive = False
            continue
        if pending_or and groups:
            groups[-1].append(item)
        elif len(groups) < MAX_QUERY_TERMS:
            groups.append([item])
        pending_or = False
        last_positive = True
    if not groups:
        return None  # only exclusions (or nothing): there is no set to exclude from
    expr = ' AND '.join(g[0] if len(g) == 1 else '(' + ' OR '.join(g) + ')' for g in groups)
    for neg in negatives:
        expr = f'({expr}) NOT {neg}'
    return expr


def _simple_query(text: str) -> str | None:
    """The fallback when an expression is refused anyway: every word, quoted, all required."""
    words = re.findall(r'\w+', text or '')[:MAX_QUERY_TERMS]
    return ' AND '.join(_quote(w) for w in words) or None


_SPACES = re.compile(r'\s+')
_MARKERS = re.compile(f'([{_OPEN}{_CLOSE}])')


def _parse_marked(marked: str, limit: int | None = None) -> tuple[str, tuple[tuple[int, int], ...]]:
    """FTS5 snippet text with our markers -> (plain text with whitespace collapsed, highlight spans)."""
    out: list[str] = []
    spans: list[tuple[int, int]] = []
    length = 0
    inside = False
    for part in _MARKERS.split(marked or ''):
        if part == _OPEN:
            inside = True
            continue
        if part == _CLOSE:
            inside = False
            continue
        seg = _SPACES.sub(' ', part)
        if (not length or out[-1].endswith(' ')) and seg.startswith(' '):
            seg = seg[1:]
        if not seg:
            continue
        if inside:
            core = seg.strip()
            if core:
                lead = len(seg) - len(seg.lstrip())
                spans.append((length + lead, length + lead + len(core)))
        out.append(seg)
        length += len(seg)
    text = ''.join(out).rstrip()
    spans = [(s, min(e, len(text))) for s, e in spans if s < len(text)]
    if limit is not None and len(text) > limit:
        cut = text.rfind(' ', 0, limit)
        cut = cut if cut > limit // 2 else limit
        text = text[:cut].rstrip() + '…'
        spans = [(s, min(e, cut)) for s, e in spans if s < cut]
    return text, tuple(spans)


def _plain_snippet(text: str, limit: int = SNIPPET_CHARS, *, leading: bool = False) -> str:
    """Text without highlights, whitespace collapsed, cut at a word near ``limit`` (what ``_parse_marked``
    makes of unmarked text, done with str methods: semantic hits build ten of these per query)."""
    text = (text or '')[: limit * 2]
    if _OPEN in text or _CLOSE in text:
        plain, _ = _parse_marked(text, limit)
    else:
        plain = ' '.join(text.split())
        if len(plain) > limit:
            cut = plain.rfind(' ', 0, limit)
            cut = cut if cut > limit // 2 else limit
            plain = plain[:cut].rstrip() + '…'
    return ('…' + plain) if leading and plain else plain


# --------------------------------------------------------------------------- filters -> SQL


def _dt(value: date | datetime, *, end: bool) -> str:
    if isinstance(value, datetime):
        return value.strftime('%Y-%m-%d %H:%M:%S.%f')
    if end:
        return datetime.combine(value + timedelta(days=1), time.min).strftime('%Y-%m-%d %H:%M:%S')
    return datetime.combine(value, time.min).strftime('%Y-%m-%d %H:%M:%S')


def _in(values: Iterable[int]) -> tuple[str, list[int]]:
    values = [int(v) for v in values]
    return ','.join('?' * len(values)), values


# Where each kind keeps what a filter looks at. ``t`` is the kind's own table; for messages ``c`` is
# the conversation (joined by every message query): a message has its conversation's tags, collections, …
def _filter_columns(key: str) -> dict[str, Any]:
    spec = kinds.ALL[key]
    carrier = kinds.ALL[spec.part_of] if spec.part_of else spec  # the row with the tags, rating, …
    columns: dict[str, Any] = dict(
        owner='c' if spec.part_of else 't',
        tag=(carrier.tag_junction._meta.table_name, carrier.tag_owner.column_name),
        coll=(carrier.collection_junction._meta.table_name, carrier.collection_owner.column_name),
        date='t.created_at',
    )
    if spec.part_of:  # a message's own model and agent, else its conversation's
        columns.update(
            model='COALESCE(t.model_id, c.model_id)', agent='COALESCE(t.agent_version_id, c.agent_version_id)'
        )
    else:
        model, agent = spec.model_field, spec.agent_version_field
        columns.update(
            model=f't.{model.column_name}' if model is not None else None,
            agent=f't.{agent.column_name}' if agent is not None else None,
        )
    return columns


_FILTER_COLUMNS = {k: _filter_columns(k) for k in KINDS}


def _filter_sql(kind: str, f: SearchFilters | None) -> tuple[str, list[Any]] | None:
    """SQL conditions (joined with AND, starting with ' AND') for ``f`` on ``kind``; None = kind excluded."""
    if f is None:
        return '', []
    spec = _FILTER_COLUMNS[kind]
    owner = spec['owner']  # the row that carries tags, rating, …
    sql: list[str] = []
    params: list[Any] = []
    for tag_id in f.tags:
        table, col = spec['tag']
        sql.append(f'EXISTS (SELECT 1 FROM {table} j WHERE j.{col} = {owner}.id AND j.tag_id = ?)')
        params.append(int(tag_id))
    if f.collections:
        table, col = spec['coll']
        marks, vals = _in(f.collections)
        sql.append(
            f'EXISTS (SELECT 1 FROM {table} j WHERE j.{col} = {owner}.id AND j.collection_id IN ({marks}))'
        )
        params += vals
    if f.categories:
        marks, vals = _in(f.categories)
        sql.append(f'{owner}.category_id IN ({marks})')
        params += vals
    if f.sensitivities:
        marks, vals = _in(f.sensitivities)
        sql.append(f'{owner}.sensitivity_id IN ({marks})')
        params += vals
    if f.exclude_restricted:
        sql += sensitivity.exclude_restricted_sql(owner, 't' if kind == 'message' else None)
    if f.models:
        if spec['model'] is None:
            return None
        marks, vals = _in(f.models)
        sql.append(f'{spec["model"]} IN ({marks})')
        params += vals
    if f.agents:
        if spec['agent'] is None:
            return None
        marks, vals = _in(f.agents)
        sql.append(f'{spec["agent"]} IN (SELECT id FROM agent_version WHERE agent_id IN ({marks}))')
        params += vals
    if f.rating_min is not None:
        sql.append(f'{owner}.rating >= ?')
        params.append(int(f.rating_min))
    if f.favourite is not None:
        sql.append(f'{owner}.favourite = ?')
        params.append(1 if f.favourite else 0)
    if f.date_from is not None:
        sql.append(f'{spec["date"]} >= ?')
        params.append(_dt(f.date_from, end=False))
    if f.date_to is not None:
        if isinstance(f.date_to, datetime):
            sql.append(f'{spec["date"]} <= ?')
        else:
            sql.append(f'{spec["date"]} < ?')
        params.append(_dt(f.date_to, end=True))
    return ''.join(f' AND {s}' for s in sql), params


# The live rows of each kind: (table aliased t, further joins, liveness condition). Hidden messages (tool
# traffic, reasoning) are found by keyword; they are not embedded.
def _base(key: str) -> tuple[str, str, str]:
    spec = kinds.ALL[key]
    if spec.part_of is not None:  # a message is live while its conversation is
        owner = kinds.ALL[spec.part_of]
        column = spec.model._meta.fields[spec.part_of].column_name
        return f'{spec.table} t', f' JOIN {owner.table} c ON c.id = t.{column}', 'c.deleted_at IS NULL'
    return f'{spec.table} t', '', 't.deleted_at IS NULL'


_BASE = {k: _base(k) for k in KINDS}


# --------------------------------------------------------------------------- keyword


@dataclass(frozen=True)
class _Fts:
    table: str
    weights: str  # bm25 column weights: titles above bodies
    columns: tuple[str, ...]
    # Text columns in order of preference, the title (shown apart) last: the first with a match gives
    # the snippet; with a match in the title only, the start of the first non-empty text column.
    snippet_columns: tuple[int, ...]


_FTS = {
    'output': _Fts('output_fts', '5.0, 1.0, 1.5', ('title', 'body', 'notes'), (1, 2, 0)),
    'message': _Fts('message_fts', '1.0', ('content',), (0,)),
    'prompt': _Fts('prompt_fts', '5.0, 2.0, 1.0', ('title', 'description', 'body'), (2, 1, 0)),
    'conversation': _Fts('conversation_fts', '5.0, 1.0', ('title', 'summary'), (1, 0)),
}


def _keyword_candidates(
    database: dbmod.HubDatabase, kind: str, expr: str, filters: SearchFilters | None, cap: int
) -> list[tuple[int, float]]:
    fts = _FTS[kind]
    where = _filter_sql(kind, filters)
    if where is None:
        return []
    cond, params = where
    table, joins, live = _BASE[kind]
    # ORDER BY rowid DESC LIMIT is served by the FTS index itself, so bm25 runs for at most ``cap`` rows.
    sql = (
        f'SELECT {fts.table}.rowid, bm25({fts.table}, {fts.weights}) FROM {fts.table} '
        f'JOIN {table} ON t.id = {fts.table}.rowid{joins} '
        f'WHERE {fts.table} MATCH ? AND {live}{cond} ORDER BY {fts.table}.rowid DESC LIMIT ?'
    )
    return [(rid, -score) for rid, score in database.execute_sql(sql, (expr, *params, cap)).fetchall()]


def _keyword_details(database: dbmod.HubDatabase, kind: str, expr: str, ids: list[int]) -> dict[int, dict]:
    fts = _FTS[kind]
    marks = ','.join('?' * len(ids))
    snippets = ', '.join(
        f"snippet({fts.table}, {col}, '{_OPEN}', '{_CLOSE}', '…', {SNIPPET_TOKENS})"
        for col in fts.snippet_columns
    )
    if kind == 'message':
        meta = (
            "t.conversation_id, t.role, COALESCE(NULLIF(c.title, ''), 'Untitled conversation'), t.created_at"
        )
        join = 'JOIN message t ON t.id = message_fts.rowid JOIN conversation c ON c.id = t.conversation_id'
    else:
        table = kind
        meta = "NULL, NULL, COALESCE(NULLIF(t.title, ''), 'Untitled'), t.created_at"
        join = f'JOIN {table} t ON t.id = {fts.table}.rowid'
    sql = (
        f'SELECT {fts.table}.rowid, {meta}, {snippets} FROM {fts.table} {join} '
        f'WHERE {fts.table} MATCH ? AND {fts.table}.rowid IN ({marks})'
    )
    out = {}
    for row in database.execute_sql(sql, (expr, *ids)).fetchall():
        rid, conv_id, role, title, created = row[:5]
        marked = row[5:]
        texts = marked[:-1] if kind != 'message' else marked  # the last one is the title
        chosen = next((s for s in texts if s and _OPEN in s), None)
        if chosen is None:
            chosen = next((s for s in texts if s and s.strip()), None) or marked[-1] or ''
        text, spans = _parse_marked(markdown_to_plain(chosen), SNIPPET_CHARS)
        out[rid] = dict(
            title=title,
            snippet=text,
            highlights=spans,
            conversation_id=conv_id,
            role=role,
            created_at=_as_datetime(created),
        )
    return out


def _as_datetime(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _keyword_ranked(
    query: str, filters: SearchFilters | None, depth: int, candidates: int = KEYWORD_CANDIDATES
) -> tuple[str | None, list[tuple[str, int, float]]]:
    """The FTS5 expression used and the best ``depth`` (kind, id, score), without snippets."""
    expr = fts_query(query)
    kinds = (filters or SearchFilters()).kind_list()
    if expr is None:
        return None, []
    database = dbmod.current()
    try:
        scored = _keyword_all(database, kinds, expr, filters, candidates)
    except peewee.OperationalError as exc:  # pragma: no cover - fts_query should make this impossible
        log.warning('FTS5 refused %r (%s); searching its plain words instead', expr, exc)
        expr = _simple_query(query)
        if expr is None:
            return None, []
        try:
            scored = _keyword_all(database, kinds, expr, filters, candidates)
        except peewee.OperationalError:
            return None, []
    scored.sort(key=lambda s: -s[2])
    return expr, scored[:depth]


def _keyword_hits(expr: str, ranked: list[tuple[str, int, float]]) -> list[SearchHit]:
    """SearchHits (title, highlighted snippet, links) for ranked keyword results, in their order."""
    database = dbmod.current()
    details: dict[tuple[str, int], dict] = {}
    for kind in KINDS:
        ids = [rid for k, rid, _ in ranked if k == kind]
        if ids:
            for rid, d in _keyword_details(database, kind, expr, ids).items():
                details[(kind, rid)] = d
    return [
        SearchHit(kind=kind, id=rid, score=score, matched='keyword', **details[(kind, rid)])
        for kind, rid, score in ranked
        if (kind, rid) in details
    ]


def keyword_search(
    query: str, *, filters: SearchFilters | None = None, limit: int = 20, candidates: int = KEYWORD_CANDIDATES
) -> list[SearchHit]:
    """Ranked full-text hits over all four kinds (or ``filters.kinds``), best first."""
    expr, ranked = _keyword_ranked(query, filters, max(1, int(limit)), candidates)
    return _keyword_hits(expr, ranked) if expr else []


def _keyword_all(database, kinds, expr, filters, cap) -> list[tuple[str, int, float]]:
    out = []
    for kind in kinds:
        out += [(kind, rid, score) for rid, score in _keyword_candidates(database, kind, expr, filters, cap)]
    return out


# --------------------------------------------------------------------------- semantic


def _allowed_owners(kinds: list[str], filters: SearchFilters | None) -> dict[str, np.ndarray | None] | None:
    """Per semantic kind: None (no restriction beyond liveness) or the sorted ids that pass the filters."""
    database = dbmod.current()
    allowed: dict[str, np.ndarray | None] = {}
    for kind in kinds:
        where = _filter_sql(kind, filters)
        if where is None:
            continue
        if filters is None or not filters.restricts_items:
            allowed[kind] = None
            continue
        cond, params = where
        table, joins, live = _BASE[kind]
        rows = database.execute_sql(f'SELECT t.id FROM {table}{joins} WHERE {live}{cond}', params).fetchall()
        allowed[kind] = np.fromiter((r[0] for r in rows), np.int64, len(rows))
    return allowed


def _query_stems(query: str) -> list[str]:
    """Lower-case word starts (5 letters) of the query: a cheap stand-in for stemming in snippet choice."""
    return sorted({w[:5] for w in re.findall(r'\w+', (query or '').lower()) if len(w) > 2})


def _best_window(text: str, stems: list[str], width: int = SNIPPET_CHARS) -> tuple[str, bool]:
    """The ``width`` characters of a chunk that contain the most query words (its start when none do)."""
    if not stems or len(text) <= width:
        return text, False
    words = re.compile(r'\b(?:' + '|'.join(map(re.escape, stems)) + r')\w*', re.IGNORECASE)
    hits = [(m.start(), m.group()[:5].lower()) for m in words.finditer(text)]
    best_at, best_count = 0, 0
    for i, (pos, _) in enumerate(hits):
        start = max(0, pos - 40)
        seen = set()
        for p, stem in hits[i:]:
            if p >= start + width:
                break
            seen.add(stem)
        if len(seen) > best_count:
            best_at, best_count = start, len(seen)
    if best_at:
        space = text.find(' ', best_at)
        best_at = space + 1 if 0 <= space < best_at + 20 else best_at
    return text[best_at:], best_at > 0


def _owner_details(
    database: dbmod.HubDatabase, kind: str, spans: dict[int, tuple[int, int]], stems: list[str]
) -> dict[int, dict]:
    """Live owners among ``spans`` ({id: (chunk start, end)}) with title and a snippet from that chunk."""
    if not spans:
        return {}
    values = ','.join('(?, ?, ?)' for _ in spans)
    params: list[Any] = []
    for oid, (start, end) in spans.items():
        params += [oid, start, max(1, min(end - start, 4000))]
    if kind == 'output':
        # The embedded text is title + blank line + body (embeddings.output_text).
        sql = (
            f'WITH w(id, s, n) AS (VALUES {values}) '
            "SELECT t.id, NULL, NULL, COALESCE(NULLIF(t.title, ''), 'Untitled'), t.created_at, "
            'substr(t.body, max(1, w.s - length(t.title) - 1), w.n), w.s > length(t.title) + 2 '
            'FROM w JOIN output t ON t.id = w.id WHERE t.deleted_at IS NULL'
        )
    else:
        sql = (
            f'WITH w(id, s, n) AS (VALUES {values}) '
            "SELECT t.id, t.conversation_id, t.role, COALESCE(NULLIF(c.title, ''), 'Untitled conversation'), "
            't.created_at, substr(t.content, w.s + 1, w.n), w.s > 0 '
            'FROM w JOIN message t ON t.id = w.id JOIN conversation c ON c.id = t.conversation_id '
            'WHERE c.deleted_at IS NULL'
        )
    out = {}
    for rid, conv_id, role, title, created, text, inside in database.execute_sql(sql, params).fetchall():
        window, moved = _best_window(markdown_to_plain(text or ''), stems)
        out[rid] = dict(
            title=title,
            snippet=_plain_snippet(window, leading=bool(inside) or moved),
            conversation_id=conv_id,
            role=role,
            created_at=_as_datetime(created),
        )
    return out


_Ranked = tuple[tuple[str, int], float, tuple[int, int]]  # (kind, id), score, best chunk span


def _vector_ranked(
    qv: np.ndarray,
    kinds: list[str],
    filters: SearchFilters | None,
    limit: int,
    exclude: set[tuple[str, int]] = frozenset(),
    index: vectors.VectorIndex | None = None,
) -> list[_Ranked]:
    """The ``limit`` live owners closest to ``qv`` (each by its best chunk), best first."""
    database = dbmod.current()
    index = index or vectors.index_for(database)
    kinds = [k for k in kinds if k in SEMANTIC_KINDS]
    if not kinds or index.alive_count == 0 or index.dim != len(qv):
        return []
    allowed = _allowed_owners(kinds, filters)
    if not allowed:
        return []
    mask = None
    if any(v is not None for v in allowed.values()) or set(allowed) != set(SEMANTIC_KINDS) or exclude:
        mask = index.owner_mask(allowed, exclude)
    m = max(limit * 3, 30)
    while True:
        top = index.top(qv, m, mask, database)
        if not len(top.chunk_ids):
            return []
        ids = [int(x) for x in top.chunk_ids]
        chunks = _live_chunks(database, ids)
        dead = [cid for cid in ids if cid not in chunks]
        if dead:
            index.mark_dead(dead)
        best: dict[tuple[str, int], tuple[float, tuple[int, int]]] = {}  # owner -> (score, chunk span)
        for cid, code, oid, score in zip(ids, top.kinds, top.owner_ids, top.scores, strict=True):
            chunk = chunks.get(cid)
            if chunk is not None and chunk[2]:  # the chunk exists and its owner is live
                key = (vectors.KIND_NAMES[int(code)], int(oid))
                if key not in best:
                    best[key] = (float(score), (chunk[0], chunk[1]))
        ranked = [(key, *value) for key, value in best.items()]  # best chunk first: best owner first
        if len(ranked) >= limit or len(ids) < m:  # enough, or every candidate has been seen
            return ranked[:limit]
        m *= 4


def _live_chunks(database: dbmod.HubDatabase, ids: list[int]) -> dict[int, tuple[int, int, bool]]:
    """For the chunks that still exist: (start, end, whether the owner is live) — one query."""
    marks = ','.join('?' * len(ids))
    rows = database.execute_sql(
        f'SELECT c.id, c.start, c."end", CASE c.owner_kind '
        "WHEN 'output' THEN (SELECT o.deleted_at IS NULL FROM output o WHERE o.id = c.owner_id) "
        "WHEN 'message' THEN (SELECT m.hidden = 0 AND v.deleted_at IS NULL FROM message m "
        'JOIN conversation v ON v.id = m.conversation_id WHERE m.id = c.owner_id) END '
        f'FROM embed_chunk c WHERE c.id IN ({marks})',
        ids,
    )
    return {cid: (start, end, bool(live)) for cid, start, end, live in rows}


def _vector_details(ranked: list[_Ranked], stems: list[str]) -> list[SearchHit]:
    database = dbmod.current()
    details: dict[tuple[str, int], dict] = {}
    for kind in SEMANTIC_KINDS:
        chosen = {oid: span for (k, oid), _, span in ranked if k == kind}
        for oid, d in _owner_details(database, kind, chosen, stems).items():
            details[(kind, oid)] = d
    return [
        SearchHit(kind=k, id=oid, score=round(score, 6), matched='semantic', **details[(k, oid)])
        for (k, oid), score, _ in ranked
        if (k, oid) in details
    ]


def _vector_hits(
    qv: np.ndarray,
    kinds: list[str],
    filters: SearchFilters | None,
    limit: int,
    exclude: set[tuple[str, int]] = frozenset(),
    stems: list[str] | None = None,
) -> list[SearchHit]:
    return _vector_details(_vector_ranked(qv, kinds, filters, limit, exclude), stems or [])


def _query_vector(
    query: str, kinds: list[str], embedder: embeddings.Embedder | None
) -> tuple[np.ndarray, vectors.VectorIndex] | None:
    """The query's embedding and the synced vector index, or None when there is nothing to look at."""
    if not (query or '').strip() or not any(k in SEMANTIC_KINDS for k in kinds):
        return None
    index = vectors.index_for()
    if index.alive_count == 0:
        return None  # nothing embedded yet: do not load the model (~10 s) to search nothing
    embedder = embedder or embeddings.get_embedder(index.model)
    try:
        return embedder.encode_query(_SURROGATE.sub('\ufffd', query.strip())), index
    except embeddings.ModelNotReady:
        raise  # still loading in the background: says so, and the caller answers by words
    except Exception as exc:
        log.warning('Embedding model %s unavailable: %s', embedder.name, exc)
        raise UserError(
            f'Semantic search is unavailable: the embedding model {embedder.name!r} cannot be loaded ({exc}).'
        ) from exc


# The cosine below which an item is not a match by meaning, per model. all-MiniLM-L6-v2 on the labelled
# set of tests/data/relevance_set.py: every paraphrase finds its target at 0.313 or more, a made-up error
# code (ERR_ZX_4471_QQ) comes closest at 0.296 and lorem ipsum at 0.28 (tests/data/test_search_meaning_floor.py).
# Other models, and the bag-of-words stand-ins (a long text sharing words with the query can score
# under 0.05), have no floor: their scale is unknown.
MEANING_FLOORS = {embeddings.DEFAULT_MODEL: 0.305}


def meaning_floor(model: str | None) -> float:
    """The lowest cosine that still counts as "similar in meaning" for ``model`` (0 = no floor)."""
    return MEANING_FLOORS.get(embeddings.canonical_model_name(model), 0.0)


def _above_floor(ranked: list[_Ranked], model: str | None) -> list[_Ranked]:
    floor = meaning_floor(model)
    return [r for r in ranked if r[1] >= floor] if floor > 0 else ranked


def semantic_search(
    query: str,
    *,
    filters: SearchFilters | None = None,
    limit: int = 20,
    embedder: embeddings.Embedder | None = None,
) -> list[SearchHit]:
    """Outputs and messages closest in meaning to ``query`` (one hit per item, its best chunk)."""
    kinds = (filters or SearchFilters()).kind_list()
    found = _query_vector(query, kinds, embedder)
    if found is None:
        return []
    qv, index = found
    ranked = _above_floor(_vector_ranked(qv, kinds, filters, max(1, int(limit)), index=index), index.model)
    return _vector_details(ranked, _query_stems(query))


# --------------------------------------------------------------------------- hybrid, similar, search


def hybrid_search(
    query: str,
    *,
    filters: SearchFilters | None = None,
    limit: int = 20,
    embedder: embeddings.Embedder | None = None,
) -> list[SearchHit]:
    """Keyword and semantic results fused by reciprocal rank (score = sum of 1 / (60 + rank)).

    Both sides are ranked ``max(50, 2 x limit)`` deep; titles and snippets are made only for the
    fused top ``limit`` (a keyword snippet, with highlights, when the item matched the words).
    """
    limit = max(1, int(limit))
    depth = max(50, limit * 2)
    kinds = (filters or SearchFilters()).kind_list()
    expr, kw = _keyword_ranked(query, filters, depth)
    try:
        found = _query_vector(query, kinds, embedder)
    except UserError:
        found = None  # no model: hybrid degrades to keyword results rather than failing
    sem = (
        _above_floor(_vector_ranked(found[0], kinds, filters, depth, index=found[1]), found[1].model)
        if found is not None
        else []
    )
    fused: dict[tuple[str, int], float] = {}
    for keys in ([(k, i) for k, i, _ in kw], [key for key, _, _ in sem]):
        for rank, key in enumerate(keys, start=1):
            fused[key] = fused.get(key, 0.0) + 1.0 / (RRF_K + rank)
    order = sorted(fused, key=lambda k: -fused[k])[:limit]
    kw_keys = {(k, i) for k, i, _ in kw}
    sem_keys = {key for key, _, _ in sem}
    made = {}
    if expr:
        made.update(
            {(h.kind, h.id): h for h in _keyword_hits(expr, [r for r in kw if (r[0], r[1]) in order])}
        )
    made.update(
        {
            (h.kind, h.id): h
            for h in _vector_details(
                [r for r in sem if r[0] in order and r[0] not in kw_keys], _query_stems(query)
            )
        }
    )
    out = []
    for key in order:
        hit = made.get(key)
        if hit is not None:
            matched = 'both' if key in kw_keys and key in sem_keys else hit.matched
            out.append(replace(hit, score=round(fused[key], 6), matched=matched))
    return out


def search(
    query: str,
    *,
    mode: str = 'hybrid',
    filters: SearchFilters | None = None,
    limit: int = 20,
    embedder: embeddings.Embedder | None = None,
) -> list[SearchHit]:
    """The one entry point: ``mode`` is keyword, semantic or hybrid. Never raises on what the user typed."""
    # A lone UTF-16 surrogate (a command-line argument that is not UTF-8, a pasted half emoji) cannot be
    # encoded for SQLite or the tokenizer: it would escape as UnicodeEncodeError (reliability suite).
    query = _SURROGATE.sub('\ufffd', query or '')
    if mode == 'keyword':
        return keyword_search(query, filters=filters, limit=limit)
    if mode == 'semantic':
        try:
            return semantic_search(query, filters=filters, limit=limit, embedder=embedder)
        except embeddings.ModelNotReady:  # the model is loading at start-up: words now, meaning in a moment
            return keyword_search(query, filters=filters, limit=limit)
    if mode == 'hybrid':
        return hybrid_search(query, filters=filters, limit=limit, embedder=embedder)
    raise ValidationError(f'Unknown search mode {mode!r}; choose keyword, semantic or hybrid.')


def _owner_vector(kind: str, owner_id: int, embedder: embeddings.Embedder | None) -> np.ndarray | None:
    database = dbmod.current()
    ids = [
        r[0]
        for r in database.execute_sql(
            'SELECT id FROM embed_chunk WHERE owner_kind = ? AND owner_id = ?', (kind, owner_id)
        )
    ]
    if ids:
        marks = ','.join('?' * len(ids))
        blobs = [
            r[0]
            for r in database.execute_sql(f'SELECT embedding FROM embed_vec WHERE chunk_id IN ({marks})', ids)
        ]
        if blobs:
            mat = np.frombuffer(b''.join(blobs), np.float32).reshape(len(blobs), -1)
            return mat.mean(axis=0)
    # Not embedded yet (just captured): embed it now rather than answer "nothing similar".
    if kind == 'output':
        row = database.execute_sql('SELECT title, body FROM output WHERE id = ?', (owner_id,)).fetchone()
        text = embeddings.output_text(*row) if row else ''
    else:
        row = database.execute_sql('SELECT content FROM message WHERE id = ?', (owner_id,)).fetchone()
        text = row[0] if row else ''
    if not text.strip():
        return None
    embedder = embedder or embeddings.get_embedder()
    chunks = embedder.chunks(text) or [embeddings.Chunk(0, 0, len(text), text)]
    return embedder.encode([c.text for c in chunks]).mean(axis=0)


def similar(
    kind: str,
    item_id: int,
    *,
    limit: int = 10,
    filters: SearchFilters | None = None,
    embedder: embeddings.Embedder | None = None,
) -> list[SearchHit]:
    """Outputs and messages closest in meaning to one output or message (itself and its source excluded).

    Restrict with ``filters.kinds`` (e.g. ``['output']`` for a "Similar outputs" panel).
    """
    if kind not in SEMANTIC_KINDS:
        raise ValidationError('Find similar works from an output or a message.')
    database = dbmod.current()
    if kind == 'output':
        row = database.execute_sql('SELECT message_id FROM output WHERE id = ?', (item_id,)).fetchone()
        if row is None:
            raise NotFound(f'Output {item_id} does not exist.')
        exclude = {('output', item_id)} | ({('message', row[0])} if row[0] else set())
    else:
        if database.execute_sql('SELECT 1 FROM message WHERE id = ?', (item_id,)).fetchone() is None:
            raise NotFound(f'Message {item_id} does not exist.')
        exclude = {('message', item_id)} | {
            ('output', r[0])
            for r in database.execute_sql('SELECT id FROM output WHERE message_id = ?', (item_id,))
        }
    if filters is not None and filters.exclude_restricted and sensitivity.restricted_ids(kind, [item_id]):
        raise NotFound(f'{kind.capitalize()} {item_id} does not exist.')  # its meaning would tell its text
    qv = _owner_vector(kind, item_id, embedder)
    if qv is None:
        return []
    norm = float(np.linalg.norm(qv))
    qv = qv / norm if norm else qv
    kinds = [k for k in (filters or SearchFilters()).kind_list() if k in SEMANTIC_KINDS]
    return _vector_hits(np.asarray(qv, np.float32), kinds, filters, max(1, int(limit)), exclude)


def index_status(kinds: Iterable[str] | None = None) -> dict[str, Any]:
    """How complete the semantic index is, for the kinds a search covers (CLI, UI, API)."""
    kinds = [k for k in (kinds or KINDS) if k in SEMANTIC_KINDS]
    state = embeddings.index_state()
    wanted = embeddings.model_setting()
    return {
        'model': state['model'],
        'wanted_model': wanted,
        'pending': embeddings.pending_count(kinds),
        'embedded': embeddings.embedded_count(),
        'complete': wanted == state['model'] and embeddings.pending_count(kinds) == 0,
    }


# --------------------------------------------------------------------------- one row per item, the palette


@dataclass(frozen=True)
class ItemHit:
    """One row of a result list: an item and its best match. A message's item is its conversation, so a
    conversation hit by its title and by three messages, by words and by meaning, is one row."""

    kind: str  # output | conversation | prompt | agent | tag | collection
    id: int
    hit: SearchHit  # the best match: title, snippet and link (a message opens its conversation there)
    matched: str  # keyword | semantic | both, over every match of the item
    matches: int = 1  # how many matches fold into this row

    @property
    def title(self) -> str:
        return self.hit.title

    @property
    def url(self) -> str:
        return self.hit.url


def item_key(hit: SearchHit) -> tuple[str, int]:
    """The item a hit belongs to: a message belongs to its conversation."""
    if hit.kind == 'message' and hit.conversation_id is not None:
        return 'conversation', int(hit.conversation_id)
    return hit.kind, hit.id


def one_per_item(hits: Iterable[SearchHit]) -> list[ItemHit]:
    """Hits (best first) folded to one row per item, in the order of each item's best hit. The row shows
    the best hit whose snippet highlights words beyond the title (why it matched), else the best hit."""
    groups: dict[tuple[str, int], list[SearchHit]] = {}
    for hit in hits:
        groups.setdefault(item_key(hit), []).append(hit)
    rows = []
    for (kind, item_id), group in groups.items():
        how = {h.matched for h in group}
        matched = 'both' if 'both' in how or {'keyword', 'semantic'} <= how else group[0].matched
        shown = next(
            (h for h in group if h.highlights and h.snippet != h.title),
            next((h for h in group if h.highlights), group[0]),
        )
        rows.append(ItemHit(kind, item_id, shown, matched, len(group)))
    return rows


QUICK_KINDS = ('output', 'conversation', 'prompt', 'agent', 'tag', 'collection')  # the palette's groups
QUICK_PER_KIND = 5
# Per kind, the newest matches ranked by bm25 while typing. Bounds a common word's cost (bm25 and the
# join for each matching row) on a large library; the search page ranks KEYWORD_CANDIDATES.
QUICK_CANDIDATES = 300
TYPEAHEAD_MIN = 2  # the last word, still being typed, counts as a prefix from this many characters
_NAMED = {  # the kinds found by name while typing: (table, text shown as the snippet, live condition)
    'agent': ('agent', 'description', 't.deleted_at IS NULL'),
    'tag': ('tag', 'description', ''),
    'collection': ('collection', 'description', ''),
}


def typeahead_query(text: str) -> str:
    """What the palette searches while the last word is being typed: that word as a prefix (``pyth``
    finds python). A finished word (followed by a space), a phrase, an exclusion or an operator stays."""
    text = text or ''
    if not text or text[-1].isspace() or text.count('"') % 2:
        return text
    m = re.search(r'(?:^|\s)(-?)([^\s"()]+)$', text)
    if m is None or m.group(1) or m.group(2) in ('OR', 'AND', 'NOT') or text.endswith('*'):
        return text
    word = m.group(2)
    if len(word) < TYPEAHEAD_MIN or not re.search(r'\w$', word):
        return text
    return text + '*'


def _named_hits(
    database: dbmod.HubDatabase, kind: str, words: list[str], limit: int, filters: SearchFilters | None
) -> list[SearchHit]:
    """Agents, tags or collections whose name contains every word, names starting with the first first."""
    table, about, live = _NAMED[kind]
    cond = [live] if live else []
    params: list[Any] = []
    for word in words:
        cond.append(f't.name LIKE ? {LIKE_ESCAPE}')
        params.append(like_contains(word))
    if kind == 'agent' and filters is not None and filters.exclude_restricted:
        cond += sensitivity.exclude_restricted_sql('t')
    sql = (
        f'SELECT t.id, t.name, t.{about} FROM {table} t WHERE {" AND ".join(cond)} '
        f'ORDER BY t.name LIKE ? {LIKE_ESCAPE} DESC, length(t.name), t.name LIMIT ?'
    )
    prefix = words[0].replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_') + '%'
    rows = database.execute_sql(sql, (*params, prefix, limit)).fetchall()
    return [
        SearchHit(
            kind=kind,
            id=rid,
            title=name or '',
            snippet=_plain_snippet(markdown_to_plain(desc or ''), 120),
            score=0.0,
        )
        for rid, name, desc in rows
    ]


def _term_pattern(query: str) -> re.Pattern | None:
    """The query's words as they may appear in a text: word starts (a cheap stand-in for the tokenizer's
    stemming; the word still being typed as a prefix), case-insensitive. None without words."""
    words = []
    for m in _TOKEN.finditer(query or ''):
        if m.group('neg') or (m.group('word') or '').startswith('-'):
            continue
        words += re.findall(r'\w+', m.group('phrase') or m.group('word') or '')
    words = [w for w in words if w not in ('OR', 'AND', 'NOT')][:MAX_QUERY_TERMS]
    if not words:
        return None
    parts = sorted({re.escape(w if len(w) <= 5 else w[:5]) for w in words}, key=len, reverse=True)
    return re.compile(r'\b(?:' + '|'.join(parts) + r')\w*', re.IGNORECASE)


def _marked_window(text: str, pattern: re.Pattern | None, width: int = SNIPPET_CHARS) -> tuple[str, bool]:
    """Plain text of about ``width`` characters around the first match in ``text`` (Markdown removed,
    matches marked as FTS5 snippets are), and whether anything matched."""
    raw = text or ''
    first = pattern.search(raw) if pattern is not None else None
    start = max(0, first.start() - 60) if first else 0
    window = markdown_to_plain(raw[start : start + width * 2])
    if start:
        space = window.find(' ')
        window = '…' + (window[space + 1 :] if 0 <= space < 20 else window)
    if pattern is not None:
        window = pattern.sub(lambda m: f'{_OPEN}{m.group()}{_CLOSE}', window)
    return window, first is not None


def _quick_hits(
    database: dbmod.HubDatabase, ranked: list[tuple[str, int, float]], query: str
) -> list[SearchHit]:
    """SearchHits for ranked keyword results with snippets made here, not by FTS5's snippet(): with a
    short prefix (``co*``) every snippet() call re-expands the prefix over the whole index (~100 ms
    for 20 messages at 200k), while reading the rows by id costs nothing."""
    pattern = _term_pattern(query)
    out: dict[tuple[str, int], SearchHit] = {}
    for kind in KINDS:
        ids = [rid for k, rid, _ in ranked if k == kind]
        if not ids:
            continue
        fts = _FTS[kind]
        marks = ','.join('?' * len(ids))
        texts = ', '.join(f'f.{fts.columns[c]}' for c in fts.snippet_columns)
        if kind == 'message':
            meta = "t.conversation_id, t.role, COALESCE(NULLIF(c.title, ''), 'Untitled conversation'), t.created_at"
            join = 'JOIN message t ON t.id = f.rowid JOIN conversation c ON c.id = t.conversation_id'
        else:
            meta = "NULL, NULL, COALESCE(NULLIF(t.title, ''), 'Untitled'), t.created_at"
            join = f'JOIN {kind} t ON t.id = f.rowid'
        sql = f'SELECT f.rowid, {meta}, {texts} FROM {fts.table} f {join} WHERE f.rowid IN ({marks})'
        for row in database.execute_sql(sql, ids).fetchall():
            rid, conv_id, role, title, created = row[:5]
            columns = row[5:] if kind == 'message' else row[5:-1]  # the title (last) is shown apart
            chosen = None
            for text in columns:
                window, matched = _marked_window(text or '', pattern)
                if matched:
                    chosen = window
                    break
            if chosen is None:
                first = next((t for t in columns if t and t.strip()), None)
                chosen = _marked_window(first or row[-1] or '', pattern)[0]
            snippet, spans = _parse_marked(chosen, SNIPPET_CHARS)
            out[(kind, rid)] = SearchHit(
                kind=kind,
                id=rid,
                title=title,
                snippet=snippet,
                highlights=spans,
                score=0.0,
                conversation_id=conv_id,
                role=role,
                created_at=_as_datetime(created),
            )
    return [replace(out[(k, rid)], score=score) for k, rid, score in ranked if (k, rid) in out]


def quick_search(
    query: str,
    *,
    filters: SearchFilters | None = None,
    per_kind: int = QUICK_PER_KIND,
    candidates: int = QUICK_CANDIDATES,
) -> dict[str, list[ItemHit]]:
    """Keyword results while typing, grouped by kind in ``QUICK_KINDS`` order (only kinds with results),
    at most ``per_kind`` rows each, one row per item. The last word counts as a prefix. Cheap at any size:
    each kind ranks at most ``candidates`` newest matches and nothing is counted."""
    query = _SURROGATE.sub('\ufffd', query or '')[:500]
    database = dbmod.current()
    per_kind = max(1, int(per_kind))
    found: dict[str, list[ItemHit]] = {}
    expr = fts_query(typeahead_query(query))
    if expr is not None:
        wanted = (filters or SearchFilters()).kind_list()
        ranked: list[tuple[str, int, float]] = []
        for kind in wanted:
            try:
                scored = _keyword_candidates(database, kind, expr, filters, candidates)
            except peewee.OperationalError as exc:  # pragma: no cover - fts_query should make this impossible
                log.warning('FTS5 refused %r while typing (%s)', expr, exc)
                scored = []
            scored.sort(key=lambda s: -s[1])
            # messages fold into their conversations: take more so that per_kind conversations remain
            ranked += [
                (kind, rid, score) for rid, score in scored[: per_kind * (4 if kind == 'message' else 1)]
            ]
        hits = _quick_hits(database, ranked, query) if ranked else []
        hits.sort(key=lambda h: -h.score)
        for row in one_per_item(hits):
            group = found.setdefault(row.kind, [])
            if len(group) < per_kind:
                group.append(row)
    words = re.findall(r'\w+', query)[:MAX_QUERY_TERMS]
    if words and not (filters and filters.kinds):
        for kind in _NAMED:
            rows = [
                ItemHit(kind, h.id, h, 'keyword')
                for h in _named_hits(database, kind, words, per_kind, filters)
            ]
            if rows:
                found[kind] = rows
    return {kind: found[kind] for kind in QUICK_KINDS if kind in found}


def meaning_matches(
    query: str,
    *,
    filters: SearchFilters | None = None,
    limit: int = QUICK_PER_KIND,
    exclude: Iterable[tuple[str, int]] = (),
) -> list[ItemHit] | None:
    """Items close in meaning to ``query`` (above the model's floor), one row per item, without those in
    ``exclude``. None when the embedding model is not loaded yet: this never waits for it."""
    if not (query or '').strip() or not embeddings.is_ready():
        return None
    skip = set(exclude)
    try:
        hits = semantic_search(query, filters=filters, limit=max(1, int(limit)) * 2 + len(skip))
    except UserError:  # still loading after all, or unavailable: the palette answers by words
        return None
    return [r for r in one_per_item(hits) if (r.kind, r.id) not in skip][: max(1, int(limit))]
