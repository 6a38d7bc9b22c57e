"""A notification with action buttons ("Open", "Undo") — NiceGUI's notify cannot run Python on a click."""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Callable

from nicegui import Client, ui

Action = tuple[str, Callable[[], object] | str]  # label, callback or URL

_hosts: weakref.WeakKeyDictionary[Client, ui.element] = weakref.WeakKeyDictionary()


def host() -> ui.element:
    """The tab's one container for toasts. A toast added straight to the layout changes the layout
    element, which the browser then re-renders with everything in it (the whole page, a dialog's form);
    added here, only this container changes."""
    client = ui.context.client
    box = _hosts.get(client)
    if box is None or box.is_deleted:
        with client.layout:
            box = _hosts[client] = ui.element('div').classes('oh-toasts')
    return box


def toast(
    message: str, actions: list[Action] | None = None, *, timeout: float = 8.0, kind: str = 'positive'
) -> ui.card:
    """Show ``message`` at the bottom of the page with buttons; it goes away after ``timeout`` seconds."""
    icon = {'positive': 'check_circle', 'negative': 'error', 'warning': 'warning', 'info': 'info'}.get(
        kind, 'info'
    )
    color = {'positive': 'text-green-600', 'negative': 'text-red-600', 'warning': 'text-amber-600'}.get(
        kind, ''
    )
    with host():
        with (
            # w-max: a fixed box at left 50% would otherwise shrink to half the screen (a phone: a
            # narrow column of words); on a phone the buttons wrap under the message.
            ui.card()
            .classes(
                'fixed bottom-4 left-1/2 -translate-x-1/2 z-[6000] shadow-lg px-4 py-2 w-max max-w-[92vw]'
            )
            .props('role=status') as card,
            ui.row().classes('items-center gap-x-3 gap-y-0 flex-wrap sm:flex-nowrap'),
        ):
            ui.icon(icon).classes(f'text-xl {color}')
            ui.label(message).classes('text-sm min-w-0 max-w-[calc(92vw-5rem)] sm:max-w-[36rem]')
            for label, action in actions or []:

                async def run(action=action) -> None:
                    if isinstance(action, str):
                        card.delete()
                        ui.navigate.to(action)
                        return
                    result = action()
                    if inspect.isawaitable(result):
                        await (
                            result
                        )  # e.g. an undo written off the event loop: the toast stays until it is done
                    if not card.is_deleted:
                        card.delete()

                ui.button(label, on_click=run).props('flat dense no-caps color=primary')
            ui.button(icon='close', on_click=card.delete).props('flat round dense size=sm aria-label=Dismiss')
        ui.timer(timeout, lambda: card.delete() if not card.is_deleted else None, once=True)
    return card


def error(message: str) -> None:
    """One clear sentence about what went wrong (never a traceback)."""
    ui.notify(message, type='negative', multi_line=True, close_button='OK', timeout=10000)


def saved(message: str = 'Saved') -> None:
    ui.notify(message, type='positive', timeout=2000)
