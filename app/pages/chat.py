"""Chat with a model (/chat, /chat/{conversation id}): conversation list, the thread with streaming replies,
stop, regenerate and edit as branches, branch switching, tokens and cost, save a reply as an output, and a
composer with agent and model pickers. ``?from=MESSAGE`` continues from an earlier message;
``?prompt_version=ID`` (with ``text=`` or the template form) starts from a prompt.

Replies stream in the chat service, not in the page: a page only watches them (a timer re-renders the
growing reply a few times a second), so a reload, a second tab or a locked phone never loses one.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request
from nicegui import app, background_tasks, run, ui

from ..components import fmt, toast
from ..components.design import kind_url
from ..components.message_view import MessageView
from ..components.secret import check_can_continue, check_visible, secret_badge, viewer_sees_restricted
from ..components.template_form import TemplateForm, copy_text
from ..context import AppContext
from ..data import chat_choices, conversations, entities, prompts, settings_store, versioning
from ..data.db import row_id
from ..data.listing import ListParams
from ..data.models import Conversation, Message
from ..errors import UserError
from ..ids import ItemId
from ..llm import providers
from ..services import chat
from . import nav
from .frame import frame

log = logging.getLogger(__name__)

TICK = 0.2  # seconds between looks at the running replies (re-rendering is throttled further)
SIDEBAR_SIZE = 30
SHOWN_MESSAGES = 80  # the latest messages of the path; earlier ones on request
LAST_MODEL = 'chat.last_model'
LAST_AGENT = 'chat.last_agent'
DRAFTS_KEY = 'chat_drafts'  # per-browser storage: unsent text per conversation ('new' for a new chat)
MAX_DRAFTS = 20
CURRENT = 'current'  # the version select's value for "the agent's current version, whatever it is then"

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


def _user_storage() -> dict | None:
    """Per-browser storage for drafts (None where no storage secret is configured)."""
    try:
        return app.storage.user
    except (RuntimeError, AssertionError):
        return None


def _unexpected(exc: Exception, doing: str) -> str:
    log.exception('Chat page: %s failed', doing)
    return f'Something went wrong while {doing} ({type(exc).__name__}); nothing you typed was lost.'


@dataclass
class Loaded:
    """One read of a conversation for the page, done in a worker thread."""

    conv: Conversation
    path: list[conversations.ThreadMessage]
    usage: chat_choices.ConversationUsage
    outputs: dict[int, int] = field(default_factory=dict)  # message id -> output saved from it


def _load(conversation_id: int, leaf_id: int | None) -> Loaded:
    conv = conversations.get_conversation(conversation_id)
    path = conversations.thread(conversation_id, leaf_id)
    usage = chat_choices.conversation_usage(conversation_id)
    replies = [tm.message.id for tm in path if tm.message.role == 'assistant']
    return Loaded(conv, path, usage, chat_choices.outputs_of_messages(replies))


def _default_model_id() -> int | None:
    """The model the service would pick with nothing chosen (a provider's default), to show it up front."""
    try:
        return chat.resolve_target(check_cap=False).model.id
    except UserError:
        return None


def _initial_choices(
    conv: Conversation | None,
    path: list[conversations.ThreadMessage],
    agent: int | None = None,
    agent_version: int | None = None,
    sees_restricted: bool = True,
) -> dict[str, Any]:
    """Composer defaults: the conversation's model and agent version, else the agent asked for in the URL
    (an agent page's "Chat" button), else the last ones used."""
    model_id = None
    agent_id = None
    version: Any = None
    if conv is None and agent is not None:
        agent_id, version = agent, CURRENT
        owner = chat_choices.version_owner(agent_version) if agent_version else None
        if owner is not None and owner[0] == agent:
            version, model_id = agent_version, owner[1]
        else:
            current = next(iter(chat_choices.agent_versions(agent)), None)  # newest first
            model_id = current.model_id if current else None
    elif conv is not None:
        model_id = conv.model_id
        if model_id is None:
            model_id = next((tm.message.model_id for tm in reversed(path) if tm.message.model_id), None)
        if conv.agent_version_id:
            owner = chat_choices.version_owner(conv.agent_version_id)
            if owner is not None:
                agent_id, version = owner[0], conv.agent_version_id
    if conv is None and agent is None:
        model_id = settings_store.get(LAST_MODEL)
        last_agent = settings_store.get(LAST_AGENT)
        if last_agent:
            agent_id, version = last_agent, CURRENT
    if not isinstance(model_id, int):
        model_id = _default_model_id()
    models = chat_choices.model_choices(include=model_id if isinstance(model_id, int) else None)
    if model_id not in {m.id for m in models}:
        model_id = None
    agents = chat_choices.agent_choices(exclude_restricted=not sees_restricted)
    if agent_id not in {a.id for a in agents}:
        agent_id, version = None, None
    versions = chat_choices.agent_versions(agent_id) if agent_id else []
    return {
        'models': models,
        'model_id': model_id,
        'agents': agents,
        'agent_id': agent_id,
        'versions': versions,
        'version': version,
        'auto_save': chat.auto_save_enabled(),
    }


class ChatPage:
    """The chat page of one browser tab."""

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
        self.conv_id = conversation_id
        self.agent = agent
        self.agent_version = agent_version
        self.from_id = from_id
        self.prompt_version_id = prompt_version_id
        self.initial_text = text
        self.loaded: Loaded | None = None
        self.cards: dict[int, MessageView] = {}  # reply message id -> its card, while it streams
        self.running_ids: set[int] = set()
        self.editing: int | None = None  # the user message being edited in place
        self.show_all = False  # every message of a long path, not just the latest
        self.busy = False  # a send / regenerate / edit is being prepared
        self.lock = asyncio.Lock()
        self.sidebar_text = ''
        self.agents: list[chat_choices.AgentChoice] = []

    # ------------------------------------------------------------------ building

    async def build(self) -> None:
        self.client = ui.context.client
        self.sees_restricted = viewer_sees_restricted()  # a LAN device may not be allowed Secret items
        try:
            if self.conv_id is not None:
                self.loaded = await run.io_bound(_load, self.conv_id, self.from_id)
                check_visible('conversation', self.loaded.conv)  # as if it did not exist
                await run.io_bound(check_can_continue, self.conv_id, not self.sees_restricted)
        except UserError as exc:
            self.loaded = None
            with ui.column().classes('w-full items-start gap-2'):
                ui.label(str(exc)).classes('text-lg')
                ui.link('Start a new chat', '/chat')
            return
        choices = await run.io_bound(
            _initial_choices,
            self.loaded.conv if self.loaded else None,
            self.loaded.path if self.loaded else [],
            self.agent,
            self.agent_version,
            self.sees_restricted,
        )
        with ui.row().classes('w-full no-wrap items-start gap-4'):
            with ui.column().classes('oh-hide-phone w-64 flex-none gap-2 sticky top-16'):
                self._sidebar_controls()
                self.sidebar_box = ui.column().classes('w-full gap-0')
            with ui.column().classes('grow min-w-0 gap-3 max-w-4xl mx-auto'):
                self._header()
                self.banner_box = ui.column().classes('w-full gap-2')
                self.thread_box = ui.column().classes('w-full gap-3')
                self._composer(choices)
        self._phone_drawer()
        await self.show_sidebar()
        await self.reload(initial=True)
        self.timer = ui.timer(TICK, self.tick)

    def _sidebar_controls(self, phone: bool = False) -> None:
        ui.button('New chat', icon='add', on_click=lambda: ui.navigate.to('/chat')).props(
            'unelevated no-caps color=primary'
        ).classes('w-full').mark('new-chat')
        box = ui.input(placeholder='Filter conversations').props('dense outlined clearable').classes('w-full')

        async def changed(e: Any) -> None:
            self.sidebar_text = (e.args if isinstance(e.args, str) else '') or ''
            await self.show_sidebar(phone=phone)

        box.on('update:model-value', changed, throttle=0.3, leading_events=False)

    def _phone_drawer(self) -> None:
        with ui.dialog().props('position=left') as self.drawer, ui.card().classes('h-screen w-72 gap-2'):
            self._sidebar_controls(phone=True)
            self.drawer_box = ui.column().classes('w-full gap-0')

        async def open_drawer() -> None:
            await self.show_sidebar(phone=True)
            self.drawer.open()

        self.open_drawer = open_drawer

    async def show_sidebar(self, phone: bool = False) -> None:
        params = ListParams(
            text=self.sidebar_text,
            sort='updated_at',
            per_page=SIDEBAR_SIZE,
            exclude_restricted=not self.sees_restricted,
        )
        try:
            page = await run.io_bound(entities.list_items, 'conversation', params)
        except UserError as exc:
            toast.error(str(exc))
            return
        box = self.drawer_box if phone else self.sidebar_box
        if box.is_deleted:
            return
        streaming = {r.conversation_id for r in chat.running_replies()}
        box.clear()
        with box:
            if not page.items:
                ui.label('No conversations yet.' if not self.sidebar_text else 'Nothing matches.').classes(
                    'text-sm oh-muted px-2 py-3'
                )
            for conv in page.items:
                current = conv.id == self.conv_id
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

    def _header(self) -> None:
        with ui.column().classes('w-full gap-0'):
            with ui.row().classes('w-full items-center gap-2 no-wrap'):
                ui.button(icon='forum', on_click=lambda: self.open_drawer()).props(
                    'flat round dense aria-label="Conversations"'
                ).classes('oh-only-phone')
                self.title_box = ui.row().classes('grow min-w-0 items-center gap-2 no-wrap')
            self.usage_label = ui.label('').classes('text-sm oh-muted').mark('conversation-usage')

    def _show_header(self) -> None:
        self.title_box.clear()
        with self.title_box:
            if self.loaded is None:
                ui.label('New chat').classes('text-2xl font-semibold truncate')
                self.usage_label.set_text('')
                return
            conv = self.loaded.conv
            ui.label(conv.title or f'Conversation {conv.id}').classes('text-2xl font-semibold truncate')
            secret_badge(conv.sensitivity_id)
            ui.button(
                icon='open_in_new', on_click=lambda: ui.navigate.to(kind_url('conversation', conv.id))
            ).props('flat round dense size=sm aria-label="Open in the library"').tooltip(
                'Open in the library (tags, collections, rating)'
            )
        u = self.loaded.usage
        parts = [fmt.plural(conv.message_count, 'message')]
        if u.input_tokens or u.output_tokens:
            parts.append(f'{fmt.tokens(u.input_tokens)} in · {fmt.tokens(u.output_tokens)} out')
        if u.cost is not None:
            parts.append(fmt.money(u.cost))
        self.usage_label.set_text(' · '.join(parts))

    # ------------------------------------------------------------------ composer

    def _composer(self, choices: dict[str, Any]) -> None:
        self.agents = choices['agents']
        self.storage = _user_storage()
        if not self.initial_text and not self.prompt_version_id and self.storage is not None:
            self.initial_text = (self.storage.get(DRAFTS_KEY) or {}).get(self._draft_key(), '')
        with (
            ui.card()
            .classes('w-full gap-2 sticky bottom-2 z-10 shadow-md')
            .props('flat bordered')
            .mark('composer')
        ):
            self.prompt_box = ui.column().classes('w-full gap-2')
            self.text = (
                ui.textarea(placeholder='Message…  (Ctrl+Enter to send)', value=self.initial_text)
                .props('outlined autogrow autofocus input-class="max-h-72" aria-label=Message')
                .classes('w-full')
                .mark('composer-text')
            )
            self.text.on('keydown.ctrl.enter', self.send)
            self.text.on('update:model-value', self._save_draft, throttle=1.0, leading_events=False)
            self.text.on('keydown.meta.enter', self.send)
            self.error_box = ui.row().classes('w-full items-center gap-2 no-wrap')
            with ui.row().classes('w-full items-center gap-2 flex-wrap'):
                self.agent_select = (
                    ui.select(
                        {0: 'No agent', **{a.id: a.name for a in self.agents}},
                        value=choices['agent_id'] or 0,
                        label='Agent',
                        with_input=True,
                        on_change=self._agent_changed,
                    )
                    .props('dense outlined options-dense')
                    .classes('w-40')
                    .mark('agent-select')
                )
                self.version_select = (
                    ui.select(
                        self._version_options(choices['agent_id'], choices['versions']),
                        value=choices['version'],
                        label='Version',
                    )
                    .props('dense outlined options-dense')
                    .classes('w-32')
                    .mark('version-select')
                )
                self.version_select.set_visibility(bool(choices['agent_id']))
                self.model_select = (
                    ui.select(
                        {m.id: m.label for m in choices['models']},
                        value=choices['model_id'],
                        label='Model',
                        with_input=True,
                        on_change=self._model_changed,
                    )
                    .props('dense outlined options-dense')
                    .classes('w-56')
                    .mark('model-select')
                )
                ui.space()
                self.stop_button = (
                    ui.button('Stop', icon='stop', on_click=self.stop).props('outline no-caps').mark('stop')
                )
                self.send_button = (
                    ui.button('Send', icon='send', on_click=self.send)
                    .props('unelevated no-caps color=primary')
                    .mark('send')
                )
            self.auto_save = (
                ui.checkbox('Save every reply as an output', value=choices['auto_save'])
                .props('dense size=xs')
                .classes('text-xs oh-muted')
                .mark('auto-save')
            )
            self.auto_save.on_value_change(self._auto_save_changed)
        if self.prompt_version_id:
            background_tasks.create(self._show_prompt(), name='chat-prompt-form')

    def _draft_key(self, conversation_id: int | None = None) -> str:
        return str(conversation_id or self.conv_id or 'new')

    def _save_draft(self, _: Any = None, *, key: str | None = None) -> None:
        """Keep unsent text in the browser's storage, so a reload or a dropped connection loses nothing."""
        if self.storage is None:
            return
        drafts = dict(self.storage.get(DRAFTS_KEY) or {})
        key = key or self._draft_key()
        text = (self.text.value or '')[: chat.MAX_USER_MESSAGE]
        drafts.pop(key, None)
        if text.strip():
            drafts[key] = text  # re-inserted: the newest draft is last
        self.storage[DRAFTS_KEY] = dict(list(drafts.items())[-MAX_DRAFTS:])

    def _version_options(self, agent_id: int | None, versions: list[chat_choices.VersionChoice]) -> dict:
        if not agent_id:
            return {}
        agent = next((a for a in self.agents if a.id == agent_id), None)
        current = next((v.number for v in versions if agent and v.id == agent.current_version_id), None)
        options: dict[Any, str] = {CURRENT: f'Current (v{current})' if current else 'Current'}
        options.update({v.id: f'v{v.number}' for v in versions})
        return options

    async def _agent_changed(self, e: Any) -> None:
        agent_id = e.value or None
        versions = await run.io_bound(chat_choices.agent_versions, agent_id) if agent_id else []
        self.version_select.set_options(self._version_options(agent_id, versions), value=CURRENT)
        self.version_select.set_visibility(bool(agent_id))
        await run.io_bound(settings_store.put, LAST_AGENT, agent_id)
        agent = next((a for a in self.agents if a.id == agent_id), None)
        model_id = next((v.model_id for v in versions if agent and v.id == agent.current_version_id), None)
        if model_id and model_id in self.model_select.options:
            self.model_select.set_value(model_id)  # the agent's own model, unless the user picks another

    async def _model_changed(self, e: Any) -> None:
        if e.value:
            await run.io_bound(settings_store.put, LAST_MODEL, e.value)

    async def _auto_save_changed(self, e: Any) -> None:
        await run.io_bound(chat.set_auto_save, bool(e.value))
        toast.saved(
            'Every reply will be saved as an output'
            if e.value
            else 'Replies are no longer saved automatically'
        )

    async def _show_prompt(self) -> None:
        try:
            version = await run.io_bound(prompts.get_version, self.prompt_version_id)
            prompt = await run.io_bound(prompts.get_prompt, version.prompt_id)
        except UserError as exc:
            self.prompt_version_id = None
            self._show_error(str(exc))
            return
        if self.prompt_box.is_deleted:
            return
        with self.prompt_box:
            with ui.row().classes('w-full items-center gap-2 text-sm'):
                ui.icon('terminal').classes('oh-muted')
                ui.link(f'{prompt.title} · v{version.number}', f'/prompts/{prompt.id}?v={version.number}')
                ui.label('— the reply will be recorded as made by this prompt version').classes('oh-muted')
                ui.space()
                ui.button(icon='close', on_click=self._forget_prompt).props(
                    'flat round dense size=sm aria-label="Do not record the prompt"'
                )
            needs_form = not self.text.value and (
                versioning.template_problem(version.body) or versioning.template_variables(version.body)
            )
            if needs_form:
                self.form_box = ui.column().classes('w-full')
                with self.form_box:
                    TemplateForm(
                        version.body,
                        on_used=lambda: prompts.mark_used(prompt.id),
                        on_send=self._fill_from_form,
                    )
            elif not self.text.value:
                self.text.set_value(version.body)

    def _fill_from_form(self, text: str) -> None:
        self.text.set_value(text)
        if getattr(self, 'form_box', None) is not None and not self.form_box.is_deleted:
            self.form_box.delete()

    def _forget_prompt(self) -> None:
        self.prompt_version_id = None
        self.prompt_box.clear()

    def _show_error(self, message: str | None) -> None:
        self.error_box.clear()
        if not message:
            return
        with self.error_box:
            ui.icon('error', color='negative').classes('text-lg')
            ui.label(message).classes('text-sm text-red-700 dark:text-red-300 grow').mark('composer-error')
            if 'Settings → Providers' in message:
                ui.button('Open settings', on_click=lambda: ui.navigate.to('/settings?tab=providers')).props(
                    'flat dense no-caps'
                )

    def _agent_kwargs(self) -> dict[str, Any]:
        agent_id = self.agent_select.value or None
        if not agent_id:
            return {'agent_version': None}
        version = self.version_select.value
        if version in (None, CURRENT):
            return {'agent': agent_id}
        return {'agent_version': version}

    def _update_controls(self) -> None:
        streaming = bool(self.running_ids)
        self.send_button.set_enabled(not streaming and not self.busy)
        self.send_button.props['loading'] = self.busy
        self.stop_button.set_visibility(streaming)

    # ------------------------------------------------------------------ actions

    async def _start(self, doing: str, make_reply: Any) -> chat.ChatReply | None:
        """Run one of the service's use-cases; errors show under the composer, never as a traceback."""
        if self.busy:
            return None
        # The service's own list, not the page's (up to one tick old): a reply that just ended must not
        # swallow the click, and one that another tab just started must refuse it.
        if self.conv_id is not None and chat.running_replies(self.conv_id):
            self._show_error('A reply is still being written in this chat: wait for it or stop it first.')
            return None
        self.busy = True
        self._update_controls()
        self._show_error(None)
        try:
            return await make_reply()
        except UserError as exc:
            self._show_error(str(exc))
        except Exception as exc:
            self._show_error(_unexpected(exc, doing))
        finally:
            self.busy = False
            self._update_controls()
        return None

    async def send(self) -> None:
        text = self.text.value or ''
        if not text.strip():
            self._show_error('Type a message first.')
            return
        kwargs: dict[str, Any] = {
            'conversation_id': self.conv_id,
            'model': self.model_select.value or None,
            'prompt_version': self.prompt_version_id,
            **self._agent_kwargs(),
        }
        if self.from_id is not None:
            kwargs['parent'] = self.from_id
        reply = await self._start('sending', lambda: chat.send_message(text, **kwargs))
        if reply is None:
            return
        sent_from = self._draft_key()
        self.text.set_value('')
        self._save_draft(key=sent_from)  # sent: no draft left behind
        self.from_id = None
        if self.prompt_version_id:
            self._forget_prompt()
        if self.conv_id != reply.conversation_id:
            self.conv_id = reply.conversation_id
            ui.navigate.history.replace(f'/chat/{self.conv_id}')
        else:
            ui.navigate.history.replace(f'/chat/{self.conv_id}')  # drops ?from= and ?prompt_version=
        await self.reload()
        await self.show_sidebar()

    async def regenerate(self, message_id: int, with_composer_model: bool = False) -> None:
        model = self.model_select.value if with_composer_model else None
        if await self._start('regenerating', lambda: chat.regenerate(message_id, model=model)):
            await self.reload()

    async def answer(self, message_id: int) -> None:
        kwargs = {'model': self.model_select.value or None, **self._agent_kwargs()}
        if await self._start('asking for an answer', lambda: chat.reply_to(message_id, **kwargs)):
            await self.reload()

    async def edit(self, message_id: int, new_text: str) -> None:
        kwargs = {'model': self.model_select.value or None, **self._agent_kwargs()}
        reply = await self._start('editing', lambda: chat.edit_user_message(message_id, new_text, **kwargs))
        if reply is not None:
            self.editing = None
            await self.reload()

    def stop(self) -> None:
        for message_id in list(self.running_ids):
            chat.stop(message_id)

    async def switch(self, message_id: int) -> None:
        if self.conv_id is None:
            return
        try:
            await run.io_bound(conversations.set_active_leaf, self.conv_id, message_id)
        except UserError as exc:
            toast.error(str(exc))
            return
        self.from_id = None
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

    def start_edit(self, message_id: int | None) -> None:
        self.editing = message_id
        self._render(scroll=None)

    # ------------------------------------------------------------------ the thread

    async def reload(self, initial: bool = False, scroll: str | None = 'bottom') -> None:
        """Read the conversation again and re-render the thread (after a reply starts or ends).

        ``scroll``: 'bottom' (the user just asked for something), 'follow' (only if already near the
        bottom: never pull a reader away from an earlier message) or None.
        """
        if self.conv_id is None:
            self._show_header()
            self._render(scroll=scroll)
            return
        async with self.lock:
            with self.client:  # not the slot of the button that asked: a re-render deletes it
                # Which replies run is read before the thread: one that ends in between shows up as changed
                # on the next tick (and is re-read), never as a stale half-reply that stays.
                running = {r.message_id for r in chat.running_replies(self.conv_id)}
                if not initial or self.loaded is None:
                    try:
                        self.loaded = await run.io_bound(_load, self.conv_id, self.from_id)
                    except UserError as exc:
                        toast.error(str(exc))
                        return
                self.running_ids = running
                if self.thread_box.is_deleted:
                    return
                self._show_header()
                self._render(scroll=scroll)

    def _render(self, scroll: str | None = 'bottom') -> None:
        self.cards = {}
        self.banner_box.clear()
        self.thread_box.clear()
        self._update_controls()
        loaded = self.loaded
        if self.from_id is not None and loaded is not None:
            with (
                self.banner_box,
                ui.row().classes(
                    'w-full items-center gap-2 p-2 rounded bg-indigo-50 dark:bg-indigo-950 text-sm'
                ),
            ):
                ui.icon('call_split')
                ui.label('Continuing from an earlier message: what you send starts a new branch.')
                ui.button('Show the latest', on_click=lambda: ui.navigate.to(f'/chat/{self.conv_id}')).props(
                    'flat dense no-caps'
                )
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
                    if not self.model_select.options:
                        ui.label('No model is available yet: add a key or a local server first.')
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
        self._scroll(scroll)

    def _show_all(self) -> None:
        self.show_all = True
        self._render(scroll=None)

    def _scroll(self, how: str | None) -> None:
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
        streaming = m.id in self.running_ids
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
            on_switch=self.switch if not streaming else None,
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
            'Continue from here', on_click=lambda: ui.navigate.to(f'/chat/{self.conv_id}?from={m.id}')
        )
        ui.menu_item(
            'Open in the library',
            on_click=lambda: ui.navigate.to(kind_url('message', m.id, m.conversation_id)),
        )
        if m.role == 'assistant' and m.id not in self.running_ids:
            chosen = self.model_select.value
            if chosen and chosen != m.model_id:
                label = self.model_select.options.get(chosen, 'the chosen model')
                ui.menu_item(
                    f'Regenerate with {label}',
                    on_click=lambda: self.regenerate(m.id, with_composer_model=True),
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
                ui.button('Retry', icon='refresh', on_click=lambda: self.regenerate(m.id)).props(
                    'flat dense no-caps color=primary'
                ).mark(f'retry-{m.id}')
        elif m.status == 'incomplete' and m.finish_reason == chat.CANCELLED:
            ui.label('Stopped — what arrived is kept.').classes('text-xs oh-muted mt-1')
        with ui.row().classes('items-center gap-1 mt-1'):
            if (m.content or '').strip():
                ui.button(icon='content_copy', on_click=lambda: copy_text(m.content or '')).props(
                    'flat round dense size=sm aria-label="Copy"'
                ).tooltip('Copy')
                output_id = self.loaded.outputs.get(m.id) if self.loaded else None
                if output_id:
                    ui.link('Saved as output', kind_url('output', output_id)).classes('text-xs').mark(
                        f'output-link-{m.id}'
                    )
                else:
                    ui.button(icon='bookmark_add', on_click=lambda: self.save_output(m.id)).props(
                        'flat round dense size=sm aria-label="Save as output"'
                    ).tooltip('Save as output').mark(f'save-{m.id}')
            if m.parent_id is not None:
                ui.button(icon='refresh', on_click=lambda: self.regenerate(m.id)).props(
                    'flat round dense size=sm aria-label="Regenerate"'
                ).tooltip('Regenerate (a new branch)').mark(f'regenerate-{m.id}')

    def _question_footer(self, m: Message, is_last: bool) -> None:
        with ui.row().classes('items-center gap-1 mt-1'):
            ui.button(icon='edit', on_click=lambda: self.start_edit(m.id)).props(
                'flat round dense size=sm aria-label="Edit"'
            ).tooltip('Edit (a new branch)').mark(f'edit-{m.id}')
            if is_last and not self.running_ids:
                ui.button('Answer this', icon='reply', on_click=lambda: self.answer(m.id)).props(
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
                    'Send as a new branch', icon='send', on_click=lambda: self.edit(m.id, area.value or '')
                ).props('unelevated no-caps color=primary').mark('edit-send')

    # ------------------------------------------------------------------ watching replies

    async def tick(self) -> None:
        """Re-render growing replies (throttled) and notice replies that started elsewhere or ended."""
        if self.conv_id is None:
            return
        running = {r.message_id: r for r in chat.running_replies(self.conv_id)}
        if set(running) != self.running_ids:
            ended = self.running_ids - set(running)
            await self.reload(scroll='follow')
            if ended:
                await self.show_sidebar()
            return
        for message_id, reply in running.items():
            card = self.cards.get(message_id)
            if card is not None and card.set_text(reply.text):
                self._scroll('follow')


def _int(value: str | None) -> int | None:
    return row_id(value) if value else None


def register(ctx: AppContext) -> None:
    nav.add(nav.NavItem('Chat', '/chat', 'chat', order=25))
    # Replies still streaming when the app quits keep what arrived (registered before the database closes).
    app.on_shutdown(chat.stop_all)

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

    @ui.page('/chat')
    async def new_chat(request: Request) -> None:
        await chat_page(None, request)

    @ui.page('/chat/{conversation_id}')
    async def existing_chat(conversation_id: ItemId, request: Request) -> None:
        await chat_page(conversation_id, request)
