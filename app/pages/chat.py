"""Chat with a model (/chat, /chat/{conversation id}): conversation list, the thread with streaming replies,
stop, regenerate and edit as branches, branch switching, tokens and cost, save a reply as an output, and a
composer with agent and model pickers. ``?from=MESSAGE`` continues from an earlier message;
``?prompt_version=ID`` (with ``text=`` or the template form) starts from a prompt.

Replies stream in the chat service, not in the page: a page only watches them (a timer re-renders the
growing reply a few times a second), so a reload, a second tab or a locked phone never loses one.

The page holds the tab's state and its actions; the parts are components: ``chat_sidebar`` (the
conversation list), ``chat_thread`` (the messages) and ``chat_composer`` (the message box and pickers).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import Request
from nicegui import background_tasks, run, ui

from ..components import fmt, toast
from ..components.chat_composer import ChatComposer, initial_choices
from ..components.chat_sidebar import ChatSidebar
from ..components.chat_state import ChatState, load_thread
from ..components.chat_thread import ChatThread
from ..components.design import kind_url
from ..components.secret import check_can_continue, check_visible, secret_badge, viewer_sees_restricted
from ..context import AppContext
from ..data import conversations
from ..data.db import row_id
from ..errors import UserError
from ..ids import ItemId
from ..llm import providers
from ..services import chat
from . import nav, shell
from .frame import frame

log = logging.getLogger(__name__)

TICK = 0.2  # seconds between looks at the running replies (re-rendering is throttled further)

_sdks_loading: asyncio.Future | None = None


def preload_sdks() -> None:
    """Import the SDKs in a worker thread once, when the first chat page opens (~9 s for anthropic)."""
    global _sdks_loading

    def load() -> None:
        try:
            providers.preload_sdks()
        except Exception as exc:  # a missing SDK is reported by the first request, in one sentence
            log.warning('Could not preload the model SDKs (%s)', type(exc).__name__)

    if _sdks_loading is None:
        _sdks_loading = background_tasks.create(run.io_bound(load), name='preload-sdks')


def _unexpected(exc: Exception, doing: str) -> str:
    log.exception('Chat page: %s failed', doing)
    return f'Something went wrong while {doing} ({type(exc).__name__}); nothing you typed was lost.'


class ChatPage:
    """The chat page of one browser tab: its state and actions; sidebar, thread and composer draw it."""

    def __init__(
        self,
        conversation_id: int | None,
        *,
        from_id: int | None = None,
        prompt_version_id: int | None = None,
        text: str = '',
        agent: int | None = None,
        agent_version: int | None = None,
    ) -> None:
        self.state = ChatState(conversation_id, from_id=from_id, prompt_version_id=prompt_version_id)
        self.agent = agent
        self.agent_version = agent_version
        self.lock = asyncio.Lock()
        self.sidebar = ChatSidebar(self.state)
        self.composer = ChatComposer(self.state, text=text, on_send=self.send, on_stop=self.stop)

    # ------------------------------------------------------------------ building

    async def build(self) -> None:
        self.client = ui.context.client
        state = self.state
        state.sees_restricted = viewer_sees_restricted()  # a LAN device may not be allowed Secret items
        try:
            if state.conv_id is not None:
                state.loaded = await run.io_bound(load_thread, state.conv_id, state.from_id)
                check_visible('conversation', state.loaded.conv)  # as if it did not exist
                await run.io_bound(check_can_continue, state.conv_id, not state.sees_restricted)
        except UserError as exc:
            state.loaded = None
            with ui.column().classes('w-full items-start gap-2'):
                ui.label(str(exc)).classes('text-lg')
                ui.link('Start a new chat', '/chat')
            return
        choices = await run.io_bound(
            initial_choices,
            state.loaded.conv if state.loaded else None,
            state.loaded.path if state.loaded else [],
            self.agent,
            self.agent_version,
            state.sees_restricted,
        )
        self.thread = ChatThread(state, self.composer, self, self.client)
        with ui.row().classes('w-full no-wrap items-start gap-4'):
            self.sidebar.build()
            with ui.column().classes('grow min-w-0 gap-3 max-w-4xl mx-auto'):
                self._header()
                self.thread.build()
                self.composer.build(choices)
        self.sidebar.build_drawer()
        await self.sidebar.show()
        await self.reload(initial=True)
        self.timer = ui.timer(TICK, self.tick)

    def _header(self) -> None:
        with ui.column().classes('w-full gap-0'):
            with ui.row().classes('w-full items-center gap-2 no-wrap'):
                ui.button(icon='forum', on_click=lambda: self.sidebar.open_drawer()).props(
                    'flat round dense aria-label="Conversations"'
                ).classes('oh-only-phone')
                self.title_box = ui.row().classes('grow min-w-0 items-center gap-2 no-wrap')
            self.usage_label = ui.label('').classes('text-sm oh-muted').mark('conversation-usage')

    def _show_header(self) -> None:
        self.title_box.clear()
        with self.title_box:
            if self.state.loaded is None:
                ui.label('New chat').classes('text-2xl font-semibold truncate')
                self.usage_label.set_text('')
                return
            conv = self.state.loaded.conv
            ui.label(conv.title or f'Conversation {conv.id}').classes(
                'text-2xl font-semibold leading-tight min-w-0 line-clamp-2 break-words'
            )  # a long title wraps (two lines at most), never cut mid-word
            secret_badge(conv.sensitivity_id)
            ui.button(
                icon='open_in_new', on_click=lambda: ui.navigate.to(kind_url('conversation', conv.id))
            ).props('flat round dense size=sm aria-label="Open in the library"').tooltip(
                'Open in the library (tags, collections, rating)'
            )
        u = self.state.loaded.usage
        parts = [fmt.plural(conv.message_count, 'message')]
        if u.input_tokens or u.output_tokens:
            parts.append(f'{fmt.tokens(u.input_tokens)} in · {fmt.tokens(u.output_tokens)} out')
        if u.cost:
            parts.append(fmt.money(u.cost) + (' + cost unknown for some replies' if u.unknown_cost else ''))
        elif u.unknown_cost:
            parts.append('cost unknown')  # a model without prices: never "$0"
        self.usage_label.set_text(' · '.join(parts))

    # ------------------------------------------------------------------ actions

    async def _start(self, doing: str, make_reply: Any) -> chat.ChatReply | None:
        """Run one of the service's use-cases; errors show under the composer, never as a traceback."""
        if self.state.busy:
            return None
        # The service's own list, not the page's (up to one tick old): a reply that just ended must not
        # swallow the click, and one that another tab just started must refuse it.
        if self.state.conv_id is not None and chat.running_replies(self.state.conv_id):
            self.composer.show_error(
                'A reply is still being written in this chat: wait for it or stop it first.'
            )
            return None
        self.state.busy = True
        self.composer.update_controls()
        self.composer.show_error(None)
        try:
            return await make_reply()
        except UserError as exc:
            self.composer.show_error(str(exc))
        except Exception as exc:
            self.composer.show_error(_unexpected(exc, doing))
        finally:
            self.state.busy = False
            self.composer.update_controls()
        return None

    async def send(self) -> None:
        text = self.composer.text.value or ''
        if not text.strip():
            self.composer.show_error('Type a message first.')
            return
        kwargs: dict[str, Any] = {
            'conversation_id': self.state.conv_id,
            'model': self.composer.model_select.value or None,
            'prompt_version': self.state.prompt_version_id,
            **self.composer.agent_kwargs(),
        }
        if self.state.from_id is not None:
            kwargs['parent'] = self.state.from_id
        reply = await self._start('sending', lambda: chat.send_message(text, **kwargs))
        if reply is None:
            return
        sent_from = self.composer.draft_key()
        self.composer.text.set_value('')
        self.composer.save_draft(key=sent_from)  # sent: no draft left behind
        self.state.from_id = None
        if self.state.prompt_version_id:
            self.composer.forget_prompt()
        if self.state.conv_id != reply.conversation_id:
            self.state.conv_id = reply.conversation_id
            ui.navigate.history.replace(f'/chat/{self.state.conv_id}')
        else:
            ui.navigate.history.replace(f'/chat/{self.state.conv_id}')  # drops ?from= and ?prompt_version=
        await self.reload()
        await self.sidebar.show()

    async def regenerate(self, message_id: int, with_composer_model: bool = False) -> None:
        model = self.composer.model_select.value if with_composer_model else None
        if await self._start('regenerating', lambda: chat.regenerate(message_id, model=model)):
            await self.reload()

    async def answer(self, message_id: int) -> None:
        kwargs = {'model': self.composer.model_select.value or None, **self.composer.agent_kwargs()}
        if await self._start('asking for an answer', lambda: chat.reply_to(message_id, **kwargs)):
            await self.reload()

    async def edit(self, message_id: int, new_text: str) -> None:
        kwargs = {'model': self.composer.model_select.value or None, **self.composer.agent_kwargs()}
        reply = await self._start('editing', lambda: chat.edit_user_message(message_id, new_text, **kwargs))
        if reply is not None:
            self.thread.editing = None
            await self.reload()

    def stop(self) -> None:
        for message_id in list(self.state.running_ids):
            chat.stop(message_id)

    async def switch(self, message_id: int) -> None:
        if self.state.conv_id is None:
            return
        try:
            await run.io_bound(conversations.set_active_leaf, self.state.conv_id, message_id)
        except UserError as exc:
            toast.error(str(exc))
            return
        self.state.from_id = None
        await self.reload(scroll=None)

    async def save_output(self, message_id: int) -> None:
        try:
            out = await run.io_bound(chat.save_reply_as_output, message_id)
        except UserError as exc:
            toast.error(str(exc))
            return
        except Exception as exc:
            toast.error(_unexpected(exc, 'saving the output'))
            return
        toast.toast('Saved as an output', [('Open', kind_url('output', out.id))])
        await self.reload(scroll=None)

    # ------------------------------------------------------------------ the thread

    async def reload(self, initial: bool = False, scroll: str | None = 'bottom') -> None:
        """Read the conversation again and re-render the thread (after a reply starts or ends).

        ``scroll``: 'bottom' (the user just asked for something), 'follow' (only if already near the
        bottom: never pull a reader away from an earlier message) or None.
        """
        if self.state.conv_id is None:
            self._show_header()
            self.thread.render(scroll=scroll)
            return
        async with self.lock:
            with self.client:  # not the slot of the button that asked: a re-render deletes it
                # Which replies run is read before the thread: one that ends in between shows up as changed
                # on the next tick (and is re-read), never as a stale half-reply that stays.
                running = {r.message_id for r in chat.running_replies(self.state.conv_id)}
                if not initial or self.state.loaded is None:
                    try:
                        self.state.loaded = await run.io_bound(
                            load_thread, self.state.conv_id, self.state.from_id
                        )
                    except UserError as exc:
                        toast.error(str(exc))
                        return
                self.state.running_ids = running
                if self.thread.thread_box.is_deleted:
                    return
                self._show_header()
                self.thread.render(scroll=scroll)

    # ------------------------------------------------------------------ watching replies

    async def tick(self) -> None:
        """Re-render growing replies (throttled) and notice replies that started elsewhere or ended."""
        if self.state.conv_id is None:
            return
        running = {r.message_id: r for r in chat.running_replies(self.state.conv_id)}
        if set(running) != self.state.running_ids:
            ended = self.state.running_ids - set(running)
            await self.reload(scroll='follow')
            if ended:
                await self.sidebar.show()
            return
        for message_id, reply in running.items():
            card = self.thread.cards.get(message_id)
            if card is not None and card.set_text(reply.text):
                self.thread.scroll('follow')


def _int(value: str | None) -> int | None:
    return row_id(value) if value else None


def register(ctx: AppContext) -> None:
    nav.add(nav.NavItem('Chat', '/chat', 'chat', order=25, group='Work'))

    async def chat_page(conversation_id: int | None, request: Request) -> None:
        preload_sdks()
        query = request.query_params
        with frame(ctx, 'Chat', wide=True):
            page = ChatPage(
                conversation_id,
                from_id=_int(query.get('from')) if conversation_id is not None else None,
                prompt_version_id=_int(query.get('prompt_version')),
                text=(query.get('text') or '')[: chat.MAX_USER_MESSAGE],
                agent=_int(query.get('agent')),
                agent_version=_int(query.get('agent_version')),
            )
            await page.build()

    @shell.page(ctx, '/chat')
    async def new_chat(request: Request) -> None:
        await chat_page(None, request)

    @shell.page(ctx, '/chat/{conversation_id}')
    async def existing_chat(conversation_id: ItemId, request: Request) -> None:
        await chat_page(conversation_id, request)
