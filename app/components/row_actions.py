"""Buttons inside list rows. Rows are plain HTML (``list_view`` builds one ``ui.html`` per page of rows, far
cheaper than elements), so a row's button carries the name of a page-wide event and the item's id as data
attributes; one delegated listener in ``assets/app.js`` sends a click as that event, and ``listen`` receives
it on the server. No data goes into JavaScript: the script is the app's own and reads the attributes."""

from __future__ import annotations

import html
import inspect
from collections.abc import Awaitable, Callable

from nicegui import ui
from nicegui.events import GenericEventArguments


def button_attributes(event: str, item_id: int, *, done_label: str | None = None) -> str:
    """The attributes that make a row's ``<button>`` send ``event`` with ``item_id``. With ``done_label``
    the button is disabled at once and its ``.oh-row-label`` child says that (a second click sends nothing)."""
    attributes = f'data-oh-row-event="{html.escape(event, quote=True)}" data-oh-row-id="{int(item_id)}"'
    if done_label:
        attributes += f' data-oh-row-done="{html.escape(done_label, quote=True)}"'
    return attributes


def listen(event: str, handler: Callable[[int], Awaitable[object] | object]) -> None:
    """Call ``handler(item_id)`` for each click on a row button of ``event`` (anything but an id is ignored)."""

    async def receive(e: GenericEventArguments) -> None:
        args = e.args[0] if isinstance(e.args, list) and e.args else e.args
        if not isinstance(args, int) or isinstance(args, bool):
            return
        result = handler(args)
        if inspect.isawaitable(result):
            await result

    ui.on(event, receive)
