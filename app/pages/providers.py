"""Settings → Providers: one line per provider (on/off, the key masked and where it is kept, its own base
URL, default model, the last test's outcome) with *Edit* (*Set up* when it has neither key nor address),
which builds its form: base URL, the API key (set or clear), default model, monthly spending cap with
this month's spend, "Test connection" and the provider's own model list. Below, the editable models
table with prices (also built when opened).

A key typed here goes from the password field straight to the key store (OS keyring or 0600 file) and
the field is emptied: it never reaches the database, a log or the page again.
"""

from __future__ import annotations

import logging
from typing import Any

from nicegui import run, ui

from .. import auth, roles
from ..components import dialogs, fmt, toast
from ..components.lookup_admin import LookupAdmin
from ..context import AppContext
from ..errors import UserError
from ..llm import keys
from ..services import chat, provider_settings
from ..services.provider_settings import ProviderOverview

log = logging.getLogger(__name__)


async def _guard(coro: Any, doing: str) -> Any:
    """Await ``coro``; a problem becomes one sentence on screen (None is returned), never a traceback."""
    try:
        return await coro
    except UserError as exc:
        toast.error(str(exc))
    except Exception as exc:
        log.exception('Providers settings: %s failed', doing)
        toast.error(f'Something went wrong while {doing} ({type(exc).__name__}).')
    return None


class ProviderCard:
    """One provider: a one-line summary with *Edit* (or *Set up*); its form is built when opened. The card
    re-reads and re-draws itself after each change (an opened form stays open)."""

    def __init__(
        self,
        overview: ProviderOverview,
        principal: auth.Principal,
        *,
        set_up: bool = True,
        key_store: str = '',
    ) -> None:
        self.ov = overview
        self.principal = principal
        self.set_up = set_up  # has a key or an address of its own (what chat can use)
        self.key_store = key_store  # "OS keyring" or "key file": where a stored key is kept
        self.status_text = ''
        self.status_ok = True
        # Folded until Edit / Set up: six full forms on the demo library made this tab take almost three
        # times as long as a light page to appear.
        self.opened = False
        with ui.card().classes('w-full gap-3').props('flat bordered').mark(f'provider-{overview.id}') as card:
            self.card = card
            self.render()

    async def reload(self) -> None:
        rows = await _guard(run.io_bound(provider_settings.overview), 'reading the provider settings')
        if rows is None:
            return
        found = next((r for r in rows if r.id == self.ov.id), None)
        if found is not None:
            self.ov = found
        self.set_up = self.ov.id in await run.io_bound(chat.configured_provider_ids)
        self._redraw()

    def _redraw(self) -> None:
        self.card.clear()
        with self.card:
            self.render()

    def _open(self) -> None:
        self.opened = True
        self._redraw()

    def _fold(self) -> None:
        self.opened = False
        self._redraw()

    def summary(self) -> str:
        """The folded line: the kind of API, on/off or set up, the key and where it is kept, a base URL of its own, the
        default model."""
        ov = self.ov
        parts = [ov.kind_label]
        if not ov.enabled:
            parts.append('off')
        elif not self.set_up:
            parts.append('not set up')
        if ov.has_stored_key:
            masked = ov.key_display.removesuffix(' (stored)')
            parts.append(f'key {masked} in the {self.key_store or "key store"}')
        elif ov.key_display != 'not set':
            parts.append(f'key from {ov.env_var}' if ov.env_var else 'key set')
        elif ov.needs_key:
            parts.append('no key')
        if ov.base_url:
            parts.append(ov.base_url)
        if ov.default_model:
            parts.append(f'default {ov.default_model}')
        return ' · '.join(parts)

    def _status(self) -> None:
        """The last test's outcome (or a failed model listing), when there is one."""
        if self.status_text:
            ui.icon('check_circle' if self.status_ok else 'error').classes(
                'text-lg ' + ('text-green-600' if self.status_ok else 'text-red-600')
            )
            ui.label(self.status_text).classes('text-sm min-w-0').mark(f'status-{self.ov.id}')

    def render(self) -> None:
        ov = self.ov
        pid = ov.id
        # As few elements as will do: eleven of these rows are the whole tab until one is opened.
        with ui.row().classes('w-full items-center gap-x-2 gap-y-1'):
            ui.label(ov.name).classes('text-lg font-semibold')
            if self.opened:
                ui.label(ov.kind_label).classes('text-xs oh-muted')
            else:
                ui.label(self.summary()).classes('text-sm oh-muted min-w-0 break-words').mark(
                    f'summary-{pid}'
                )
                self._status()
            if self.opened:
                button = ui.button('Done', icon='expand_less', on_click=self._fold).mark(f'fold-{pid}')
            elif self.set_up:
                button = ui.button('Edit', icon='edit', on_click=self._open).mark(f'edit-{pid}')
            else:
                button = ui.button('Set up', on_click=self._open).mark(f'setup-{pid} edit-{pid}')
            button.props('flat dense no-caps').classes('ml-auto')
            ui.switch('On', value=ov.enabled, on_change=self._enabled).props('dense').mark(f'enabled-{pid}')
        if not self.opened:
            return
        with ui.grid().classes('w-full gap-x-6 gap-y-3 grid-cols-1 md:grid-cols-2'):
            with ui.column().classes('gap-1 min-w-0'):
                base = (
                    ui.input(
                        'Base URL',
                        value=ov.base_url or '',
                        placeholder=ov.default_base_url or 'http://localhost:11434/v1',
                    )
                    .props('dense outlined clearable')
                    .classes('w-full')
                    .mark(f'base-url-{pid}')
                )
                hint = (
                    f'Empty: {ov.default_base_url}' if ov.default_base_url else 'Required for this provider'
                )
                ui.label(hint).classes('text-xs oh-muted break-all')  # long URLs must not widen a phone page
                base.on('blur', lambda: self._save_base_url(base.value))
                base.on('keydown.enter', lambda: self._save_base_url(base.value))
                base.on('clear', lambda: self._save_base_url(''))
            with ui.column().classes('gap-1 min-w-0'):
                with ui.row().classes('w-full items-center gap-2 no-wrap'):
                    ui.label('API key:').classes('text-sm')
                    ui.label(ov.key_display).classes('text-sm font-mono truncate').mark(f'key-display-{pid}')
                with ui.row().classes('w-full items-center gap-2 no-wrap'):
                    # autocomplete=new-password: browsers must not offer to remember it either.
                    secret = (
                        ui.input(
                            'New key', password=True, password_toggle_button=True, placeholder='paste it here'
                        )
                        .props('dense outlined autocomplete=new-password spellcheck=false')
                        .classes('grow')
                        .mark(f'key-input-{pid}')
                    )
                    secret.on('keydown.enter', lambda: self._save_key(secret))
                    ui.button('Save key', on_click=lambda: self._save_key(secret)).props(
                        'unelevated dense no-caps'
                    ).mark(f'key-save-{pid}')
                    if ov.has_stored_key:
                        ui.button('Clear', on_click=self._clear_key).props(
                            'flat dense no-caps color=negative'
                        ).mark(f'key-clear-{pid}')
                if not ov.needs_key:
                    ui.label('Local servers usually need no key.').classes('text-xs oh-muted')
                elif ov.env_var:
                    ui.label(f'Without a stored key, {ov.env_var} is used when it is set.').classes(
                        'text-xs oh-muted'
                    )
            with ui.column().classes('gap-1 min-w-0'):
                options = {
                    name: label if label == name else f'{label} ({name})' for _, name, label in ov.models
                }
                if ov.default_model and ov.default_model not in options:
                    options[ov.default_model] = ov.default_model
                ui.select(
                    options,
                    value=ov.default_model,
                    label='Default model',
                    with_input=True,
                    new_value_mode='add-unique',
                    clearable=True,
                    on_change=lambda e: self._save(default_model=e.value or None),
                ).props('dense outlined').classes('w-full').mark(f'default-model-{pid}')
            with ui.column().classes('gap-1 min-w-0'):
                cap = (
                    ui.input(
                        'Monthly cap (USD)',
                        value='' if ov.cap is None else f'{ov.cap:g}',
                        placeholder='no cap',
                    )
                    .props('dense outlined clearable inputmode=decimal')
                    .classes('w-full')
                    .mark(f'cap-{pid}')
                )
                cap.on('blur', lambda: self._save_cap(cap.value))
                cap.on('keydown.enter', lambda: self._save_cap(cap.value))
                spent = f'This month: {fmt.money(ov.spend) or "$0"}'
                if ov.cap is not None:
                    spent += f' of {fmt.money(ov.cap)}' + (' — cap reached' if ov.cap_reached else '')
                ui.label(spent).classes('text-xs ' + ('text-red-600' if ov.cap_reached else 'oh-muted')).mark(
                    f'spend-{pid}'
                )
                if ov.cap_fraction is not None:
                    bar = ui.linear_progress(ov.cap_fraction, show_value=False, size='6px').props('rounded')
                    bar.props['color'] = 'negative' if ov.cap_reached else 'primary'
        with ui.row().classes('w-full items-center gap-2'):
            ui.button('Test connection', icon='power', on_click=self._test).props(
                'outline dense no-caps'
            ).mark(f'test-{pid}')
            ui.button('Fetch models', icon='download', on_click=self._fetch_models).props(
                'flat dense no-caps'
            ).mark(f'fetch-{pid}')
            self._status()

    # ------------------------------------------------------------------ saving

    async def _save(self, **changes: Any) -> None:
        done = await _guard(
            run.io_bound(
                lambda: provider_settings.update_provider(self.principal, self.ov.id, **changes) or 'saved'
            ),
            'saving the provider settings',
        )
        if done == 'saved':
            toast.saved()
        elif done:  # the address moved to another host: the stored key was forgotten
            toast.toast(done, kind='info')
        if done:
            await self.reload()

    async def _save_base_url(self, value: str | None) -> None:
        if (value or '').strip() != (self.ov.base_url or ''):
            await self._save(base_url=value)

    async def _save_cap(self, value: str | None) -> None:
        current = '' if self.ov.cap is None else f'{self.ov.cap:g}'
        if (value or '').strip() != current:
            await self._save(monthly_cap=value)

    async def _enabled(self, e: Any) -> None:
        if bool(e.value) != self.ov.enabled:
            await self._save(enabled=bool(e.value))

    async def _save_key(self, field: ui.input) -> None:
        secret = (field.value or '').strip()
        field.set_value('')  # out of the page at once, whatever happens next
        if not secret:
            toast.error('Paste the API key into the field first.')
            return
        where = await _guard(
            run.io_bound(provider_settings.save_key, self.principal, self.ov.id, secret), 'saving the key'
        )
        del secret
        if where:
            place = 'the OS keyring' if where == 'keyring' else 'the key file'
            toast.saved(f'Key saved in {place}')
            await self.reload()

    async def _clear_key(self) -> None:
        done = await _guard(
            run.io_bound(lambda: provider_settings.clear_key(self.principal, self.ov.id) or True),
            'forgetting the key',
        )
        if done:
            toast.saved('Stored key forgotten')
            await self.reload()

    # ------------------------------------------------------------------ talking to the provider

    async def _test(self) -> None:
        try:
            self.status_text, self.status_ok = (
                await provider_settings.test_connection(self.principal, self.ov.id),
                True,
            )
        except UserError as exc:
            self.status_text, self.status_ok = str(exc), False
        except Exception as exc:
            log.exception('Testing the connection to provider %s failed', self.ov.id)
            self.status_text, self.status_ok = f'The test failed ({type(exc).__name__}).', False
        await self.reload()

    async def _fetch_models(self) -> None:
        try:
            listed = await provider_settings.fetch_models(self.principal, self.ov.id)
        except UserError as exc:
            self.status_text, self.status_ok = str(exc), False
            await self.reload()
            return
        except Exception as exc:
            log.exception('Listing the models of provider %s failed', self.ov.id)
            toast.error(f'Could not list the models ({type(exc).__name__}).')
            return
        known = {name.lower() for _, name, _ in self.ov.models}
        if not listed:
            toast.toast(f'{self.ov.name} lists no models.', kind='info')
            return
        boxes: dict[str, ui.checkbox] = {}
        with ui.dialog() as dialog, ui.card().classes('w-[min(92vw,34rem)] gap-2'):
            ui.label(f'Models {self.ov.name} offers').classes('text-lg font-semibold')
            ui.label('Tick the ones to add to the models table (prices can be set there).').classes(
                'text-sm oh-muted'
            )
            with ui.column().classes('w-full gap-0 max-h-[55vh] overflow-auto'):
                for info in sorted(listed, key=lambda i: i.id.lower()):
                    have = info.id.lower() in known
                    label = info.id + (f' — {info.display_name}' if info.display_name else '')
                    box = ui.checkbox(label + (' (in the table)' if have else ''), value=False).props('dense')
                    box.mark(f'model-{info.id}')
                    if have:
                        box.disable()
                    else:
                        boxes[info.id] = box
            with ui.row().classes('w-full justify-end gap-2'):
                ui.button('Tick all new', on_click=lambda: [b.set_value(True) for b in boxes.values()]).props(
                    'flat no-caps'
                )
                ui.button('Cancel', on_click=lambda: dialog.submit(None)).props('flat no-caps')
                ui.button(
                    'Add ticked',
                    on_click=lambda: dialog.submit([name for name, b in boxes.items() if b.value]),
                ).props('unelevated no-caps').mark('add-models')
        chosen = await dialogs.answer(dialog)
        if not chosen:
            return
        added = await _guard(
            run.io_bound(provider_settings.add_models, self.principal, self.ov.id, chosen), 'adding models'
        )
        if added is not None:
            toast.saved(f'Added {fmt.plural(added, "model")}')
            await self.reload()


async def _add_provider_dialog(principal: auth.Principal) -> None:
    with ui.dialog() as dialog, ui.card().classes('w-[min(92vw,28rem)] gap-2'):
        ui.label('Add an OpenAI-compatible server').classes('text-lg font-semibold')
        ui.label('OpenRouter, LM Studio, vLLM, llama.cpp, a second Ollama…').classes('text-sm oh-muted')
        name = ui.input('Name').props('outlined dense autofocus').classes('w-full').mark('new-provider-name')
        url = (
            ui.input('Base URL', placeholder='http://localhost:1234/v1')
            .props('outlined dense')
            .classes('w-full')
            .mark('new-provider-url')
        )
        with ui.row().classes('w-full justify-end'):
            ui.button('Cancel', on_click=lambda: dialog.submit(None)).props('flat no-caps')
            ui.button('Add', on_click=lambda: dialog.submit((name.value, url.value))).props(
                'unelevated no-caps'
            ).mark('new-provider-add')
    values = await dialogs.answer(dialog)
    if not values:
        return
    created = await _guard(
        run.io_bound(provider_settings.create_provider, principal, values[0] or '', values[1] or ''),
        'adding the provider',
    )
    if created is not None:
        toast.saved(f'Added {created.name}')
        ui.navigate.to('/settings?tab=providers')


async def providers_section(ctx: AppContext) -> None:
    principal = auth.principal_of(ui.context.client.request)
    rows = await _guard(run.io_bound(provider_settings.overview), 'reading the provider settings')
    where = await run.io_bound(keys.backend_name)
    auto = await run.io_bound(chat.auto_save_enabled)
    with ui.column().classes('w-full gap-3'):
        with ui.row().classes('w-full items-center gap-2 text-sm oh-muted'):
            ui.icon('lock')
            ui.label(f'Keys are kept in the {where} — never in the database, an export, a backup or a log.')
        with ui.row().classes('w-full items-center gap-3'):
            ui.button('Open chat', icon='chat', on_click=lambda: ui.navigate.to('/chat')).props(
                'unelevated no-caps'
            )

            async def auto_changed(e: Any) -> None:
                await run.io_bound(chat.set_auto_save, bool(e.value))
                toast.saved()

            ui.switch('Save every chat reply as an output', value=auto, on_change=auto_changed).mark(
                'settings-auto-save'
            )
        set_up = await run.io_bound(chat.configured_provider_ids)
        store = 'OS keyring' if where.startswith('OS keyring') else 'key file'
        for overview in rows or []:
            ProviderCard(overview, principal, set_up=overview.id in set_up, key_store=store)
        ui.button(
            'Add an OpenAI-compatible server', icon='add', on_click=lambda: _add_provider_dialog(principal)
        ).props('flat no-caps').mark('add-provider')
        with (
            ui.expansion('Models and prices', icon='memory')
            .classes('w-full')
            .props('dense')
            .mark('models-table') as models
        ):
            ui.label(
                'Prices are USD per million tokens; they turn token counts into the cost shown per message '
                'and counted against the caps above.'
            ).classes('text-sm oh-muted')
            table = ui.column().classes('w-full gap-0')

        # Built when first opened: its rows (a menu each) were most of this tab's 860 elements and made
        # it the slowest settings tab to appear, though it starts folded.
        async def open_models(e: Any) -> None:
            if e.value and not table.default_slot.children:
                with table:
                    await LookupAdmin('model').show()

        models.on_value_change(open_models)


def register(ctx: AppContext) -> None:
    # Imported here, not at the top: NiceGUI's test reset drops page modules from sys.modules, and a
    # module-level reference would add the tab to a stale copy of the settings page.
    from . import settings

    settings.add_section(
        settings.Section(
            'providers', 'Providers', 'cloud', providers_section, order=10, show_to=roles.is_admin
        )
    )
