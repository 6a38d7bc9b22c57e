"""The navigation registry: pages add themselves when registered, so the drawer lists only pages that exist."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    label: str
    path: str
    icon: str
    order: int = 100
    shortcut: str = ''  # e.g. "g o"
    group: str = 'Library'


_items: dict[str, NavItem] = {}


def reset() -> None:
    _items.clear()


def add(item: NavItem) -> None:
    _items[item.path] = item


def items() -> list[NavItem]:
    return sorted(_items.values(), key=lambda i: (i.order, i.label))


def has(path: str) -> bool:
    return path in _items
