"""The relationship graph: items as nodes and their relations as edges, computed in SQL (graph page,
neighbourhood panels on detail pages)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..errors import NotFound, ValidationError
from . import db as dbmod
from . import kinds
from .text import LIKE_ESCAPE, like_contains

# Node kinds in legend order; the page colours them with design.KIND_COLORS.
KINDS: tuple[str, ...] = kinds.GRAPH
DEFAULT_LIMIT = 2000
MAX_LIMIT = 5000
MAX_DEPTH = 3
# One relation query never reads more rows than this (a tag on 50k outputs): the graph says "truncated".
FETCH_CAP = 20_000
# More marked items than this: recount every degree at once (after an import or the first start).
FULL_REFRESH = 5_000
LABEL_CHARS = 60

# table, label column, whether items of the kind can be in the trash
_TABLES: dict[str, tuple[str, str, bool]] = {
    k: (kinds.ALL[k].table, kinds.ALL[k].title_column or '', kinds.ALL[k].trashable) for k in KINDS
}

NodeKey = tuple[str, int]


def _live(column: str, kind: str) -> str:
    # "not in the (small) trash" needs only the id, so SQLite can answer from an index instead of
    # reading every row of a big table; the trash set is read once through the partial index.
    table = _TABLES[kind][0]
    return f'{column} NOT IN (SELECT id FROM "{table}" WHERE deleted_at IS NOT NULL)'


@dataclass(frozen=True)
class Relation:
    """One kind of edge: the SQL that yields (a id, b id) pairs; ``body`` keeps both ends out of the trash."""

    name: str
    a: str  # kind of the first end
    b: str  # kind of the second end
    a_col: str
    b_col: str
    body: str  # FROM ... WHERE ... (more conditions are appended with AND)


def _junction(name: str, table: str, owner: str, other: str, other_col: str) -> Relation:
    return Relation(
        name,
        owner,
        other,
        f'j.{owner}_id',
        f'j.{other_col}',
        f'FROM "{table}" j WHERE ' + _live(f'j.{owner}_id', owner),
    )


RELATIONS: tuple[Relation, ...] = (
    *(
        _junction('tagged', s.tag_junction._meta.table_name, k, 'tag', 'tag_id')
        for k, s in kinds.ITEMS.items()
    ),
    *(
        _junction('collected', s.collection_junction._meta.table_name, k, 'collection', 'collection_id')
        for k, s in kinds.ITEMS.items()
    ),
    Relation(
        'related',
        'output',
        'output',
        'j.a_id',
        'j.b_id',
        'FROM output_link j WHERE ' + _live('j.a_id', 'output') + ' AND ' + _live('j.b_id', 'output'),
    ),
    Relation(
        'prompt',
        'output',
        'prompt',
        'x.id',
        'v.prompt_id',
        'FROM output x JOIN prompt_version v ON v.id = x.prompt_version_id WHERE '
        + _live('x.id', 'output')
        + ' AND '
        + _live('v.prompt_id', 'prompt'),
    ),
    Relation(
        'agent',
        'output',
        'agent',
        'x.id',
        'v.agent_id',
        'FROM output x JOIN agent_version v ON v.id = x.agent_version_id WHERE '
        + _live('x.id', 'output')
        + ' AND '
        + _live('v.agent_id', 'agent'),
    ),
    Relation(
        'conversation',
        'output',
        'conversation',
        'x.id',
        'x.conversation_id',
        'FROM output x WHERE x.conversation_id IS NOT NULL AND '
        + _live('x.id', 'output')
        + ' AND '
        + _live('x.conversation_id', 'conversation'),
    ),
)

RELATION_LABELS = {
    'tagged': 'tagged',
    'collected': 'in collection',
    'related': 'related',
    'prompt': 'from prompt',
    'agent': 'by agent',
    'conversation': 'from conversation',
}


@dataclass(frozen=True)
class Node:
    kind: str
    id: int
    label: str
    degree: int  # relations to live items in the whole library, not only those shown

    @property
    def key(self) -> str:
        return node_key(self.kind, self.id)


@dataclass(frozen=True)
class Edge:
    source: str  # node key, e.g. "output:5"
    target: str
    relation: str  # a key of RELATION_LABELS


@dataclass
class Graph:
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    truncated: bool = False  # more items would have matched than the node limit allows
    focus: str | None = None  # the start item's key, if any

    def node(self, key: str) -> Node | None:
        return next((n for n in self.nodes if n.key == key), None)


def node_key(kind: str, item_id: int) -> str:
    return f'{kind}:{item_id}'


def parse_key(key: str) -> NodeKey:
    """``'output:5'`` -> ``('output', 5)``."""
    kind, _, raw = str(key).partition(':')
    if kind not in _TABLES or not raw.isdigit():
        raise ValidationError(f'Not an item of the graph: {key!r}.')
    return kind, int(raw)


def check_kinds(kinds: Iterable[str] | None) -> tuple[str, ...]:
    """The kinds to show, in legend order; None or empty means all."""
    if not kinds:
        return KINDS
    wanted = set(kinds)
    unknown = wanted - set(KINDS)
    if unknown:
        raise ValidationError(f'Unknown kind of item: {sorted(unknown)[0]!r}.')
    return tuple(k for k in KINDS if k in wanted)


def _check_limit(limit: int) -> int:
    return max(1, min(MAX_LIMIT, int(limit)))


def _rows(sql: str, params: Iterable[object] = ()) -> list[tuple]:
    return dbmod.current().execute_sql(sql, list(params)).fetchall()


def _ids_json(ids: Iterable[int]) -> str:
    return json.dumps(sorted(set(ids)))


_REFRESH_LOCK = threading.Lock()
_IN_JSON = ' IN (SELECT value FROM json_each(?))'


# --------------------------------------------------------------------------- building blocks


def _by_kind(keys: Iterable[NodeKey]) -> dict[str, set[int]]:
    out: dict[str, set[int]] = {}
    for kind, item_id in keys:
        out.setdefault(kind, set()).add(item_id)
    return out


def _sides(rel: Relation) -> tuple[tuple[str, str, str, str], ...]:
    """(this kind, this column, other kind, other column) for both directions of a relation."""
    return ((rel.a, rel.a_col, rel.b, rel.b_col), (rel.b, rel.b_col, rel.a, rel.a_col))


def _neighbours(frontier: dict[str, set[int]], kinds: tuple[str, ...]) -> tuple[set[NodeKey], bool]:
    """Items related to any of ``frontier`` whose kind is in ``kinds``; True if a query hit FETCH_CAP."""
    found: set[NodeKey] = set()
    capped = False
    for rel in RELATIONS:
        for this, this_col, other, other_col in _sides(rel):
            ids = frontier.get(this)
            if not ids or other not in kinds:
                continue
            rows = _rows(
                f'SELECT DISTINCT {other_col} {rel.body} AND {this_col}{_IN_JSON} LIMIT ?',
                [_ids_json(ids), FETCH_CAP],
            )
            capped = capped or len(rows) >= FETCH_CAP
            found.update((other, r[0]) for r in rows)
    return found, capped


def compute_degrees(keys: Iterable[NodeKey]) -> dict[NodeKey, int]:
    """How many relations each item has with live items, counted now from the relation tables."""
    wanted = _by_kind(keys)
    out: dict[NodeKey, int] = {}
    for kind, ids in wanted.items():
        for item_id in ids:
            out[(kind, item_id)] = 0
    for rel in RELATIONS:
        for this, this_col, _, _ in _sides(rel):
            ids = wanted.get(this)
            if not ids:
                continue
            for item_id, n in _rows(
                f'SELECT {this_col}, count(*) {rel.body} AND {this_col}{_IN_JSON} GROUP BY 1',
                [_ids_json(ids)],
            ):
                out[(this, item_id)] += n
    return out


def compute_all_degrees() -> dict[NodeKey, int]:
    """Every live item's degree, counted from the relation tables (items without relations left out)."""
    out: dict[NodeKey, int] = {}
    for rel in RELATIONS:
        for this, this_col, _, _ in _sides(rel):
            for item_id, n in _rows(f'SELECT {this_col}, count(*) {rel.body} GROUP BY 1'):
                out[(this, item_id)] = out.get((this, item_id), 0) + n
    return out


def _live_keys(keys: Iterable[NodeKey]) -> set[NodeKey]:
    live: set[NodeKey] = set()
    for kind, ids in _by_kind(keys).items():
        if kind not in _TABLES:
            continue
        table, _, trashable = _TABLES[kind]
        cond = ' AND deleted_at IS NULL' if trashable else ''
        live.update(
            (kind, r[0])
            for r in _rows(f'SELECT id FROM "{table}" WHERE id{_IN_JSON}{cond}', [_ids_json(ids)])
        )
    return live


def refresh_degrees() -> int:
    """Bring the stored numbers up to date (see ``_refresh_degrees_unlocked``); one refresh at a time per process,
    so two pages opened together do not both recount a big library."""
    with _REFRESH_LOCK:
        return _refresh_degrees_unlocked()


def _refresh_degrees_unlocked() -> int:
    """Recompute the stored degree of every item a write has marked (migration 0005); returns how many.

    The counting happens outside the write lock; only the short write of the results takes it. A mark
    whose ``gen`` moved on meanwhile stays, so the next reader recomputes that item again.
    """
    dirty = _rows('SELECT kind, id, gen FROM graph_dirty')
    if not dirty:
        return 0
    full = len(dirty) > FULL_REFRESH or any(kind == '*' for kind, _, _ in dirty)
    if full:
        fresh = compute_all_degrees()
    else:
        keys = [(kind, i) for kind, i, _ in dirty]
        fresh = compute_degrees(_live_keys(keys))
    rows = [(kind, i, n) for (kind, i), n in fresh.items() if n > 0]
    with dbmod.write_tx():
        database = dbmod.current()
        if full:
            database.execute_sql('DELETE FROM graph_degree')
        else:
            database.cursor().executemany(
                'DELETE FROM graph_degree WHERE kind = ? AND id = ?', [(k, i) for k, i, _ in dirty]
            )
        database.cursor().executemany(
            'INSERT OR REPLACE INTO graph_degree (kind, id, degree) VALUES (?, ?, ?)', rows
        )
        database.cursor().executemany('DELETE FROM graph_dirty WHERE kind = ? AND id = ? AND gen = ?', dirty)
    return len(dirty)


def needs_full_refresh() -> bool:
    """True when the next graph has to count every degree (first start after an upgrade, big import)."""
    n, star = _rows("SELECT count(*), max(kind = '*') FROM graph_dirty")[0]
    return bool(star) or n > FULL_REFRESH


def degrees(keys: Iterable[NodeKey]) -> dict[NodeKey, int]:
    """How many relations each item has with live items (the whole library, not only a subgraph)."""
    refresh_degrees()
    out: dict[NodeKey, int] = {}
    for kind, ids in _by_kind(keys).items():
        for item_id in ids:
            out[(kind, item_id)] = 0
        for item_id, n in _rows(
            f'SELECT id, degree FROM graph_degree WHERE kind = ? AND id{_IN_JSON}', [kind, _ids_json(ids)]
        ):
            out[(kind, item_id)] = n
    return out


def _labels(keys: Iterable[NodeKey]) -> dict[NodeKey, str]:
    """Display names of the live items among ``keys`` (missing or trashed items are left out)."""
    out: dict[NodeKey, str] = {}
    for kind, ids in _by_kind(keys).items():
        table, column, trashable = _TABLES[kind]
        live = ' AND deleted_at IS NULL' if trashable else ''
        for item_id, label in _rows(
            f'SELECT id, "{column}" FROM "{table}" WHERE id{_IN_JSON}{live}', [_ids_json(ids)]
        ):
            text = ' '.join(str(label or '').split())
            if len(text) > LABEL_CHARS:
                text = text[: LABEL_CHARS - 1].rstrip() + '…'
            out[(kind, item_id)] = text or f'{kind.capitalize()} {item_id}'
    return out


def _edges_among(keys: Iterable[NodeKey]) -> list[Edge]:
    """Every relation between two of ``keys`` (each pair once per relation)."""
    wanted = _by_kind(keys)
    edges: list[Edge] = []
    for rel in RELATIONS:
        a_ids, b_ids = wanted.get(rel.a), wanted.get(rel.b)
        if not a_ids or not b_ids:
            continue
        # walk the first end's index only ("+" keeps SQLite from crossing both id lists: 2000 x 2000 probes)
        for a, b in _rows(
            f'SELECT {rel.a_col}, {rel.b_col} {rel.body} AND {rel.a_col}{_IN_JSON} AND +{rel.b_col}{_IN_JSON}',
            [_ids_json(a_ids), _ids_json(b_ids)],
        ):
            edges.append(Edge(node_key(rel.a, a), node_key(rel.b, b), rel.name))
    edges.sort(key=lambda e: (e.source, e.target, e.relation))
    return edges


def _build(keys: set[NodeKey], *, truncated: bool, focus: NodeKey | None = None) -> Graph:
    labels = _labels(keys)
    live = set(labels)
    deg = degrees(live)
    order = {k: i for i, k in enumerate(KINDS)}
    nodes = [Node(k, i, labels[(k, i)], deg.get((k, i), 0)) for k, i in live]
    nodes.sort(key=lambda n: (order[n.kind], n.id))
    return Graph(
        nodes=nodes,
        edges=_edges_among(live),
        truncated=truncated,
        focus=node_key(*focus) if focus and focus in live else None,
    )


def _pick(candidates: set[NodeKey], budget: int) -> list[NodeKey]:
    """The ``budget`` best-connected candidates (newest first among equals)."""
    if len(candidates) <= budget:
        return sorted(candidates)
    deg = degrees(candidates)
    # the same order as most_connected's ranking: degree, then newest, then kind
    ranked = sorted(candidates, key=lambda k: (-deg.get(k, 0), -k[1], k[0]))
    return ranked[: max(0, budget)]


def _check_item(kind: str, item_id: int) -> None:
    table, _, trashable = _TABLES[kind]
    row = _rows(f'SELECT {"deleted_at" if trashable else "NULL"} FROM "{table}" WHERE id = ?', [item_id])
    name = kind.capitalize()
    if not row:
        raise NotFound(f'{name} {item_id} does not exist.')
    if row[0][0] is not None:
        raise NotFound(f'{name} {item_id} is in the trash.')


# --------------------------------------------------------------------------- public API


def most_connected(kinds: Iterable[str] | None = None, limit: int = DEFAULT_LIMIT) -> Graph:
    """The ``limit`` items with the most relations (of the chosen kinds) and every relation among them."""
    kinds = check_kinds(kinds)
    limit = _check_limit(limit)
    refresh_degrees()
    marks = ','.join('?' * len(kinds))
    rows = _rows(
        f'SELECT kind, id FROM graph_degree WHERE kind IN ({marks}) ORDER BY degree DESC, id DESC, kind LIMIT ?',
        [*kinds, limit + 1],
    )
    keys = {(kind, i) for kind, i in rows[:limit]}
    return _build(keys, truncated=len(rows) > limit)


def neighbourhood(
    kind: str,
    item_id: int,
    *,
    depth: int = 1,
    kinds: Iterable[str] | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Graph:
    """An item and everything within ``depth`` relations of it (best-connected first beyond ``limit``)."""
    if kind not in _TABLES:
        raise ValidationError(f'Unknown kind of item: {kind!r}.')
    kinds = check_kinds(kinds)
    limit = _check_limit(limit)
    depth = max(1, min(MAX_DEPTH, int(depth)))
    _check_item(kind, item_id)
    start: NodeKey = (kind, item_id)
    keys: set[NodeKey] = {start}
    frontier = {start}
    truncated = False
    for _ in range(depth):
        found, capped = _neighbours(_by_kind(frontier), kinds)
        truncated = truncated or capped
        new = found - keys
        budget = limit - len(keys)
        if len(new) > budget:
            truncated = True
        chosen = _pick(new, budget)
        keys.update(chosen)
        frontier = set(chosen)
        if not frontier:
            break
    return _build(keys, truncated=truncated, focus=start)


def expand(
    kind: str,
    item_id: int,
    present: Iterable[str],
    *,
    kinds: Iterable[str] | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Graph:
    """The graph ``present`` (node keys) plus the neighbours of one item, with every relation among them."""
    if kind not in _TABLES:
        raise ValidationError(f'Unknown kind of item: {kind!r}.')
    kinds = check_kinds(kinds)
    limit = _check_limit(limit)
    _check_item(kind, item_id)
    start: NodeKey = (kind, item_id)
    keys = {parse_key(k) for k in present} | {start}
    found, truncated = _neighbours(_by_kind([start]), kinds)
    new = found - keys
    budget = limit - len(keys)
    if len(new) > budget:
        truncated = True
    keys.update(_pick(new, budget))
    return _build(keys, truncated=truncated, focus=start)


@dataclass(frozen=True)
class Found:
    kind: str
    id: int
    label: str

    @property
    def key(self) -> str:
        return node_key(self.kind, self.id)


def find_items(text: str, kinds: Iterable[str] | None = None, *, limit: int = 10) -> list[Found]:
    """Items whose name contains ``text`` (trash excluded), for "search to focus a node"."""
    text = ' '.join((text or '').split())[:200]
    if not text:
        return []
    kinds = check_kinds(kinds)
    like = like_contains(text)
    found: list[Found] = []
    for kind in kinds:
        table, column, trashable = _TABLES[kind]
        live = ' AND deleted_at IS NULL' if trashable else ''
        rows = _rows(
            f'SELECT id, "{column}" FROM "{table}" WHERE "{column}" LIKE ? {LIKE_ESCAPE}{live} '
            'ORDER BY id DESC LIMIT ?',
            [like, limit],
        )
        found.extend(
            Found(kind, i, ' '.join(str(label or '').split())[:120] or f'{kind} {i}') for i, label in rows
        )
    # names that start with the text first, then shorter names
    lowered = text.lower()
    found.sort(key=lambda f: (not f.label.lower().startswith(lowered), len(f.label)))
    return found[:limit]
