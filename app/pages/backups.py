"""The "Export & backup" settings tab: export the library (JSON or Markdown) to a folder or as a download,
back up now, list and restore backups, and the automatic backup settings."""

from __future__ import annotations

import logging
import secrets
import shutil
import time
import urllib.parse
from pathlib import Path
from typing import Any

from nicegui import app, run, ui

from .. import config, roles
from ..components import dialogs, fmt, jobs, toast
from ..components.secret import viewer, viewer_sees_restricted
from ..context import AppContext
from ..data import backup, exporters
from ..errors import UserError
from ..services import backups as backup_service
from .imports import mb

log = logging.getLogger(__name__)

STALE_DOWNLOAD_SECONDS = 3600
KEEP_LIMITS = {'keep_daily': 365, 'keep_weekly': 260, 'keep_monthly': 240}
SHOWN_BACKUPS = 30


def downloads_dir() -> Path:
    return config.data_dir() / 'downloads'


def remove_stale_downloads(max_age: float = STALE_DOWNLOAD_SECONDS) -> None:
    """Exports made only to be downloaded are kept an hour (the browser fetches them at once)."""
    root = downloads_dir()
    if not root.is_dir():
        return
    cutoff = time.time() - max_age
    for p in root.iterdir():
        try:
            if p.stat().st_mtime < cutoff:
                shutil.rmtree(p) if p.is_dir() else p.unlink()
        except OSError:
            pass


def default_export_folder() -> str:
    downloads = Path.home() / 'Downloads'
    return str(downloads if downloads.is_dir() else Path.home())


def check_export_folder(text: str) -> Path:
    text = (text or '').strip().strip('"\'').strip()
    if not text:
        raise UserError('Type the folder to export into first.')
    p = Path(text).expanduser()
    if not p.is_absolute():
        raise UserError(f'{text} is not a full path; start it with / (or ~ for your home folder).')
    if p.exists() and not p.is_dir():
        raise UserError(f'{p} is a file, not a folder.')
    return p


def export_to(
    fmt_key: str, out: Path, include_secret: bool, job: jobs.Job, *, as_download: bool
) -> dict[str, Any]:
    """Run in the worker: the export, and for a download of Markdown notes, one zip of them."""
    fn = exporters.export_json if fmt_key == 'json' else exporters.export_markdown
    if as_download:
        remove_stale_downloads()
        out = downloads_dir() / secrets.token_hex(8)
        out.mkdir(parents=True)
    report = fn(out, include_secret=include_secret, progress=job.progress)
    file = Path(report.path)
    if as_download and file.is_dir():
        job.total = None  # the bar moves without a count while zipping
        file = Path(shutil.make_archive(str(file), 'zip', root_dir=file.parent, base_dir=file.name))
        shutil.rmtree(report.path, ignore_errors=True)
    return {'report': report, 'file': str(file)}


def offer_download(path: str | Path, filename: str) -> None:
    """Let the browser fetch one file once, under a URL nobody can guess (behind the login gate)."""
    url = app.add_static_file(local_file=path, single_use=True)
    ui.context.client.on_delete(lambda: app.remove_route(urllib.parse.unquote(url)))
    ui.download.from_url(url, filename)


class BackupTab:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.principal = viewer()
        self.local = roles.is_admin(self.principal)
        self.may_include_secret = viewer_sees_restricted()

    async def show(self) -> None:
        self._export_card()
        if not self.local:
            with ui.card().classes('w-full').props('flat bordered'):
                ui.label('Backups').classes('font-semibold')
                ui.label('Backups and restores are made on the computer running Output Hub.').classes(
                    'text-sm oh-muted'
                )
            return
        with ui.card().classes('w-full gap-2').props('flat bordered'):
            with ui.row().classes('w-full items-center gap-2'):
                ui.label('Backups').classes('font-semibold')
                ui.space()
                self.backup_button = (
                    ui.button('Back up now', icon='backup', on_click=self.back_up_now)
                    .props('no-caps')
                    .mark('backup-now')
                )
            ui.label(
                'A backup is a complete, checked copy of the database, taken while the app keeps working.'
            ).classes('text-sm oh-muted')
            self.restore_status = ui.column().classes('w-full gap-1')
            await self.backup_list()
            self._restore_from_file()
        await self.automatic()

    # ---- export

    def _export_card(self) -> None:
        with ui.card().classes('w-full gap-2').props('flat bordered'):
            with ui.row().classes('w-full items-center'):
                ui.label('Export').classes('font-semibold')
                ui.space()
                ui.link('Import', '/import').classes('text-sm')
            self.format = (
                ui.radio(
                    {
                        'json': 'JSON: everything, lossless; imports back into Output Hub',
                        'markdown': 'Markdown: one note per item with front matter, a folder per collection (Obsidian)',
                    },
                    value='json',
                )
                .props('dense')
                .classes('text-sm')
                .mark('export-format')
            )
            self.include_secret = ui.switch('Include Secret items', value=False).mark('export-secret')
            if not self.may_include_secret:
                self.include_secret.disable()
                self.include_secret.tooltip('This device may not see Secret items.')
            with ui.row().classes('w-full items-center gap-2'):
                if self.local:
                    self.folder = (
                        ui.input('Folder on this computer', value=default_export_folder())
                        .props('dense outlined')
                        .classes('grow min-w-[16rem]')
                        .mark('export-folder')
                    )
                    ui.button(
                        'Export to folder', icon='drive_folder_upload', on_click=self.export_to_folder
                    ).props('outline no-caps').mark('export-go')
                ui.button('Download', icon='download', on_click=self.export_download).props(
                    'outline no-caps'
                ).mark('export-download')
            ui.label(
                'Markdown downloads come as one zip. Provider keys, API tokens and paired devices are never exported.'
            ).classes('text-xs oh-muted')
            self.export_status = ui.column().classes('w-full gap-1')
            job = jobs.slot.last.get('export')
            if job is not None and job.running:
                with self.export_status:
                    jobs.progress_panel(job, on_end=lambda j: self._export_ended(j, None))

    async def export_to_folder(self) -> None:
        try:
            folder = await run.io_bound(check_export_folder, self.folder.value or '')
        except UserError as exc:
            toast.error(str(exc))
            return
        await self._export(folder, as_download=False)

    async def export_download(self) -> None:
        await self._export(downloads_dir(), as_download=True)

    async def _export(self, out: Path, *, as_download: bool) -> None:
        fmt_key = self.format.value
        include = bool(self.include_secret.value) and self.may_include_secret
        try:
            job = jobs.slot.start(
                'export',
                'the library',
                lambda j: export_to(fmt_key, out, include, j, as_download=as_download),
                unit='item',
            )
        except UserError as exc:
            toast.error(str(exc))
            return
        self.export_status.clear()
        with self.export_status:
            jobs.progress_panel(job, on_end=lambda j: self._export_ended(j, as_download))

    def _export_ended(self, job: jobs.Job, as_download: bool | None) -> None:
        self.export_status.clear()
        with self.export_status:
            if job.state == 'failed':
                ui.label(job.error).classes('text-sm text-red-600').mark('export-error')
                toast.error(job.error)
                return
            report, file = job.result['report'], job.result['file']
            text = f'Exported {fmt.plural(report.items, "item")}'
            text += ' for download.' if as_download else f' to {file}.'
            if report.left_out_secret:
                text += f' {fmt.plural(report.left_out_secret, "Secret item")} left out.'
            ui.label(text).classes('text-sm break-all').mark('export-result')
        if as_download:
            offer_download(file, Path(file).name)
        toast.saved(text)

    # ---- backups

    def _backup_folder(self) -> Path:
        scheduler = self.ctx.backups
        return scheduler.folder if scheduler is not None else backup.default_backup_dir()

    async def back_up_now(self) -> None:
        self.backup_button.props('loading')
        try:
            info = await run.io_bound(backup_service.back_up_now, self.principal, self.ctx.backups)
        except UserError as exc:
            toast.error(str(exc))
            return
        finally:
            self.backup_button.props(remove='loading')
        toast.toast(f'Backed up to {info.path} ({mb(info.size)})')
        self.backup_list.refresh()
        self.automatic.refresh()

    @ui.refreshable_method
    async def backup_list(self) -> None:
        folder = self._backup_folder()
        items = await run.io_bound(backup.list_backups, folder)
        ui.label(f'In {folder}').classes('text-xs oh-muted break-all')
        if not items:
            ui.label('No backups yet.').classes('text-sm oh-muted').mark('no-backups')
            return
        with ui.column().classes('w-full gap-0'):
            for b in items[:SHOWN_BACKUPS]:
                with ui.row().classes(
                    'w-full items-center gap-3 no-wrap py-1 border-b border-slate-100 dark:border-slate-800'
                ):
                    ui.icon('inventory_2').classes('oh-muted')
                    with ui.column().classes('grow min-w-0 gap-0'):
                        ui.label(fmt.date_time(b.created_at)).classes('text-sm font-medium').mark(
                            'backup-row'
                        )
                        ui.label(f'{Path(b.path).name} · {mb(b.size)}').classes('text-xs oh-muted truncate')
                    ui.button(icon='download', on_click=lambda b=b: self.download_backup(Path(b.path))).props(
                        'flat round dense aria-label=Download'
                    ).tooltip('Download')
                    ui.button(
                        'Restore',
                        icon='settings_backup_restore',
                        on_click=lambda b=b: self.restore(b.path, b.created_at),
                    ).props('flat dense no-caps').mark(f'restore-{Path(b.path).name}')
            if len(items) > SHOWN_BACKUPS:
                ui.label(f'… and {len(items) - SHOWN_BACKUPS} older ones in the folder.').classes(
                    'text-sm oh-muted'
                )

    def download_backup(self, file: Path) -> None:
        try:
            offer_download(backup_service.backup_for_download(self.principal, file), file.name)
        except UserError as exc:
            toast.error(str(exc))

    def _restore_from_file(self) -> None:
        with (
            ui.expansion('Restore from another backup file', icon='file_open')
            .classes('w-full')
            .props('dense')
        ):
            with ui.row().classes('w-full items-center gap-2 no-wrap'):
                path = (
                    ui.input(placeholder='/path/to/outputhub-backup.db')
                    .props('dense outlined clearable')
                    .classes('grow')
                    .mark('restore-path')
                )
                ui.button('Restore…', on_click=lambda: self.restore(path.value or '', None)).props(
                    'outline no-caps'
                ).mark('restore-path-go')

    async def _confirm(self, what: str) -> bool:
        db_path = self.ctx.settings.db_path
        with ui.dialog() as dialog, ui.card().classes('w-[min(92vw,32rem)] gap-3'):
            ui.label('Restore this backup?').classes('text-lg font-semibold')
            ui.label(
                f'The whole library is replaced by {what}; whatever changed since is not in it. The database '
                f'you have now is saved first, next to {db_path.name}, so nothing is lost.'
            )
            with ui.row().classes('justify-end w-full'):
                ui.button('Cancel', on_click=lambda: dialog.submit(False)).props('flat no-caps')
                ui.button('Restore', on_click=lambda: dialog.submit(True)).props(
                    'color=negative no-caps'
                ).mark('confirm-restore')
        result = bool(await dialogs.answer(dialog))
        return result

    async def restore(self, file: str, created_at: Any) -> None:
        text = (file or '').strip().strip('"\'').strip()
        if not text:
            toast.error('Type the path of a backup file first.')
            return
        path = Path(text).expanduser()
        if not path.is_absolute():
            toast.error(f'{text} is not a full path; start it with / (or ~ for your home folder).')
            return
        what = f'the backup from {fmt.date_time(created_at)}' if created_at else path.name
        running = jobs.slot.busy()
        if running is not None:
            toast.error(f'The {running.kind} of {running.label} is still running; wait for it first.')
            return
        if not await self._confirm(what):
            return
        try:
            job = jobs.slot.start(
                'restore', what, lambda j: backup_service.restore(self.principal, path, self.ctx.indexer)
            )
        except UserError as exc:
            toast.error(str(exc))
            return
        self.restore_status.clear()
        with self.restore_status:
            ui.label(f'Restoring {what}: checking the file, then copying it in…').classes('text-sm')
            jobs.progress_panel(job, on_end=self._restore_ended)

    async def _restore_ended(self, job: jobs.Job) -> None:
        self.restore_status.clear()
        if job.state == 'failed':
            with self.restore_status:
                ui.label(job.error).classes('text-sm text-red-600').mark('restore-error')
            toast.error(job.error)
            return
        report: backup.RestoreReport = job.result
        with (
            self.restore_status,
            ui.card().classes('w-full gap-1 bg-green-50 dark:bg-slate-800').props('flat'),
        ):
            ui.label(f'Restored {job.label}.').classes('font-semibold').mark('restore-result')
            if report.replaced_saved_as:
                ui.label(f'The database you had is kept as {report.replaced_saved_as}.').classes(
                    'text-sm break-all'
                ).mark('restore-aside')
            if report.migrations_applied:
                ui.label(
                    f'The backup was upgraded to this version ({len(report.migrations_applied)} steps).'
                ).classes('text-sm')
            ui.label(
                'The app now works on the restored library; no restart is needed. Other open windows and phones '
                'show it after a reload.'
            ).classes('text-sm')
            ui.button('Reload this page', icon='refresh', on_click=lambda: ui.navigate.reload()).props(
                'outline no-caps'
            )
        toast.toast(f'Restored {job.label}', [('Home', '/')])
        self.backup_list.refresh()

    # ---- automatic backups

    @ui.refreshable_method
    async def automatic(self) -> None:
        opts = await run.io_bound(backup_service.settings)
        scheduler = self.ctx.backups
        status = await run.io_bound(scheduler.status) if scheduler is not None else None
        with ui.card().classes('w-full gap-2').props('flat bordered'):
            ui.label('Automatic backups').classes('font-semibold')
            if status is None:
                why = (
                    'the demo profile is never backed up'
                    if self.ctx.settings.demo
                    else f'turned off for this run ({backup_service.ENV_SWITCH}=0)'
                )
                ui.label(f'Not running now: {why}. These settings apply whenever they run.').classes(
                    'text-sm oh-muted'
                )
            else:
                latest = status['latest']
                if latest:
                    parts = [
                        f'Latest {fmt.ago(latest["created_at"])}',
                        f'{fmt.plural(status["count"], "backup")} kept',
                    ]
                    if status['enabled'] and status['next_due_at']:
                        parts.append(f'next one due {fmt.date_time(status["next_due_at"])}')
                    text = ' · '.join(parts) + '.'
                elif status['enabled']:
                    text = 'No backup yet: the first one is made about a minute after the app starts.'
                else:
                    text = 'No backup yet.'
                ui.label(text).classes('text-sm').mark('auto-status')
                if status['last_error']:
                    ui.label(f'The last automatic backup failed: {status["last_error"]}').classes(
                        'text-sm text-red-600'
                    )
            enabled = ui.switch('Back up automatically while the app runs', value=bool(opts['enabled'])).mark(
                'auto-enabled'
            )
            with ui.row().classes('items-center gap-3 flex-wrap'):
                every = (
                    ui.number('Every (hours)', value=opts['interval_hours'], min=1, max=24 * 30, step=1)
                    .props('dense outlined')
                    .classes('w-32')
                    .mark('auto-interval')
                )
                keep = {
                    key: ui.number(label, value=opts[key], min=0, max=KEEP_LIMITS[key], step=1)
                    .props('dense outlined')
                    .classes('w-40')
                    .mark(f'auto-{key}')
                    for key, label in (
                        ('keep_daily', 'Keep daily'),
                        ('keep_weekly', 'Keep weekly'),
                        ('keep_monthly', 'Keep monthly'),
                    )
                }
            ui.label(
                'Rotation keeps the newest backup of each of the last N days, weeks and months, and always '
                'the newest one.'
            ).classes('text-xs oh-muted')

            async def save() -> None:
                try:
                    values = {
                        'enabled': bool(enabled.value),
                        'interval_hours': _whole(every.value, 'Every', 1, 24 * 30),
                    }
                    for key, field in keep.items():
                        values[key] = _whole(field.value, field.props.get('label', key), 0, KEEP_LIMITS[key])
                except UserError as exc:
                    toast.error(str(exc))
                    return
                try:
                    await run.io_bound(backup_service.save_settings, self.principal, values)
                except UserError as exc:
                    toast.error(str(exc))
                    return
                toast.saved('Automatic backup settings saved')
                self.automatic.refresh()

            ui.button('Save', on_click=save).props('no-caps').mark('auto-save')


def _whole(value: Any, label: str, low: int, high: int) -> int:
    try:
        n = int(value)
        whole = float(value) == n
    except (TypeError, ValueError, OverflowError):
        whole = False
    if not whole:
        raise UserError(f'{label} needs a whole number.')
    if not low <= n <= high:
        raise UserError(f'{label} must be between {low} and {high}.')
    return n


def register(ctx: AppContext) -> None:
    # Imported here: NiceGUI's test reset drops page modules (those with routes) from sys.modules, and
    # this module has none, so a module-level reference would add the tab to a stale settings page.
    from . import settings

    remove_stale_downloads()
    settings.add_section(
        settings.Section('backup', 'Export & backup', 'backup', lambda c: BackupTab(c).show(), order=70)
    )
