"""A dialog to choose one item by searching (or to create it): used by bulk actions and filters."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable

from nicegui import ui

from ..errors import UserError
from . import dialogs, toast
from .relation_picker import Option


async def pick_option(
    title: str,
    search: Callable[[str], list[Option]],
    *,
    create: Callable[[str], Option | Awaitable[Option]] | None = None,
) -> Option | None:
    """Open a dialog; return the option chosen (or created), or None when cancelled."""
    with ui.dialog() as dialog, ui.card().classes('w-[min(92vw,28rem)] gap-2'):
        ui.label(title).classes('text-lg font-semibold')
        box = (
            ui.input(placeholder='Type to search' + (' or create' if create else ''))
            .props('dense outlined autofocus clearable')
            .classes('w-full')
        )
        results = ui.column().classes('w-full gap-0')
        with ui.row().classes('w-full justify-end'):
            ui.button('Cancel', on_click=lambda: dialog.submit(None)).props('flat')

    state: dict[str, list[Option]] = {'found': []}

    def show(text: str) -> None:
        results.clear()
        try:
            found = search(text or '')[:10]
        except UserError as exc:
            toast.error(str(exc))
            found = []
        state['found'] = found
        with results:
            for option in found:
                with (
                    ui.item(on_click=lambda o=option: dialog.submit(o))
                    .props('dense clickable')
                    .classes('w-full')
                    .mark(f'pick-{option.id}')
                ):
                    with ui.item_section():
                        ui.item_label(option.label)
                        if option.hint:
                            ui.item_label(option.hint).props('caption')
            text = (text or '').strip()
            if create and text and not any(o.label.lower() == text.lower() for o in found):
                with (
                    ui.item(on_click=lambda: submit_new(text)).props('dense clickable').mark('pick-new'),
                    ui.item_section(),
                ):
                    ui.item_label(f'Create “{text}”').classes('text-primary')
            if not found and not (create and text):
                ui.label('Nothing found').classes('text-sm oh-muted px-3 py-1')

    async def submit_new(text: str) -> None:
        assert create is not None
        try:
            made = create(text)  # a creator that writes runs it off the event loop and is awaited here
            dialog.submit(await made if inspect.isawaitable(made) else made)
        except UserError as exc:
            toast.error(str(exc))

    async def enter() -> None:
        text = (box.value or '').strip()
        exact = next((o for o in state['found'] if o.label.lower() == text.lower()), None)
        if exact:
            dialog.submit(exact)
        elif create and text:
            await submit_new(text)
        elif state['found']:
            dialog.submit(state['found'][0])

    box.on_value_change(lambda e: show(e.value))
    box.on('keydown.enter', enter)
    show('')
    result = await dialogs.answer(dialog)
    return result
