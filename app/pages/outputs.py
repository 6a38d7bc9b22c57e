"""Outputs: the list (/outputs), one output as a hub of its relations (/outputs/{id}), and /capture."""

from __future__ import annotations

from functools import partial

from fastapi import Request
from nicegui import run, ui

from ..components import clipboard, fmt, pickers, quick_capture, toast
from ..components.capture_form import CaptureForm
from ..components.design import DETAIL_GRID
from ..components.item_header import delete_button, favourite_and_rating, inline_title, mark_viewed_later
from ..components.lazy import when_visible
from ..components.markdown_view import markdown_view
from ..components.relation_picker import compact_pickers
from ..components.retention_controls import retention_controls
from ..components.secret import check_visible, secret_badge, viewer_sees_restricted
from ..components.trashed import TrashState
from ..context import AppContext
from ..data import conversations, entities, outputs
from ..data.db import row_id
from ..errors import UserError
from ..ids import ItemId
from . import nav, shell
from .frame import frame
from .list_page import list_page

# A panel other features may fill on the output page (e.g. "Similar outputs" from search):
# callables taking (ctx, output_id) that build UI in the right-hand column. Each is built when it
# scrolls into view (lazy.when_visible): below the relations, it is not what the click waits for.
DETAIL_PANELS: list = []


def _markdown_export(detail: outputs.OutputDetail) -> str:
    o = detail.output
    parts = [f'# {o.title}', '']
    if detail.prompt_version is not None:
        parts += ['## Prompt', '', detail.prompt_version.body, '', '## Output', '']
    parts.append(o.body)
    return '\n'.join(parts)


def output_page(ctx: AppContext, output_id: int) -> None:
    try:
        detail = outputs.output_detail(output_id)
        check_visible('output', detail.output)  # a LAN device without permission: as if it did not exist
    except UserError as exc:
        ui.label(str(exc)).classes('text-lg')
        ui.link('Back to outputs', '/outputs')
        return
    mark_viewed_later('output', output_id)
    o = detail.output

    trashed = TrashState('output', output_id, o.deleted_at, list_url='/outputs')

    with ui.grid().classes(DETAIL_GRID):
        with ui.column().classes('gap-3 min-w-0'):
            inline_title('output', o, trailing=lambda: delete_button(trashed.trash, 'delete-output'))
            secret_badge(o.sensitivity_id)
            meta = [
                fmt.date_time(o.created_at),
                detail.model.label if detail.model else '',
                f'{fmt.tokens(o.input_tokens)} in / {fmt.tokens(o.output_tokens)} out'
                if o.output_tokens
                else '',
                fmt.money(o.cost),
                detail.source.name if detail.source else '',
            ]
            ui.label(' · '.join(m for m in meta if m)).classes('text-sm oh-muted')
            _actions(ctx, detail, trashed)
            if detail.prompt_version is not None:
                with ui.expansion('Prompt', icon='terminal', value=True).classes('w-full').props('dense'):
                    markdown_view(detail.prompt_version.body)
            body_box = ui.column().classes('w-full')
            with body_box:
                markdown_view(o.body)
            _notes(output_id, o.notes)
            if o.source_url:
                with ui.row().classes('items-center gap-2 text-sm w-full no-wrap min-w-0'):
                    ui.icon('link').classes('oh-muted')
                    if fmt.web_url(o.source_url):
                        ui.link(o.source_url, o.source_url, new_tab=True).classes('truncate min-w-0')
                    else:  # javascript:, data:, file: or relative: never a link
                        ui.label(o.source_url).classes('truncate min-w-0').mark('source-url-text')
        with ui.column().classes('gap-4 w-full'):
            _relations(ctx, detail)


def _actions(ctx: AppContext, detail: outputs.OutputDetail, trashed: TrashState) -> None:
    o = detail.output
    with ui.row().classes('items-center gap-1 flex-wrap'):
        ui.button(
            icon='content_copy',
            on_click=lambda: clipboard.copy(
                _markdown_export(outputs.output_detail(o.id)), 'Copied as Markdown'
            ),
        ).props('flat round aria-label="Copy as Markdown"').tooltip('Copy as Markdown')
        favourite_and_rating('output', o)
        ui.button(icon='edit', on_click=lambda: _edit_body(o.id)).props('flat round aria-label=Edit').tooltip(
            'Edit text'
        )
        if nav.has('/search'):
            ui.button(
                icon='manage_search', on_click=lambda: ui.navigate.to(f'/search?similar=output:{o.id}')
            ).props('flat round aria-label="Find similar"').tooltip('Find similar')


async def _edit_body(output_id: int) -> None:
    o = outputs.get_output(output_id)
    with ui.dialog().props('maximized-on-mobile') as dialog, ui.card().classes('w-[min(96vw,60rem)] gap-2'):
        ui.label('Edit output').classes('text-lg font-semibold')
        area = (
            ui.textarea(value=o.body)
            .props('outlined autogrow input-style="min-height: 40vh"')
            .classes('w-full')
        )
        with ui.row().classes('w-full justify-end'):
            ui.button('Cancel', on_click=lambda: dialog.submit(None)).props('flat')
            ui.button('Save', on_click=lambda: dialog.submit(area.value))
        area.on('keydown.ctrl.enter', lambda: dialog.submit(area.value))
    text = await dialog
    if text is None or text == o.body:
        return
    if not (text or '').strip():
        toast.error('An output cannot be empty; delete it instead.')
        return
    try:
        await run.io_bound(entities.update_item, 'output', output_id, body=text)
    except UserError as exc:
        toast.error(str(exc))
        return
    ui.navigate.reload()


def _notes(output_id: int, notes: str | None) -> None:
    """Open with its notes when there are some; otherwise the box is built when the panel is opened."""
    panel = ui.expansion('Notes', icon='sticky_note_2', value=bool(notes)).classes('w-full').props('dense')

    def build() -> None:
        if not panel.default_slot.children:
            with panel:
                _notes_box(output_id, notes)

    if notes:
        build()
    else:
        panel.on_value_change(lambda e: build() if e.value else None)


def _notes_box(output_id: int, notes: str | None) -> None:
    area = (
        ui.textarea(value=notes or '', placeholder='Your notes about this output')
        .props('outlined autogrow')
        .classes('w-full')
    )

    async def save() -> None:
        try:
            await run.io_bound(
                entities.update_item, 'output', output_id, notes=(area.value or '').strip() or None
            )
        except UserError as exc:
            toast.error(str(exc))
            return
        toast.saved('Notes saved')

    area.on('blur', save)


def _relations(ctx: AppContext, detail: outputs.OutputDetail) -> None:
    """Ten relations, each one read-only line until its button opens the picker (compact_pickers)."""
    with compact_pickers():
        _relation_cards(detail)
    for panel in DETAIL_PANELS:
        # one placeholder each, built when on screen: the Connections graph loaded its data and the
        # chart's JavaScript while the page's own content was still on its way to the browser
        when_visible(partial(panel, ctx, detail.output.id), min_height='6rem').mark('panel-later')


def _relation_cards(detail: outputs.OutputDetail) -> None:
    o = detail.output
    with ui.card().classes('w-full gap-4').props('flat bordered'):
        # every relation as the page read it (OutputDetail): the pickers' first build asks nothing more
        pickers.tags_picker('output', o.id, current=detail.tags)
        pickers.collections_picker('output', o.id, current=detail.collections)
        pickers.related_outputs_picker(o.id, current=detail.related)
    with ui.card().classes('w-full gap-4').props('flat bordered'):
        ui.label('Provenance').classes('font-semibold')
        pickers.version_picker('output', o.id, 'prompt', current=_pair(detail.prompt_version, detail.prompt))
        pickers.version_picker('output', o.id, 'agent', current=_pair(detail.agent_version, detail.agent))
        pickers.conversation_picker(o.id, current=detail.conversation)
        if detail.message is not None and detail.conversation is not None:
            ui.link(
                'Open the message in its conversation',
                f'/conversations/{detail.conversation.id}?m={detail.message.id}#m{detail.message.id}',
            ).classes('text-sm')
        pickers.field_picker('output', o.id, 'model', 'model', 'Model', creatable=True, current=detail.model)
    with ui.card().classes('w-full gap-4').props('flat bordered'):
        ui.label('Classification').classes('font-semibold')
        pickers.field_picker(
            'output', o.id, 'category', 'category', 'Category', creatable=True, current=detail.category
        )
        pickers.field_picker('output', o.id, 'accuracy', 'accuracy', 'Accuracy', current=detail.accuracy)
        pickers.field_picker(
            'output', o.id, 'sensitivity', 'sensitivity', 'Sensitivity', current=detail.sensitivity
        )
        retention_controls('output', o.id, item=o, plan=detail.retention)


def _pair(version, parent) -> tuple | None:
    """A version with its prompt or agent, as ``version_picker`` takes it (None: not recorded)."""
    return (version, parent) if version is not None and parent is not None else None


def share_prefill(query) -> dict | None:
    """``/capture?text=&title=&url=`` (the phone's share sheet, bookmarklets) fills the capture form."""
    text = (query.get('text') or '').strip()
    title = (query.get('title') or '').strip()
    url = (query.get('url') or '').strip()
    if not (text or url):
        return None
    if not url and text.startswith(('http://', 'https://')) and len(text.split()) == 1:
        url = text  # a shared link arrives as text on Android
    return {'body': text or url, 'title': title[:255], 'source_url': url[:2000]}


def register(ctx: AppContext) -> None:
    nav.add(nav.NavItem('Outputs', '/outputs', 'article', order=10, shortcut='g o'))
    nav.add(nav.NavItem('Capture', '/capture', 'add_circle', order=5, shortcut='c', group='Work'))

    @shell.page(ctx, '/outputs')
    async def outputs_list(request: Request) -> None:
        def actions() -> None:
            ui.button('Capture', icon='add', on_click=quick_capture.install(ctx))  # the dialog, over the list

        await list_page(ctx, request, 'output', actions=actions)

    @shell.page(ctx, '/outputs/{output_id}')
    def output_detail_page(output_id: ItemId) -> None:
        with frame(ctx, 'Output'):
            output_page(ctx, output_id)

    @shell.page(ctx, '/capture')
    async def capture_page(request: Request) -> None:
        prefill = None
        message = request.query_params.get('message')
        with frame(ctx, 'Capture'):
            if message and row_id(message):
                try:
                    prefill = await run.io_bound(
                        conversations.capture_prefill,
                        row_id(message),
                        hide_restricted=not viewer_sees_restricted(),
                    )
                except UserError as exc:
                    toast.error(str(exc))
            elif shared := share_prefill(request.query_params):
                prefill = shared
            CaptureForm(prefill=prefill, focus_here=True)  # `c` here puts the cursor in this form
