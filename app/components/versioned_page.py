"""What the prompt and agent detail pages share: the version shown follows the URL (``?v=N``), the body
re-renders in place after an edit (so notifications stay), opening it is recorded, and moving it to the
trash (or back) keeps the person on the page with Undo."""

from __future__ import annotations

from nicegui import run, ui

from ..data import entities
from . import toast


class VersionedPage:
    """Subclasses set ``kind`` ('prompt' or 'agent') and define ``body`` as a ``@ui.refreshable_method``."""

    kind: str

    def __init__(self, item_id: int, number: int | None) -> None:
        self.item_id = item_id
        self.number = number
        self.url = f'/{self.kind}s/{item_id}'
        # Handlers may outlive the element that started them (a refresh, a dismissed toast):
        # notifications are created in this column, which lives as long as the page.
        self.root = ui.context.slot.parent

    async def body(self) -> None:  # replaced by the subclass's refreshable method
        raise NotImplementedError

    async def show(self) -> None:
        await self.body()
        await run.io_bound(entities.mark_viewed, self.kind, self.item_id)  # a missing id updates nothing

    async def go(self, number: int | None) -> None:
        """Show another version (None = current) and keep the URL in step."""
        self.number = number
        with self.root:
            ui.navigate.history.push(self.url if number is None else f'{self.url}?v={number}')
        await self.body.refresh()  # type: ignore[attr-defined]

    async def trash(self) -> None:
        await run.io_bound(entities.trash, self.kind, [self.item_id])
        with self.root:
            toast.toast(
                'Moved to the trash', [('Undo', self.untrash), (f'Back to {self.kind}s', f'/{self.kind}s')]
            )
        await self.body.refresh()  # type: ignore[attr-defined]

    async def untrash(self) -> None:
        await run.io_bound(entities.restore, self.kind, [self.item_id])
        with self.root:
            toast.saved('Restored from the trash')
        await self.body.refresh()  # type: ignore[attr-defined]
