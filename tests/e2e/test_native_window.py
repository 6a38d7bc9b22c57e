"""Smoke test of ``outputhub --native``: under Xvfb a real Qt window opens with the app in it, at the
size remembered in SQLite, and closes with the server.

Needs the ``native`` extra (pywebview + PyQt6) and Xvfb with the Qt xcb libraries (``.ci/run`` installs
them). Skipped with a reason when they are missing, unless ``OUTPUTHUB_REQUIRE_BROWSER=1`` (CI).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app import desktop
from app.data import db as dbmod
from app.data import settings_store
from tests.waits import wait_until

from .conftest import ARTIFACTS

ACCENT = (0x4F, 0x46, 0xE5)  # the primary colour of the app's buttons and logo

GRAB = r"""
import json, sys
from PyQt6.QtGui import QGuiApplication, QColor
app = QGuiApplication([])
img = app.primaryScreen().grabWindow(0).toImage()
img.save(sys.argv[1])
accent = tuple(int(x) for x in sys.argv[2].split(','))
colours, hits = set(), 0
for y in range(0, img.height(), 4):
    for x in range(0, img.width(), 4):
        c = QColor(img.pixel(x, y))
        rgb = (c.red(), c.green(), c.blue())
        colours.add(rgb)
        if all(abs(a - b) <= 12 for a, b in zip(rgb, accent)):
            hits += 1
print(json.dumps({'colours': len(colours), 'accent_pixels': hits}))
"""


def _require_native() -> str:
    missing = [name for name in ('webview', 'PyQt6') if importlib.util.find_spec(name) is None]
    xvfb = shutil.which('Xvfb')
    reason = ''
    if missing:
        reason = (
            f'the native-window test needs pip install "outputhub[native]" ({", ".join(missing)} missing)'
        )
    elif not xvfb:
        reason = 'the native-window test needs Xvfb (apt-get install xvfb libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1)'
    if reason:
        if os.environ.get('OUTPUTHUB_REQUIRE_BROWSER') == '1':
            pytest.fail(reason)
        pytest.skip(reason)
    return xvfb


def _free_display() -> int:
    for number in range(91, 140):
        if not Path(f'/tmp/.X{number}-lock').exists() and not Path(f'/tmp/.X11-unix/X{number}').exists():
            return number
    raise RuntimeError('no free X display number')


@pytest.fixture
def xvfb() -> str:
    binary = _require_native()
    number = _free_display()
    process = subprocess.Popen(
        [binary, f':{number}', '-screen', '0', '1400x1000x24', '-nolisten', 'tcp'],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 20
    while not Path(f'/tmp/.X11-unix/X{number}').exists():
        if process.poll() is not None or time.time() > deadline:
            raise RuntimeError('Xvfb did not start')
        time.sleep(0.1)
    yield f':{number}'
    process.terminate()
    process.wait(timeout=10)


def _window_titles(display: str) -> list[tuple[str, str]]:
    """(title, geometry) of the top-level windows, via xwininfo when it is installed."""
    if not shutil.which('xwininfo'):
        return []
    out = subprocess.run(
        ['xwininfo', '-root', '-tree'], env={**os.environ, 'DISPLAY': display}, capture_output=True, text=True
    ).stdout
    rows = []
    for line in out.splitlines():
        if '"' in line and 'Output Hub' in line:
            title = line.split('"')[1]
            geometry = line.split(')')[-1].split()[0] if ')' in line else ''
            rows.append((title, geometry))
    return rows


def _grab(display: str, path: Path) -> dict:
    done = subprocess.run(
        [sys.executable, '-c', GRAB, str(path), ','.join(map(str, ACCENT))],
        env={**os.environ, 'DISPLAY': display, 'QT_QPA_PLATFORM': 'xcb'},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_native_window_shows_the_app_at_the_remembered_size(xvfb: str, start_app, tmp_path: Path) -> None:
    db_path = tmp_path / 'native.db'
    dbmod.connect(db_path)
    settings_store.put(desktop.SIZE_KEY, [1100, 760])  # what the last run left
    dbmod.close()

    server = start_app(db_path=db_path, args=('--native',), env={'DISPLAY': xvfb})
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / 'native-window.png'
    deadline = time.time() + 120
    stats: dict = {}
    while time.time() < deadline:
        stats = _grab(xvfb, shot)
        # Painted: many colours, and the app's accent (logo, capture button) on screen.
        if stats['colours'] > 20 and stats['accent_pixels'] > 50:
            break
        time.sleep(2)
    assert stats.get('colours', 0) > 20, f'the screen stayed blank: {stats}\n{server.log()}'
    assert stats['accent_pixels'] > 50, f'no Output Hub page in the window: {stats}\n{server.log()}'
    titles = _window_titles(xvfb)
    if shutil.which('xwininfo'):
        assert any(title.endswith('Output Hub') for title, _ in titles), titles
        assert any(geometry.startswith('1100x760') for _, geometry in titles), titles

    server.process.terminate()
    server.process.wait(timeout=30)
    # The window goes away with the server (no orphaned window showing a dead page).
    if shutil.which('xwininfo'):
        wait_until(lambda: not _window_titles(xvfb), timeout=10, what='the window closing with the server')
    after = _grab(xvfb, tmp_path / 'after.png')
    assert after['accent_pixels'] == 0, 'the window outlived the server'
