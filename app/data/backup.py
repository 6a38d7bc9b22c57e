"""Backups: an online, consistent copy of the database while the app writes (``VACUUM INTO``), a restore
that checks the file first and keeps the replaced database aside, and rotation of automatic backups."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import peewee

from .. import config
from ..errors import UserError
from . import migrations
from .db import DatabaseUnavailable, current, load_sqlite_vec, open_database
from .models import utcnow

sqlite3 = peewee.sqlite3  # the driver peewee uses (pysqlite3 where installed)

BACKUP_NAME = re.compile(r'^(?P<stem>.+)-(?P<stamp>\d{8}-\d{6})\.db$')
# what makes a file an Output Hub database (beyond being SQLite)
REQUIRED_TABLES = {'schema_migration', 'conversation', 'message', 'output', 'prompt', 'agent', 'tag'}


@dataclass
class BackupInfo:
    path: str
    size: int
    created_at: datetime

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), 'created_at': self.created_at.isoformat()}


@dataclass
class RestoreReport:
    restored_from: str
    database: str
    replaced_saved_as: str | None
    migrations_applied: list[str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _connect(path: Path) -> Any:
    conn = sqlite3.connect(str(path), timeout=30)
    conn.execute('PRAGMA busy_timeout = 30000')
    with contextlib.suppress(DatabaseUnavailable):
        load_sqlite_vec(conn)  # vec0 tables are only readable with it; a backup works without
    return conn


def current_db_path() -> Path:
    return Path(current().database)


def default_backup_dir(db_path: str | Path | None = None) -> Path:
    """Where a database's automatic backups live: ``<data dir>/backups/<name>/`` for a database in the
    data directory (the default one, the demo), else a ``<name>-backups/`` folder beside the file — the
    backups belong to the file they copy, so two ``notes.db`` in different folders never share one."""
    path = Path(db_path or current_db_path()).expanduser().resolve()
    stem = re.sub(r'[^\w.-]+', '_', path.stem)
    if path.parent == config.data_dir().resolve():
        return config.data_dir() / 'backups' / stem
    return path.parent / f'{stem}-backups'


def backup_name(db_path: str | Path, when: datetime | None = None) -> str:
    return f'{Path(db_path).stem}-{(when or utcnow()):%Y%m%d-%H%M%S}.db'


def backup_database(dest: str | Path | None = None, *, source: str | Path | None = None) -> BackupInfo:
    """Copy the database to ``dest`` (a file, or a folder to put a timestamped file in; default: the
    backup folder) while the app keeps working. The copy is one consistent snapshot, checked after
    writing, and only then moved into place."""
    src = Path(source).expanduser() if source else current_db_path()
    if not src.exists():
        raise UserError(f'There is no database at {src} to back up.')
    target = Path(dest).expanduser() if dest else default_backup_dir(src)
    if target.is_dir() or dest is None or str(dest).endswith(os.sep):
        target.mkdir(parents=True, exist_ok=True)
        target = target / backup_name(src)
    target.parent.mkdir(parents=True, exist_ok=True)
    if dest is None:
        config.make_private(target.parent)  # a full copy of the library, Secret items included
        if target.parent.parent == config.data_dir() / 'backups':
            config.make_private(target.parent.parent)
    if target.resolve() == src.resolve():
        raise UserError('A backup cannot overwrite the database it copies.')
    part = target.with_name(f'.{target.name}.part')
    part.unlink(missing_ok=True)
    conn = _connect(src)
    try:
        # VACUUM INTO reads one snapshot (a WAL reader: writers go on) and writes a compact copy.
        conn.execute('VACUUM INTO ?', (str(part),))
    except sqlite3.DatabaseError as exc:
        part.unlink(missing_ok=True)
        raise UserError(f'The backup failed: {exc}.') from exc
    finally:
        conn.close()
    problem = _integrity(part, quick=True)
    if problem:
        part.unlink(missing_ok=True)
        raise UserError(f'The backup copy did not pass its check ({problem}); nothing was replaced.')
    config.make_private(part)  # a full copy of the library, Secret items included
    os.replace(part, target)
    return BackupInfo(str(target), target.stat().st_size, utcnow())


def _integrity(path: Path, *, quick: bool = False) -> str | None:
    """None when the file is a sound SQLite database, else what is wrong (one line)."""
    try:
        conn = sqlite3.connect(f'file:{path.as_posix()}?mode=ro', uri=True, timeout=30)
    except sqlite3.DatabaseError as exc:
        return str(exc)
    try:
        rows = conn.execute('PRAGMA quick_check' if quick else 'PRAGMA integrity_check').fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        conn.close()
    result = '; '.join(str(r[0]) for r in rows[:3])
    return None if result == 'ok' else result


def check_backup(path: str | Path) -> list[str]:
    """Refuse (UserError) a file that is not a sound Output Hub database from this or an earlier version;
    return the migrations it still needs."""
    p = Path(path).expanduser()
    if p.is_dir():
        raise UserError(f'{p} is a folder; pick a backup file in it.')
    if not p.is_file():
        raise UserError(f'{p} does not exist.')
    with open(p, 'rb') as fh:
        if fh.read(16) != b'SQLite format 3\x00':
            raise UserError(f'{p.name} is not an SQLite database, so it is not an Output Hub backup.')
    problem = _integrity(p)
    if problem:
        raise UserError(f'{p.name} is damaged ({problem}); it was not restored.')
    conn = sqlite3.connect(f'file:{p.as_posix()}?mode=ro', uri=True)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        missing = REQUIRED_TABLES - tables
        if missing:
            raise UserError(
                f'{p.name} is an SQLite file but not an Output Hub database (no {sorted(missing)[0]} table).'
            )
        applied = [r[0] for r in conn.execute(f'SELECT name FROM {migrations.HISTORY_TABLE}')]
    finally:
        conn.close()
    known = migrations.all_names()
    newer = [name for name in applied if name not in known]
    if newer:
        raise UserError(
            f'{p.name} was made by a newer Output Hub (migration {newer[0]}); update the app first.'
        )
    return [name for name in known if name not in applied]


def restore_database(backup: str | Path, db_path: str | Path | None = None) -> RestoreReport:
    """Replace the database with ``backup`` after checking it. The replaced database is kept aside as
    ``<name>.before-restore-<time>.db`` next to it. Works while the app has the database open: the
    content is copied in through SQLite (the online backup API), never by swapping files underneath."""
    target = Path(db_path).expanduser() if db_path else current_db_path()
    source = Path(backup).expanduser()
    if source.exists() and target.exists() and source.resolve() == target.resolve():
        raise UserError('That is the database itself; pick a backup file.')
    check_backup(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f'.{target.name}.restore.part')
    staging.unlink(missing_ok=True)
    shutil.copyfile(source, staging)  # the user's backup file is never modified
    try:
        staged_db = open_database(staging)
        try:
            applied = migrations.upgrade(staged_db)  # bring an older backup up to this version
        finally:
            staged_db.close()
        aside = None
        if target.exists() and target.stat().st_size > 0:
            aside = target.with_name(f'{target.stem}.before-restore-{utcnow():%Y%m%d-%H%M%S}.db')
            backup_database(aside, source=target)
            _keep_access(aside, staging)
        src = _connect(staging)
        dst = _connect(target)
        try:
            src.backup(dst)
        except sqlite3.DatabaseError as exc:
            raise UserError(f'The restore could not write the database ({exc}); it is unchanged.') from exc
        finally:
            src.close()
            dst.close()
    finally:
        for suffix in ('', '-wal', '-shm'):
            Path(str(staging) + suffix).unlink(missing_ok=True)
    return RestoreReport(str(source), str(target), str(aside) if aside else None, applied)


# Who may reach this installation is not content: a restore keeps today's paired devices and API tokens.
ACCESS_TABLES = ('device', 'api_token')


def _keep_access(current: Path, staging: Path) -> None:
    """Copy the access tables of ``current`` (a copy of the database being replaced) over those of the
    staged backup. Otherwise restoring an older backup would bring back a phone or a token revoked
    since, and drop those paired after it."""
    src = _connect(current)
    dst = _connect(staging)
    try:
        with dst:
            for table in ACCESS_TABLES:
                have = [r[1] for r in src.execute(f'PRAGMA table_info({table})')]
                want = {r[1] for r in dst.execute(f'PRAGMA table_info({table})')}
                if not have or not want:
                    continue  # the replaced database predates the table: keep the backup's rows
                cols = [c for c in have if c in want]
                names = ', '.join(f'"{c}"' for c in cols)
                rows = src.execute(f'SELECT {names} FROM {table}').fetchall()
                dst.execute(f'DELETE FROM {table}')
                marks = ', '.join('?' * len(cols))
                dst.executemany(f'INSERT INTO {table} ({names}) VALUES ({marks})', rows)
    finally:
        src.close()
        dst.close()


def list_backups(folder: str | Path | None = None) -> list[BackupInfo]:
    """Backups in ``folder`` (default: the automatic backup folder), newest first."""
    root = Path(folder).expanduser() if folder else default_backup_dir()
    if not root.is_dir():
        return []
    out = []
    for p in root.iterdir():
        m = BACKUP_NAME.match(p.name)
        if m and p.is_file():
            out.append(BackupInfo(str(p), p.stat().st_size, datetime.strptime(m['stamp'], '%Y%m%d-%H%M%S')))
    return sorted(out, key=lambda b: b.created_at, reverse=True)


def prune_backups(
    folder: str | Path | None = None,
    *,
    keep_daily: int = 7,
    keep_weekly: int = 4,
    keep_monthly: int = 6,
) -> list[Path]:
    """Rotation: keep the newest backup of each of the last ``keep_daily`` days, ``keep_weekly`` weeks and
    ``keep_monthly`` months (and always the newest one); delete the other backup files. Returns them.
    Only files named like our backups are ever touched."""
    backups = list_backups(folder)
    keep: set[str] = set()
    if backups:
        keep.add(backups[0].path)
    for key, count in (
        (lambda d: d.date(), keep_daily),
        (lambda d: tuple(d.isocalendar())[:2], keep_weekly),
        (lambda d: (d.year, d.month), keep_monthly),
    ):
        seen: list[Any] = []
        for b in backups:  # newest first: the first of each period is its newest
            period = key(b.created_at)
            if period in seen:
                continue
            if len(seen) >= count:
                break
            seen.append(period)
            keep.add(b.path)
    removed = []
    for b in backups:
        if b.path not in keep:
            Path(b.path).unlink(missing_ok=True)
            removed.append(Path(b.path))
    return removed


def latest_backup_age(folder: str | Path | None = None, now: datetime | None = None) -> timedelta | None:
    backups = list_backups(folder)
    return (now or utcnow()) - backups[0].created_at if backups else None
