"""Home: what you have, what you were looking at, what you captured last."""

from __future__ import annotations

from collections.abc import Callable

from nicegui import run, ui

from .. import roles
from ..components import fmt, toast
from ..components.capture_form import CaptureForm
from ..components.items import item_row
from ..components.live import on_library_change
from ..components.secret import viewer, visible
from ..context import AppContext
from ..data import entities, relations, stats
from ..errors import UserError
from ..services import demo_profile
from . import nav, shell
from .frame import frame


def _load() -> dict:
    counts = stats.counts()
    recent = entities.recent('output', limit=8)
    favourites = entities.recent('output', limit=8, favourites=True)
    viewed = entities.recent('output', limit=8, field='last_viewed_at')
    ids = {o.id for o in recent + favourites + viewed}
    tags = relations.tags_for('output', ids)
    for o in recent + favourites + viewed:
        o.tags = tags.get(o.id, [])
    return {'counts': counts, 'recent': recent, 'favourites': favourites, 'viewed': viewed}


def _section(title: str, icon: str, items: list, empty: str, *, field: str = 'created_at') -> None:
    with ui.card().classes('w-full gap-1').props('flat bordered'):
        with ui.row().classes('items-center gap-2'):
            ui.icon(icon).classes('oh-muted')
            ui.label(title).classes('font-semibold')
        if not items:
            ui.label(empty).classes('text-sm oh-muted')
        for item in items:
            item_row('output', item, meta=fmt.ago(getattr(item, field)))


def _empty_state(ctx: AppContext, focus_capture: Callable[[], None]) -> None:
    with ui.card().classes('w-full items-start gap-3 p-6').props('flat bordered'):
        ui.label('Welcome to Output Hub').classes('text-2xl font-semibold')
        ui.label(
            'Keep the best of what you do with ChatGPT, Claude and other models: capture it, relate it, '
            'find it again in seconds.'
        ).classes('oh-muted')
        with ui.row().classes('gap-3 flex-wrap'):
            if nav.has('/capture'):
                # the capture form is right below: put the cursor in it instead of leaving the page
                ui.button('Capture your first output', icon='add', on_click=focus_capture).mark(
                    'first-capture'
                )
            if nav.has('/import'):
                ui.button(
                    'Import from ChatGPT / Claude', icon='upload', on_click=lambda: ui.navigate.to('/import')
                ).props('outline')
        if not ctx.settings.demo:
            _demo_offer()


DEMO_ELSEWHERE = 'The demo profile, full of example data, can be opened on the computer running Output Hub.'


def _demo_offer() -> None:
    """The demo profile: a button on this computer (it starts ``outputhub --demo`` as a child process
    and opens it in a new tab); a LAN device is told where to open it, not given a shell command."""
    if not roles.is_this_computer(viewer()):
        with ui.row().classes('items-center gap-2 text-sm oh-muted').mark('demo-elsewhere'):
            ui.icon('science')
            ui.label(DEMO_ELSEWHERE)
        return
    with ui.row().classes('items-center gap-x-3 gap-y-1 text-sm oh-muted flex-wrap'):
        ui.icon('science')
        ui.label('Explore the demo profile (example data, your own data untouched):')

        async def open_demo() -> None:
            button.props['loading'] = True
            button.update()
            try:
                url = await run.io_bound(demo_profile.launch)
            except UserError as exc:
                toast.error(str(exc))
                return
            finally:
                button.props['loading'] = False
                button.update()
            if button.is_deleted:  # the page was left while the demo was starting
                return
            # A browser may block a tab opened this long after the click: the link opens it by hand.
            fallback.clear()
            with fallback:
                ui.link('The demo is running: open it', url, new_tab=True).mark('demo-link')
            ui.navigate.to(url, new_tab=True)

        button = (
            ui.button('Open the demo', icon='open_in_new', on_click=open_demo)
            .props('outline no-caps')
            .mark('open-demo')
        )
        fallback = ui.row().classes('items-center')
        with ui.row().classes('items-center gap-1 text-xs'):
            ui.label('or run')
            ui.label('outputhub --demo').classes('font-mono')


def _indexer_progress(ctx: AppContext) -> None:
    """While the search indexer has a backlog (after an import), show how far it is and the time left."""
    from ..components.indexing_status import indexing_status

    indexing_status(ctx)


async def _load_visible() -> dict:
    data = await run.io_bound(_load)
    for key in ('recent', 'favourites', 'viewed'):  # a LAN device without permission: no Secret items
        data[key] = visible(data[key])
    return data


def _is_empty(counts: dict) -> bool:
    return not counts['outputs'] and not counts['conversations'] and not counts['prompts']


def _library(data: dict) -> None:
    counts = data['counts']
    with ui.row().classes('items-center gap-4 text-sm oh-muted flex-wrap').mark('home-counts'):
        ui.label('Your library:')
        for key, label in (
            ('outputs', 'output'),
            ('conversations', 'conversation'),
            ('messages', 'message'),
            ('prompts', 'prompt'),
            ('agents', 'agent'),
            ('tags', 'tag'),
        ):
            ui.label(fmt.plural(counts[key], label))
    with ui.grid().classes('w-full gap-4 grid-cols-1 md:grid-cols-3'):
        _section('Favourites', 'star', data['favourites'], 'Star an output to keep it here.')
        _section(
            'Recently viewed',
            'history',
            data['viewed'],
            'Outputs you open appear here.',
            field='last_viewed_at',
        )
        _section('Recent captures', 'bolt', data['recent'], 'Nothing captured yet.')


async def _home(ctx: AppContext) -> None:
    """Home's body. Counts, lists and the welcome card redraw when the library changes (a capture in
    the quick-capture dialog or the form here, an undo), without a reload."""
    data = await _load_visible()
    form: list[CaptureForm] = []
    welcome = ui.column().classes('w-full gap-0')
    if _is_empty(data['counts']):
        with welcome:
            _empty_state(ctx, lambda: form[0].body.run_method('focus'))
    form.append(CaptureForm(compact=True))
    _indexer_progress(ctx)
    library = ui.column().classes('w-full gap-4')
    with library:
        _library(data)

    async def redraw(_change: object = None) -> None:
        fresh = await _load_visible()
        if library.is_deleted:  # the page was left while the counts were loading
            return
        if not _is_empty(fresh['counts']):
            welcome.clear()
        library.clear()
        with library:
            _library(fresh)

    on_library_change(redraw, kinds=('output', 'conversation', 'prompt', 'agent'))


def register(ctx: AppContext) -> None:
    nav.add(nav.NavItem('Home', '/', 'home', order=0, shortcut='g h', group=''))

    @shell.page(ctx, '/')
    async def home_page() -> None:
        with frame(ctx, 'Home'):
            await _home(ctx)
