"""One live line while the search indexer has work: the backlog and the time left at the measured rate
("Indexing for search by meaning: 1,234 items left, about 2 min"), with a bar. Reads the indexer's
in-memory progress every 2 s (no database, nothing that could hold up the page)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nicegui import ui

if TYPE_CHECKING:
    from ..context import AppContext

REFRESH_S = 2.0


def indexing_status(ctx: AppContext) -> None:
    """Nothing when the indexer is off or idle; shown and updated while it loads its model or indexes."""
    if ctx.indexer is None:
        return
    with ui.row().classes('w-full items-center gap-3 text-sm') as row:
        label = ui.label().classes('oh-muted').mark('indexing-status')
        bar = ui.linear_progress(value=0, show_value=False).classes('grow max-w-md')

    def update() -> None:
        p = ctx.indexer.progress() if ctx.indexer is not None else None
        row.set_visibility(bool(p and p.busy))
        if p and p.busy:
            label.set_text(p.describe())
            bar.set_value(p.fraction)

    update()
    ui.timer(REFRESH_S, update)
