"""``outputhub seed``: the counts it prints are what ``stats`` then reports; bad sizes are one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from app.cli import main
from app.data import db as dbmod

ROOT = Path(__file__).resolve().parent.parent
STATS_KEYS = (
    'outputs',
    'conversations',
    'messages',
    'prompts',
    'prompt_versions',
    'agents',
    'agent_versions',
    'tags',
    'categories',
    'collections',
)


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    dbmod.close()
    return code, out.out, out.err


def test_seed_then_stats_round_trip(tmp_path: Path, capsys):
    db = str(tmp_path / 'x.db')
    code, out, _ = run_cli(capsys, 'seed', '--db', db, '--outputs', '2000', '--json')
    assert code == 0
    added = json.loads(out)
    assert added['outputs'] == 2000 and added['conversations'] == 400
    assert 3000 < added['messages'] < 5000  # about ten per conversation

    code, out, _ = run_cli(capsys, 'stats', '--db', db, '--json')
    stats = json.loads(out)
    assert stats['outputs'] == 2000 and stats['conversations'] == 400
    assert all(stats[key] > 0 for key in STATS_KEYS), stats
    assert stats['messages'] == added['messages']

    database = dbmod.open_database(db)
    assert database.execute_sql('PRAGMA journal_mode').fetchone()[0] == 'wal'
    assert database.execute_sql('PRAGMA integrity_check').fetchone()[0] == 'ok'
    database.close()


def test_seed_options_and_readable_summary(tmp_path: Path, capsys):
    db = str(tmp_path / 'y.db')
    code, out, _ = run_cli(
        capsys, 'seed', '--db', db, '--outputs', '30', '--conversations', '3', '--seed', '5'
    )
    assert code == 0
    assert out.startswith('Added 30 outputs, 3 conversations and ')
    code, out, _ = run_cli(capsys, 'stats', '--db', db, '--json')
    assert json.loads(out)['conversations'] == 3


def test_bad_sizes_are_rejected_in_one_line(tmp_path: Path, capsys):
    for bad in (['--outputs', '-3'], ['--conversations', 'lots']):
        with pytest.raises(SystemExit) as exc:
            main(['seed', '--db', str(tmp_path / 'z.db'), *bad])
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert err.strip().splitlines()[-1].startswith('outputhub seed: error: argument')
    assert not (tmp_path / 'z.db').exists()


def test_seed_as_a_real_command_shows_no_progress_when_not_a_terminal(tmp_path: Path):
    db = tmp_path / 'w.db'
    done = subprocess.run(
        [sys.executable, '-m', 'app.cli', 'seed', '--db', str(db), '--outputs', '50', '--json'],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)['outputs'] == 50
    assert 'Seeding' not in done.stderr  # the progress bar is for terminals only


def test_progress_bar_on_a_terminal(tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setattr(sys.stderr, 'isatty', lambda: True)
    code, out, err = run_cli(capsys, 'seed', '--db', str(tmp_path / 'p.db'), '--outputs', '100')
    assert code == 0
    assert 'Seeding [' in err and '120/120 100%' in err  # 100 outputs + 20 conversations
