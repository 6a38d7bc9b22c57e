"""The one place that opens the SQLite database: driver choice, sqlite-vec, pragmas, migrations."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import peewee

from .. import config
from ..errors import DiskFull, is_disk_full, note_disk_full
from . import migrations

log = logging.getLogger(__name__)

# peewee already prefers pysqlite3 when it is installed (its SQLite can load extensions);
# we use the very same module so our checks match what peewee connects with.
sqlite3 = peewee.sqlite3

PRAGMAS = {
    'journal_mode': 'wal',
    'synchronous': 'normal',
    'foreign_keys': 1,
    'busy_timeout': 15000,
    'cache_size': -64 * 1024,  # 64 MB
    'mmap_size': 256 * 1024 * 1024,
    'temp_store': 'memory',
}

INSTALL_HINT = (
    'Output Hub needs an SQLite that can load the sqlite-vec extension. '
    'Install it with: pip install sqlite-vec pysqlite3-binary (Linux), or use a Python whose sqlite3 '
    'module supports enable_load_extension (python.org or Homebrew builds on macOS, the official Windows installer).'
)


class DatabaseUnavailable(RuntimeError):
    """The database cannot be opened (missing extension, unreadable or corrupt file)."""


def load_sqlite_vec(conn) -> None:
    try:
        import sqlite_vec
    except ImportError as exc:  # pragma: no cover - dependency missing
        raise DatabaseUnavailable(INSTALL_HINT) from exc
    if not hasattr(conn, 'enable_load_extension'):
        raise DatabaseUnavailable(INSTALL_HINT)
    try:
        conn.enable_load_extension(True)
        sqlite_vec.load(conn)
        conn.enable_load_extension(False)
    except Exception as exc:
        raise DatabaseUnavailable(f'{INSTALL_HINT} (loading sqlite-vec failed: {exc})') from exc


class HubDatabase(peewee.SqliteDatabase):
    """SQLite with sqlite-vec loaded on every connection and write transactions that take the lock first.

    ``lock_type='IMMEDIATE'`` makes every ``atomic()`` block start with ``BEGIN IMMEDIATE``: a writer
    waits (busy_timeout) for the write lock instead of failing with "database is locked" when it
    upgrades a read snapshot that another writer has moved past.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Writers of this process queue here before BEGIN IMMEDIATE. SQLite's busy handler only polls,
        # so with many writers an unlucky one could wait past busy_timeout and fail with "database is
        # locked" (the reliability suite saw it with 20 writers); queued on a lock, each thread waits its
        # turn and SQLite arbitrates only between processes (the app, a CLI import).
        self._write_lock = threading.RLock()
        self._write_held = threading.local()

    def _add_conn_hooks(self, conn) -> None:
        load_sqlite_vec(conn)
        super()._add_conn_hooks(conn)

    def begin(self, lock_type: str | None = None) -> None:
        if (lock_type or self._lock_type or '').upper() in ('', 'DEFERRED'):
            super().begin(lock_type)  # a read snapshot: no queue
            return
        self._write_lock.acquire()
        try:
            super().begin(lock_type)
        except BaseException:
            self._write_lock.release()
            raise
        self._write_held.depth = getattr(self._write_held, 'depth', 0) + 1

    def _release_write_lock(self) -> None:
        depth = getattr(self._write_held, 'depth', 0)
        if depth:
            self._write_held.depth = depth - 1
            self._write_lock.release()

    def commit(self) -> None:
        super().commit()
        self._release_write_lock()  # a failed COMMIT keeps it: peewee rolls back next, which releases

    def rollback(self) -> None:
        try:
            # SQLite itself rolls the whole transaction back on some errors (SQLITE_FULL: a full disk);
            # a second ROLLBACK would fail and hide the error that matters
            if self.is_closed() or self.connection().in_transaction:
                super().rollback()
        finally:
            self._release_write_lock()


# Every model is bound to this proxy; `connect()` points it at the open database.
database_proxy = peewee.DatabaseProxy()


def open_database(path: str | Path) -> HubDatabase:
    """Open (creating if needed) the database file with our pragmas and sqlite-vec. No migrations."""
    path = Path(path).expanduser()
    if str(path) != ':memory:':
        path.parent.mkdir(parents=True, exist_ok=True)
    db = HubDatabase(str(path), pragmas=PRAGMAS, lock_type='IMMEDIATE', timeout=15)
    try:
        db.connect(reuse_if_open=True)
        db.execute_sql('SELECT count(*) FROM sqlite_master').fetchone()
    except DatabaseUnavailable:
        raise
    except peewee.DatabaseError as exc:
        raise DatabaseUnavailable(f'{path} is not a readable Output Hub database ({exc}).') from exc
    if str(path) != ':memory:':
        config.make_private(path, f'{path}-wal', f'{path}-shm')
    return db


MAX_ROW_ID = 2**63 - 1  # SQLite's largest INTEGER: a bigger number in an address can name no row


def row_id(raw: object) -> int | None:
    """``raw`` (text from an address) as a row id, or None when it is not one SQLite could store."""
    try:
        value = int(str(raw).strip())
    except ValueError:
        return None
    return value if 1 <= value <= MAX_ROW_ID else None


# Steps run by every ``connect()`` once the models are bound, in the order registered: modules above this
# one add what a fresh database needs (``defaults`` its lookup rows) — opening a file knows no rows.
_ON_CONNECT: dict[str, Callable[[], None]] = {}


def on_connect(step: Callable[[], None]) -> Callable[[], None]:
    """Run ``step`` after every ``connect()`` (registering it again, e.g. on a module reload, replaces it)."""
    _ON_CONNECT[f'{step.__module__}.{step.__qualname__}'] = step
    return step


def connect(path: str | Path, *, migrate: bool = True, defaults: bool = True) -> HubDatabase:
    """Open the database, bring its schema up to date, bind the models and run the ``on_connect`` steps
    (the default lookup rows; ``defaults=False`` skips them)."""
    db = open_database(path)
    if migrate:
        migrations.upgrade(db)
    database_proxy.initialize(db)
    if defaults:
        for step in list(_ON_CONNECT.values()):
            step()
    return db


def current() -> HubDatabase:
    """The database the models are bound to (raises if none is open)."""
    db = database_proxy.obj
    if db is None:
        raise DatabaseUnavailable('No database is open.')
    return db


def close() -> None:
    db = database_proxy.obj
    if db is not None and not db.is_closed():
        db.close()


@contextmanager
def write_tx() -> Iterator[None]:
    """A short write transaction (BEGIN IMMEDIATE); nests as a savepoint. A full disk rolls it back whole
    and raises ``DiskFull`` (one sentence for the UI, CLI and API)."""
    try:
        with current().atomic():
            yield
    except (peewee.OperationalError, peewee.DatabaseError, OSError) as exc:
        if not is_disk_full(exc):
            raise
        note_disk_full(log)
        raise DiskFull() from exc


def vec_version(db: peewee.SqliteDatabase | None = None) -> str:
    db = db or current()
    return db.execute_sql('SELECT vec_version()').fetchone()[0]
