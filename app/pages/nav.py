"""The navigation registry: pages add themselves when registered, so the drawer lists only pages that exist."""

from __future__ import annotations

from dataclasses import dataclass

# The drawer's groups, in order ('' = the entries above the first heading: Home, Search).
GROUPS = ('', 'Library', 'Work', 'Insight', 'System')
_ALIASES = {'See': 'Insight', 'Settings': 'System'}  # names used before the drawer was grouped


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
    """Every entry in drawer order: by group, then by each page's order value."""
    return [item for _, group in grouped() for item in group]


def group_of(item: NavItem) -> str:
    group = _ALIASES.get(item.group, item.group)
    return group if group in GROUPS else 'Library'


def grouped() -> list[tuple[str, list[NavItem]]]:
    """(group, entries) for each group that has entries, in ``GROUPS`` order."""
    out = []
    for group in GROUPS:
        members = sorted(
            (i for i in _items.values() if group_of(i) == group), key=lambda i: (i.order, i.label)
        )
        if members:
            out.append((group, members))
    return out


def has(path: str) -> bool:
    return path in _items
