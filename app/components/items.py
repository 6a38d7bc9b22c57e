"""How an item looks in a list anywhere: a coloured kind marker, its title as a link, a meta line, tag chips."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable

from nicegui import ui
from peewee import Model

from . import fmt
from .design import kind_color, kind_icon, kind_url, row_color
from .secret import secret_badge, secret_badge_html


def tag_chip(tag: Model, *, removable: bool = False, on_remove=None, dense: bool = True) -> ui.element:
    """A tag as a chip that links to the tag's page."""
    chip = ui.chip(
        tag.name,
        icon='sell',
        color=None,
        removable=removable,
        on_click=lambda t=tag: ui.navigate.to(f'/tags/{t.id}'),
    ).props('outline clickable')
    if dense:
        chip.props('dense')
    chip.style(f'color: {row_color(tag.color, kind_color("tag"))}')
    if removable and on_remove is not None:
        chip.on('remove', lambda _=None, t=tag: on_remove(t))
    return chip


def tag_chips(tags: Iterable[Model]) -> None:
    for tag in tags:
        tag_chip(tag)


def kind_marker(kind: str) -> None:
    ui.icon(kind_icon(kind)).style(f'color: {kind_color(kind)}').classes('text-lg')


def title_of(kind: str, item: Model) -> str:
    return getattr(item, 'title', None) or getattr(item, 'name', None) or f'Untitled {kind}'


def item_row(kind: str, item: Model, *, meta: str | None = None, show_tags: bool = True) -> ui.element:
    """One line per item: icon, linked title, meta, tags. Used on home, lists and tag/collection pages."""
    with ui.row().classes('w-full items-start gap-3 no-wrap py-1') as row:
        kind_marker(kind)
        with ui.column().classes('gap-0 min-w-0 grow'):
            with ui.row().classes('w-full items-center gap-2 no-wrap min-w-0'):
                with ui.link(target=kind_url(kind, item.id)).classes('oh-link font-medium truncate min-w-0'):
                    ui.label(title_of(kind, item)).classes('truncate')
                secret_badge(getattr(item, 'sensitivity_id', None))
            line = meta if meta is not None else fmt.ago(getattr(item, 'created_at', None))
            if line:
                ui.label(line).classes('text-xs oh-muted')
            if show_tags and getattr(item, 'tags', None):
                # under the title, wrapping: in a narrow card the title keeps its room
                with ui.row().classes('gap-1 oh-hide-phone'):
                    tag_chips(item.tags[:3])
        if getattr(item, 'favourite', False):
            ui.icon('star', color='amber').classes('text-base').tooltip('Favourite')
    return row


def item_row_html(kind: str, item: Model, *, meta: str | None = None) -> str:
    """:func:`item_row` (without tag chips) as escaped HTML, for a list of rows built as one element: a
    NiceGUI element costs far more than a string, and a tag's page of ~100 rows built ~7 elements a row."""
    line = meta if meta is not None else fmt.ago(getattr(item, 'created_at', None))
    star = (
        '<i class="q-icon notranslate material-icons text-base text-amber" aria-label="Favourite" '
        'title="Favourite">star</i>'
        if getattr(item, 'favourite', False)
        else ''
    )
    return (
        '<div class="flex w-full items-start gap-3 no-wrap py-1">'
        f'<i class="q-icon notranslate material-icons text-lg" aria-hidden="true" '
        f'style="color: {html.escape(kind_color(kind))}">{html.escape(kind_icon(kind))}</i>'
        '<div class="flex flex-col no-wrap gap-0 min-w-0 grow">'
        '<div class="flex w-full items-center gap-2 no-wrap min-w-0">'
        f'<a class="oh-link font-medium truncate min-w-0" href="{html.escape(kind_url(kind, item.id))}">'
        f'{html.escape(title_of(kind, item))}</a>'
        f'{secret_badge_html(getattr(item, "sensitivity_id", None))}</div>'
        + (f'<span class="text-xs oh-muted">{html.escape(line)}</span>' if line else '')
        + f'</div>{star}</div>'
    )


def item_rows(kind: str, items: Iterable[Model], *, meta: Callable[[Model], str] | None = None) -> ui.html:
    """Rows like :func:`item_row` (links, meta line, Secret badge, star; no tag chips) as one element."""
    rows = ''.join(item_row_html(kind, item, meta=meta(item) if meta else None) for item in items)
    # every value is escaped above; DOMPurify on top keeps the links and classes
    return ui.html(f'<div class="flex flex-col w-full gap-0">{rows}</div>', sanitize=True).classes('w-full')
