"""Reliability suite fixtures: the app in a subprocess and a real browser (shared with tests/e2e), and
``figure`` — each test prints the number it proves, visible in CI output without ``-s``."""

from __future__ import annotations

from collections.abc import Callable

import pytest

# The app's SQLite library (pysqlite3): two SQLite libraries in one process ignore each other's locks.
from app.data.db import sqlite3

# The real-browser and app-subprocess fixtures, reused as they are (pytest finds fixtures imported here).
from tests.e2e.conftest import browser, page, start_app  # noqa: F401


@pytest.fixture
def figure(capsys: pytest.CaptureFixture[str]) -> Callable[[str], None]:
    """``figure('4000/4000 captures, 0 locked')``: one line in the test output, even when captured."""

    def say(text: str) -> None:
        with capsys.disabled():
            print(f'\n[reliability] {text}', flush=True)

    return say


def integrity(path) -> str:
    """``PRAGMA integrity_check`` of a database file, with the app's SQLite library ('ok' when sound)."""
    conn = sqlite3.connect(str(path), timeout=30)
    try:
        rows = conn.execute('PRAGMA integrity_check').fetchall()
    finally:
        conn.close()
    return '; '.join(str(r[0]) for r in rows[:5])
