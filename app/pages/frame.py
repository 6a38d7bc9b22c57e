"""The shared frame of every page: header (app name, open database, search, capture, dark mode),
navigation drawer, keyboard shortcuts."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from nicegui import ui

from .. import config
from ..components.design import ACCENT, PAGE_MAX_WIDTH
from ..context import AppContext
from ..data import settings_store
from . import nav

SHORTCUTS = [
    ('/', 'Search'),
    ('c', 'Capture'),
    ('g then o / c / p / a', 'Go to outputs / conversations / prompts / agents'),
    ('g then t / s / h', 'Go to tags / search / home'),
    ('Ctrl+Enter', 'Save (capture, edit forms)'),
    ('Esc', 'Close a dialog'),
    ('?', 'This help'),
]

_DARK_CYCLE = {None: False, False: True, True: None}  # auto -> light -> dark -> auto
_DARK_ICON = {None: 'brightness_auto', False: 'light_mode', True: 'dark_mode'}
_DARK_LABEL = {None: 'Theme: follows the system', False: 'Theme: light', True: 'Theme: dark'}


def _head() -> None:
    ui.colors(primary=ACCENT)
    ui.add_head_html(
        '<link rel="stylesheet" href="/assets/app.css">'
        '<link rel="stylesheet" href="/assets/codehilite.css">'
        '<script src="/assets/app.js" defer></script>'
        # Home-screen app on a phone: manifest, icons, and a service worker (HTTPS only) for the share target.
        '<link rel="manifest" href="/manifest.webmanifest">'
        '<meta name="theme-color" content="#4f46e5">'
        '<link rel="apple-touch-icon" href="/assets/icon-192.png">'
        "<script>if ('serviceWorker' in navigator && window.isSecureContext)"
        " navigator.serviceWorker.register('/sw.js').catch(() => {});</script>"
    )


def _shortcuts_dialog() -> ui.dialog:
    with ui.dialog() as dialog, ui.card().classes('oh-shortcuts min-w-[320px]'):
        ui.label('Keyboard shortcuts').classes('text-lg font-semibold')
        with ui.grid(columns=2).classes('gap-x-6 gap-y-2 items-center'):
            for keys, what in SHORTCUTS:
                ui.label(keys).classes('font-mono text-sm')
                ui.label(what)
        ui.button('Close', on_click=dialog.close).props('flat')
    return dialog


@contextmanager
def frame(ctx: AppContext, title: str, *, wide: bool = False) -> Iterator[ui.column]:
    """Build header and drawer, then yield the page's content column."""
    _head()
    ui.page_title(f'{title} · {config.APP_TITLE}' if title else config.APP_TITLE)
    dark_value = settings_store.get('ui.dark', None)
    dark = ui.dark_mode(dark_value)

    with ui.header(elevated=False).classes(
        # oh-header (app.css), not Tailwind's bg-white: Quasar's bg-white is !important and ignores dark mode
        'oh-header items-center no-wrap gap-2 px-3 py-2'
    ):
        menu = ui.button(icon='menu').props('flat round dense aria-label="Menu"')
        with ui.link(target='/').classes('oh-link flex items-center gap-2 no-underline'):
            ui.image('/assets/icon.svg').classes('w-7 h-7')
            ui.label(config.APP_TITLE).classes('text-lg font-semibold oh-hide-phone')
        if ctx.settings.demo:
            ui.badge('DEMO', color='orange').props('aria-label="Demo profile"').tooltip(
                'The demo profile: a separate database of example data. Your own data is untouched.'
            )
        db_chip = ui.label(ctx.db_label).classes('text-xs oh-muted oh-hide-phone truncate max-w-[14rem]')
        db_chip.tooltip(f'Database: {ctx.settings.db_path}')
        ui.space().classes('oh-hide-phone')  # on a phone the search box takes that room
        if nav.has('/search'):
            search = (
                ui.input(placeholder='Search')
                .props('dense outlined clearable rounded aria-label=Search')
                # app.js: "/" focuses it (NiceGUI owns the id). On a phone it takes the room that is left,
                # so the header stays one row.
                .classes('oh-search min-w-0 flex-1 sm:flex-none sm:w-72')
            )

            with search.add_slot('append'):  # the "/" shortcut, not on touch screens (app.css)
                ui.label('/').classes('oh-kbd-hint font-mono text-xs oh-muted border rounded px-1')

            def go_search() -> None:
                from urllib.parse import quote

                text = (search.value or '').strip()
                ui.navigate.to(f'/search?q={quote(text)}' if text else '/search')

            search.on('keydown.enter', go_search)
        if nav.has('/capture'):
            ui.button(icon='add', on_click=lambda: ui.navigate.to('/capture')).props(
                'unelevated round dense color=primary aria-label=Capture'
            ).tooltip('Capture (c)')

        def cycle_dark() -> None:
            new = _DARK_CYCLE[dark.value]
            dark.set_value(new)
            settings_store.put('ui.dark', new)
            dark_button.props['icon'] = _DARK_ICON[new]
            dark_tip.set_text(_DARK_LABEL[new])

        dark_button = ui.button(icon=_DARK_ICON[dark_value], on_click=cycle_dark).props(
            'flat round dense aria-label="Theme"'
        )
        with dark_button:
            dark_tip = ui.tooltip(_DARK_LABEL[dark_value])

    with (
        ui.left_drawer(value=None, bordered=True)
        .props('width=220 breakpoint=900')
        .classes('bg-slate-50 dark:bg-slate-900 px-2 py-3') as drawer
    ):
        for item in nav.items():
            with (
                ui.link(target=item.path).classes('oh-link no-underline w-full'),
                ui.row().classes(
                    'items-center gap-3 px-3 py-2 rounded hover:bg-slate-200 dark:hover:bg-slate-800 w-full'
                ),
            ):
                ui.icon(item.icon).classes('text-slate-500')
                ui.label(item.label)
                if item.shortcut:
                    ui.space()
                    ui.label(item.shortcut).classes('text-xs oh-muted oh-hide-phone oh-kbd-hint')
        ui.separator().classes('my-2')
        ui.button('Shortcuts  ?', on_click=lambda: help_dialog.open()).props('flat dense no-caps').classes(
            'text-xs oh-muted oh-hide-phone oh-kbd-hint'
        )
    menu.on_click(drawer.toggle)
    help_dialog = _shortcuts_dialog()
    ui.on('oh-shortcuts', help_dialog.open)

    with ui.column().classes(
        f'w-full {"max-w-none" if wide else PAGE_MAX_WIDTH} mx-auto p-3 sm:p-5 gap-4'
    ) as content:
        yield content
