"""The chat page's list of conversations: beside the thread on a wide screen, in a drawer on a phone."""

from __future__ import annotations

from typing import Any

from nicegui import run, ui

from ..data import entities
from ..data.listing import ListParams
from ..errors import UserError
from ..services import chat
from . import fmt, toast
from .chat_state import ChatState
from .secret import secret_badge

SIDEBAR_SIZE = 30


class ChatSidebar:
    """New chat, a filter and the latest conversations (Secret ones only for a viewer allowed them)."""

    def __init__(self, state: ChatState) -> None:
        self.state = state
        self.text = ''

    def build(self) -> None:
        """The wide-screen column (the drawer is built by ``build_drawer``, after the thread)."""
        with ui.column().classes('oh-hide-phone w-64 flex-none gap-2 sticky top-16'):
            self._controls()
            self.box = ui.column().classes('w-full gap-0')

    def build_drawer(self) -> None:
        with ui.dialog().props('position=left') as self.drawer, ui.card().classes('h-screen w-72 gap-2'):
            self._controls(phone=True)
            self.drawer_box = ui.column().classes('w-full gap-0')

    async def open_drawer(self) -> None:
        await self.show(phone=True)
        self.drawer.open()

    def _controls(self, phone: bool = False) -> None:
        ui.button('New chat', icon='add', on_click=lambda: ui.navigate.to('/chat')).props(
            'unelevated no-caps color=primary'
        ).classes('w-full').mark('new-chat')
        box = ui.input(placeholder='Filter conversations').props('dense outlined clearable').classes('w-full')

        async def changed(e: Any) -> None:
            self.text = (e.args if isinstance(e.args, str) else '') or ''
            await self.show(phone=phone)

        box.on('update:model-value', changed, throttle=0.3, leading_events=False)

    async def show(self, phone: bool = False) -> None:
        params = ListParams(
            text=self.text,
            sort='updated_at',
            per_page=SIDEBAR_SIZE,
            exclude_restricted=not self.state.sees_restricted,
        )
        try:
            page = await run.io_bound(entities.list_items, 'conversation', params)
        except UserError as exc:
            toast.error(str(exc))
            return
        box = self.drawer_box if phone else self.box
        if box.is_deleted:
            return
        streaming = {r.conversation_id for r in chat.running_replies()}
        box.clear()
        with box:
            if not page.items:
                ui.label('No conversations yet.' if not self.text else 'Nothing matches.').classes(
                    'text-sm oh-muted px-2 py-3'
                )
            for conv in page.items:
                current = conv.id == self.state.conv_id
                with (
                    ui.link(target=f'/chat/{conv.id}').classes('oh-link w-full no-underline'),
                    ui.row().classes(
                        'w-full items-center gap-2 no-wrap px-2 py-1.5 rounded '
                        + (
                            'bg-indigo-50 dark:bg-indigo-950 '
                            if current
                            else 'hover:bg-slate-100 dark:hover:bg-slate-800 '
                        )
                    ),
                ):
                    with ui.column().classes('grow min-w-0 gap-0'):
                        ui.label(conv.title or f'Conversation {conv.id}').classes('text-sm truncate w-full')
                        ui.label(
                            f'{fmt.ago(conv.updated_at)} · {fmt.plural(conv.message_count, "message")}'
                        ).classes('text-xs oh-muted')
                    secret_badge(conv.sensitivity_id)
                    if conv.id in streaming:
                        ui.spinner('dots', size='1em').props('aria-label="Streaming"')
            if page.total > len(page.items):
                ui.link('All conversations', '/conversations').classes('text-sm px-2 py-2')
