"""Background service: while the app runs and the switch in Settings → Import is on, keep the coding-agent
sessions (Claude Code, Codex, Gemini CLI) as they are written — a pass every few seconds in a thread of
its own (``app.data.session_watch`` does the work; an unchanged folder costs a directory walk).

Listed in ``app.server.SERVICE_MODULES``; ``ctx.session_watch`` while it runs. Turning it on or changing
the folders is for this computer only (``configure``): it reads files of the computer running Output Hub.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..data import session_watch as data
from ..data.db import current
from ..data.models import utcnow
from ..roles import require_this_computer

if TYPE_CHECKING:
    from ..context import AppContext

log = logging.getLogger(__name__)

FIRST_PASS_SECONDS = 3.0  # after start-up: the first page is served before the first walk
EVERY_SECONDS = 3.0  # Claude Code writes a line per step: a few seconds behind is "as it happens"
THREAD_NAME = 'outputhub-session-watch'


@dataclass
class SessionWatchService:
    """Owns the thread; ``status()`` is what the Settings tab shows, ``wake()`` runs a pass now."""

    ctx: Any = None
    first: float = FIRST_PASS_SECONDS
    every: float = EVERY_SECONDS
    watcher: data.SessionWatcher = field(default_factory=data.SessionWatcher)
    last_pass_at: datetime | None = None
    last_result: data.PassResult | None = None
    last_error: str | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _wake: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=THREAD_NAME, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        try:
            wait = self.first
            while not self._stop.is_set():
                self._wake.wait(wait)
                self._wake.clear()
                if self._stop.is_set():
                    break
                self.check()
                wait = self.every
        finally:
            with contextlib.suppress(Exception):  # nothing open, or the app already closed the database
                current().close()  # this thread's connection only

    def check(self) -> data.PassResult | None:
        """One pass when the switch is on (errors are kept for ``status()``, never raised)."""
        try:
            if not data.options()['enabled']:
                return None
            result = self.watcher.run_once(self._stop)
        except Exception as exc:  # the watcher must never take the app down
            self.last_error = str(exc) or type(exc).__name__
            log.warning('session watch failed: %s', exc)
            return None
        self.last_pass_at, self.last_result, self.last_error = utcnow(), result, None
        if result.imported:
            log.info(
                'session watch: %d sessions, %d new messages', len(result.imported), result.messages_added
            )
            indexer = getattr(self.ctx, 'indexer', None)
            if indexer is not None:
                indexer.wake()  # new messages are searchable by meaning soon
        return result

    def status(self) -> dict[str, Any]:
        r = self.last_result
        return {
            'running': self.running,
            'last_pass_at': self.last_pass_at,
            'files': r.files if r else None,
            'last_error': self.last_error,
        }


def configure(
    principal: Any, ctx: AppContext | None, *, enabled: bool | None = None, folders: list[str] | None = None
) -> dict[str, Any]:
    """Turn keeping sessions on or off and/or set the folders (this computer only: it reads files there);
    a running service looks at once. Returns the options now in force."""
    require_this_computer(principal, 'keep coding-agent sessions from its folders')
    opts = data.save_options(enabled=enabled, folders=folders)
    service = getattr(ctx, 'session_watch', None) if ctx is not None else None
    if isinstance(service, SessionWatchService) and opts['enabled']:
        service.wake()
    return opts


def start(ctx: AppContext) -> None:
    service = SessionWatchService(ctx=ctx)
    ctx.session_watch = service
    service.start()


def stop(ctx: AppContext) -> None:
    service = getattr(ctx, 'session_watch', None)
    if isinstance(service, SessionWatchService):
        service.stop()
    ctx.session_watch = None
