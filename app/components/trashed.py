"""The "in the trash" state of a detail page: the banner with its Restore button, and a delete that
shows it in place with Undo in a toast, as the lists do (no reload, no blank screen)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from nicegui import run, ui

from ..data import entities
from ..data.models import utcnow
from ..errors import UserError
from . import fmt, toast


def trash_banner(kind: str, deleted_at: datetime, on_restore: Callable[[], Awaitable[None] | None]) -> ui.row:
    """ "This output is in the trash (since …)" with a Restore button."""
    with ui.row().classes('w-full items-center gap-2 p-2 rounded bg-amber-100 dark:bg-amber-900') as row:
        ui.icon('delete')
        ui.label(f'This {kind} is in the trash (since {fmt.date_time(deleted_at)}).')
        ui.button('Restore', on_click=on_restore).props('flat dense').mark('untrash')
    return row


class TrashState:
    """Where a detail page shows its trashed state; ``trash()`` and ``restore()`` change it in place."""

    def __init__(self, kind: str, item_id: int, deleted_at: datetime | None, *, list_url: str) -> None:
        self.kind, self.item_id, self.list_url = kind, item_id, list_url
        self.container = ui.column().classes('w-full gap-0')
        if deleted_at is not None:
            self._show(deleted_at)

    def _show(self, deleted_at: datetime) -> None:
        self.container.clear()
        with self.container:
            trash_banner(self.kind, deleted_at, self.restore)

    async def trash(self) -> None:
        try:
            await run.io_bound(entities.trash, self.kind, [self.item_id])
        except UserError as exc:
            toast.error(str(exc))
            return
        self._show(utcnow())
        toast.toast(
            'Moved to the trash',
            [('Undo', self.restore), (f'Back to {self.kind}s', self.list_url)],
        )

    async def restore(self) -> None:
        try:
            await run.io_bound(entities.restore, self.kind, [self.item_id])
        except UserError as exc:
            toast.error(str(exc))
            return
        self.container.clear()
        toast.saved('Restored from the trash')
