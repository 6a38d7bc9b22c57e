"""The list page of a main kind (/outputs, /conversations, /prompts, /agents) and its trash (?trashed=1).

One route body for the four lists, so their titles and buttons cannot drift apart again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Request
from nicegui import ui

from ..components.list_view import EntityList, list_header
from ..components.live import on_library_change
from ..context import AppContext
from ..data.listing import ListParams
from .frame import frame


async def list_page(
    ctx: AppContext,
    request: Request,
    kind: str,
    *,
    actions: Callable[[], None] | None = None,
    before_list: Callable[[ListParams], Awaitable[None]] | None = None,
) -> None:
    """The list of ``kind`` (its trash with ``?trashed=1``): header, Trash / Back button, the list.

    ``actions`` adds the kind's own buttons to the header (not in the trash); ``before_list`` puts
    things between the header and the list (filters, a search box).
    """
    params = ListParams.from_query(request.query_params)
    plural = f'{kind}s'
    path = f'/{plural}'
    title = f'Trash: {plural}' if params.trashed else plural.capitalize()
    with frame(ctx, title):

        def header_actions() -> None:
            if params.trashed:
                ui.button(
                    f'Back to {plural}', icon='arrow_back', on_click=lambda: ui.navigate.to(path)
                ).props('flat no-caps')
            else:
                ui.button('Trash', icon='delete', on_click=lambda: ui.navigate.to(f'{path}?trashed=1')).props(
                    'flat no-caps'
                )
                if actions is not None:
                    actions()

        list_header(kind, title, actions=header_actions)
        if before_list is not None:
            await before_list(params)
        entity_list = EntityList(kind, params, path)
        await entity_list.show()
        # a capture in the quick-capture dialog (or an undo) shows up in the list beneath, no reload
        on_library_change(lambda _change: entity_list.body.refresh(), kinds=(kind,))
