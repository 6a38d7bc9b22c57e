"""The outputhub command: stats, capture, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from app.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run_cli(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_capture_then_stats(tmp_path, capsys):
    db = str(tmp_path / 'x.db')
    code, out, _ = run_cli(
        capsys,
        'capture',
        '--db',
        db,
        '--output',
        'The answer is 42.',
        '--prompt',
        'What is it?',
        '--tag',
        'a',
        '--tag',
        'b',
        '--model',
        'gpt-4o',
        '--json',
    )
    assert code == 0
    data = json.loads(out)
    assert isinstance(data['id'], int) and data['prompt_version_id']
    code, out, _ = run_cli(capsys, 'stats', '--db', db, '--json')
    stats = json.loads(out)
    assert (
        stats['outputs'] == 1
        and stats['prompts'] == 1
        and stats['prompt_versions'] == 1
        and stats['tags'] == 2
    )
    for key in (
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
    ):
        assert key in stats


def test_user_errors_are_one_line_without_traceback(tmp_path, capsys):
    db = str(tmp_path / 'x.db')
    code, out, err = run_cli(capsys, 'capture', '--db', db, '--output', '   ')
    assert code == 2 and 'error:' in err and 'Traceback' not in err and err.count('\n') == 1
    bad = tmp_path / 'bad.db'
    bad.write_bytes(b'garbage' * 1000)
    code, out, err = run_cli(capsys, 'stats', '--db', str(bad))
    assert code == 2 and 'not a readable Output Hub database' in err


def test_console_entry_point_runs_as_a_subprocess(tmp_path):
    db = tmp_path / 'y.db'
    proc = subprocess.run(
        [sys.executable, str(ROOT / 'main.py'), 'stats', '--db', str(db), '--json'],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)['outputs'] == 0
    mode = subprocess.run(
        [
            sys.executable,
            '-c',
            f'import sqlite3; c=sqlite3.connect({str(db)!r}); '
            'print(c.execute("pragma journal_mode").fetchone()[0])',
        ],
        capture_output=True,
        text=True,
    )
    assert mode.stdout.strip() == 'wal'


def test_db_option_before_or_after_the_subcommand(tmp_path, capsys):
    db = str(tmp_path / 'z.db')
    code, out, _ = run_cli(capsys, '--db', db, 'capture', '--output', 'x', '--json')
    assert code == 0
    code, out, _ = run_cli(capsys, 'stats', '--db', db, '--json')
    assert json.loads(out)['outputs'] == 1
