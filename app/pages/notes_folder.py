"""Settings → Integrations: the *Notes folder* panel (the Markdown notes kept in step in a folder the user
picks) and the *Prompt history (git)* panel (the prompt and agent library as a git repository). Both go
through their services (``app.services.notes_sync``, ``app.services.prompt_git_sync``), which refuse
anyone but this computer: the app writes into this computer's folders. The work runs off the event loop."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from nicegui import run, ui

from .. import roles
from ..components import fmt, toast
from ..components.secret import viewer
from ..context import AppContext
from ..data import notes_folder, prompt_git
from ..errors import UserError
from ..services import notes_sync, prompt_git_sync

LOCAL_ONLY = 'Set from the computer running Output Hub: it writes into that computer’s folders.'


def _wire_switches(keep: ui.switch, secret: ui.switch, save: Callable[..., Awaitable[bool]]) -> None:
    """Keep in step saves (and says so); when the save fails (the folder will not do), the switch goes back,
    so it always shows what the app does. Include Secret saves at once while the folder is kept in step."""
    reverting = {'on': False}

    async def keep_changed(e: Any) -> None:
        if reverting['on']:
            return
        if not await save(announce=True):
            reverting['on'] = True
            keep.value = not e.value
            reverting['on'] = False

    async def secret_changed(_: Any) -> None:
        if keep.value and not reverting['on']:
            await save(announce=False)

    keep.on_value_change(keep_changed)
    secret.on_value_change(secret_changed)


def _card(title: str, marker: str) -> ui.card:
    card = ui.card().classes('w-full gap-2').props('flat bordered').mark(marker)
    with card:
        ui.label(title).classes('font-semibold')
    return card


def _folder_input(label: str, value: str, marker: str) -> ui.input:
    """The folder field. It is checked when saved or synced, off the event loop (the services check it):
    looking at a folder on every keystroke would stall every page on a hung network drive. A sentence shown
    under it (``_refused``) goes as soon as the user types."""
    box = ui.input(label, value=value).props('outlined dense clearable').classes('w-full font-mono text-sm')
    box.on_value_change(lambda _: setattr(box, 'error', None))
    return box.mark(marker)


def _refused(folder: ui.input, exc: UserError) -> None:
    """Say why it could not be done: under the field when the folder is the reason, and as a toast."""
    folder.error = str(exc) if isinstance(exc, notes_folder.FolderProblem) else None
    toast.error(str(exc))


# --------------------------------------------------------------------------- notes folder


def notes_status_line(status: dict[str, Any] | None, keep: bool) -> str:
    head = 'Kept in step every few minutes while the app runs.' if keep else 'Not kept in step.'
    if not status:
        return f'{head} Not synced yet.'
    when = fmt.ago(status.get('at'))
    if status.get('error'):
        return f'{head} Last run {when} failed: {status["error"]}'
    counts = notes_folder.counts_text(
        *(int(status.get(k) or 0) for k in ('written', 'unchanged', 'removed', 'skipped', 'edited'))
    )
    return f'{head} Last run {when}: {counts}.'


async def notes_folder_panel(ctx: AppContext) -> None:
    loaded = await run.io_bound(lambda: (notes_folder.setting(), notes_folder.last_status()))
    if loaded is None:  # shutting down
        return
    setting, status = loaded
    setting = setting or {}
    with _card('Notes folder', 'notes-folder'):
        ui.label(
            'Keeps the Markdown notes (the Obsidian-friendly export) in a folder you pick: an Obsidian '
            'vault, or a Drive, Dropbox or Syncthing folder. Only notes that changed are written; notes of '
            'items moved to the trash, deleted, renamed or made Secret are removed. Files you put there '
            'yourself are never touched. The folder is a copy: edit in Output Hub; a note you edit there is '
            'left as you made it and no longer kept in step.'
        ).classes('text-sm oh-muted')
        status_label = (
            ui.label(notes_status_line(status, bool(setting.get('keep'))))
            .classes('text-sm')
            .mark('notes-folder-status')
        )
        if not roles.is_this_computer(viewer()):
            ui.label(LOCAL_ONLY).classes('text-sm oh-muted').mark('notes-folder-local-only')
            return
        folder = _folder_input('Folder', setting.get('dir') or '', 'notes-folder-dir')
        secret = ui.switch('Include Secret items', value=bool(setting.get('include_secret'))).mark(
            'notes-folder-secret'
        )
        keep = ui.switch('Keep in step while the app runs', value=bool(setting.get('keep'))).mark(
            'notes-folder-keep'
        )

        async def refresh_status() -> None:
            latest = await run.io_bound(lambda: (notes_folder.setting(), notes_folder.last_status()))
            if latest is not None:
                now_setting, now_status = latest
                status_label.text = notes_status_line(now_status, bool((now_setting or {}).get('keep')))

        async def save(*, announce: bool) -> bool:
            try:
                await run.io_bound(
                    notes_sync.configure,
                    viewer(),
                    ctx,
                    directory=folder.value or '',
                    include_secret=bool(secret.value),
                    keep=bool(keep.value),
                )
            except UserError as exc:
                _refused(folder, exc)
                return False
            folder.error = None
            if announce:
                toast.toast(
                    f'Keeping {folder.value} in step.'
                    if keep.value
                    else 'No longer keeping the folder in step.'
                )
            await refresh_status()
            return True

        _wire_switches(keep, secret, save)

        async def sync_now() -> None:
            button.props['loading'] = True
            button.update()
            try:
                report = await run.io_bound(
                    notes_sync.sync_now,
                    viewer(),
                    ctx,
                    directory=folder.value or '',
                    include_secret=bool(secret.value),
                )
            except UserError as exc:
                _refused(folder, exc)
                report = None
            finally:
                button.props['loading'] = False
                button.update()
            await refresh_status()
            if report is not None:
                folder.error = None
                toast.toast(f'Notes folder synced: {report.summary()}.')

        button = (
            ui.button('Sync now', icon='sync', on_click=sync_now)
            .props('outline no-caps')
            .mark('notes-folder-sync')
        )


# --------------------------------------------------------------------------- prompt history


def git_status_line(
    ctx: AppContext, kept: dict[str, Any] | None, report: Any = None, failed: str | None = None
) -> str:
    head = f'Kept in step: {kept["dir"]}.' if kept else 'Not kept in step.'
    service = ctx.prompt_git
    if failed:
        return f'{head} Last run just now failed: {failed}'
    if report is not None:
        when, commits, removed, restored, error = (
            'just now',
            report.commits,
            report.removed,
            report.restored,
            None,
        )
    elif isinstance(service, prompt_git_sync.PromptGitSync) and (service.last_run_at or service.last_error):
        s = service.status()
        when = fmt.ago(s['last_run_at']) if s['last_run_at'] else 'at start'
        commits, removed, restored, error = (
            s['last_commits'],
            s['last_removed'],
            s['last_restored'],
            s['last_error'],
        )
    else:
        return f'{head} No commit made since the app started.'
    if error:
        return f'{head} Last run {when} failed: {error}'
    return (
        f'{head} Last run {when}: {fmt.plural(commits, "new version")} committed, '
        f'{removed} removed, {restored} restored.'
    )


async def prompt_git_panel(ctx: AppContext) -> None:
    kept = await run.io_bound(prompt_git.kept)
    with _card('Prompt history (git)', 'prompt-git'):
        ui.label(
            'Writes your saved prompts and agents to a git repository: one Markdown file each, one commit '
            'per version with its note and date. An item moved to the trash, deleted or made Secret gets a '
            'commit removing its file. Push it to GitHub yourself with git push.'
        ).classes('text-sm oh-muted')
        status_label = ui.label(git_status_line(ctx, kept)).classes('text-sm').mark('prompt-git-status')
        if not roles.is_this_computer(viewer()):
            ui.label(LOCAL_ONLY).classes('text-sm oh-muted').mark('prompt-git-local-only')
            return
        folder = _folder_input('Repository folder', (kept or {}).get('dir') or '', 'prompt-git-dir')
        secret = ui.switch(
            'Include Secret prompts and agents', value=bool((kept or {}).get('include_secret'))
        ).mark('prompt-git-secret')
        keep = ui.switch('Keep in step while the app runs', value=kept is not None).mark('prompt-git-keep')

        async def save(*, announce: bool) -> bool:
            try:
                now = await run.io_bound(
                    prompt_git_sync.configure,
                    viewer(),
                    ctx,
                    directory=folder.value or '',
                    include_secret=bool(secret.value),
                    keep=bool(keep.value),
                )
            except UserError as exc:
                _refused(folder, exc)
                return False
            folder.error = None
            status_label.text = git_status_line(ctx, now)
            if announce:
                toast.toast(
                    f'Keeping {now["dir"]} in step.'
                    if now
                    else 'No longer keeping the prompt history in step.'
                )
            return True

        _wire_switches(keep, secret, save)

        async def commit_now() -> None:
            button.props['loading'] = True
            button.update()
            report, failed = None, None
            try:
                report = await run.io_bound(
                    prompt_git_sync.commit_now,
                    viewer(),
                    ctx,
                    directory=folder.value or '',
                    include_secret=bool(secret.value),
                )
            except UserError as exc:
                failed = str(exc)
                _refused(folder, exc)
            finally:
                button.props['loading'] = False
                button.update()
            now = await run.io_bound(prompt_git.kept)
            status_label.text = git_status_line(ctx, now, report, failed)
            if report is not None:
                folder.error = None
                toast.toast(
                    f'{fmt.plural(report.commits, "new version")} committed, {report.removed} removed, '
                    f'{report.restored} restored.'
                )

        button = (
            ui.button('Commit now', icon='commit', on_click=commit_now)
            .props('outline no-caps')
            .mark('prompt-git-commit')
        )


def register(ctx: AppContext) -> None:
    from . import integrations  # here, not at the top: see CONTRIBUTING (page modules are reloaded in tests)

    integrations.add_panel(integrations.Panel('notes-folder', notes_folder_panel, order=20))
    integrations.add_panel(integrations.Panel('prompt-git', prompt_git_panel, order=30))
