"""Conversations: the list and the thread view — the active path, a switcher at every fork, hidden
tool steps folded away, per-message actions (copy, save as output, continue)."""

from __future__ import annotations

import json

from fastapi import Request
from nicegui import run, ui

from ..components import clipboard, fmt, pickers, toast
from ..components.design import DETAIL_GRID
from ..components.graph_view import neighbourhood_card
from ..components.item_header import delete_button, favourite_and_rating, inline_title, mark_viewed_later
from ..components.items import item_row
from ..components.message_view import MessageView
from ..components.relation_picker import compact_pickers
from ..components.retention_controls import retention_controls
from ..components.secret import check_visible, secret_badge, viewer_sees_restricted, visible
from ..components.trashed import TrashState
from ..context import AppContext
from ..data import conversations
from ..errors import UserError
from ..ids import FocusId, ItemId
from . import nav, shell
from .frame import frame
from .list_page import list_page


class ThreadView:
    """The messages of one path through a conversation, re-rendered when the branch changes."""

    def __init__(self, conversation_id: int, focus: int | None, total: int = 0) -> None:
        self.conversation_id = conversation_id
        self.focus = focus
        self.total = total  # every message of the conversation, all branches and hidden steps included
        self.hide_restricted = not viewer_sees_restricted()  # withheld messages show a notice instead

    async def show(self) -> None:
        await self.render()

    @ui.refreshable_method
    async def render(self) -> None:
        leaf = None
        if self.focus:
            leaf = await run.io_bound(conversations.latest_leaf, self.conversation_id, self.focus)
        try:
            path = await run.io_bound(
                conversations.thread, self.conversation_id, leaf, hide_restricted=self.hide_restricted
            )
        except UserError as exc:
            toast.error(str(exc))
            return
        if not path:
            ui.label('This conversation has no messages.').classes('oh-muted')
            return
        hidden: list[conversations.ThreadMessage] = []
        ui.label(self._summary(path)).classes('text-sm oh-muted').mark('thread-summary')
        with ui.column().classes('w-full gap-3'):
            for tm in path:
                if tm.message.hidden and tm.message.id != self.focus:
                    hidden.append(tm)
                    continue
                self._hidden_group(hidden)
                hidden = []
                self._message(tm)
            self._hidden_group(hidden)
        if self.focus:
            ui.run_javascript(
                f'setTimeout(() => {{ const el = document.getElementById({json.dumps(f"m{self.focus}")}); '
                f'if (el) {{ el.scrollIntoView({{block: "center"}}); }} }}, 300)'
            )

    def _summary(self, path: list[conversations.ThreadMessage]) -> str:
        """What is on screen and what is not: "6 messages shown · 4 hidden steps folded · 2 in other branches"."""
        shown = sum(1 for tm in path if not tm.message.hidden or tm.message.id == self.focus)
        parts = [f'{fmt.plural(shown, "message")} shown']
        if len(path) - shown:
            parts.append(f'{fmt.plural(len(path) - shown, "hidden step")} folded')
        if self.total > len(path):
            parts.append(f'{self.total - len(path):,} in other branches')
        return ' · '.join(parts)

    def _hidden_group(self, hidden: list[conversations.ThreadMessage]) -> None:
        if not hidden:
            return
        label = fmt.plural(len(hidden), 'hidden step')
        with ui.expansion(label, icon='construction').classes('w-full text-sm oh-muted').props('dense'):
            for tm in hidden:
                self._message(tm, compact=True)

    def _message(self, tm: conversations.ThreadMessage, compact: bool = False) -> None:
        MessageView(
            tm,
            on_switch=self._switch,
            menu=self._menu_items,
            focused=tm.message.id == self.focus,
            compact=compact,
        )

    async def _switch(self, message_id: int) -> None:
        try:
            await run.io_bound(conversations.set_active_leaf, self.conversation_id, message_id)
        except UserError as exc:
            toast.error(str(exc))
            return
        self.focus = None
        self.render.refresh()

    def _menu_items(self, m) -> None:
        ui.menu_item('Copy', on_click=lambda: clipboard.copy(m.content or ''))
        if m.role == 'assistant' and not getattr(m, 'withheld', False):
            ui.menu_item('Save as output', on_click=lambda: ui.navigate.to(f'/capture?message={m.id}'))
        if nav.has('/chat'):
            ui.menu_item(
                'Continue from here',
                on_click=lambda: ui.navigate.to(f'/chat/{self.conversation_id}?from={m.id}'),
            )
        ui.menu_item(
            'Link to this message',
            on_click=lambda: ui.navigate.to(f'/conversations/{self.conversation_id}?m={m.id}#m{m.id}'),
        )


def conversation_page(ctx: AppContext, conversation_id: int, focus: int | None) -> ThreadView | None:
    try:
        conv = conversations.get_conversation(conversation_id)
        check_visible('conversation', conv)  # a LAN device without permission: as if it did not exist
    except UserError as exc:
        ui.label(str(exc)).classes('text-lg')
        ui.link('Back to conversations', '/conversations')
        return None
    mark_viewed_later('conversation', conversation_id)
    trashed = TrashState('conversation', conversation_id, conv.deleted_at, list_url='/conversations')
    view = ThreadView(conversation_id, focus, conv.message_count)
    with ui.grid().classes(DETAIL_GRID):
        with ui.column().classes('gap-3 min-w-0'):
            inline_title(
                'conversation', conv, trailing=lambda: delete_button(trashed.trash, 'delete-conversation')
            )
            secret_badge(conv.sensitivity_id)
            source = conv.source.name if conv.source_id else ''
            ui.label(
                ' · '.join(
                    x
                    for x in (
                        fmt.date_time(conv.created_at),
                        source,
                    )
                    if x
                )
            ).classes('text-sm oh-muted')
            with ui.row().classes('items-center gap-1'):
                favourite_and_rating('conversation', conv)
                if nav.has('/chat'):
                    ui.button(
                        'Continue in chat',
                        icon='chat',
                        on_click=lambda: ui.navigate.to(f'/chat/{conversation_id}'),
                    ).props('flat no-caps')
            view_container = ui.column().classes('w-full')
        with ui.column().classes('gap-4 w-full'):
            with compact_pickers():  # one read-only line each until its button opens the picker
                with ui.card().classes('w-full gap-4').props('flat bordered'):
                    pickers.tags_picker('conversation', conversation_id)
                    pickers.collections_picker('conversation', conversation_id)
                    pickers.field_picker(
                        'conversation', conversation_id, 'category', 'category', 'Category', creatable=True
                    )
                    pickers.field_picker(
                        'conversation', conversation_id, 'sensitivity', 'sensitivity', 'Sensitivity'
                    )
                    retention_controls('conversation', conversation_id)
                    pickers.field_picker(
                        'conversation', conversation_id, 'model', 'model', 'Model', creatable=True
                    )
            neighbourhood_card('conversation', conversation_id)
            saved = visible(conversations.saved_outputs(conversation_id))
            with ui.card().classes('w-full gap-1').props('flat bordered'):
                ui.label('Outputs saved from it').classes('font-semibold')
                if not saved:
                    ui.label('None yet — use “Save as output” on a reply.').classes('text-sm oh-muted')
                for o in saved:
                    item_row('output', o, show_tags=False)
    view.container = view_container
    return view


def register(ctx: AppContext) -> None:
    nav.add(nav.NavItem('Conversations', '/conversations', 'forum', order=20, shortcut='g c'))

    @shell.page(ctx, '/conversations')
    async def conversations_list(request: Request) -> None:
        await list_page(ctx, request, 'conversation')

    @shell.page(ctx, '/conversations/{conversation_id}')
    async def conversation_detail(conversation_id: ItemId, m: FocusId = None) -> None:
        with frame(ctx, 'Conversation'):
            view = conversation_page(ctx, conversation_id, m)
            if view is not None:
                with view.container:
                    await view.show()
