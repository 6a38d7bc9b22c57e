"""Prompts: the library (/prompts) and one prompt (/prompts/{id}?v=N) with its current version, the
variables form, the version timeline with diffs and restore, outputs by version, and its relations."""

from __future__ import annotations

import html
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from fastapi import Request
from nicegui import run, ui

from ..components import fmt, list_view, pickers, row_actions, toast
from ..components.design import DETAIL_GRID, SECTION_LABEL, kind_icon
from ..components.item_header import delete_button, favourite_and_rating, inline_title
from ..components.list_view import Column
from ..components.markdown_view import markdown_view
from ..components.relation_picker import compact_pickers
from ..components.retention_controls import retention_controls
from ..components.secret import check_visible, secret_badge, viewer_sees_restricted
from ..components.template_form import TemplateForm, copy_text
from ..components.trashed import trash_banner
from ..components.version_history import VersionHistory
from ..components.versioned_page import VersionedPage
from ..context import AppContext
from ..data import entities, prompts, search, sensitivity, versioning
from ..data.db import row_id
from ..data.listing import ListParams
from ..data.models import Category, Prompt, PromptVersion
from ..data.versioning import VersionStats
from ..errors import UserError
from ..ids import ItemId
from . import nav, shell
from .frame import frame
from .list_page import list_page


def version_param(request: Request) -> int | None:
    """``?v=N`` from the URL; anything else means "the current version"."""
    raw = request.query_params.get('v', '')
    return row_id(raw)


def chat_url(text: str, **ids: int) -> str:
    """Where "send to chat" goes: the chat page with the text (and the version that made it) prefilled."""
    query = {k: str(v) for k, v in ids.items()}
    if text:
        query['text'] = text
    return '/chat?' + urlencode(query, quote_via=quote)


# --------------------------------------------------------------------------- the library


def _copy_cell(item: Prompt) -> str:
    """A copy button in a list row. Rows are plain HTML (see list_view), so the click reaches the
    server through ``row_actions``."""
    if getattr(item, 'current', None) is None:
        return ''
    label = html.escape(f'Copy {item.title}', quote=True)
    return (
        f'<button type="button" {row_actions.button_attributes(COPY_EVENT, item.id)} aria-label="{label}" '
        'title="Copy the prompt text" '
        'class="q-btn q-btn--flat q-btn--round q-btn--dense text-primary" style="min-width: 2em">'
        '<i class="q-icon material-icons" aria-hidden="true">content_copy</i></button>'
    )


def _save_cell(item: Prompt) -> str:
    """A *Save to library* button on the rows of "From captures and chats" (empty in the library itself,
    so that column takes no room there). The click reaches the server through ``row_actions``."""
    if getattr(item, 'saved', True):
        return ''
    label = html.escape(f'Save {item.title} to the library', quote=True)
    return (
        f'<button type="button" {row_actions.button_attributes(SAVE_EVENT, item.id, done_label="Saved")} '
        f'aria-label="{label}" '
        'class="q-btn q-btn--flat q-btn--dense q-btn--no-uppercase text-primary px-2 no-wrap">'
        '<i class="q-icon material-icons" aria-hidden="true">library_add</i>'
        '<span class="oh-row-label ml-1 text-sm">Save to library</span></button>'
    )


def _add_copy_column() -> None:
    # The shared list takes its columns from this table; a prompt row gets a copy button, and a row of
    # "From captures and chats" a Save to library button.
    columns = list_view.COLUMNS['prompt']
    if not any(c.label == 'Copy' for c in columns):
        columns.append(Column('Copy', None, _copy_cell, 'w-12'))
    if not any(c.render is _save_cell for c in columns):
        columns[:] = [c for c in columns if c.label != ''] + [Column('', None, _save_cell, '')]


COPY_EVENT = 'oh-copy-prompt'  # a row's copy button (see row_actions)
SAVE_EVENT = 'oh-save-prompt'  # a row's Save to library button, on "From captures and chats"


def listen_to_row_buttons() -> None:
    """The list's row buttons: copy copies the prompt's current text and counts a use; *Save to library*
    makes a prompt from captures and chats part of the library, keeping its versions and so the outputs and
    messages they produced."""
    row_actions.listen(COPY_EVENT, copy_current)
    row_actions.listen(SAVE_EVENT, save_to_library)


async def _shown_prompt(prompt_id: int) -> None:
    """Refuse (NotFound, as its page does) a prompt the viewer may not see: a row button's id comes from
    the browser, and a LAN device could send any id."""
    check_visible('prompt', await run.io_bound(prompts.get_prompt, prompt_id))


async def copy_current(prompt_id: int) -> None:
    try:
        await _shown_prompt(prompt_id)
        version = await run.io_bound(prompts.current_version, prompt_id)
        if version is None:
            return
        await run.io_bound(prompts.mark_used, prompt_id)
    except UserError as exc:
        toast.error(str(exc))
        return
    copy_text(version.body, 'Prompt copied')


async def save_to_library(prompt_id: int) -> bool:
    """Save one prompt from captures and chats to the library, with a toast that opens it."""
    try:
        await _shown_prompt(prompt_id)
        prompt = await run.io_bound(prompts.save_to_library, prompt_id)
    except UserError as exc:
        toast.error(str(exc))
        return False
    toast.toast(f'“{prompt.title}” is in your library now', [('Open', f'/prompts/{prompt.id}')])
    return True


def _quick_filters(params: ListParams, categories: list[tuple[Category, int]]) -> None:
    """One-click views of the library: favourites, most used, recently used, each category, and the
    prompts that came with captures and chats (a cheap count on an index, read here)."""
    unsaved = prompts.unsaved_count(exclude_restricted=not viewer_sees_restricted())
    current_sort = params.sort or 'updated_at'
    library = not params.unsaved
    chips = [
        (
            'All',
            '/prompts',
            library and not params.favourite and not params.categories and current_sort == 'updated_at',
        ),
        ('Favourites', '/prompts?favourite=1', params.favourite is True),
        ('Most used', '/prompts?sort=use_count', current_sort == 'use_count'),
        ('Recently used', '/prompts?sort=last_used_at', current_sort == 'last_used_at'),
    ]
    chips += [
        (f'{cat.name} ({n})', f'/prompts?categories={cat.id}', library and params.categories == [cat.id])
        for cat, n in categories
    ]
    if unsaved or params.unsaved:
        chips.append((f'From captures and chats ({unsaved:,})', '/prompts?unsaved=1', params.unsaved))
    with ui.row().classes('gap-1 items-center flex-wrap'):
        for label, url, active in chips:
            chip = ui.chip(
                label,
                on_click=lambda u=url: ui.navigate.to(u),
                color='primary' if active else None,
                text_color='white' if active else None,
            ).props('dense clickable')
            if not active:
                chip.props('outline')
            chip.mark(f'quick-{label.split(" (")[0]}')
    if params.unsaved:
        with ui.column().classes('w-full gap-0').mark('from-captures'):
            ui.label('From captures and chats').classes('text-lg font-semibold')
            ui.label(
                'Prompt texts that came with captured outputs and chat questions, kept to show what produced '
                'them. Save the ones you want to reuse: they join the library and keep their outputs.'
            ).classes('text-sm oh-muted')


class TextSearch:
    """Search inside the prompts' text (the list's own filter matches titles only)."""

    def __init__(self, query: str) -> None:
        self.query = query
        with ui.column().classes('w-full gap-1'):
            self.box = (
                ui.input(placeholder='Search inside prompt text', value=query)
                .props('dense outlined clearable')
                .classes('w-full max-w-xl')
                .mark('prompt-text-search')
            )
            self.box.props('aria-label="Search inside prompt text"')
            self.box.on(
                'update:model-value',
                lambda e: self._changed(e.args if isinstance(e.args, str) else ''),
                throttle=0.35,
                leading_events=False,
            )
            self._first = self.results()

    async def show(self) -> None:
        await self._first

    def _changed(self, value: str) -> None:
        self.query = (value or '').strip()
        url = f'/prompts?q={quote(self.query)}' if self.query else '/prompts'
        ui.navigate.history.replace(url)
        self.results.refresh()

    @ui.refreshable_method
    async def results(self) -> None:
        if not self.query:
            return
        try:
            hits = await run.io_bound(
                search.keyword_search,
                self.query,
                filters=search.SearchFilters(
                    kinds=['prompt'], exclude_restricted=not viewer_sees_restricted()
                ),
                limit=10,
            )
            restricted = await run.io_bound(sensitivity.restricted_ids, 'prompt', [h.id for h in hits])
        except UserError as exc:
            toast.error(str(exc))
            return
        with ui.card().classes('w-full gap-1').props('flat bordered'):
            if not hits:
                ui.label(f'No prompt contains “{self.query}”.').classes('text-sm oh-muted')
            for hit in hits:
                with ui.column().classes('w-full gap-0 py-1'):
                    with ui.row().classes('items-center gap-2'):
                        ui.link(hit.title or f'Prompt {hit.id}', f'/prompts/{hit.id}').classes(
                            'oh-link font-medium'
                        )
                        secret_badge(restricted.get(hit.id))
                    ui.html(hit.snippet_html, sanitize=True).classes('text-sm oh-muted')


async def _new_prompt_dialog() -> None:
    with ui.dialog().props('maximized-on-mobile') as dialog, ui.card().classes('w-[min(96vw,48rem)] gap-2'):
        ui.label('New prompt').classes('text-lg font-semibold')
        title = (
            ui.input('Title (optional: taken from the first line)').props('outlined dense').classes('w-full')
        )
        body = (
            ui.textarea(
                'Prompt text', placeholder='Use {{name}} or {{name|default}} for the parts you fill in'
            )
            .props('outlined autogrow input-style="min-height: 12rem"')
            .classes('w-full')
            .mark('new-prompt-body')
        )
        error = ui.label().classes('text-sm text-red-600').mark('new-prompt-error')
        error.set_visibility(False)

        async def create() -> None:
            try:
                prompt = await run.io_bound(prompts.create_prompt, title.value or '', body.value or '')
            except UserError as exc:  # the dialog stays open with what was typed
                error.set_text(str(exc))
                error.set_visibility(True)
                body.run_method('focus')
                return
            dialog.close()
            ui.navigate.to(f'/prompts/{prompt.id}')

        with ui.row().classes('w-full justify-end'):
            ui.button('Cancel', on_click=dialog.close).props('flat')
            ui.button('Create', on_click=create).mark('create-prompt')
        body.on('keydown.ctrl.enter', create)
    dialog.open()


# --------------------------------------------------------------------------- one prompt


@dataclass
class PromptView:
    prompt: Prompt
    stats: list[VersionStats]
    version: PromptVersion  # the one shown
    current: PromptVersion | None


def load_prompt(prompt_id: int, number: int | None) -> PromptView:
    prompt = prompts.get_prompt(prompt_id)
    stats = prompts.version_stats(prompt_id)
    current = next((s.version for s in stats if s.is_current), None)
    if number is not None:
        version = prompts.version_by_number(prompt_id, number)
    else:
        version = current or (stats[0].version if stats else None)
    if version is None:
        raise UserError(f'Prompt {prompt_id} has no text yet.')
    return PromptView(prompt, stats, version, current)


class PromptPage(VersionedPage):
    """The detail page; re-renders in place (``body.refresh``) after edits so notifications stay."""

    kind = 'prompt'

    def __init__(self, ctx: AppContext, prompt_id: int, number: int | None) -> None:
        super().__init__(prompt_id, number)
        self.ctx = ctx
        self.prompt_id = prompt_id

    @ui.refreshable_method
    async def body(self) -> None:
        try:
            view = await run.io_bound(load_prompt, self.prompt_id, self.number)
            check_visible('prompt', view.prompt)  # a LAN device without permission: as if it did not exist
        except UserError as exc:
            ui.label(str(exc)).classes('text-lg')
            ui.link('Back to prompts', '/prompts')
            return
        p, v = view.prompt, view.version
        if p.deleted_at is not None:
            self._trash_banner(p)
        elif not p.saved:
            self._unsaved_banner(p)
        with ui.grid().classes(DETAIL_GRID):
            with ui.column().classes('gap-3 min-w-0'):
                self._title(p)
                secret_badge(p.sensitivity_id)
                is_current = view.current is not None and v.id == view.current.id
                meta = [
                    f'Version {v.number} of {len(view.stats)}' + (' (current)' if is_current else ''),
                    f'updated {fmt.ago(p.updated_at)}',
                    f'used {fmt.plural(p.use_count, "time")}',
                ]
                ui.label(' · '.join(meta)).classes('text-sm oh-muted')
                self._actions(p, v)
                if not is_current and view.current is not None:
                    self._older_version_banner(v, view.current)
                if v.note:
                    with ui.row().classes('items-center gap-2 text-sm'):
                        ui.icon('edit_note').classes('oh-muted')
                        ui.label(v.note).classes('italic')
                with ui.card().classes('w-full').props('flat bordered'):
                    markdown_view(v.body)
                with (
                    ui.expansion('Fill in and copy', icon='edit_square', value=True)
                    .classes('w-full')
                    .props('dense')
                ):
                    TemplateForm(
                        v.body,
                        on_used=lambda: prompts.mark_used(self.prompt_id),
                        on_send=(lambda text, vid=v.id: ui.navigate.to(chat_url(text, prompt_version=vid)))
                        if nav.has('/chat')
                        else None,
                    )
                history = VersionHistory('prompt', p.id, view.stats, v.number, self.url, self.go)
                await history.show()
            with ui.column().classes('gap-4 w-full'):
                self._relations(p)

    def _trash_banner(self, p: Prompt) -> None:
        trash_banner('prompt', p.deleted_at, self.untrash)

    def _unsaved_banner(self, p: Prompt) -> None:
        with (
            ui.row()
            .classes('w-full items-center gap-2 p-2 rounded bg-indigo-50 dark:bg-indigo-950 flex-wrap')
            .mark('unsaved-banner')
        ):
            ui.icon('move_to_inbox')
            ui.label('This text came with a capture or a chat question; it is not in your library.').classes(
                'grow'
            )

            async def save() -> None:
                with self.root:  # the toast outlives the banner the refresh removes
                    saved = await save_to_library(p.id)
                if saved:
                    await self.body.refresh()

            ui.button('Save to library', icon='library_add', on_click=save).props(
                'unelevated dense no-caps color=primary'
            ).mark('save-to-library')

    def _older_version_banner(self, v: PromptVersion, current: PromptVersion) -> None:
        with ui.row().classes(
            'w-full items-center gap-2 p-2 rounded bg-indigo-50 dark:bg-indigo-950 flex-wrap'
        ):
            ui.icon('history')
            ui.label(f'You are looking at v{v.number}; the current version is v{current.number}.')
            ui.button('Show current', on_click=lambda: self.go(None)).props('flat dense no-caps')
            ui.button('Make current', on_click=lambda: self._history_action('set_current', v.number)).props(
                'flat dense no-caps'
            ).mark('banner-make-current')
            ui.button(
                'Restore as new version', on_click=lambda: self._history_action('restore', v.number)
            ).props('flat dense no-caps').mark('banner-restore')

    async def _history_action(self, what: str, number: int) -> None:
        try:
            if what == 'set_current':
                await run.io_bound(prompts.set_current, self.prompt_id, number)
                toast.toast(f'v{number} is now the current version')
            else:
                version = await run.io_bound(prompts.restore_version, self.prompt_id, number)
                toast.toast(f'Restored v{number} as v{version.number}')
        except UserError as exc:
            toast.error(str(exc))
            return
        await self.go(None)

    def _title(self, p: Prompt) -> None:
        inline_title(
            'prompt',
            p,
            saved='Title saved (renaming does not make a new version)',
            marker='prompt-title',
            trailing=(lambda: delete_button(self.trash, 'delete-prompt')) if p.deleted_at is None else None,
        )

    def _actions(self, p: Prompt, v: PromptVersion) -> None:
        with ui.row().classes('items-center gap-1 flex-wrap'):

            def copy() -> None:
                copy_text(v.body, f'v{v.number} copied')
                prompts.mark_used(p.id)

            ui.button(icon='content_copy', on_click=copy).props('flat round aria-label="Copy text"').tooltip(
                'Copy this version’s text'
            ).mark('copy-prompt')
            favourite_and_rating('prompt', p)
            ui.button('Edit', icon='edit', on_click=lambda: self.edit(v)).props('flat no-caps').tooltip(
                'Edit the text: saves a new version'
            ).mark('edit-prompt')

    async def edit(self, v: PromptVersion) -> None:
        with (
            ui.dialog().props('maximized-on-mobile') as dialog,
            ui.card().classes('w-[min(96vw,60rem)] gap-2'),
        ):
            ui.label(f'Edit prompt (starting from v{v.number})').classes('text-lg font-semibold')
            area = (
                ui.textarea(value=v.body)
                .props('outlined autogrow input-style="min-height: 40vh"')
                .classes('w-full')
                .mark('edit-body')
            )
            note = (
                ui.input('What changed (optional)')
                .props('outlined dense')
                .classes('w-full')
                .mark('edit-note')
            )
            ui.label('Saving keeps every earlier version; this becomes the current one.').classes(
                'text-xs oh-muted'
            )
            with ui.row().classes('w-full justify-end'):
                ui.button('Cancel', on_click=lambda: dialog.submit(None)).props('flat')
                ui.button('Save new version', on_click=lambda: dialog.submit((area.value, note.value))).mark(
                    'save-version'
                )
            area.on('keydown.ctrl.enter', lambda: dialog.submit((area.value, note.value)))
        result = await dialog
        if result is None:
            return
        text, note_text = result
        try:
            before = await run.io_bound(prompts.current_version, self.prompt_id)
            version = await run.io_bound(prompts.new_version, self.prompt_id, text or '', note_text)
        except UserError as exc:
            toast.error(str(exc))
            return
        with self.root:
            if before is not None and version.id == before.id:
                toast.toast('No change: the current version already has this text', kind='info')
                return
            toast.toast(f'Saved as v{version.number}')
            if versioning.template_problem(text or ''):
                toast.error(
                    f'Saved, but the variables form cannot use it: {versioning.template_problem(text)}'
                )
        await self.go(None)

    def _relations(self, p: Prompt) -> None:
        with compact_pickers():  # one read-only line each until its button opens the picker
            with ui.card().classes('w-full gap-4').props('flat bordered'):
                pickers.tags_picker('prompt', p.id)
                pickers.collections_picker('prompt', p.id)
            with ui.card().classes('w-full gap-4').props('flat bordered'):
                ui.label('Classification').classes('font-semibold')
                pickers.field_picker('prompt', p.id, 'category', 'category', 'Category', creatable=True)
                pickers.field_picker('prompt', p.id, 'sensitivity', 'sensitivity', 'Sensitivity')
                retention_controls('prompt', p.id)
        notes_card('prompt', p.id, p.notes)


def notes_card(kind: str, item_id: int, notes: str | None) -> None:
    """Free notes on a prompt or agent, saved when the box loses focus."""
    with ui.card().classes('w-full gap-1').props('flat bordered'):
        with ui.row().classes('items-center gap-1'):
            ui.icon('sticky_note_2').classes('oh-muted')
            ui.label('Notes').classes(SECTION_LABEL)
        area = (
            ui.textarea(value=notes or '', placeholder=f'Your notes about this {kind}')
            .props('outlined autogrow dense')
            .classes('w-full')
        )

        async def save() -> None:
            nonlocal notes
            value = (area.value or '').strip() or None
            if value != (notes or None):
                notes = value
                try:
                    await run.io_bound(entities.update_item, kind, item_id, notes=value)
                except UserError as exc:
                    toast.error(str(exc))
                    return
                toast.saved('Notes saved')

        area.on('blur', save)


# --------------------------------------------------------------------------- routes


def register(ctx: AppContext) -> None:
    nav.add(nav.NavItem('Prompts', '/prompts', kind_icon('prompt'), order=30, shortcut='g p', group='Work'))
    _add_copy_column()

    @shell.page(ctx, '/prompts')
    async def prompts_list(request: Request) -> None:
        def actions() -> None:
            ui.button('New prompt', icon='add', on_click=_new_prompt_dialog).mark('new-prompt')

        async def before_list(params: ListParams) -> None:
            if not params.trashed:
                categories = await run.io_bound(prompts.category_counts)
                _quick_filters(params, categories)
                text_search = TextSearch(request.query_params.get('q', '')[:200])
                await text_search.show()
            listen_to_row_buttons()

        await list_page(ctx, request, 'prompt', actions=actions, before_list=before_list)

    @shell.page(ctx, '/prompts/{prompt_id}')
    async def prompt_detail_page(request: Request, prompt_id: ItemId) -> None:
        with frame(ctx, 'Prompt'):
            await PromptPage(ctx, prompt_id, version_param(request)).show()
