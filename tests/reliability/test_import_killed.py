"""An ``outputhub import`` of a large ChatGPT export, killed with SIGKILL at a random moment, ten times in
a row: the database always passes ``PRAGMA integrity_check`` (and the FTS index its own check), no
conversation is ever half imported, and an import run to the end then holds exactly the export."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.data.export_builders import linear_conversation
from tests.e2e.conftest import ROOT, app_env

from .conftest import integrity, sqlite3

# Big enough that ten short runs never finish it: every kill lands while the import is writing.
CONVERSATIONS = 3000
TURNS = 5  # user + assistant pairs: 10 messages per conversation
KILLS = 10
SEED = int(os.environ.get('OUTPUTHUB_RELIABILITY_SEED', '0')) or random.randrange(1, 10**6)


def _export(path: Path) -> Path:
    convs = [
        linear_conversation(
            f'kill-{i:05d}', turns=TURNS, title=f'Conversation {i}', t0=1_700_000_000 + i * 100
        )
        for i in range(CONVERSATIONS)
    ]
    path.write_text(json.dumps(convs), encoding='utf-8')
    return path


def _import(db: Path, export: Path, data_dir: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(ROOT / 'main.py'), 'import', str(export), '--db', str(db), '--json'],
        cwd=str(ROOT),
        env=app_env(data_dir),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _import_to_the_end(db: Path, export: Path, data_dir: Path) -> dict:
    proc = _import(db, export, data_dir)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 0, err.decode(errors='replace')[-2000:]
    return json.loads(out)


def _counts(db: Path) -> tuple[int, int]:
    conn = sqlite3.connect(str(db), timeout=30)
    try:
        convs = conn.execute('SELECT count(*) FROM conversation').fetchone()[0]
        msgs = conn.execute('SELECT count(*) FROM message').fetchone()[0]
    finally:
        conn.close()
    return convs, msgs


def _check(db: Path) -> list[str]:
    """What is wrong with the database after a kill (empty: nothing)."""
    problems = []
    result = integrity(db)
    if result != 'ok':
        problems.append(f'integrity_check: {result}')
    conn = sqlite3.connect(str(db), timeout=30)
    try:
        for fts in ('message_fts', 'conversation_fts'):
            try:
                conn.execute(f"INSERT INTO {fts}({fts}, rank) VALUES('integrity-check', 1)")
            except sqlite3.DatabaseError as exc:
                problems.append(f'{fts}: {exc}')
        half = conn.execute(
            'SELECT c.external_id, c.message_count, count(m.id) FROM conversation c '
            'LEFT JOIN message m ON m.conversation_id = c.id GROUP BY c.id '
            'HAVING count(m.id) != ? OR c.message_count != ? OR c.active_leaf_id IS NULL',
            (TURNS * 2, TURNS * 2),
        ).fetchall()
        problems += [f'half-imported conversation {row}' for row in half[:5]]
    finally:
        conn.close()
    return problems


def _wait_for_progress(db: Path, before: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    """Until the import has committed something new (or finished): a kill then lands mid-import."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if db.exists() and _counts(db)[0] > before:
                return
        except sqlite3.DatabaseError:
            pass  # the schema is still being created
        time.sleep(0.05)


def test_an_import_killed_at_random_moments_never_leaves_damage(tmp_path: Path, figure) -> None:
    rng = random.Random(SEED)
    export = _export(tmp_path / 'conversations.json')
    db = tmp_path / 'killed.db'
    data_dir = tmp_path / 'data-dir'
    data_dir.mkdir()
    kills: list[str] = []
    started = time.monotonic()
    for round_no in range(KILLS):
        before = _counts(db)[0] if db.exists() else 0
        proc = _import(db, export, data_dir)
        _wait_for_progress(db, before, proc)
        delay = rng.uniform(0.0, 0.5)
        time.sleep(delay)
        finished = proc.poll() is not None
        if not finished:
            proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        proc.stdout.close()
        proc.stderr.close()
        problems = _check(db)
        convs, msgs = _counts(db)
        kills.append(f'{"finished" if finished else "killed"} +{delay:.2f}s -> {convs} conversations')
        assert not problems, f'round {round_no + 1} (seed {SEED}): {problems}'

    report = _import_to_the_end(db, export, data_dir)
    assert report['skipped'] == 0 and report['errors'] == []
    assert _counts(db) == (CONVERSATIONS, CONVERSATIONS * TURNS * 2)
    assert not _check(db)
    assert _import_to_the_end(db, export, data_dir)['conversations_added'] == 0  # idempotent
    assert _counts(db) == (CONVERSATIONS, CONVERSATIONS * TURNS * 2)
    killed = sum(1 for k in kills if k.startswith('killed'))
    conn = sqlite3.connect(str(db))
    runs = dict(conn.execute('SELECT status, count(*) FROM import_run GROUP BY status').fetchall())
    conn.close()
    # a killed import's run does not say "running" for ever: the next import marks it interrupted (a
    # process killed just after it recorded its end stays "done")
    assert runs.get('running', 0) == 0 and sum(runs.values()) == KILLS + 2, runs
    assert 1 <= runs.get('interrupted', 0) <= killed, runs
    figure(
        f'import killed with SIGKILL {killed}/{KILLS} times (seed {SEED}): integrity ok every time, '
        f'0 half-imported conversations; final import completed the rest ({report["conversations_added"]} '
        f'conversations), exactly {CONVERSATIONS} conversations / {CONVERSATIONS * TURNS * 2} messages; '
        f'{runs["interrupted"]} import runs marked interrupted; {time.monotonic() - started:.0f} s. Rounds: '
        + '; '.join(kills)
    )
