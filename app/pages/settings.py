"""Settings: one page with a tab per concern. Features add their tab with ``add_section`` from their own
page module's ``register(ctx)`` (providers and keys, devices and API tokens, backups, retention, ...)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nicegui import run, ui

from .. import auth, config, roles
from ..context import AppContext
from ..data import db as dbmod
from ..data import migrations, stats
from . import nav, shell
from .frame import frame


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    icon: str
    build: Callable[[AppContext], object]  # may be async
    order: int = 100
    # Who is offered the tab (None: everyone). Administrative tabs pass ``roles.is_admin``; their actions
    # are refused on the server too, by the services they call.
    show_to: Callable[[Any], bool] | None = None


_sections: dict[str, Section] = {}


def add_section(section: Section) -> None:
    _sections[section.key] = section


def sections(principal: Any = None) -> list[Section]:
    """The tabs, in order; with a principal, only those it is offered."""
    shown = [s for s in _sections.values() if principal is None or s.show_to is None or s.show_to(principal)]
    return sorted(shown, key=lambda s: (s.order, s.label))


def _facts() -> tuple[dict[str, int], str, str]:
    """The database's counts and versions (counting a big library's messages takes a while)."""
    return stats.counts(), dbmod.vec_version(dbmod.current()), ', '.join(migrations.all_names()[-1:]) or '-'


async def _general(ctx: AppContext) -> None:
    s = ctx.settings
    facts = await run.io_bound(_facts)  # off the event loop: every other page waits on it otherwise
    if facts is None:  # shutting down
        return
    counts, vec, schema = facts
    with ui.card().classes('w-full gap-2').props('flat bordered'):
        ui.label('This database').classes('font-semibold')
        rows = [
            ('File', str(s.db_path)),
            ('Profile', 'Demo (example data)' if s.demo else 'Your data'),
            ('Data directory', str(config.data_dir())),
            ('Schema', schema),
            ('SQLite / sqlite-vec', f'{dbmod.sqlite3.sqlite_version} / {vec}'),
            (
                'Items',
                f'{counts["outputs"]:,} outputs, {counts["conversations"]:,} conversations, '
                f'{counts["messages"]:,} messages, {counts["prompts"]:,} prompts',
            ),
            (
                'Listening on',
                f'{s.host}:{s.port}'
                + (' (this computer only)' if s.host in ('127.0.0.1', 'localhost') else ''),
            ),
        ]
        with ui.grid(columns='auto 1fr').classes('gap-x-6 gap-y-1 text-sm'):
            for label, value in rows:
                ui.label(label).classes('oh-muted')
                ui.label(value).classes('break-all')
    with ui.card().classes('w-full gap-2').props('flat bordered'):
        ui.label('Lists of values').classes('font-semibold')
        ui.label(
            'Tags, collections, categories, accuracy and sensitivity levels, retention plans, models and prices.'
        ).classes('text-sm oh-muted')
        ui.button('Open lookups', icon='tune', on_click=lambda: ui.navigate.to('/lookups')).props('outline')


def register(ctx: AppContext) -> None:
    _sections.clear()
    add_section(Section('general', 'General', 'settings', _general, order=0))
    nav.add(nav.NavItem('Settings', '/settings', 'settings', order=95, group='System'))

    @shell.page(ctx, '/settings')
    async def settings_page(tab: str = 'general') -> None:
        with frame(ctx, 'Settings'):
            ui.label('Settings').classes('text-2xl font-semibold')
            principal = auth.principal_of(ui.context.client.request)
            if not roles.is_admin(principal):
                ui.label(roles.ADMIN_HINT).classes('text-sm oh-muted').mark('admin-note')
            available = sections(principal)
            current = next((s for s in available if s.key == tab), available[0])
            with (
                ui.tabs(value=current.key)
                .props('dense inline-label outside-arrows mobile-arrows')
                .classes('w-full') as tabs
            ):
                for section in available:
                    ui.tab(section.key, section.label, icon=section.icon)
            tabs.on_value_change(lambda e: ui.navigate.to(f'/settings?tab={e.value}'))
            result = current.build(ctx)
            if hasattr(result, '__await__'):
                await result
