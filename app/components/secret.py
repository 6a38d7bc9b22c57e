"""Restricted (Secret) items in the UI: the badge they carry wherever they are listed or shown, and hiding
them from the viewer — a LAN device not allowed to see them — exactly as the API hides them from tokens.

Who is looking comes from ``app.auth``: the trusted desktop sees everything; a paired device sees
restricted items only when its row allows it.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import replace
from typing import TypeVar

from nicegui import ui
from peewee import Model

from .. import auth
from ..data import sensitivity
from ..data.dashboard import Dashboard
from ..data.graph import Graph
from ..data.kinds import RESTRICTABLE
from ..data.listing import ListParams
from ..errors import NotFound, UserError

T = TypeVar('T')

BADGE_TIP = 'Restricted: hidden from other devices, API tokens and exports unless allowed'


# --------------------------------------------------------------------------- who is looking


def viewer() -> auth.Principal:
    """Who is looking at this page: this computer (also outside a page), a paired device or a token."""
    try:
        request = ui.context.client.request
    except (RuntimeError, AttributeError):
        return auth.LOCAL
    return auth.principal_of(request)


def viewer_sees_restricted() -> bool:
    """False for a LAN device without permission; True for the desktop (and outside a page)."""
    return viewer().allow_restricted


def hide_restricted(params: ListParams) -> ListParams:
    """Set the list filter the API uses for tokens, when the viewer may not see restricted items."""
    if not viewer_sees_restricted():
        params.exclude_restricted = True
    return params


def hidden_from_viewer(sensitivity_id: int | None) -> bool:
    """True when a detail page must act as if the item did not exist."""
    return sensitivity.is_restricted(sensitivity_id) and not viewer_sees_restricted()


def check_visible(kind: str, item: Model) -> None:
    """Raise NotFound — the page's usual "does not exist" — when the viewer may not see ``item``."""
    if hidden_from_viewer(getattr(item, 'sensitivity_id', None)):
        raise NotFound(f'{kind.capitalize()} {item.id} does not exist.')


def check_can_continue(conversation_id: int, hide: bool) -> None:
    """Refuse, when ``hide`` (a viewer without permission), to continue a conversation holding a withheld
    message: the model would be sent its text, and the reply could repeat it. Off the event loop."""
    if hide and sensitivity.withholds_in(conversation_id):
        raise UserError('This conversation holds a withheld message; continue it on this computer.')


def visible(items: Iterable[T]) -> list[T]:
    """Items (rows with ``sensitivity_id``) the viewer may see."""
    items = list(items)
    if viewer_sees_restricted():
        return items
    return [i for i in items if not sensitivity.is_restricted(getattr(i, 'sensitivity_id', None))]


# --------------------------------------------------------------------------- the badge


def secret_badge(sensitivity_id: int | None) -> ui.element | None:
    """A red badge with the level's name ("Secret") when the level is restricted; nothing otherwise."""
    level = sensitivity.restricted_level(sensitivity_id)
    if level is None:
        return None
    badge = ui.badge(level.name, color='red')
    badge.props['aria-label'] = f'{level.name} item'
    badge.classes('oh-secret')
    badge.tooltip(BADGE_TIP)
    return badge


def secret_badge_html(sensitivity_id: int | None) -> str:
    """The same badge as escaped HTML, for rows rendered as one HTML block (lists, search results)."""
    level = sensitivity.restricted_level(sensitivity_id)
    if level is None:
        return ''
    name = html.escape(level.name)
    return (
        f'<span class="oh-secret inline-flex flex-none items-center px-1.5 rounded text-xs font-semibold '
        f'text-white bg-red-600" title="{html.escape(BADGE_TIP)}" aria-label="{name} item">{name}</span>'
    )


# --------------------------------------------------------------------------- data a page loads (off the loop)


def restricted_in(items: Iterable[object]) -> set[tuple[str, int]]:
    """``(kind, id)`` of the restricted ones among objects with ``kind`` and ``id`` (graph nodes, search
    hits). Data access only: call it off the event loop."""
    keys = [(i.kind, i.id) for i in items if i.kind in RESTRICTABLE]
    return set(sensitivity.restricted_keys(keys))


def drop_restricted(items: list[T], hide: bool) -> list[T]:
    """``items`` (with ``kind`` and ``id``) minus the restricted ones when ``hide`` (off the event loop)."""
    if not hide:
        return items
    hidden = restricted_in(items)
    return [i for i in items if (i.kind, i.id) not in hidden]


def graph_for_viewer(g: Graph | None, hide: bool) -> Graph | None:
    """The graph minus restricted items and their edges when ``hide`` (a viewer who may not see them);
    a restricted start item is as if it did not exist. Off the event loop."""
    if g is None or not hide:
        return g
    hidden = {f'{k}:{i}' for k, i in restricted_in(g.nodes)}
    if not hidden:
        return g
    if g.focus in hidden:
        raise NotFound('That item does not exist.')
    return replace(
        g,
        nodes=[n for n in g.nodes if n.key not in hidden],
        edges=[e for e in g.edges if e.source not in hidden and e.target not in hidden],
    )


def dashboard_for_viewer(d: Dashboard | None, hide: bool) -> Dashboard | None:
    """The dashboard without the names of restricted prompts and agents when ``hide`` (their counts stay
    in the totals, which name nothing). Off the event loop."""
    if d is None or not hide:
        return d
    prompts = sensitivity.restricted_ids('prompt', [r.prompt_id for r in d.ratings])
    agents = sensitivity.restricted_ids('agent', [a.id for a in d.agents])
    return replace(
        d,
        ratings=[r for r in d.ratings if r.prompt_id not in prompts],
        agents=[a for a in d.agents if a.id not in agents],
    )
