"""Backups while the app writes, restores that check first and keep the old database, rotation, the service."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from app.config import Settings
from app.context import AppContext
from app.data import backup, migrations, outputs, settings_store
from app.data import db as dbmod
from app.data.models import Output
from app.errors import UserError
from app.services import backups as backup_service
from tests.waits import wait_until


def capture(body: str) -> Output:
    return outputs.capture_output(outputs.CaptureData(body=body))


def count_outputs(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute('SELECT count(*) FROM output').fetchone()[0]
    finally:
        conn.close()


def test_backup_while_another_connection_keeps_writing(db, db_path, tmp_path):
    for i in range(50):
        capture(f'before {i}')
    stop = threading.Event()
    written: list[int] = []

    def writer():
        while not stop.is_set():
            written.append(capture(f'during {len(written)}').id)
        dbmod.current().close()

    t = threading.Thread(target=writer)
    t.start()
    try:
        wait_until(lambda: len(written) >= 5, what='the writer getting going')
        info = backup.backup_database(tmp_path / 'copy.db')
    finally:
        stop.set()
        t.join()
    assert written
    path = Path(info.path)
    assert path == tmp_path / 'copy.db' and info.size == path.stat().st_size
    assert 50 <= count_outputs(path) <= 50 + len(written)
    assert backup.check_backup(path) == []  # sound, an Output Hub database, fully migrated
    assert not list(tmp_path.glob('.*.part'))


def test_backup_into_a_folder_gets_a_timestamped_name(db, tmp_path):
    folder = tmp_path / 'backups'
    folder.mkdir()
    info = backup.backup_database(folder)
    assert backup.BACKUP_NAME.match(Path(info.path).name)
    assert [b.path for b in backup.list_backups(folder)] == [info.path]


def test_backup_keeps_search_tables_readable(db, tmp_path):
    capture('a searchable sentence about pelicans')
    info = backup.backup_database(tmp_path / 'copy.db')
    copy = dbmod.open_database(info.path)
    try:
        names = {r[0] for r in copy.execute_sql("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if 'output_fts' in names:
            hits = copy.execute_sql(
                "SELECT rowid FROM output_fts WHERE output_fts MATCH 'pelicans'"
            ).fetchall()
            assert len(hits) == 1
        if 'embed_vec' in names:
            copy.execute_sql('SELECT count(*) FROM embed_vec').fetchone()
    finally:
        copy.close()


def test_restore_replaces_content_and_keeps_the_old_database_aside(db, db_path, tmp_path):
    capture('kept in the backup')
    info = backup.backup_database(tmp_path / 'b.db')
    capture('written after the backup')
    assert Output.select().count() == 2

    report = backup.restore_database(info.path, db_path)
    # the app's own connection is still open: it sees the restored content
    assert [o.body for o in Output.select()] == ['kept in the backup']
    aside = Path(report.replaced_saved_as)
    assert aside.parent == db_path.parent and 'before-restore' in aside.name
    assert count_outputs(aside) == 2
    assert count_outputs(Path(info.path)) == 1  # the backup file itself is untouched
    capture('the app goes on writing')
    assert Output.select().count() == 2


def test_restore_keeps_todays_devices_and_tokens(db, db_path, tmp_path):
    """A phone revoked after a backup must not get back in when that backup is restored."""
    from app.data import access

    phone = access.create_device('Lost phone')
    old_token = access.create_token('Old script', 'write')
    info = backup.backup_database(tmp_path / 'b.db')
    access.revoke_device(phone.id)
    access.revoke_token(old_token.row.id)
    tablet = access.create_device('New tablet')
    new_token = access.create_token('New script')

    backup.restore_database(info.path, db_path)
    assert access.active_device(phone.id) is None  # still revoked
    assert access.find_token(old_token.token) is None
    assert access.active_device(tablet.id) is not None  # paired after the backup: still paired
    assert access.find_token(new_token.token) is not None
    assert sorted(d.name for d in access.list_devices()) == ['Lost phone', 'New tablet']


def test_restore_of_an_older_backup_migrates_it(db_path, tmp_path):
    old = tmp_path / 'old.db'
    old_db = dbmod.open_database(old)
    migrations.upgrade(old_db, target=migrations.all_names()[0])
    old_db.execute_sql(
        'INSERT INTO output (created_at, updated_at, favourite, keep, title, body, body_hash) '
        "VALUES ('2024-01-01 00:00:00', '2024-01-01 00:00:00', 0, 0, 'Old', 'old body', 'h')"
    )
    old_db.close()
    pending = backup.check_backup(old)
    assert pending == migrations.all_names()[1:]
    report = backup.restore_database(old, db_path)
    assert report.replaced_saved_as is None and report.migrations_applied == pending
    dbmod.connect(db_path)
    assert [o.body for o in Output.select()] == ['old body']
    assert migrations.pending(dbmod.current()) == []


def test_restore_refuses_what_is_not_a_sound_output_hub_database(db, db_path, tmp_path):
    capture('precious')
    not_sqlite = tmp_path / 'notes.db'
    not_sqlite.write_text('hello')
    other = tmp_path / 'other.db'
    conn = sqlite3.connect(other)
    conn.execute('CREATE TABLE t (x)')
    conn.commit()
    conn.close()
    damaged = tmp_path / 'damaged.db'
    good = Path(backup.backup_database(tmp_path / 'good.db').path).read_bytes()
    damaged.write_bytes(good[:4096] + b'\x00garbage' * 1000 + good[12000:])
    newer = tmp_path / 'newer.db'
    newer.write_bytes(good)
    conn = sqlite3.connect(newer)
    conn.execute(
        f"INSERT INTO {migrations.HISTORY_TABLE} (name, applied) VALUES ('9999_future', '2030-01-01')"
    )
    conn.commit()
    conn.close()
    for path, words in [
        (not_sqlite, 'not an SQLite database'),
        (other, 'not an Output Hub database'),
        (damaged, 'damaged|not an SQLite'),
        (newer, 'newer Output Hub'),
        (tmp_path / 'missing.db', 'does not exist'),
        (tmp_path, 'is a folder'),
        (db_path, 'database itself'),
    ]:
        with pytest.raises(UserError, match=words):
            backup.restore_database(path, db_path)
    assert [o.body for o in Output.select()] == ['precious']
    assert not list(db_path.parent.glob('*.before-restore-*'))


def test_rotation_keeps_daily_weekly_and_monthly_backups(tmp_path):
    start = datetime(2026, 1, 1, 3, 0, 0)
    for day in range(120):
        for hour in (3, 15):  # two a day
            when = start + timedelta(days=day, hours=hour - 3)
            (tmp_path / backup.backup_name('outputhub.db', when)).write_bytes(b'x')
    (tmp_path / 'notes.txt').write_text('not a backup')
    (tmp_path / 'other-name.db').write_bytes(b'not ours')
    removed = backup.prune_backups(tmp_path, keep_daily=7, keep_weekly=4, keep_monthly=3)
    kept = backup.list_backups(tmp_path)
    stamps = [b.created_at for b in kept]
    newest = start + timedelta(days=119, hours=12)
    assert stamps[0] == newest
    assert len({s.date() for s in stamps}) == len(stamps)  # one per period
    assert {(newest - s).days for s in stamps} >= set(range(7))  # the last seven days
    assert len(kept) <= 7 + 4 + 3 and len(kept) + len(removed) == 240
    assert {(s.year, s.month) for s in stamps} == {(2026, 2), (2026, 3), (2026, 4)}
    assert (tmp_path / 'notes.txt').exists() and (tmp_path / 'other-name.db').exists()


def test_scheduler_backs_up_when_due_rotates_and_stops(db, db_path, tmp_path):
    folder = tmp_path / 'auto'
    capture('x')
    scheduler = backup_service.BackupScheduler(
        db_path=db_path, folder=folder, first_check=0.0, check_every=0.05
    )
    scheduler.start()
    try:
        wait_until(lambda: backup.list_backups(folder), what='the first automatic backup')
        time.sleep(0.3)  # six more checks (every 0.05 s) in which it is not due again: still one backup
    finally:
        scheduler.stop()
    assert len(backup.list_backups(folder)) == 1
    status = scheduler.status()
    assert (
        status['count'] == 1 and status['latest'] and status['last_error'] is None and not status['running']
    )
    assert not scheduler.due()
    settings_store.put(backup_service.SETTING_KEY, {'enabled': False})
    assert not scheduler.due(datetime(2100, 1, 1))


def test_scheduler_failure_is_a_warning_not_an_error(db, tmp_path, caplog):
    scheduler = backup_service.BackupScheduler(db_path=tmp_path / 'missing.db', folder=tmp_path / 'auto')
    scheduler.check()
    assert scheduler.last_error and 'no database' in scheduler.last_error.lower()
    assert not [r for r in caplog.records if r.levelname in ('ERROR', 'CRITICAL')]


def test_service_start_and_stop(db, db_path):
    ctx = AppContext(settings=Settings(db_path=db_path))
    backup_service.start(ctx)
    try:
        assert isinstance(ctx.backups, backup_service.BackupScheduler) and ctx.backups.status()['running']
        assert ctx.backups.folder == backup.default_backup_dir(db_path)
    finally:
        backup_service.stop(ctx)
    assert not ctx.backups.status()['running']
    demo = AppContext(settings=Settings(db_path=db_path, demo=True))
    backup_service.start(demo)
    assert demo.backups is None


def test_backups_belong_to_the_database_they_copy(tmp_path):
    """Two databases with the same file name in different folders never share a backup folder; the
    default database's backups stay in the data directory."""
    from app import config

    first, second = tmp_path / 'work' / 'notes.db', tmp_path / 'home' / 'notes.db'
    folders = set()
    for path in (first, second):
        dbmod.connect(path)
        outputs.capture_output(outputs.CaptureData(body=f'in {path.parent.name}'))
        info = backup.backup_database()
        dbmod.close()
        folders.add(Path(info.path).parent)
        assert Path(info.path).parent == path.parent / 'notes-backups'
    assert len(folders) == 2
    default = config.data_dir() / 'outputhub.db'
    assert backup.default_backup_dir(default) == config.data_dir() / 'backups' / 'outputhub'
