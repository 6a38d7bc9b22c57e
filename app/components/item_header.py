"""The top of every detail page: the title (or name) edited in place, the favourite star and the rating."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import background_tasks, run, ui
from peewee import Model

from ..data import entities
from ..errors import UserError
from . import toast


def inline_title(
    kind: str,
    item: Model,
    *,
    field: str = 'title',
    saved: str = 'Title saved',
    marker: str = '',
    trailing: Callable[[], None] | None = None,
) -> ui.textarea:
    """The page heading, edited in place. A textarea that grows, so a long title wraps at word boundaries
    instead of being cut (Enter saves, no line breaks). ``trailing`` builds buttons at the end of the title
    row (the delete icon), so they do not sit alone on a row of their own on a phone. Empty titles are
    refused for kinds that need one (agents' names, prompts' titles); outputs and conversations fall back
    to their previous title."""
    label = 'Name' if field == 'name' else 'Title'
    with ui.row().classes('w-full items-start gap-1 no-wrap min-w-0').mark('title-row'):
        box = (
            ui.textarea(value=getattr(item, field))
            .props('borderless dense autogrow rows=1 input-class="text-2xl font-semibold leading-tight"')
            .classes('grow min-w-0 oh-title-input')
        )
        if trailing is not None:
            trailing()
    box.props['aria-label'] = label
    if marker:
        box.mark(marker)
    required = kind in ('prompt', 'agent')

    async def save() -> None:
        value = ' '.join((box.value or '').split())  # one line: a pasted line break becomes a space
        if not value:
            box.set_value(getattr(item, field))
            if required:
                toast.error(f'{"An agent needs a name" if kind == "agent" else "A prompt needs a title"}.')
            return
        if value != (box.value or ''):
            box.set_value(value)
        previous = getattr(item, field)
        if value == previous:
            return
        setattr(item, field, value)  # at once: a blur and an Enter must not save it twice
        try:
            await run.io_bound(entities.update_item, kind, item.id, **{field: value})
        except UserError as exc:
            setattr(item, field, previous)
            toast.error(str(exc))
            return
        toast.saved(saved)

    box.on('blur', save)
    box.on('keydown.enter.prevent', save)  # Enter saves; a title has no line breaks
    return box


def favourite_and_rating(kind: str, item: Model) -> None:
    """The star that (un)favourites the item and its 1–5 rating, saved as they change."""
    star = ui.button().props('flat round aria-label=Favourite').tooltip('Favourite').mark('favourite')

    def show() -> None:
        star.props.update(
            icon='star' if item.favourite else 'star_border', color='amber' if item.favourite else 'grey'
        )

    async def toggle() -> None:
        try:
            await run.io_bound(entities.update_item, kind, item.id, favourite=not item.favourite)
        except UserError as exc:
            toast.error(str(exc))
            return
        item.favourite = not item.favourite
        show()

    show()
    star.on_click(toggle)

    async def rate(value: float | None) -> None:
        try:
            await run.io_bound(entities.update_item, kind, item.id, rating=int(value) if value else None)
        except UserError as exc:
            toast.error(str(exc))

    ui.rating(value=item.rating or 0, max=5, on_change=lambda e: rate(e.value)).props(
        'size=1.4em aria-label=Rating'
    )


def mark_viewed_later(kind: str, item_id: int) -> None:
    """Record that the item was opened, in the background: the page never waits for the write lock."""
    background_tasks.create(run.io_bound(entities.mark_viewed, kind, item_id), name=f'mark {kind} viewed')


def delete_button(on_click: Callable[[], object], marker: str) -> ui.button:
    """The round "Move to trash" icon that ends a detail page's title row."""
    return (
        ui.button(icon='delete', on_click=on_click)
        .props('flat round color=negative aria-label=Delete')
        .classes('flex-none')
        .tooltip('Move to trash')
        .mark(marker)
    )
