"""Background service: one worker thread records "last used" stamps (paired devices, API tokens) off the
request path, so a request never waits for the write lock and a failed stamp never breaks a request.

Listed in ``app.server.SERVICE_MODULES``. The caller (``auth``) skips rows stamped in the last minute;
here a row already waiting in the queue is not queued twice. Without a running worker (a script or a
test using the gate without the app) stamps are simply not recorded.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..data import db as dbmod

if TYPE_CHECKING:
    from ..context import AppContext

log = logging.getLogger(__name__)

Stamp = Callable[[int, Any], None]  # e.g. access.touch_device(row_id, last_seen_at)
_STOP = object()


class TouchWorker:
    """A queue and the one thread that drains it."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._pending: set[tuple[Stamp, int]] = set()
        self._thread: threading.Thread | None = None
        self.written = 0  # stamps recorded since start (for tests and the log)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def submit(self, func: Stamp, row_id: int, last: Any) -> bool:
        """Queue ``func(row_id, last)``; False when it was not queued (no worker, or already waiting)."""
        key = (func, row_id)
        with self._lock:
            if not self.running or key in self._pending:
                return False
            self._pending.add(key)
        self._queue.put((key, func, row_id, last))
        return True

    def start(self) -> None:
        with self._lock:
            if self.running:
                return
            self._queue = queue.SimpleQueue()  # nothing from an earlier run (another database) survives
            self._pending.clear()
            self.written = 0
            self._thread = threading.Thread(target=self._run, name='outputhub-touches', daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Write what is queued, then end the thread."""
        thread = self._thread
        if thread is None:
            return
        self._queue.put(_STOP)
        thread.join(timeout)
        if thread.is_alive():
            log.warning('The "last used" writer is still waiting for the database; it ends with the process.')
        self._thread = None

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Block until every queued stamp is written (tests)."""
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout)

    def _run(self) -> None:
        try:
            while True:
                item = self._queue.get()
                if item is _STOP:
                    return
                if isinstance(item, threading.Event):
                    item.set()
                    continue
                key, func, row_id, last = item
                try:
                    func(row_id, last)
                    self.written += 1
                except Exception:  # never let bookkeeping break a request (or this worker)
                    log.warning('Could not record last use of %s %s', func.__name__, row_id, exc_info=True)
                finally:
                    with self._lock:
                        self._pending.discard(key)
        finally:
            with contextlib.suppress(Exception):  # nothing open, or the app already closed the database
                dbmod.close()  # this thread's connection only


worker = TouchWorker()  # the process's one writer; auth submits to it


def start(ctx: AppContext) -> None:
    worker.start()
    ctx.touches = worker


def stop(ctx: AppContext) -> None:
    worker.stop()
    ctx.touches = None
