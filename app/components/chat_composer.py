"""The chat page's composer: the message box (drafts kept per conversation in the browser), the agent,
version and model pickers, Send / Stop, "save every reply", and a prompt version to start from."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import app, background_tasks, run, ui

from ..data import chat_choices, conversations, prompts, settings_store, versioning
from ..data.models import Conversation
from ..errors import UserError
from ..services import chat
from . import toast
from .chat_state import ChatState
from .template_form import TemplateForm

LAST_MODEL = 'chat.last_model'
LAST_AGENT = 'chat.last_agent'
DRAFTS_KEY = 'chat_drafts'  # per-browser storage: unsent text per conversation ('new' for a new chat)
MAX_DRAFTS = 20
CURRENT = 'current'  # the version select's value for "the agent's current version, whatever it is then"


def _user_storage() -> dict | None:
    """Per-browser storage for drafts (None where no storage secret is configured)."""
    try:
        return app.storage.user
    except (RuntimeError, AssertionError):
        return None


def default_model_id() -> int | None:
    """The model the service would pick with nothing chosen (a configured provider's default), to show it
    up front."""
    try:
        return chat.default_model_id()
    except UserError:
        return None


def initial_choices(
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
    # Only the models of providers that are set up (a key or an address of their own) are offered; the
    # conversation's or last model is kept only when its provider is one of them.
    configured = chat.configured_provider_ids()
    models = chat_choices.model_choices(
        include=model_id if isinstance(model_id, int) else None, providers=configured
    )
    offered = {m.id for m in models}
    if model_id not in offered:
        model_id = default_model_id()
    if model_id not in offered:
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


class ChatComposer:
    """The composer of one chat tab; ``on_send`` / ``on_stop`` are the page's actions."""

    def __init__(
        self,
        state: ChatState,
        *,
        text: str,
        on_send: Callable[[], Awaitable[None]],
        on_stop: Callable[[], None],
    ) -> None:
        self.state = state
        self.initial_text = text
        self.on_send = on_send
        self.on_stop = on_stop
        self.agents: list[chat_choices.AgentChoice] = []
        self.models: dict[int, chat_choices.ModelChoice] = {}

    def build(self, choices: dict[str, Any]) -> None:
        self.agents = choices['agents']
        self.models = {m.id: m for m in choices['models']}
        self.storage = _user_storage()
        if not self.initial_text and not self.state.prompt_version_id and self.storage is not None:
            self.initial_text = (self.storage.get(DRAFTS_KEY) or {}).get(self.draft_key(), '')
        with (
            ui.card()
            # Pinned to the bottom of the screen: sticky at bottom 0, and the negative margin takes the page's
            # bottom padding (the frame's p-3 / sm:p-5 and the content's 1rem), so that at the end of a long
            # conversation it does not float above the edge either (tests/e2e/test_phone_detail_pages.py).
            .classes('w-full gap-2 sticky bottom-0 z-10 shadow-md -mb-7 sm:-mb-9')
            .props('flat bordered')
            .mark('composer')
        ):
            self.prompt_box = ui.column().classes('w-full gap-2')
            self.text = (
                ui.textarea(placeholder='Message…', value=self.initial_text)
                .props('outlined autogrow autofocus input-class="max-h-72" aria-label=Message')
                .classes('w-full')
                .mark('composer-text')
            )
            with self.text.add_slot('hint'):  # not on touch screens (app.css)
                ui.label('Ctrl+Enter to send').classes('oh-kbd-hint')
            self.text.on('keydown.ctrl.enter', self.on_send)
            self.text.on('update:model-value', self.save_draft, throttle=1.0, leading_events=False)
            self.text.on('keydown.meta.enter', self.on_send)
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
                if not self.models:
                    self.model_select.props['hint'] = 'No provider is set up'
                self.price_label = ui.label('').classes('text-xs oh-muted').mark('model-price')
                self._show_price(choices['model_id'])
                ui.space()
                self.stop_button = (
                    ui.button('Stop', icon='stop', on_click=self.on_stop)
                    .props('outline no-caps')
                    .mark('stop')
                )
                self.send_button = (
                    ui.button('Send', icon='send', on_click=self.on_send)
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
        if self.state.prompt_version_id:
            background_tasks.create(self._show_prompt(), name='chat-prompt-form')

    def draft_key(self, conversation_id: int | None = None) -> str:
        return str(conversation_id or self.state.conv_id or 'new')

    def save_draft(self, _: Any = None, *, key: str | None = None) -> None:
        """Keep unsent text in the browser's storage, so a reload or a dropped connection loses nothing."""
        if self.storage is None:
            return
        drafts = dict(self.storage.get(DRAFTS_KEY) or {})
        key = key or self.draft_key()
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

    def _show_price(self, model_id: int | None) -> None:
        """What the chosen model costs ("cost unknown" for a model without prices, never "$0")."""
        model = self.models.get(model_id) if model_id else None
        self.price_label.set_text(model.price_text if model is not None else '')
        self.price_label.set_visibility(model is not None)

    async def _model_changed(self, e: Any) -> None:
        self._show_price(e.value)
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
            version = await run.io_bound(prompts.get_version, self.state.prompt_version_id)
            prompt = await run.io_bound(prompts.get_prompt, version.prompt_id)
        except UserError as exc:
            self.state.prompt_version_id = None
            self.show_error(str(exc))
            return
        if self.prompt_box.is_deleted:
            return
        with self.prompt_box:
            with ui.row().classes('w-full items-center gap-2 text-sm'):
                ui.icon('terminal').classes('oh-muted')
                ui.link(f'{prompt.title} · v{version.number}', f'/prompts/{prompt.id}?v={version.number}')
                ui.label('— the reply will be recorded as made by this prompt version').classes('oh-muted')
                ui.space()
                ui.button(icon='close', on_click=self.forget_prompt).props(
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

    def forget_prompt(self) -> None:
        self.state.prompt_version_id = None
        self.prompt_box.clear()

    def show_error(self, message: str | None) -> None:
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

    def agent_kwargs(self) -> dict[str, Any]:
        agent_id = self.agent_select.value or None
        if not agent_id:
            return {'agent_version': None}
        version = self.version_select.value
        if version in (None, CURRENT):
            return {'agent': agent_id}
        return {'agent_version': version}

    def update_controls(self) -> None:
        streaming = bool(self.state.running_ids)
        self.send_button.set_enabled(not streaming and not self.state.busy)
        self.send_button.props['loading'] = self.state.busy
        self.stop_button.set_visibility(streaming)
