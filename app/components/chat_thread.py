"""The chat page's thread: the messages of the active path (the latest ``SHOWN_MESSAGES``), hidden steps
folded, streaming replies, and on each message what can be done with it (branch switch, copy, continue,
regenerate, retry, edit as a new branch, answer, save as an output)."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Protocol

from nicegui import Client, ui

from ..data import conversations
from ..data.models import Message
from ..services import chat
from . import fmt
from .chat_composer import ChatComposer
from .chat_state import ChatState
from .design import kind_url
from .message_view import MessageView
from .template_form import copy_text

SHOWN_MESSAGES = 80  # the latest messages of the path; earlier ones on request


class ThreadActions(Protocol):
    """What the thread's buttons ask the page to do."""

    def switch(self, message_id: int) -> Awaitable[None]: ...
    def regenerate(self, message_id: int, with_composer_model: bool = False) -> Awaitable[None]: ...
    def answer(self, message_id: int) -> Awaitable[None]: ...
    def edit(self, message_id: int, new_text: str) -> Awaitable[None]: ...
    def save_output(self, message_id: int) -> Awaitable[None]: ...


class ChatThread:
    """The banners and messages of one chat tab; ``render`` draws them again from ``state``."""

    def __init__(
        self, state: ChatState, composer: ChatComposer, actions: ThreadActions, client: Client
    ) -> None:
        self.state = state
        self.composer = composer
        self.actions = actions
        self.client = client
        self.cards: dict[int, MessageView] = {}  # reply message id -> its card, while it streams
        self.editing: int | None = None  # the user message being edited in place
        self.show_all = False  # every message of a long path, not just the latest

    def build(self) -> None:
        self.banner_box = ui.column().classes('w-full gap-2')
        self.thread_box = ui.column().classes('w-full gap-3')

    def start_edit(self, message_id: int | None) -> None:
        self.editing = message_id
        self.render(scroll=None)

    def render(self, scroll: str | None = 'bottom') -> None:
        self.cards = {}
        self.banner_box.clear()
        self.thread_box.clear()
        self.composer.update_controls()
        loaded = self.state.loaded
        if self.state.from_id is not None and loaded is not None:
            with (
                self.banner_box,
                ui.row().classes(
                    'w-full items-center gap-2 p-2 rounded bg-indigo-50 dark:bg-indigo-950 text-sm'
                ),
            ):
                ui.icon('call_split')
                ui.label('Continuing from an earlier message: what you send starts a new branch.')
                ui.button(
                    'Show the latest', on_click=lambda: ui.navigate.to(f'/chat/{self.state.conv_id}')
                ).props('flat dense no-caps')
        if loaded is not None and loaded.conv.deleted_at is not None:
            with (
                self.banner_box,
                ui.row().classes('w-full items-center gap-2 p-2 rounded bg-amber-100 dark:bg-amber-900'),
            ):
                ui.icon('delete')
                ui.label('This conversation is in the trash; restore it to continue it.')
                ui.link('Open it', kind_url('conversation', loaded.conv.id))
        with self.thread_box:
            if loaded is None or not loaded.path:
                with ui.column().classes('w-full items-center gap-1 py-10 oh-muted'):
                    ui.icon('chat', size='2.5rem')
                    ui.label('Ask anything. The conversation is saved like everything else here.')
                    if not self.composer.model_select.options:
                        ui.label('No provider is set up yet: add an API key or a server address first.')
                        ui.link('Settings → Providers', '/settings?tab=providers')
                return
            hidden: list[conversations.ThreadMessage] = []
            last_id = loaded.path[-1].message.id
            path = loaded.path
            if len(path) > SHOWN_MESSAGES and not self.show_all:
                # A long imported thread would build thousands of elements; the latest turns matter here.
                earlier = len(path) - SHOWN_MESSAGES
                ui.button(
                    f'Show {fmt.plural(earlier, "earlier message")}',
                    icon='expand_less',
                    on_click=self._show_all,
                ).props('flat no-caps').classes('self-center').mark('show-earlier')
                path = path[-SHOWN_MESSAGES:]
            for tm in path:
                if tm.message.hidden:
                    hidden.append(tm)
                    continue
                self._hidden_group(hidden)
                hidden = []
                self._message(tm, is_last=tm.message.id == last_id)
            self._hidden_group(hidden)
        self.scroll(scroll)

    def _show_all(self) -> None:
        self.show_all = True
        self.render(scroll=None)

    def scroll(self, how: str | None) -> None:
        if how is None:
            return
        # Not ui.run_javascript: the button that caused a re-render was just deleted with its slot.
        if how == 'follow':
            self.client.run_javascript(
                'if (window.innerHeight + window.scrollY >= document.body.scrollHeight - 400) '
                '{ window.scrollTo(0, document.body.scrollHeight) }'
            )
        else:
            self.client.run_javascript('window.scrollTo(0, document.body.scrollHeight)')

    def _hidden_group(self, hidden: list[conversations.ThreadMessage]) -> None:
        if not hidden:
            return
        with (
            ui.expansion(fmt.plural(len(hidden), 'hidden step'), icon='construction')
            .classes('w-full text-sm oh-muted')
            .props('dense')
        ):
            for tm in hidden:
                MessageView(tm, compact=True)

    def _message(self, tm: conversations.ThreadMessage, *, is_last: bool) -> None:
        m = tm.message
        streaming = m.id in self.state.running_ids
        if m.role == 'user' and self.editing == m.id:
            self._editor(tm)
            return

        def footer(msg: Message) -> None:
            if msg.role == 'assistant':
                self._reply_footer(msg, streaming)
            elif msg.role == 'user':
                self._question_footer(msg, is_last)

        card = MessageView(
            tm,
            on_switch=self.actions.switch if not streaming else None,
            menu=self._menu_items,
            footer=footer,
            streaming=streaming,
        )
        if streaming:
            reply = chat.get_running(m.id)
            if reply is not None:
                card.set_text(reply.text, force=True)
            self.cards[m.id] = card

    def _menu_items(self, m: Message) -> None:
        ui.menu_item('Copy', on_click=lambda: copy_text(m.content or ''))
        ui.menu_item(
            'Continue from here', on_click=lambda: ui.navigate.to(f'/chat/{self.state.conv_id}?from={m.id}')
        )
        ui.menu_item(
            'Open in the library',
            on_click=lambda: ui.navigate.to(kind_url('message', m.id, m.conversation_id)),
        )
        if m.role == 'assistant' and m.id not in self.state.running_ids:
            chosen = self.composer.model_select.value
            if chosen and chosen != m.model_id:
                label = self.composer.model_select.options.get(chosen, 'the chosen model')
                ui.menu_item(
                    f'Regenerate with {label}',
                    on_click=lambda: self.actions.regenerate(m.id, with_composer_model=True),
                ).mark(f'regenerate-with-{m.id}')

    def _reply_footer(self, m: Message, streaming: bool) -> None:
        if streaming:
            return
        raw = m.raw if isinstance(m.raw, dict) else {}
        error = raw.get('error') or ('This reply failed.' if m.status == 'error' else None)
        if error:
            with ui.row().classes(
                'w-full items-center gap-2 no-wrap p-2 mt-1 rounded bg-red-50 dark:bg-red-950 text-sm'
            ):
                ui.icon('error', color='negative').classes('text-lg')
                ui.label(error).classes('grow').mark(f'reply-error-{m.id}')
                ui.button('Retry', icon='refresh', on_click=lambda: self.actions.regenerate(m.id)).props(
                    'flat dense no-caps color=primary'
                ).mark(f'retry-{m.id}')
        elif m.status == 'incomplete' and m.finish_reason == chat.CANCELLED:
            ui.label('Stopped — what arrived is kept.').classes('text-xs oh-muted mt-1')
        with ui.row().classes('items-center gap-1 mt-1'):
            if (m.content or '').strip():
                ui.button(icon='content_copy', on_click=lambda: copy_text(m.content or '')).props(
                    'flat round dense size=sm aria-label="Copy"'
                ).tooltip('Copy')
                output_id = self.state.loaded.outputs.get(m.id) if self.state.loaded else None
                if output_id:
                    ui.link('Saved as output', kind_url('output', output_id)).classes('text-xs').mark(
                        f'output-link-{m.id}'
                    )
                else:
                    ui.button(icon='bookmark_add', on_click=lambda: self.actions.save_output(m.id)).props(
                        'flat round dense size=sm aria-label="Save as output"'
                    ).tooltip('Save as output').mark(f'save-{m.id}')
            if m.parent_id is not None:
                ui.button(icon='refresh', on_click=lambda: self.actions.regenerate(m.id)).props(
                    'flat round dense size=sm aria-label="Regenerate"'
                ).tooltip('Regenerate (a new branch)').mark(f'regenerate-{m.id}')

    def _question_footer(self, m: Message, is_last: bool) -> None:
        with ui.row().classes('items-center gap-1 mt-1'):
            ui.button(icon='edit', on_click=lambda: self.start_edit(m.id)).props(
                'flat round dense size=sm aria-label="Edit"'
            ).tooltip('Edit (a new branch)').mark(f'edit-{m.id}')
            if is_last and not self.state.running_ids:
                ui.button('Answer this', icon='reply', on_click=lambda: self.actions.answer(m.id)).props(
                    'flat dense no-caps color=primary'
                ).mark(f'answer-{m.id}')

    def _editor(self, tm: conversations.ThreadMessage) -> None:
        m = tm.message
        with ui.card().classes('w-full gap-2').props('flat bordered'):
            ui.label('Edit your message — the edit and its answer become a new branch').classes(
                'text-xs oh-muted'
            )
            area = (
                ui.textarea(value=m.content or '')
                .props('outlined autogrow autofocus aria-label="Edited message"')
                .classes('w-full')
                .mark('edit-text')
            )
            with ui.row().classes('w-full justify-end gap-2'):
                ui.button('Cancel', on_click=lambda: self.start_edit(None)).props('flat no-caps')
                ui.button(
                    'Send as a new branch',
                    icon='send',
                    on_click=lambda: self.actions.edit(m.id, area.value or ''),
                ).props('unelevated no-caps color=primary').mark('edit-send')
