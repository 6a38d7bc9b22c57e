"""A daemon thread that runs one job shortly after start-up and then at a fixed interval, until stopped.
Shared by the background services (automatic backups, housekeeping)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

from ..data.db import current


class PeriodicThread:
    def __init__(self, name: str, job: Callable[[], None], *, first: float, every: float) -> None:
        self.name = name
        self.job = job
        self.first = first
        self.every = every
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        try:
            wait = self.first
            while not self._stop.wait(wait):
                self.job()  # the job catches and records its own errors
                wait = self.every
        finally:
            with contextlib.suppress(Exception):  # nothing open, or the app already closed the database
                current().close()  # this thread's connection only
