"""Redraw part of a page when the library changes (a capture in the quick-capture dialog, an undo):
``on_library_change(handler)`` listens for as long as the element being built lives."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterable

from nicegui import background_tasks, core, ui

from ..services import library_events
from ..services.library_events import Change


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


class _Listener(ui.element):
    """An invisible element that owns the subscription: it ends when the element is deleted (the page
    or sub page is left, its container cleared, the tab closed)."""

    def __init__(self, handler: Callable[[Change], object], kinds: set[str] | None) -> None:
        super().__init__('span')
        self.classes('hidden')
        self._handler = handler
        self._kinds = kinds
        self._unsubscribe = library_events.subscribe(self._on_change)

    def _on_change(self, change: Change) -> None:
        loop = core.loop
        if loop is not None and not _on_loop(loop):  # said from a worker thread (an API route): hop over
            try:
                loop.call_soon_threadsafe(self._on_change, change)
            except RuntimeError:  # the loop is closed (the app stopped): nothing is left to redraw
                self._unsubscribe()
            return
        try:
            gone = self.is_deleted or self.client.id not in self.client.instances
        except RuntimeError:  # its client is already gone
            gone = True
        if gone:
            self._unsubscribe()
            return
        if self._kinds is not None and change.kind not in self._kinds:
            return
        slot = self.parent_slot
        if slot is None:
            return
        with slot:
            result = self._handler(change)
        if inspect.iscoroutine(result):  # (a refresh's AwaitableResponse runs by itself)

            async def in_page() -> None:
                with slot:  # the page's context for the rest of the redraw (who is asking, where to draw)
                    await result

            background_tasks.create(in_page(), name='library change redraw')

    def _handle_delete(self) -> None:
        self._unsubscribe()
        super()._handle_delete()


def on_library_change(handler: Callable[[Change], object], kinds: Iterable[str] | None = None) -> None:
    """Call ``handler(change)`` (sync or async) when items of ``kinds`` (default: any) are added,
    edited or removed, until the current container is deleted."""
    _Listener(handler, set(kinds) if kinds is not None else None)
