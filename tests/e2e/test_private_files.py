"""Files the app writes are the user's alone: the database and its WAL, backups, exports and NiceGUI's
storage (capture drafts in plain text) are 0600 in 0700 folders, and an older 0644 database is
tightened when it is opened."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from tests.e2e.conftest import ROOT, app_env


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _cli(data_dir: Path, *argv: str) -> None:
    # a subprocess with the umask a login shell gives (022), as a user would start it
    subprocess.run(
        [sys.executable, str(ROOT / 'main.py'), *argv],
        env=app_env(data_dir),
        check=True,
        capture_output=True,
        timeout=120,
        preexec_fn=lambda: os.umask(0o022),
    )


def _private_tree(root: Path) -> list[str]:
    """Paths under ``root`` that someone else could read."""
    loose = []
    for path in [root, *root.rglob('*')]:
        if _mode(path) & 0o077:
            loose.append(f'{path.relative_to(root.parent)} {oct(_mode(path))}')
    return loose


def test_database_backups_and_exports_are_readable_by_the_user_only(tmp_path: Path) -> None:
    data = tmp_path / 'fresh-data'
    db = data / 'lib.db'
    _cli(data, 'capture', '--db', str(db), '--output', 'a private note', '--title', 'Private')
    _cli(data, 'backup', '--db', str(db))
    _cli(data, 'export', '--db', str(db), '--format', 'markdown', '--out', str(tmp_path / 'notes'))
    _cli(data, 'export', '--db', str(db), '--out', str(tmp_path / 'json'))
    assert (data / 'backups').is_dir() and list((data / 'backups').rglob('*.db'))
    assert list((tmp_path / 'notes').rglob('*.md'))
    assert _private_tree(data) == []
    assert _private_tree(tmp_path / 'notes') == []
    assert _private_tree(tmp_path / 'json') == []


def test_a_database_an_older_version_left_world_readable_is_tightened(tmp_path: Path) -> None:
    data = tmp_path / 'fresh-data'
    db = data / 'old.db'
    _cli(data, 'capture', '--db', str(db), '--output', 'written before the fix')
    os.chmod(db, 0o644)
    _cli(data, 'stats', '--db', str(db))
    assert _mode(db) == 0o600


def test_the_running_app_keeps_its_browser_storage_private(start_app) -> None:
    app = start_app()
    storage = app.data_dir / 'nicegui'
    assert storage.is_dir(), 'NiceGUI storage lives in the data directory'
    assert _mode(storage) == 0o700
    assert _private_tree(app.data_dir) == []
