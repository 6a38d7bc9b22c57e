"""Agents: the list (/agents) and one agent (/agents/{id}?v=N) with its current system prompt and settings,
edits as new versions, the version timeline with diffs and restore, outputs by version, and its relations."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from nicegui import run, ui

from ..components import fmt, pickers, toast
from ..components.design import DETAIL_GRID, SECTION_LABEL, kind_icon
from ..components.item_header import delete_button, favourite_and_rating, inline_title
from ..components.markdown_view import markdown_view
from ..components.relation_picker import compact_pickers
from ..components.retention_controls import retention_controls
from ..components.secret import check_visible, secret_badge
from ..components.template_form import copy_text
from ..components.trashed import trash_banner
from ..components.version_history import VersionHistory
from ..components.versioned_page import VersionedPage
from ..context import AppContext
from ..data import agents, lookups, versioning
from ..data.models import Agent, AgentVersion
from ..data.versioning import VersionStats
from ..errors import UserError, ValidationError
from ..ids import ItemId
from . import nav, shell
from .frame import frame
from .list_page import list_page
from .prompts import chat_url, notes_card, version_param


def _model_names() -> list[str]:
    return [m.name for m in lookups.search('model', '', limit=200)]


def parse_params(text: str) -> dict | None:
    """The extra-parameters box: empty, or a JSON object."""
    text = (text or '').strip()
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ValidationError(
            f'Extra parameters are not valid JSON ({exc.msg} at line {exc.lineno}).'
        ) from None
    if not isinstance(value, dict):
        raise ValidationError('Extra parameters must be a JSON object, like {"seed": 7}.')
    return value


class SettingsForm:
    """The fields of an agent version (used by "new agent" and "edit")."""

    def __init__(
        self, models: list[str], values: dict[str, Any] | None = None, model_name: str | None = None
    ):
        values = values or {}
        self.system_prompt = (
            ui.textarea('System prompt', value=values.get('system_prompt') or '')
            .props('outlined autogrow input-style="min-height: 12rem"')
            .classes('w-full')
            .mark('agent-system-prompt')
        )
        with ui.grid().classes('w-full gap-2 grid-cols-2 sm:grid-cols-4'):
            options = list(dict.fromkeys([*([model_name] if model_name else []), *models]))
            self.model = (
                ui.select(
                    options,
                    value=model_name,
                    label='Model',
                    with_input=True,
                    new_value_mode='add-unique',
                    clearable=True,
                )
                .props('outlined dense')
                .classes('col-span-2 sm:col-span-1')
                .mark('agent-model')
            )
            self.temperature = (
                ui.number('Temperature', value=values.get('temperature'), min=0, max=2, step=0.1)
                .props('outlined dense clearable')
                .mark('agent-temperature')
            )
            self.top_p = (
                ui.number('top_p', value=values.get('top_p'), min=0, max=1, step=0.05)
                .props('outlined dense clearable')
                .mark('agent-top-p')
            )
            self.max_tokens = (
                ui.number('Max tokens', value=values.get('max_tokens'), min=1, step=1, format='%d')
                .props('outlined dense clearable')
                .mark('agent-max-tokens')
            )
        params = values.get('params')
        self.params = (
            ui.textarea(
                'Extra parameters (JSON object, optional)',
                value=json.dumps(params, indent=2, ensure_ascii=False) if params else '',
                placeholder='{"seed": 7, "stop": ["###"]}',
            )
            .props('outlined autogrow dense')
            .classes('w-full font-mono')
            .mark('agent-params')
        )

    def values(self) -> dict[str, Any]:
        """The settings as ``agents.new_version`` takes them (raises ValidationError for bad JSON)."""
        return {
            'system_prompt': self.system_prompt.value or '',
            'model': (self.model.value or '').strip() or None,
            'temperature': self.temperature.value,
            'top_p': self.top_p.value,
            'max_tokens': self.max_tokens.value,
            'params': parse_params(self.params.value),
        }


async def _new_agent_dialog() -> None:
    models = await run.io_bound(_model_names)
    with ui.dialog().props('maximized-on-mobile') as dialog, ui.card().classes('w-[min(96vw,48rem)] gap-2'):
        ui.label('New agent').classes('text-lg font-semibold')
        name = ui.input('Name').props('outlined dense autofocus').classes('w-full').mark('new-agent-name')
        form = SettingsForm(models)

        def submit() -> None:
            try:
                dialog.submit((name.value, form.values()))
            except UserError as exc:
                toast.error(str(exc))

        with ui.row().classes('w-full justify-end'):
            ui.button('Cancel', on_click=lambda: dialog.submit(None)).props('flat')
            ui.button('Create', on_click=submit).mark('create-agent')
        form.system_prompt.on('keydown.ctrl.enter', submit)
    result = await dialog
    if result is None:
        return
    agent_name, values = result
    try:
        agent = await run.io_bound(lambda: agents.create_agent(agent_name or '', **values))
    except UserError as exc:
        toast.error(str(exc))
        return
    ui.navigate.to(f'/agents/{agent.id}')


# --------------------------------------------------------------------------- one agent


@dataclass
class AgentView:
    agent: Agent
    stats: list[VersionStats]
    version: AgentVersion
    current: AgentVersion | None
    settings: dict[str, Any]  # display values of the shown version (model name, parameters)
    model_name: str | None


def load_agent(agent_id: int, number: int | None) -> AgentView:
    agent = agents.get_agent(agent_id)
    stats = agents.version_stats(agent_id)
    current = next((s.version for s in stats if s.is_current), None)
    if number is not None:
        version = agents.version_by_number(agent_id, number)
    else:
        version = current or (stats[0].version if stats else None)
    if version is None:
        raise UserError(f'Agent {agent_id} has no versions yet.')
    model_name = lookups.get('model', version.model_id).name if version.model_id else None
    return AgentView(agent, stats, version, current, versioning.agent_settings(version), model_name)


class AgentPage(VersionedPage):
    """The detail page; re-renders in place after edits so notifications stay."""

    kind = 'agent'

    def __init__(self, ctx: AppContext, agent_id: int, number: int | None) -> None:
        super().__init__(agent_id, number)
        self.ctx = ctx
        self.agent_id = agent_id

    @ui.refreshable_method
    async def body(self) -> None:
        try:
            view = await run.io_bound(load_agent, self.agent_id, self.number)
            check_visible('agent', view.agent)  # a LAN device without permission: as if it did not exist
        except UserError as exc:
            ui.label(str(exc)).classes('text-lg')
            ui.link('Back to agents', '/agents')
            return
        a, v = view.agent, view.version
        if a.deleted_at is not None:
            trash_banner('agent', a.deleted_at, self.untrash)
        is_current = view.current is not None and v.id == view.current.id
        with ui.grid().classes(DETAIL_GRID):
            with ui.column().classes('gap-3 min-w-0'):
                self._name(a)
                secret_badge(a.sensitivity_id)
                meta = [
                    f'Version {v.number} of {len(view.stats)}' + (' (current)' if is_current else ''),
                    view.settings.get('model') or 'no model set',
                    f'updated {fmt.ago(a.updated_at)}',
                ]
                ui.label(' · '.join(meta)).classes('text-sm oh-muted')
                self._actions(a, v, view)
                if not is_current and view.current is not None:
                    with ui.row().classes(
                        'w-full items-center gap-2 p-2 rounded bg-indigo-50 dark:bg-indigo-950 flex-wrap'
                    ):
                        ui.icon('history')
                        ui.label(
                            f'You are looking at v{v.number}; the current version is v{view.current.number}.'
                        )
                        ui.button('Show current', on_click=lambda: self.go(None)).props('flat dense no-caps')
                        ui.button(
                            'Make current', on_click=lambda n=v.number: self._history('set_current', n)
                        ).props('flat dense no-caps').mark('banner-make-current')
                        ui.button(
                            'Restore as new version', on_click=lambda n=v.number: self._history('restore', n)
                        ).props('flat dense no-caps').mark('banner-restore')
                if v.note:
                    with ui.row().classes('items-center gap-2 text-sm'):
                        ui.icon('edit_note').classes('oh-muted')
                        ui.label(v.note).classes('italic')
                self._settings_card(view.settings)
                with ui.card().classes('w-full gap-1').props('flat bordered'):
                    ui.label('System prompt').classes(SECTION_LABEL)
                    if v.system_prompt:
                        markdown_view(v.system_prompt)
                    else:
                        ui.label('No system prompt.').classes('text-sm oh-muted')
                history = VersionHistory('agent', a.id, view.stats, v.number, self.url, self.go)
                await history.show()
            with ui.column().classes('gap-4 w-full'):
                with compact_pickers():  # one read-only line each until its button opens the picker
                    with ui.card().classes('w-full gap-4').props('flat bordered'):
                        pickers.tags_picker('agent', a.id)
                        pickers.collections_picker('agent', a.id)
                    with ui.card().classes('w-full gap-4').props('flat bordered'):
                        ui.label('Classification').classes('font-semibold')
                        pickers.field_picker(
                            'agent', a.id, 'category', 'category', 'Category', creatable=True
                        )
                        pickers.field_picker('agent', a.id, 'sensitivity', 'sensitivity', 'Sensitivity')
                        retention_controls('agent', a.id)
                notes_card('agent', a.id, a.notes)

    def _settings_card(self, settings: dict[str, Any]) -> None:
        with ui.card().classes('w-full gap-1').props('flat bordered').mark('agent-settings'):
            ui.label('Settings').classes(SECTION_LABEL)
            with ui.grid(columns=2).classes('gap-x-6 gap-y-1 text-sm'):
                for name, value in settings.items():
                    ui.label(name).classes('font-mono oh-muted')
                    ui.label('—' if value is None else str(value)).classes('font-mono break-all')

    def _name(self, a: Agent) -> None:
        inline_title(
            'agent',
            a,
            field='name',
            saved='Name saved (renaming does not make a new version)',
            marker='agent-name',
            trailing=(lambda: delete_button(self.trash, 'delete-agent')) if a.deleted_at is None else None,
        )

    def _actions(self, a: Agent, v: AgentVersion, view: AgentView) -> None:
        with ui.row().classes('items-center gap-1 flex-wrap'):
            ui.button(
                icon='content_copy', on_click=lambda: copy_text(v.system_prompt or '', 'System prompt copied')
            ).props('flat round aria-label="Copy system prompt"').tooltip('Copy the system prompt').mark(
                'copy-system-prompt'
            )
            favourite_and_rating('agent', a)
            ui.button('Edit', icon='edit', on_click=lambda: self.edit(v, view)).props('flat no-caps').tooltip(
                'Change the system prompt, model or parameters: saves a new version'
            ).mark('edit-agent')
            if nav.has('/chat'):
                ui.button(
                    'Chat',
                    icon='chat',
                    on_click=lambda: ui.navigate.to(chat_url('', agent=a.id, agent_version=v.id)),
                ).props('flat no-caps').tooltip(f'Chat with v{v.number} of this agent').mark(
                    'chat-with-agent'
                )

    async def _history(self, what: str, number: int) -> None:
        try:
            if what == 'set_current':
                await run.io_bound(agents.set_current, self.agent_id, number)
                message = f'v{number} is now the current version'
            else:
                version = await run.io_bound(agents.restore_version, self.agent_id, number)
                message = f'Restored v{number} as v{version.number}'
        except UserError as exc:
            toast.error(str(exc))
            return
        with self.root:
            toast.toast(message)
        await self.go(None)

    async def edit(self, v: AgentVersion, view: AgentView) -> None:
        models = await run.io_bound(_model_names)
        with (
            ui.dialog().props('maximized-on-mobile') as dialog,
            ui.card().classes('w-[min(96vw,60rem)] gap-2'),
        ):
            ui.label(f'Edit agent (starting from v{v.number})').classes('text-lg font-semibold')
            form = SettingsForm(models, agents.version_values(v), view.model_name)
            note = (
                ui.input('What changed (optional)')
                .props('outlined dense')
                .classes('w-full')
                .mark('edit-note')
            )
            ui.label('Saving keeps every earlier version; this becomes the current one.').classes(
                'text-xs oh-muted'
            )

            def submit() -> None:
                try:
                    dialog.submit((form.values(), note.value))
                except UserError as exc:
                    toast.error(str(exc))

            with ui.row().classes('w-full justify-end'):
                ui.button('Cancel', on_click=lambda: dialog.submit(None)).props('flat')
                ui.button('Save new version', on_click=submit).mark('save-version')
            form.system_prompt.on('keydown.ctrl.enter', submit)
        result = await dialog
        if result is None:
            return
        values, note_text = result
        try:
            before = await run.io_bound(agents.current_version, self.agent_id)
            version = await run.io_bound(lambda: agents.new_version(self.agent_id, note=note_text, **values))
        except UserError as exc:
            with self.root:
                toast.error(str(exc))
            return
        with self.root:
            if before is not None and version.id == before.id:
                toast.toast('No change: the current version already has these settings', kind='info')
                return
            toast.toast(f'Saved as v{version.number}')
        await self.go(None)


# --------------------------------------------------------------------------- routes


def register(ctx: AppContext) -> None:
    nav.add(nav.NavItem('Agents', '/agents', kind_icon('agent'), order=40, shortcut='g a', group='Work'))

    @shell.page(ctx, '/agents')
    async def agents_list(request: Request) -> None:
        def actions() -> None:
            ui.button('New agent', icon='add', on_click=_new_agent_dialog).mark('new-agent')

        await list_page(ctx, request, 'agent', actions=actions)

    @shell.page(ctx, '/agents/{agent_id}')
    async def agent_detail_page(request: Request, agent_id: ItemId) -> None:
        with frame(ctx, 'Agent'):
            await AgentPage(ctx, agent_id, version_param(request)).show()
