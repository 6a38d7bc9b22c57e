"""Backups taken while writers keep capturing: each backup opens, passes ``PRAGMA integrity_check``, is a
consistent snapshot (every output it holds is whole, with its tags), and restores into a database the app
opens and reads."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from app.data import backup, outputs
from app.data import db as dbmod
from app.data.models import Output
from tests.waits import wait_until

from .conftest import integrity, sqlite3

WRITERS = 4
SEED_ROWS = 20_000
BACKUPS = 3


def _snapshot(path: Path) -> tuple[int, int, int]:
    """(outputs, outputs without their tag row, FTS rows) in a database file."""
    conn = sqlite3.connect(str(path))
    try:
        n = conn.execute('SELECT count(*) FROM output').fetchone()[0]
        untagged = conn.execute(
            'SELECT count(*) FROM output o WHERE NOT EXISTS (SELECT 1 FROM output_tag t WHERE t.output_id = o.id)'
        ).fetchone()[0]
        fts = conn.execute("SELECT count(*) FROM output_fts WHERE output_fts MATCH 'writer'").fetchone()[0]
    finally:
        conn.close()
    return n, untagged, fts


def test_backups_taken_under_load_open_check_and_restore(tmp_path: Path, db_path: Path, figure) -> None:
    database = dbmod.connect(db_path)
    with dbmod.write_tx():  # a library of some size first, so a backup takes a while to copy
        database.execute_sql(
            'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?) '
            'INSERT INTO output (created_at, updated_at, title, body, body_hash, favourite, keep) '
            "SELECT datetime('now'), datetime('now'), 'seed ' || i, 'seeded writer text ' || i || ' ' || "
            'hex(randomblob(400)), hex(randomblob(16)), 0, 0 FROM n',
            (SEED_ROWS,),
        )
        database.execute_sql(
            "INSERT INTO tag (created_at, updated_at, name) VALUES (datetime('now'), datetime('now'), 'seed')"
        )
        database.execute_sql(
            "INSERT INTO output_tag (created_at, output_id, tag_id) SELECT datetime('now'), id, "
            "(SELECT id FROM tag WHERE name = 'seed') FROM output"
        )
    stop = threading.Event()
    errors: list[str] = []
    written = [0] * WRITERS

    def writer(n: int) -> None:
        i = 0
        while not stop.is_set():
            try:
                outputs.capture_output(
                    outputs.CaptureData(body=f'writer {n} capture {i} ' + 'lorem ipsum ' * 40, tags=[f'w{n}'])
                )
                written[n] += 1
            except Exception as exc:
                errors.append(f'{type(exc).__name__}: {exc}')
            i += 1
        dbmod.current().close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for t in threads:
        t.start()
    made: list[tuple[Path, float, int]] = []
    try:
        wait_until(
            lambda: all(written), what='every writer writing'
        )  # the load is on before the first backup
        for k in range(BACKUPS):
            before = sum(written)
            t0 = time.perf_counter()
            info = backup.backup_database(tmp_path / f'under-load-{k}.db')
            made.append((Path(info.path), time.perf_counter() - t0, sum(written) - before))
            time.sleep(0.5)
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert not errors, errors[:5]
    final = Output.select().count()

    restored_counts = []
    for path, _, _ in made:
        assert integrity(path) == 'ok'
        backup.check_backup(path)  # the app's own check: an Output Hub database it can restore
        n, untagged, fts = _snapshot(path)
        assert 0 < n <= final
        assert untagged == 0  # each capture is in the backup whole (its tag came with it) or not at all
        assert fts == n  # the keyword index matches the rows: one snapshot, not a torn copy
        target = tmp_path / f'restored-{path.stem}.db'
        backup.restore_database(path, target)
        assert integrity(target) == 'ok'
        restored = dbmod.open_database(target)
        try:
            assert restored.execute_sql('SELECT count(*) FROM output').fetchone()[0] == n
        finally:
            restored.close()
        restored_counts.append(n)
    dbmod.close()
    assert integrity(db_path) == 'ok'
    during = ', '.join(f'{s:.2f} s ({w} captures meanwhile)' for _, s, w in made)
    figure(
        f'backup under load: {BACKUPS} backups while {WRITERS} writers captured {sum(written)} outputs '
        f'(0 errors); each passed integrity_check and restored ({", ".join(map(str, restored_counts))} of '
        f'{final} outputs, each a consistent snapshot); backup times {during}'
    )
