"""The demo's bulk writer: multi-row INSERTs whose columns come from the peewee models."""

from __future__ import annotations

import contextlib
import operator
import threading
from collections.abc import Iterator, Sequence
from itertools import chain
from queue import Empty, Full, Queue
from typing import Any

import peewee

from .. import db as dbmod
from ..models import (
    CORE_MODELS,
    Agent,
    AgentTag,
    AgentVersion,
    AppSetting,
    CollectionAgent,
    CollectionConversation,
    CollectionOutput,
    CollectionPrompt,
    Conversation,
    ConversationTag,
    Message,
    Output,
    OutputLink,
    OutputTag,
    Prompt,
    PromptTag,
    PromptVersion,
)


def count_key(model: type[peewee.Model]) -> str:
    table = model._meta.table_name
    return {'category': 'categories', 'llm_model': 'models'}.get(table, table + 's')


# What the demo reports counts of: every table of the schema but the settings.
COUNTED_MODELS: tuple[type[peewee.Model], ...] = tuple(m for m in CORE_MODELS if m is not AppSetting)


def _max_variables(db: peewee.Database) -> int:
    """How many ``?`` one statement may hold (pysqlite3 has no ``getlimit``; ask the build instead)."""
    for (option,) in db.execute_sql('PRAGMA compile_options'):
        if option.startswith('MAX_VARIABLE_NUMBER='):
            return int(option.split('=', 1)[1])
    return 32766 if dbmod.sqlite3.sqlite_version_info >= (3, 32, 0) else 999


class BulkWriter:
    """Bulk inserts as multi-row ``INSERT … VALUES (…), (…), …`` statements of up to ~1,000 rows.

    One statement per batch instead of one per row matters twice here: a trigger that writes to
    an FTS5 table makes FTS5 flush its pending terms at every statement (each runs in a savepoint),
    so row-by-row inserts build thousands of tiny index segments (2.5x slower with the search
    triggers); and the whole batch, triggers included, runs in one step with the GIL released, so
    the generator thread keeps the second core busy meanwhile.
    """

    def __init__(self, db: peewee.Database) -> None:
        self.db = db
        self._sql: dict[tuple[str, int], str] = {}
        self.max_vars = _max_variables(db)

    def _statement(self, columns: Columns, count: int) -> str:
        key = (columns.table, count)
        sql = self._sql.get(key)
        if sql is None:
            names = ', '.join(f'"{c}"' for c in columns.columns)
            group = '(' + ', '.join('?' * len(columns.columns)) + ')'
            sql = self._sql[key] = f'INSERT INTO main."{columns.table}" ({names}) VALUES ' + ', '.join(
                [group] * count
            )
        return sql

    def insert(self, columns: Columns, rows: Sequence[tuple]) -> int:
        """Insert ``rows`` (each made by ``columns.row``); return how many."""
        per = max(1, min(1000, self.max_vars // len(columns.columns)))
        cursor = self.db.cursor()
        for i in range(0, len(rows), per):
            batch = rows[i : i + per]
            cursor.execute(self._statement(columns, len(batch)), list(chain.from_iterable(batch)))
        return len(rows)

    def next_id(self, model: type[peewee.Model]) -> int:
        row = self.db.execute_sql(f'SELECT max(id) FROM "{model._meta.table_name}"').fetchone()
        return (row[0] or 0) + 1


class Columns:
    """The columns of one model's bulk insert, in the model's own field order (``_meta.sorted_fields``).

    Rows are built by field name (``OUTPUT.row(id=…, title=…, …)``) and must name every field: a field
    added to the model, or one renamed, fails loudly here instead of shifting the other values.
    """

    def __init__(self, model: type[peewee.Model]) -> None:
        fields = model._meta.sorted_fields
        self.model = model
        self.table: str = model._meta.table_name
        self.names: tuple[str, ...] = tuple(f.name for f in fields)
        self.columns: tuple[str, ...] = tuple(f.column_name for f in fields)
        self.position: dict[str, int] = {name: i for i, name in enumerate(self.names)}
        self._expected = frozenset(self.names)
        self._pick = operator.itemgetter(*self.names)

    def row(self, **values: Any) -> tuple:
        """One row's values (already as SQLite stores them: ids, timestamp text, JSON text)."""
        if values.keys() != self._expected:
            missing = sorted(self._expected - values.keys())
            unknown = sorted(values.keys() - self._expected)
            raise TypeError(f'{self.model.__name__} row: missing {missing}, unknown {unknown}')
        return self._pick(values)

    def replace(self, row: tuple, **values: Any) -> tuple:
        """``row`` with some fields changed."""
        changed = list(row)
        for name, value in values.items():
            changed[self.position[name]] = value
        return tuple(changed)


CONVERSATION = Columns(Conversation)
MESSAGE = Columns(Message)
OUTPUT = Columns(Output)
OUTPUT_TAG = Columns(OutputTag)
CONVERSATION_TAG = Columns(ConversationTag)
COLLECTION_OUTPUT = Columns(CollectionOutput)
COLLECTION_CONVERSATION = Columns(CollectionConversation)
OUTPUT_LINK = Columns(OutputLink)
PROMPT = Columns(Prompt)
PROMPT_VERSION = Columns(PromptVersion)
PROMPT_TAG = Columns(PromptTag)
COLLECTION_PROMPT = Columns(CollectionPrompt)
AGENT = Columns(Agent)
AGENT_VERSION = Columns(AgentVersion)
AGENT_TAG = Columns(AgentTag)
COLLECTION_AGENT = Columns(CollectionAgent)

# The rows one content chunk holds, by kind; also the insert order: parents before children.
ROW_TARGETS: dict[str, Columns] = {
    'conv': CONVERSATION,
    'msg': MESSAGE,
    'out': OUTPUT,
    'otag': OUTPUT_TAG,
    'ctag': CONVERSATION_TAG,
    'ocoll': COLLECTION_OUTPUT,
    'ccoll': COLLECTION_CONVERSATION,
    'link': OUTPUT_LINK,
}
ROW_KINDS = tuple(ROW_TARGETS)
# Which fields hold ids of the chunk's own conversations (0), messages (1) and outputs (2).
_REFERENCES = {'conversation': 0, 'active_leaf': 1, 'parent': 1, 'message': 1, 'output': 2, 'a': 2, 'b': 2}
_OWN_ID = {'conv': 0, 'msg': 1, 'out': 2}
_ID_POSITIONS = {
    kind: [
        (i, _OWN_ID[kind] if name == 'id' else _REFERENCES[name])
        for i, name in enumerate(columns.names)
        if name == 'id' or name in _REFERENCES
    ]
    for kind, columns in ROW_TARGETS.items()
}


def shift_ids(rows: dict[str, list[tuple]], deltas: tuple[int, ...]) -> dict[str, list[tuple]]:
    """Move a chunk's conversation, message and output ids by ``deltas`` (all its references are internal)."""
    shifted = {}
    for kind, items in rows.items():
        positions = [(i, deltas[t]) for i, t in _ID_POSITIONS[kind] if deltas[t]]
        if not positions:
            shifted[kind] = items
            continue
        out = []
        for row in items:
            row = list(row)
            for i, delta in positions:
                if row[i] is not None:
                    row[i] += delta
            out.append(tuple(row))
        shifted[kind] = out
    return shifted


def ahead(items: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """Iterate ``items`` with a thread computing up to ``depth`` items ahead; errors surface here."""
    queue: Queue[tuple[bool, Any]] = Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        queue.put((True, item), timeout=0.1)
                        break
                    except Full:
                        continue
                if stop.is_set():
                    return
            queue.put((False, None))
        except BaseException as exc:  # handed to the consumer, which re-raises it
            queue.put((False, exc))

    thread = threading.Thread(target=produce, name='demo-seed-generator', daemon=True)
    thread.start()
    try:
        while True:
            more, item = queue.get()
            if not more:
                if item is not None:
                    raise item
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            with contextlib.suppress(Empty):
                queue.get(timeout=0.1)
        thread.join()
