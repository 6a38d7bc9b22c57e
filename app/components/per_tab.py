"""One instance of a component per browser tab (NiceGUI client), built on first use: the quick-capture
dialog and the search palette live in the shell once per tab, whichever page asks for them first."""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

from nicegui import Client, ui

T = TypeVar('T')


class PerTab(Generic[T]):
    """``install(build)`` returns this tab's instance, building it when the tab has none or its elements
    were deleted (``alive`` says whether they still are); ``get`` returns it without building."""

    def __init__(self, alive: Callable[[T], bool]) -> None:
        self._alive = alive
        self._items: weakref.WeakKeyDictionary[Client, T] = weakref.WeakKeyDictionary()

    def install(self, build: Callable[[], T]) -> T:
        client = ui.context.client
        existing = self._items.get(client)
        if existing is not None and self._alive(existing):
            return existing
        item = self._items[client] = build()
        return item

    def get(self, client: Client | None = None) -> T | None:
        return self._items.get(client or ui.context.client)
