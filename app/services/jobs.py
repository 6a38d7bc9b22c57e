"""Background service: the job slot. Long data work started from a page (import, export, restore) runs
in a worker thread, one job at a time, and outlives the page that began it; pages poll the ``Job``
(``app.components.jobs.progress_panel``).

Listed in ``app.server.SERVICE_MODULES``: a fresh app starts with an empty slot, and on shutdown a job
still running is asked to stop (imports stop after the item in hand) and given a few seconds to finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import UserError

if TYPE_CHECKING:
    from ..context import AppContext

log = logging.getLogger(__name__)

STOP_SECONDS = 10.0  # how long shutdown waits for a running job


@dataclass
class Job:
    """One piece of long work. ``progress`` is called from the worker thread; pages only read."""

    kind: str  # import | export | backup | restore
    label: str  # what it works on, for people ("chatgpt-export.zip")
    done: int = 0
    total: int | None = None
    unit: str = 'item'
    state: str = 'running'  # running | done | failed
    result: Any = None
    error: str = ''
    cancel: threading.Event = field(default_factory=threading.Event)
    started_at: float = field(default_factory=time.monotonic)
    seconds: float = 0.0

    def progress(self, done: int, total: int | None) -> None:
        self.done, self.total = done, total

    @property
    def running(self) -> bool:
        return self.state == 'running'

    @property
    def fraction(self) -> float | None:
        """0..1, or None while the total is unknown (the bar then shows motion instead)."""
        if not self.total:
            return None
        return min(1.0, self.done / self.total)

    def describe(self) -> str:
        if self.cancel.is_set() and self.running:
            return 'Stopping after the item in hand…'
        if self.total is None:
            return 'Reading the file…' if self.kind == 'import' else 'Working…'
        return f'{self.done:,} of {self.total:,} {self.unit}s'


class JobSlot:
    """At most one job at a time: two imports, or an import and a restore, would fight over the database."""

    def __init__(self) -> None:
        self._task: asyncio.Task | None = None
        self.reset()

    def reset(self) -> None:
        self.current: Job | None = None
        self.last: dict[str, Job] = {}
        self._task = None

    def busy(self) -> Job | None:
        return self.current if self.current is not None and self.current.running else None

    def start(
        self,
        kind: str,
        label: str,
        work: Callable[[Job], Any],
        *,
        finish: Callable[[Job], Awaitable[None] | None] | None = None,
        unit: str = 'item',
    ) -> Job:
        """Run ``work(job)`` in a worker thread; then ``finish(job)`` on the event loop, before the job
        reports done. Call it on the event loop. Raises UserError while another job runs."""
        running = self.busy()
        if running is not None:
            raise UserError(
                f'The {running.kind} of {running.label} is still running; wait for it or stop it first.'
            )
        job = Job(kind, label, unit=unit)
        self.current = job
        self.last[kind] = job
        # Kept on the slot: the loop holds tasks only weakly, and shutdown waits for this one.
        self._task = asyncio.get_running_loop().create_task(
            self._run(job, work, finish), name=f'outputhub {kind}'
        )
        return job

    async def stop(self, timeout: float = STOP_SECONDS) -> None:
        """Ask a running job to stop and wait (a while) for it to end."""
        job, task = self.busy(), self._task
        if job is not None:
            job.cancel.set()
        if task is not None and not task.done():
            with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(asyncio.shield(task), timeout)
            if not task.done():
                log.warning('The %s of %s is still running; it ends with the process.', job.kind, job.label)
        self.reset()

    async def _run(
        self, job: Job, work: Callable[[Job], Any], finish: Callable[[Job], Awaitable[None] | None] | None
    ) -> None:
        state = 'failed'
        try:
            job.result = await asyncio.to_thread(work, job)
            if job.result is None:  # nothing came back: the work did not finish
                job.error = f'The app stopped before the {job.kind} finished.'
            else:
                state = 'done'
        except UserError as exc:
            job.error = str(exc)
        except Exception as exc:  # a bug: logged for us, one sentence for the person
            log.warning('%s of %s failed', job.kind, job.label, exc_info=True)
            job.error = f'The {job.kind} failed unexpectedly ({type(exc).__name__}: {str(exc)[:200]}).'
        try:
            if finish is not None:
                result = finish(job)
                if inspect.isawaitable(result):
                    await result
        except Exception:
            log.warning('clean-up after the %s of %s failed', job.kind, job.label, exc_info=True)
        job.seconds = round(time.monotonic() - job.started_at, 1)
        job.state = state


slot = JobSlot()  # the app's one slot: the Import page and the Export & backup tab share it


def start(ctx: AppContext) -> None:
    slot.reset()  # a fresh app (tests build one per test) has no job running
    ctx.jobs = slot


async def stop(ctx: AppContext) -> None:
    await slot.stop()
    ctx.jobs = None
