"""``outputhub watch``: imports what is new in the folders, prints it, and keeps going until Ctrl+C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

from app.cli import main
from app.data import db as dbmod
from app.data.models import Conversation, Message

from .waits import wait_until

ROOT = Path(__file__).resolve().parent.parent
CC = ROOT / 'tests' / 'fixtures' / 'exports' / 'claude-code'
SHORT = CC / 'marot__spotter__short.jsonl'
SHORT_ID = '55604662-cf2a-4331-851a-ec234028f8ca'
TITLE = 'mix phx.server doesnt seem to start'


def _folder(tmp_path: Path, lines: int | None = None) -> tuple[Path, Path]:
    root = tmp_path / 'projects'
    (root / '-home-me-spotter').mkdir(parents=True)
    session = root / '-home-me-spotter' / f'{SHORT_ID}.jsonl'
    data = SHORT.read_bytes().splitlines(keepends=True)
    session.write_bytes(b''.join(data[:lines] if lines else data))
    return root, session


def test_watch_once_imports_prints_and_a_second_run_reads_nothing(tmp_path, capsys):
    root, _ = _folder(tmp_path)
    db = str(tmp_path / 'w.db')
    assert main(['watch', '--once', str(root), '--db', db]) == 0
    out = capsys.readouterr().out
    assert f'Claude Code: {TITLE} (new, +' in out and '1 session kept' in out
    assert main(['watch', '--once', str(root), '--db', db, '--json']) == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events == [{'event': 'stopped', 'sessions': 0, 'messages_added': 0}]


def test_a_relative_folder_is_refused_in_one_sentence(tmp_path, capsys):
    assert main(['watch', '--once', 'projects', '--db', str(tmp_path / 'w.db')]) == 2
    assert 'projects is not a full path' in capsys.readouterr().err


def test_watch_follows_a_growing_session_until_ctrl_c(tmp_path):
    root, session = _folder(tmp_path, lines=6)
    db = tmp_path / 'w.db'
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / 'main.py'), 'watch', str(root), '--db', str(db), '--every', '0.2'],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, 'PYTHONUNBUFFERED': '1'},
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, '')), daemon=True)
    reader.start()
    try:
        wait_until(lambda: any('(new, +' in line for line in lines), timeout=30, what='the first import')
        with session.open('ab') as fh:
            fh.write(b''.join(SHORT.read_bytes().splitlines(keepends=True)[6:]))
        wait_until(lambda: any('(grew, +' in line for line in lines), timeout=30, what='the growth')
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(5)
    assert lines[-1].strip() == f'1 session kept, {_count(db)} new messages.'


def _count(db: Path) -> int:
    dbmod.connect(db)
    conv = Conversation.get(Conversation.external_id == SHORT_ID)
    return Message.select().where(Message.conversation == conv).count()


def test_watch_needs_no_session_folder_to_exist(tmp_path, capsys):
    missing = tmp_path / 'nowhere'
    assert main(['watch', '--once', str(missing), '--db', str(tmp_path / 'w.db')]) == 0
    assert '0 sessions kept' in capsys.readouterr().out
