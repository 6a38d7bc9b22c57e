"""Coding-agent sessions kept as they happen: the Settings → Import tab (the switch and the folders) and the
Import page's list of the session files found."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from nicegui import run, ui

from .. import roles
from ..context import AppContext
from ..data import session_watch
from ..data.importers import FORMAT_NAMES
from ..errors import UserError
from ..services import session_watch as service
from . import fmt, toast
from .secret import viewer

SWITCH_LABEL = 'Keep my Claude Code / Codex / Gemini CLI sessions'
SHOWN_FILES = 30


def _status_line(ctx: AppContext, opts: dict[str, Any], total: int) -> str:
    if not opts['enabled']:
        return 'Off: sessions are imported only when you import their folder on the Import page.'
    svc = ctx.session_watch
    if svc is None or not svc.running:
        return 'On: sessions are picked up while the app runs.'
    status = svc.status()
    looked = f'last looked {fmt.ago(status["last_pass_at"])}' if status['last_pass_at'] else 'looking soon'
    return f'On: {fmt.plural(total, "session")} kept so far, {looked}.'


async def settings_tab(ctx: AppContext) -> None:
    """Settings → Import: the switch, the folders, and how it is going."""
    loaded = await run.io_bound(lambda: (session_watch.options(), session_watch.found_sessions(0)[1]))
    if loaded is None:  # shutting down
        return
    opts, total = loaded
    local = roles.is_this_computer(viewer())
    with ui.card().classes('w-full gap-2').props('flat bordered'):
        ui.label('Coding-agent sessions').classes('font-semibold')
        ui.label(
            'Claude Code, Codex and Gemini CLI delete their session files after about a month. While Output '
            'Hub runs, it can keep them as they are written: new sessions appear in Conversations within '
            'seconds, a session still going on grows in place, and files that disappear stay in your library.'
        ).classes('text-sm oh-muted')
        status = ui.label(_status_line(ctx, opts, total)).classes('text-sm').mark('session-watch-status')
        if not local:
            ui.label(
                "Turned on and off from the computer running Output Hub: it reads that computer's folders."
            ).classes('text-sm oh-muted').mark('session-watch-local-only')
            return
        switch = ui.switch(SWITCH_LABEL, value=bool(opts['enabled'])).mark('session-watch-enabled')
        ui.label(
            'Folders watched (one a line; only these are read, links out of them are not followed)'
        ).classes('text-sm oh-muted pt-2')
        folders = (
            ui.textarea(value='\n'.join(opts['folders']))
            .props('outlined dense autogrow')
            .classes('w-full font-mono text-sm')
            .mark('session-watch-folders')
        )

        async def apply(enabled: bool | None, folder_text: str | None) -> None:
            names = None if folder_text is None else folder_text.splitlines()
            try:
                new = await run.io_bound(service.configure, viewer(), ctx, enabled=enabled, folders=names)
            except UserError as exc:
                toast.error(str(exc))
                return
            if new is None:
                return
            folders.value = '\n'.join(new['folders'])
            status.text = _status_line(ctx, new, total)
            if enabled is not None:
                toast.toast(
                    'Keeping coding-agent sessions.' if new['enabled'] else 'No longer watching sessions.'
                )
            else:
                toast.toast('Folders saved.')

        switch.on_value_change(lambda e: apply(bool(e.value), None))
        with ui.row().classes('items-center gap-2'):
            ui.button('Save folders', icon='save', on_click=lambda: apply(None, folders.value or '')).props(
                'outline no-caps'
            ).mark('session-watch-save')
            ui.button(
                'Default folders',
                icon='restart_alt',
                on_click=lambda: apply(None, '\n'.join(session_watch.DEFAULT_FOLDERS)),
            ).props('flat no-caps')
        ui.link('What was found', '/import').classes('text-sm oh-link')


async def found_card() -> None:
    """The Import page's list: the session files found (latest first), when, and what they became."""
    loaded = await run.io_bound(session_watch.found_sessions, SHOWN_FILES)
    if loaded is None:
        return
    files, total = loaded
    opts = await run.io_bound(session_watch.options)
    if not files and not (opts or {}).get('enabled'):
        return  # nothing to say until the switch is on
    with ui.card().classes('w-full gap-1').props('flat bordered').mark('sessions-found'):
        with ui.row().classes('w-full items-center gap-2'):
            ui.label('Coding-agent sessions kept').classes('font-semibold')
            ui.space()
            ui.link('Settings', '/settings?tab=import').classes('text-sm')
        if not files:
            ui.label('Watching; no session file found yet.').classes('text-sm oh-muted')
            return
        ui.label(f'{fmt.plural(total, "session file")} found.').classes('text-sm oh-muted')
        for f in files:
            with ui.row().classes('w-full items-center gap-2 no-wrap py-0.5').mark('session-found'):
                ui.icon('terminal').classes('oh-muted text-base')
                name = f.title or Path(f.path).name
                if f.conversation_id:
                    ui.link(name, f'/conversations/{f.conversation_id}').classes('oh-link truncate min-w-0')
                else:
                    ui.label(name).classes('truncate min-w-0')
                when = fmt.date_time(fmt.local(f.imported_at or f.found_at))
                caption = ' · '.join(
                    s
                    for s in (
                        FORMAT_NAMES.get(f.format, f.format),
                        fmt.plural(f.messages, 'message'),
                        f'found {fmt.date_time(fmt.local(f.found_at))}',
                        f'updated {when}' if f.imported_at else '',
                        'could not be read' if f.error else '',
                    )
                    if s
                )
                ui.label(caption).classes('text-xs oh-muted flex-none')
        if total > len(files):
            ui.label(f'… and {total - len(files):,} more.').classes('text-sm oh-muted')
