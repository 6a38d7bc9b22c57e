"""Build what is below the fold only when it scrolls into view (Quasar's QIntersection)."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui


def when_visible(build: Callable[[], object], *, min_height: str = '4rem') -> ui.element:
    """A placeholder that calls ``build`` inside itself the first time it is on screen.

    For heavy parts at the end of a page (a graph): the click that opened the page shows its content
    without waiting for them, and a part never looked at is never built. ``build`` runs once."""
    box = ui.element('q-intersection').props('once').classes('w-full')
    box.style(f'min-height: {min_height}')  # something to intersect with before it is built
    built = False

    def show(event) -> None:
        nonlocal built
        if built or event.args is not True or box.is_deleted:
            return
        built = True
        with box:
            build()
        box.style(remove=f'min-height: {min_height}')

    box.on('visibility', show)
    return box
