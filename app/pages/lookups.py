"""Tags, collections and categories (lists and pages showing what each holds), and the administration of
every other lookup (accuracy, sensitivity, retention, sources, providers, models)."""

from __future__ import annotations

from nicegui import run, ui

from ..components import fmt, toast
from ..components.design import kind_color, kind_icon, row_color
from ..components.graph_view import neighbourhood_card
from ..components.items import item_rows
from ..components.lazy import when_visible
from ..components.lookup_admin import LookupAdmin
from ..components.secret import viewer_sees_restricted
from ..context import AppContext
from ..data import kinds, lookups, relations
from ..errors import UserError
from ..ids import ItemId
from . import nav, shell
from .frame import frame

ADMIN_TABS = [
    ('tag', 'Tags'),
    ('collection', 'Collections'),
    ('category', 'Categories'),
    ('accuracy', 'Accuracy'),
    ('sensitivity', 'Sensitivity'),
    ('retention', 'Retention'),
    ('source', 'Sources'),
    ('provider', 'Providers'),
    ('model', 'Models'),
]


def _heading(kind: str, title: str) -> None:
    with ui.row().classes('w-full items-center gap-3'):
        ui.icon(kind_icon(kind)).style(f'color: {kind_color(kind)}').classes('text-2xl')
        ui.label(title).classes('text-2xl font-semibold')


def _holder_page(key: str, row_id: int) -> None:
    """A tag's or collection's page: what it holds, per kind, with links to the filtered lists."""
    spec = lookups.kind(key)
    try:
        row = lookups.get(key, row_id)
    except UserError as exc:
        ui.label(str(exc)).classes('text-lg')
        ui.link(f'All {spec.plural}', f'/{spec.plural}')
        return
    with ui.row().classes('w-full items-center gap-3'):
        ui.icon(kind_icon(key)).style(f'color: {row_color(row.color, kind_color(key))}').classes('text-2xl')
        name = (
            ui.input(value=row.name)
            .props('borderless dense aria-label=Name input-class="text-2xl font-semibold"')
            .classes('grow')
        )

        async def rename() -> None:
            new = (name.value or '').strip()
            if new and new != row.name:
                old, row.name = row.name, new  # at once: a blur and an Enter must not rename it twice
                try:
                    await run.io_bound(lookups.rename, key, row_id, new)
                    toast.saved('Renamed')
                except UserError as exc:
                    row.name = old
                    toast.error(str(exc))
                    name.set_value(old)

        name.on('blur', rename)
        name.on('keydown.enter', rename)
    desc = (
        ui.textarea(value=row.description or '', placeholder='Description')
        .props('outlined autogrow dense')
        .classes('w-full max-w-2xl')
    )
    desc.on('blur', lambda: _save_field(key, row_id, description=(desc.value or '').strip() or None))
    # a LAN device without permission: Secret items are neither listed nor counted
    members = relations.members(key, row_id, limit=25, exclude_restricted=not viewer_sees_restricted())
    param = 'tags' if key == 'tag' else 'collections'
    ui.label('Holds ' + ', '.join(fmt.plural(members.totals[k], k) for k in kinds.ITEMS)).classes(
        'oh-muted text-sm'
    )
    with ui.grid().classes('w-full gap-4 grid-cols-1 md:grid-cols-2'):
        for kind in kinds.ITEMS:
            total = members.totals[kind]
            with ui.card().classes('w-full gap-1').props('flat bordered'):
                with ui.row().classes('w-full items-center gap-2'):
                    ui.icon(kind_icon(kind)).style(f'color: {kind_color(kind)}')
                    ui.label(f'{kind.capitalize()}s').classes('font-semibold')
                    ui.label(f'{total:,}').classes('oh-muted')
                    ui.space()
                    if total:
                        ui.link('See all', f'/{kind}s?{param}={row_id}').classes('text-sm')
                if not total:
                    ui.label('None').classes('text-sm oh-muted')
                else:  # the rows as one element each card (~7 elements a row before)
                    item_rows(kind, members.items[kind], meta=lambda item: fmt.ago(item.updated_at))
    # below the members: the graph is built when scrolled to, not while the click waits for the page
    when_visible(lambda: neighbourhood_card(key, row_id), min_height='6rem').mark('connections-later')
    if key == 'collection':
        notes = (
            ui.textarea('Notes', value=row.notes or '').props('outlined autogrow').classes('w-full max-w-2xl')
        )
        notes.on('blur', lambda: _save_field(key, row_id, notes=(notes.value or '').strip() or None))


async def _save_field(key: str, row_id: int, **fields: object) -> None:
    """A description or notes, saved as the box loses focus, off the event loop."""
    try:
        await run.io_bound(lookups.update_fields, key, row_id, **fields)
    except UserError as exc:
        toast.error(str(exc))


def register(ctx: AppContext) -> None:
    nav.add(nav.NavItem('Tags', '/tags', 'sell', order=50, shortcut='g t'))
    nav.add(nav.NavItem('Collections', '/collections', 'folder', order=55))
    nav.add(nav.NavItem('Categories', '/categories', 'category', order=57))
    nav.add(nav.NavItem('Lookups', '/lookups', 'tune', order=90, group='System'))

    for key, path, title in (
        ('tag', '/tags', 'Tags'),
        ('collection', '/collections', 'Collections'),
        ('category', '/categories', 'Categories'),
    ):

        def make(key: str = key, path: str = path, title: str = title) -> None:
            @shell.page(ctx, path)
            async def lookup_list() -> None:
                with frame(ctx, title):
                    _heading(key, title)
                    await LookupAdmin(key).show()

        make()

    @shell.page(ctx, '/tags/{tag_id}')
    def tag_page(tag_id: ItemId) -> None:
        with frame(ctx, 'Tag'):
            _holder_page('tag', tag_id)

    @shell.page(ctx, '/collections/{collection_id}')
    def collection_page(collection_id: ItemId) -> None:
        with frame(ctx, 'Collection'):
            _holder_page('collection', collection_id)

    @shell.page(ctx, '/lookups')
    async def lookups_page(tab: str = 'tag') -> None:
        with frame(ctx, 'Lookups'):
            _heading('category', 'Lookups')
            ui.label(
                'Every list of values the app uses. Rename, recolour, merge or delete; deleting a value in use asks '
                'what to do with the items that use it.'
            ).classes('oh-muted')
            keys = [k for k, _ in ADMIN_TABS]
            current = tab if tab in keys else 'tag'
            with (
                ui.tabs(value=current)
                .props('dense inline-label outside-arrows mobile-arrows')
                .classes('w-full') as tabs
            ):
                for key, label in ADMIN_TABS:
                    ui.tab(key, label)
            tabs.on_value_change(lambda e: ui.navigate.to(f'/lookups?tab={e.value}'))
            await LookupAdmin(current).show()
