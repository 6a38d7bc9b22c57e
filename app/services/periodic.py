"""A daemon thread that runs one job shortly after start-up and then at a fixed interval, until stopped.
Shared by the background services (automatic backups, housekeeping, prompt history): ``PeriodicService``
is their common start/stop around one ``PeriodicThread``."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import ClassVar

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


class PeriodicService:
    """Mixin for a service dataclass that owns one ``PeriodicThread`` in its ``_runner`` field (``None``
    until the first ``start()``) and runs ``check()`` on it, ``first_run`` seconds after start and then
    every ``every`` seconds; a service whose timing fields have other names overrides ``timing()``."""

    thread_name: ClassVar[str]
    _runner: PeriodicThread | None

    def check(self) -> None:
        raise NotImplementedError

    def timing(self) -> tuple[float, float]:
        """(seconds before the first run, seconds between runs)."""
        return self.first_run, self.every  # type: ignore[attr-defined]

    @property
    def running(self) -> bool:
        return self._runner is not None and self._runner.running

    def start(self) -> None:
        if self._runner is None:
            first, every = self.timing()
            self._runner = PeriodicThread(self.thread_name, self.check, first=first, every=every)
        self._runner.start()

    def stop(self, timeout: float = 10.0) -> None:
        if self._runner is not None:
            self._runner.stop(timeout)
