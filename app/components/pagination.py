"""The one pagination control: "26–50 of 3,214" with previous/next and a page picker."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import ui

from ..data.listing import Page


def pager(page: Page, on_page: Callable[[int], object]) -> None:
    with ui.row().classes('items-center gap-2 w-full justify-between flex-wrap'):
        if page.total:
            ui.label(f'{page.first_index:,}–{page.last_index:,} of {page.total:,}').classes(
                'text-sm oh-muted'
            )
        else:
            ui.label('No items').classes('text-sm oh-muted')
        if page.pages > 1:
            ui.pagination(
                1, page.pages, direction_links=True, value=page.page, on_change=lambda e: on_page(e.value)
            ).props('max-pages=7 boundary-numbers size=sm')
