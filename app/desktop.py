"""The native desktop window (``--native``, pywebview from the optional ``outputhub[native]`` extra):
checks it can open, picks the Qt backend on Linux, and remembers the window size in SQLite
(pywebview's private mode forgets cookies and local storage on every launch)."""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import os
import sys
from typing import Any

from .data import settings_store
from .errors import UserError

log = logging.getLogger(__name__)

SIZE_KEY = 'native.window_size'
DEFAULT_SIZE = (1280, 860)
MIN_SIZE, MAX_SIZE = (360, 400), (10000, 10000)

INSTALL_HINT = (
    'The desktop window needs the optional extra: pip install "outputhub[native]" '
    '(on Linux also the Qt system libraries listed in the README, section "Desktop window").'
)


def prepare_environment() -> None:
    """Environment the window process inherits: the Qt backend on Linux, and no Chromium sandbox as root
    (QtWebEngine refuses to start as root with it)."""
    if sys.platform.startswith('linux'):
        os.environ.setdefault('PYWEBVIEW_GUI', 'qt')
        if hasattr(os, 'geteuid') and os.geteuid() == 0:
            os.environ.setdefault('QTWEBENGINE_DISABLE_SANDBOX', '1')


def check_available() -> None:
    """Raise a one-sentence UserError when pywebview (or its Qt backend on Linux) is missing."""
    if importlib.util.find_spec('webview') is None:
        raise UserError(INSTALL_HINT)
    if sys.platform.startswith('linux') and os.environ.get('PYWEBVIEW_GUI', 'qt') == 'qt':
        if importlib.util.find_spec('PyQt6') is None and importlib.util.find_spec('PyQt5') is None:
            raise UserError(INSTALL_HINT)
    if sys.platform.startswith('linux') and not (
        os.environ.get('DISPLAY') or os.environ.get('WAYLAND_DISPLAY')
    ):
        raise UserError('There is no display to open a window on (DISPLAY is not set); run without --native.')


def _clamp(size: Any) -> tuple[int, int] | None:
    try:
        width, height = int(size[0]), int(size[1])
    except (TypeError, ValueError, IndexError, KeyError):
        return None
    if width < MIN_SIZE[0] or height < MIN_SIZE[1]:
        return None
    return min(width, MAX_SIZE[0]), min(height, MAX_SIZE[1])


def saved_size() -> tuple[int, int]:
    """The window size from the last run (or the default)."""
    return _clamp(settings_store.get(SIZE_KEY)) or DEFAULT_SIZE


class WindowSizeMemory:
    """Saves the size a little after the user stops resizing (resize events come many per second)."""

    def __init__(self, delay: float = 1.0) -> None:
        self.delay = delay
        self.pending: tuple[int, int] | None = None
        self._handle: asyncio.TimerHandle | None = None

    def on_resized(self, event: Any) -> None:
        args = getattr(event, 'args', None) or {}
        size = _clamp((args.get('width'), args.get('height')))
        if size is None:
            return
        self.pending = size
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.save_now()
            return
        if self._handle is not None:
            self._handle.cancel()
        self._handle = loop.call_later(self.delay, lambda: loop.run_in_executor(None, self.save_now))

    def save_now(self, _event: Any = None) -> None:
        size, self.pending = self.pending, None
        if size is None:
            return
        try:
            settings_store.put(SIZE_KEY, list(size))
        except Exception:  # closing the app must not fail on a preference
            log.warning('Could not remember the window size', exc_info=True)


def install(app: Any) -> tuple[int, int]:
    """Hook window events into ``app.native`` and return the size to open with."""
    memory = WindowSizeMemory()
    app.native.on('resized', memory.on_resized)
    app.native.on('closed', memory.save_now)
    app.on_shutdown(close_window)
    return saved_size()


def close_window() -> None:
    """Close the window when the server stops for another reason than the window closing (Ctrl+C in the
    terminal, SIGTERM): otherwise the window process outlives the server, showing a dead page."""
    import multiprocessing

    for child in multiprocessing.active_children():
        child.terminate()
