"""The "library changed" signal: whoever adds, edits or removes items says so; open pages that show
counts or lists listen and redraw (no NiceGUI here: the UI side is components/live.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Change:
    kind: str  # 'output', 'conversation', … (app/data/kinds.py)
    ids: tuple[int, ...] = ()
    action: str = 'created'  # created | updated | deleted


Listener = Callable[[Change], object]
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> Callable[[], None]:
    """Call ``listener(change)`` on every change; returns the function that stops it."""
    _listeners.append(listener)

    def unsubscribe() -> None:
        if listener in _listeners:
            _listeners.remove(listener)

    return unsubscribe


def listener_count() -> int:
    return len(_listeners)


def emit(kind: str, ids: tuple[int, ...] | list[int] = (), action: str = 'created') -> None:
    """Tell every listener (from the event loop or a worker thread); one failing listener does not stop
    the others."""
    change = Change(kind, tuple(ids), action)
    for listener in list(_listeners):
        try:
            listener(change)
        except Exception:  # a page's redraw must never break the write that triggered it
            log.exception('a library-change listener failed')
