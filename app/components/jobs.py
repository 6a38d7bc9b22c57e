"""Long data work started from a page (import, export, restore) in a worker thread, one job at a time,
with a progress bar that polls it: the event loop stays free and the job outlives the page that began it."""

from __future__ import annotations

import inspect
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from nicegui import background_tasks, run, ui

from ..errors import UserError

log = logging.getLogger(__name__)

POLL_SECONDS = 0.25


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
        self.reset()

    def reset(self) -> None:
        self.current: Job | None = None
        self.last: dict[str, Job] = {}

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
        reports done. Raises UserError while another job runs."""
        running = self.busy()
        if running is not None:
            raise UserError(
                f'The {running.kind} of {running.label} is still running; wait for it or stop it first.'
            )
        job = Job(kind, label, unit=unit)
        self.current = job
        self.last[kind] = job
        background_tasks.create(self._run(job, work, finish), name=f'outputhub {kind}')
        return job

    async def _run(
        self, job: Job, work: Callable[[Job], Any], finish: Callable[[Job], Awaitable[None] | None] | None
    ) -> None:
        state = 'failed'
        try:
            job.result = await run.io_bound(work, job)
            if job.result is None:  # run.io_bound's answer when the app is shutting down
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


def progress_panel(
    job: Job, *, on_end: Callable[[Job], object] | None = None, stoppable: bool = False
) -> ui.column:
    """A label, a bar and (for jobs that honour ``cancel``) a Stop button, updated a few times a second
    until the job ends; then ``on_end(job)`` runs once (on this page, if it is still open)."""
    with ui.column().classes('w-full gap-1') as box:
        with ui.row().classes('w-full items-center gap-3 no-wrap'):
            ui.spinner(size='sm')
            label = ui.label().classes('text-sm grow').mark('job-progress')
            if stoppable:
                stop = (
                    ui.button('Stop', icon='stop', on_click=lambda: _stop(job, stop))
                    .props('outline dense no-caps color=negative')
                    .mark('job-stop')
                )
        bar = ui.linear_progress(value=0, show_value=False).props('instant-feedback').classes('w-full')
    shown: dict[str, Any] = {}

    async def update() -> None:
        if box.is_deleted:  # the page replaced the panel
            timer.cancel()
            return
        text, fraction = job.describe(), job.fraction
        if shown.get('text') != text:
            label.set_text(text)
            shown['text'] = text
        if shown.get('fraction', -1) != fraction:
            if fraction is None:
                bar.props('indeterminate')
            else:
                bar.props(remove='indeterminate')
            bar.set_value(fraction or 0)
            shown['fraction'] = fraction
        if not job.running:
            timer.cancel()
            if on_end is not None:
                result = on_end(job)
                if inspect.isawaitable(result):
                    await result

    # Not inside the panel: on_end usually replaces the panel, and deleting a timer cancels the very
    # call that is running (on_end would be cut short at its first await).
    with ui.context.client.layout:
        timer = ui.timer(POLL_SECONDS, update)  # fires at once, then a few times a second
    return box


def _stop(job: Job, button: ui.button) -> None:
    job.cancel.set()
    button.disable()
