"""The shared frame of every page: header (app name, open database, search, capture, dark mode),
navigation drawer, keyboard shortcuts.

Inside the shell (``app/pages/shell.py``) the header, drawer and dialogs are built once per browser tab
(``build_chrome``) and ``frame`` only sets the title and yields the page's content column; a page opened
outside the shell still gets the whole frame."""

from __future__ import annotations

import html
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote

from nicegui import Client, ui

from .. import config
from ..components import palette, quick_capture
from ..components.design import ACCENT, PAGE_MAX_WIDTH
from ..context import AppContext
from ..data import settings_store
from . import nav

SHORTCUTS = [
    ('Ctrl+K or /', 'Search as you type'),
    ('c  or  Ctrl+Shift+V', 'Capture (Ctrl+Shift+V pastes too)'),
    ('g then o / c / p / a', 'Go to outputs / conversations / prompts / agents'),
    ('g then t / s / h', 'Go to tags / search / home'),
    ('Ctrl+Enter', 'Save (capture, edit forms)'),
    ('Esc', 'Close a dialog'),
    ('?', 'This help'),
]

_DARK_CYCLE = {None: False, False: True, True: None}  # auto -> light -> dark -> auto
_DARK_ICON = {None: 'brightness_auto', False: 'light_mode', True: 'dark_mode'}
_DARK_LABEL = {None: 'Theme: follows the system', False: 'Theme: light', True: 'Theme: dark'}

DRAWER_BREAKPOINT = 900  # px: wider screens show the drawer beside the page, narrower ones over it

# Tabs whose header and drawer the shell built once (frame() then builds only the content column).
_shell_clients: weakref.WeakSet[Client] = weakref.WeakSet()


def open_capture() -> None:
    """The header's + button (and a drawer-less way to capture): the capture page."""
    ui.navigate.to('/capture')


def open_search(text: str) -> None:
    """Enter in the header's search box: the search page for ``text``."""
    ui.navigate.to(f'/search?q={quote(text)}' if text else '/search')


def _head() -> None:
    ui.colors(primary=ACCENT)
    ui.add_head_html(
        '<link rel="stylesheet" href="/assets/tailwind.css">'  # built by tools/tailwind/build.sh
        '<link rel="stylesheet" href="/assets/app.css">'
        '<link rel="stylesheet" href="/assets/codehilite.css">'
        '<script src="/assets/app.js" defer></script>'
        '<script src="/assets/offline.js" defer></script>'  # captures waiting on the phone, the pocket copy
        # Home-screen app on a phone: manifest, icons, and a service worker (HTTPS only) for the share target.
        '<link rel="manifest" href="/manifest.webmanifest">'
        '<meta name="theme-color" content="#4f46e5">'
        '<link rel="apple-touch-icon" href="/assets/icon-192.png">'
        "<script>if ('serviceWorker' in navigator && window.isSecureContext)"
        " navigator.serviceWorker.register('/sw.js').catch(() => {});</script>"
    )


def _shortcuts_dialog() -> ui.dialog:
    rows = ''.join(
        f'<div class="font-mono text-sm">{html.escape(keys)}</div><div>{html.escape(what)}</div>'
        for keys, what in SHORTCUTS
    )
    with ui.dialog() as dialog, ui.card().classes('oh-shortcuts min-w-[320px]'):
        ui.label('Keyboard shortcuts').classes('text-lg font-semibold')
        # (no "2 items" in the markup: tests look for such words in what an element holds)
        ui.html(f'<div class="items-center grid grid-cols-2 gap-x-6 gap-y-2">{rows}</div>', sanitize=True)
        ui.button('Close', on_click=dialog.close).props('flat')
    return dialog


def in_shell() -> bool:
    """Whether the current tab's header and drawer were built by the shell (once per tab)."""
    return ui.context.client in _shell_clients


def build_chrome(ctx: AppContext, *, shell: bool = False) -> None:
    """Header, drawer, shortcuts dialog and the page-wide head: once per tab in the shell. Things every
    page of a tab shares (a dialog built once per tab) are added here."""
    if shell:
        _shell_clients.add(ui.context.client)
    _head()
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

            search.on('keydown.enter', lambda: open_search((search.value or '').strip()))
        if nav.has('/capture'):
            ui.button(icon='add', on_click=quick_capture.install(ctx)).props(  # the dialog, once per tab
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

    drawer = _drawer()
    menu.on_click(drawer.toggle)
    help_dialog: ui.dialog | None = None

    def show_shortcuts() -> None:
        # built at the first "?", not with every tab: the first paint of a deep link does not wait for it
        nonlocal help_dialog
        if help_dialog is None or help_dialog.is_deleted:
            with ui.context.client.layout:
                help_dialog = _shortcuts_dialog()
        help_dialog.open()

    with drawer:
        ui.button('Shortcuts  ?', on_click=show_shortcuts).props('flat dense no-caps').classes(
            'text-xs oh-muted oh-hide-phone oh-kbd-hint'
        )
    ui.on('oh-shortcuts', show_shortcuts)
    palette.install(ctx)  # the search palette, once per tab: Ctrl/⌘+K, '/' and the header box open it


_ROW = (
    # 40 px high: a finger-sized target that still fits the 17 entries on a phone
    'oh-nav-item oh-link no-underline flex items-center no-wrap gap-3 px-3 min-h-[40px] rounded '
    'hover:bg-slate-200 dark:hover:bg-slate-800 w-full text-sm'
)


def _drawer_html() -> str:
    parts = []
    for group, entries in nav.grouped():
        if group:
            parts.append(
                '<div class="oh-nav-group text-[11px] uppercase tracking-wide oh-muted px-3 pt-2 pb-0.5">'
                f'{html.escape(group)}</div>'
            )
        for item in entries:
            shortcut = (
                '<span class="ml-auto text-xs oh-muted oh-hide-phone oh-kbd-hint">'
                f'{html.escape(item.shortcut)}</span>'
                if item.shortcut
                else ''
            )
            parts.append(
                f'<a class="{_ROW}" href="{html.escape(item.path)}">'
                '<i class="q-icon notranslate material-icons text-slate-500" aria-hidden="true" '
                f'style="font-size: 20px">{html.escape(item.icon)}</i>'
                f'<span>{html.escape(item.label)}</span>{shortcut}</a>'
            )
    return ''.join(parts)


def _drawer() -> ui.left_drawer:
    """The navigation drawer, grouped (Library · Work · Insight · System) and compact enough that
    Settings shows without scrolling on a phone (390×844).

    Not ``value=None``: NiceGUI then asks the browser on every (re)connect whether the drawer is open
    and waits 1 s for the answer ("JavaScript did not respond within 1.0 s" on a busy machine or a slow
    phone). Quasar's ``show-if-above`` opens it on wide screens by itself and reports the value back."""
    drawer = (
        ui.left_drawer(value=False, bordered=True)
        .props('width=220 breakpoint=900 show-if-above')  # 900: DRAWER_BREAKPOINT
        # gap-0: NiceGUI spaces a drawer's children by 1rem, which pushed Settings off a phone's screen
        .classes('oh-drawer bg-slate-50 dark:bg-slate-900 px-2 py-1 gap-0')
    )
    with drawer:
        # One HTML block, not ~100 elements: the drawer is built with every tab, and each NiceGUI
        # element costs (the deep link's budget is 1.2 s). sub_pages.js turns a click on any of these
        # links into a switch inside the shell; labels and paths are the app's own, escaped all the same.
        ui.html(_drawer_html(), sanitize=True).classes('w-full')
        ui.separator().classes('my-2 oh-hide-phone')
    return drawer


@contextmanager
def frame(ctx: AppContext, title: str, *, wide: bool = False) -> Iterator[ui.column]:
    """Set the title and yield the page's content column (building header and drawer first when the
    tab has no shell)."""
    ui.page_title(f'{title} · {config.APP_TITLE}' if title else config.APP_TITLE)
    if not in_shell():
        build_chrome(ctx)
    with ui.column().classes(
        f'w-full {"max-w-none" if wide else PAGE_MAX_WIDTH} mx-auto p-3 sm:p-5 gap-4'
    ) as content:
        yield content
