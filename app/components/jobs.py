"""The progress panel of a long job (import, export, restore): a label, a bar and a Stop button that poll the
job a few times a second. The jobs themselves and their one slot are ``app.services.jobs``."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from nicegui import ui

from ..services.jobs import Job, JobSlot, slot

__all__ = ['POLL_SECONDS', 'Job', 'JobSlot', 'progress_panel', 'slot']

POLL_SECONDS = 0.25


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
