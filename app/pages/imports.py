"""The Import page (/import): upload an export or name one on this computer, import it in the background
with a progress bar and Stop, then the report with links into what came in, and the history of imports."""

from __future__ import annotations

import json
import logging
import secrets
import time
from pathlib import Path
from typing import Any

from nicegui import app, events, run, ui
from starlette.middleware import Middleware

from .. import config
from ..components import fmt, jobs, session_watch_panel, toast
from ..components.indexing_status import indexing_status
from ..components.secret import viewer, visible
from ..context import AppContext
from ..data import import_history
from ..data.importers import FORMAT_NAMES, ImportReport, import_path, recent_runs
from ..errors import UserError
from . import nav, shell
from .frame import frame

log = logging.getLogger(__name__)

UPLOAD_LIMIT = 200_000_000  # bigger exports are imported by path: no copy through the browser
FORM_SLACK = 64 * 1024  # multipart boundaries and headers around the file
SHOWN_LINKS = 50
HISTORY_ROWS = 20
STALE_UPLOAD_SECONDS = 24 * 3600


def uploads_dir() -> Path:
    return config.data_dir() / 'uploads'


def new_upload_path() -> Path:
    """A fresh file in the data dir with a generated name: the browser's file name never becomes a path."""
    folder = uploads_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f'upload-{secrets.token_hex(12)}'


def remove_stale_uploads(max_age: float = STALE_UPLOAD_SECONDS) -> None:
    """Uploads left behind by a crash (each import deletes its own); young ones may be another app's."""
    folder = uploads_dir()
    if not folder.is_dir():
        return
    cutoff = time.time() - max_age
    for p in folder.glob('upload-*'):
        try:
            if p.is_file() and p.stat().st_mtime < cutoff:
                p.unlink()
        except OSError:
            pass


def mb(size: int) -> str:
    if size >= 1e9:
        return f'{size / 1e9:,.2f} GB'
    return f'{size / 1e6:,.0f} MB' if size >= 1e7 else f'{size / 1e6:.1f} MB'


def check_server_path(text: str) -> Path:
    """The export a person typed: an existing file or folder, named in full. UserError otherwise."""
    text = (text or '').strip().strip('"\'').strip()
    if not text:
        raise UserError('Type the full path of an export file or folder first.')
    p = Path(text).expanduser()
    if not p.is_absolute():
        raise UserError(f'{text} is not a full path; start it with / (or ~ for your home folder).')
    if not p.exists():
        raise UserError(f'{p} does not exist.')
    if not (p.is_file() or p.is_dir()):
        raise UserError(f'{p} is neither a file nor a folder.')
    return p


# --------------------------------------------------------------------------- the server-side size check


_guarded_uploads: dict[str, int] = {}  # upload URL -> most bytes it accepts


class UploadLimit:
    """Refuse an upload to the import form that is larger than the limit before its body is read: the
    browser's own check is only a courtesy. Pure ASGI, in front of NiceGUI's upload route."""

    def __init__(self, asgi_app: Any) -> None:
        self.app = asgi_app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        limit = _guarded_uploads.get(scope.get('path', '')) if scope['type'] == 'http' else None
        if limit is not None and scope.get('method') == 'POST':
            length = dict(scope.get('headers') or []).get(b'content-length')
            # a browser always sends the length of a form; without one the size could not be known up front
            if length is None or not length.isdigit():
                await _refuse(send, 411, 'An upload must say its size.')
                return
            if int(length) > limit + FORM_SLACK:
                await _refuse(send, 413, f'Uploads stop at {mb(limit)}; import a larger export by its path.')
                return
        await self.app(scope, receive, send)


async def _refuse(send: Any, status: int, message: str) -> None:
    body = json.dumps({'detail': message}).encode()
    await send(
        {
            'type': 'http.response.start',
            'status': status,
            'headers': [(b'content-type', b'application/json'), (b'content-length', str(len(body)).encode())],
        }
    )
    await send({'type': 'http.response.body', 'body': body})


# --------------------------------------------------------------------------- the page


def _count_rows(d: dict[str, Any]) -> list[tuple[str, str]]:
    """The figures of a report (``ImportReport.to_dict()``) worth a line each."""
    dry = d.get('dry_run')
    rows = [
        (
            'Conversations ' + ('that would be added' if dry else 'added'),
            f'{d.get("conversations_added", 0):,}',
        ),
        (
            'Conversations ' + ('that would get new messages' if dry else 'updated'),
            f'{d.get("conversations_updated", 0):,}',
        ),
        ('Conversations already here', f'{d.get("conversations_unchanged", 0):,}'),
        ('Messages ' + ('that would be added' if dry else 'added'), f'{d.get("messages_added", 0):,}'),
    ]
    if d.get('agents_added') or d.get('collections_added'):
        rows.append(
            (
                'Agents / collections (Claude projects)',
                f'{d.get("agents_added", 0)} / {d.get("collections_added", 0)}',
            )
        )
    entities = {k: n for k, n in (d.get('entities') or {}).items() if n}
    if entities:
        rows.append(('Items added', ', '.join(f'{n:,} {k}' for k, n in entities.items())))
    if d.get('models_added'):
        rows.append(('New models', ', '.join(d['models_added'][:10])))
    rows.append(('Skipped (could not be read)', f'{d.get("skipped", 0):,}'))
    if d.get('lines_skipped'):
        rows.append(('Unreadable lines skipped (a session still being written)', f'{d["lines_skipped"]:,}'))
    for note in d.get('notes') or []:
        rows.append(('Note', note))
    return rows


def _headline(d: dict[str, Any], label: str) -> str:
    fmt_name = FORMAT_NAMES.get(d.get('format') or '', 'the')
    if d.get('dry_run'):
        return f'Dry run of {label} ({fmt_name} export): nothing was written.'
    if d.get('cancelled') and not d.get('total'):
        return f'Stopped while reading {label} ({fmt_name} export): nothing was imported.'
    if d.get('cancelled'):
        return f'Stopped: part of {label} ({fmt_name} export) was imported; importing it again adds the rest.'
    added, updated = d.get('conversations_added', 0), d.get('conversations_updated', 0)
    if not added and not updated and not (d.get('entities') or {}):
        return f'{label} ({fmt_name} export) holds nothing new: everything in it is already here.'
    return f'Imported {label} ({fmt_name} export).'


def _errors(errors: list[str]) -> None:
    if not errors:
        return
    with (
        ui.expansion(f'{fmt.plural(len(errors), "problem")} reported', icon='report')
        .classes('w-full text-sm')
        .props('dense')
    ):
        for e in errors[:100]:
            ui.label(e).classes('text-sm break-all')


async def _links(ids: list[int], empty: str = '') -> None:
    """Links to the conversations an import touched (those still here and visible to this viewer)."""
    found = await run.io_bound(import_history.conversations, ids, SHOWN_LINKS)
    rows = visible(found or [])  # None: the app is shutting down
    if not rows:
        if empty:
            ui.label(empty).classes('text-sm oh-muted')
        return
    with ui.column().classes('w-full gap-0'):
        for c in rows:
            with ui.row().classes('w-full items-center gap-2 no-wrap py-0.5'):
                ui.icon('forum').classes('oh-muted text-base')
                ui.link(c.title or f'Untitled conversation {c.id}', f'/conversations/{c.id}').classes(
                    'oh-link truncate min-w-0'
                ).mark('imported-link')
                ui.label(fmt.plural(c.message_count, 'message')).classes('text-xs oh-muted flex-none')
    if len(ids) > len(rows):
        ui.label(f'… and {len(ids) - len(rows):,} more in Conversations.').classes('text-sm oh-muted')


def _run_status(run_row: Any) -> str:
    status = {
        'done': '',
        'cancelled': 'stopped',
        'failed': 'failed',
        'interrupted': 'interrupted',
        'running': 'running',
    }.get(run_row.status, run_row.status)
    return ' · '.join(s for s in ('dry run' if run_row.dry_run else '', status) if s)


class ImportPage:
    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.local = viewer().kind == 'local'
        self.controls: list[ui.element] = []  # what starts an import: off while one runs

    async def show(self) -> None:
        with ui.row().classes('w-full items-center gap-3'):
            ui.icon('upload').classes('text-2xl oh-muted')
            ui.label('Import').classes('text-2xl font-semibold')
            ui.space()
            ui.link('Export & backup', '/settings?tab=backup').classes('text-sm')
        ui.label(
            'Bring in your ChatGPT, Claude, Gemini, Grok, DeepSeek, Le Chat, Perplexity, Open WebUI and '
            'LibreChat history, your '
            'Claude Code, Codex and Gemini CLI sessions (or an llm logs.db, or an Output Hub JSON export). '
            'Importing again adds only what is new; your renames, tags and ratings stay.'
        ).classes('text-sm oh-muted')
        self._instructions()
        with ui.grid().classes('w-full gap-4 grid-cols-1 md:grid-cols-2'):
            self._upload_card()
            self._path_card()
        self.dry_run = ui.checkbox('Dry run: only report what would come in, write nothing').mark('dry-run')
        # A refusal (not an export, busy) shows above the job's panel, never in place of a running job.
        self.error_box = ui.row().classes('w-full items-center gap-2 no-wrap')
        self.error_box.set_visibility(False)
        self.status = ui.card().classes('w-full gap-2').props('flat bordered')
        self.status.set_visibility(False)
        job = jobs.slot.current
        if job is not None and job.kind == 'import':
            await self._show_job(job)
        await self.history()
        await session_watch_panel.found_card()  # coding-agent sessions kept as they happen

    def _instructions(self) -> None:
        with ui.card().classes('w-full gap-1').props('flat bordered'):
            ui.label('Get your export').classes('font-semibold')
            ui.markdown(
                '- **ChatGPT**: *Settings → Data controls → Export data → Export*. A download link arrives '
                'by e-mail; upload the zip as it is.\n'
                '- **Claude.ai**: *Settings → Privacy → Export data*. The download is a zip, sometimes '
                'without the `.zip` ending; upload it as it is.\n'
                '- **llm** (the command-line tool): `llm logs path` prints where its `logs.db` is.\n'
                '- **Coding agents**: type the path of `~/.claude/projects`, `~/.codex/sessions` or a Gemini '
                'CLI session file below (or upload a zip of the folder).\n'
                '- **Gemini** (Takeout *My Activity*, AI Studio), **Grok**, **DeepSeek**, **Le Chat**, '
                '**Perplexity**: upload the file or zip as downloaded.\n'
                '- **Open WebUI**: *Settings → Chats → Export All Chats*. **LibreChat**: a conversation’s '
                '*Export* as JSON. Upload the file (or a zip of several).'
            ).classes('text-sm')

    def _upload_card(self) -> None:
        with ui.card().classes('w-full gap-2').props('flat bordered'):
            ui.label('Upload an export').classes('font-semibold')
            ui.label(
                f'The zip, a conversations.json or a logs.db, up to {mb(UPLOAD_LIMIT)}. It starts '
                'as soon as you pick the file.'
            ).classes('text-sm oh-muted')
            # No file-type filter: Claude's zip can arrive without an ending; the content decides.
            upload = (
                ui.upload(
                    label='Choose or drop a file',
                    auto_upload=True,
                    max_file_size=UPLOAD_LIMIT,
                    on_upload=self.receive_upload,
                    on_rejected=lambda: self._fail(
                        f'That file is larger than {mb(UPLOAD_LIMIT)}; import it by its path instead.'
                    ),
                )
                .props('flat bordered')
                .classes('w-full')
                .mark('import-upload')
            )
            upload.on('failed', lambda: self._fail('The upload did not get through; try again.'))
            url = upload.props['url']
            _guarded_uploads[url] = UPLOAD_LIMIT
            ui.context.client.on_delete(lambda: _guarded_uploads.pop(url, None))
            self.upload = upload
            self.controls.append(upload)

    def _path_card(self) -> None:
        with ui.card().classes('w-full gap-2').props('flat bordered'):
            ui.label('Or a file or folder on this computer').classes('font-semibold')
            if not self.local:
                ui.label(
                    'Importing by path works on the computer running Output Hub; from here, upload the file.'
                ).classes('text-sm oh-muted')
                return
            ui.label(
                'Best for large exports (hundreds of MB): nothing is copied. A zip, its unpacked folder, '
                'a conversations.json or a logs.db.'
            ).classes('text-sm oh-muted')
            with ui.row().classes('w-full items-center gap-2 no-wrap'):
                self.path = (
                    ui.input(placeholder='/home/you/Downloads/chatgpt-export.zip')
                    .props('dense outlined clearable')
                    .classes('grow')
                    .mark('import-path')
                )
                self.path.on('keydown.enter', self.import_typed_path)
                go = ui.button('Import', icon='upload', on_click=self.import_typed_path).props('no-caps')
                self.controls.append(go.mark('import-path-go'))

    # ---- starting

    async def receive_upload(self, e: events.UploadEventArguments) -> None:
        """Check the size here too (the browser's limit is a courtesy), then stream the file to a
        temporary file of our own naming and import it."""
        file = e.file
        name = ' '.join((file.name or 'the uploaded file').split())[:120]
        target: Path | None = None
        try:
            size = file.size()
            if size > UPLOAD_LIMIT:
                raise UserError(
                    f'{name} is {mb(size)}; uploads stop at {mb(UPLOAD_LIMIT)}, so import it by its path.'
                )
            if size == 0:
                raise UserError(f'{name} is empty, so it is not an export.')
            running = jobs.slot.busy()
            if running is not None:
                raise UserError(f'The {running.kind} of {running.label} is still running; wait for it first.')
            target = new_upload_path()
            await file.save(target)  # in chunks for a large upload: never the whole file in memory
        except UserError as exc:
            self._fail(str(exc))
            return
        except OSError as exc:
            if target is not None:
                target.unlink(missing_ok=True)
            self._fail(f'The upload could not be saved ({exc.strerror or exc}).')
            return
        finally:
            self.upload.reset()
        await self.start(target, name, uploaded=True)

    async def import_typed_path(self) -> None:
        try:
            path = await run.io_bound(check_server_path, self.path.value or '')
        except UserError as exc:
            self._fail(str(exc))
            return
        await self.start(path, path.name or str(path), uploaded=False)

    async def start(self, path: Path, label: str, *, uploaded: bool) -> None:
        dry_run = bool(self.dry_run.value)
        ctx = self.ctx

        def work(job: jobs.Job) -> ImportReport:
            try:
                return import_path(path, dry_run=dry_run, progress=job.progress, cancel=job.cancel)
            except UserError as exc:
                if uploaded:  # say the name the person picked, not the upload's file on the server
                    raise UserError(str(exc).replace(path.name, label)) from exc
                raise

        async def finish(job: jobs.Job) -> None:
            if uploaded:
                await run.io_bound(import_history.name_upload, str(path), label)
                await run.io_bound(lambda: path.unlink(missing_ok=True))
            report = job.result
            if report is not None and not report.dry_run and ctx.indexer is not None:
                ctx.indexer.wake()  # embed what came in, in the background

        try:
            job = jobs.slot.start('import', label, work, finish=finish, unit='conversation')
        except UserError as exc:
            if uploaded:
                await run.io_bound(lambda: path.unlink(missing_ok=True))
            self._fail(str(exc))
            return
        await self._show_job(job)

    # ---- progress and the report

    def _fail(self, message: str) -> None:
        self.error_box.clear()
        self.error_box.set_visibility(True)
        with self.error_box:
            ui.icon('error').classes('text-xl text-red-600')
            ui.label(message).classes('text-sm').mark('import-error')
        toast.error(message)

    async def _show_job(self, job: jobs.Job) -> None:
        self.error_box.clear()
        self.error_box.set_visibility(False)
        self.status.clear()
        self.status.set_visibility(True)
        self._controls(not job.running)
        with self.status:
            if job.running:
                ui.label(f'Importing {job.label}').classes('font-semibold')
                jobs.progress_panel(job, on_end=self._job_ended, stoppable=True)
            else:
                await self._report(job)

    def _controls(self, on: bool) -> None:
        for element in self.controls:
            element.set_enabled(on)

    async def _job_ended(self, job: jobs.Job) -> None:
        self._controls(True)
        self.status.clear()
        with self.status:
            await self._report(job)
        if job.state == 'failed':
            toast.error(job.error)
        self.history.refresh()  # the report itself is right here: no toast for success

    async def _report(self, job: jobs.Job) -> None:
        if job.state == 'failed':
            with ui.row().classes('items-center gap-2 no-wrap'):
                ui.icon('error').classes('text-xl text-red-600')
                ui.label(job.error).classes('text-sm').mark('import-error')
            return
        d = job.result.to_dict()
        with ui.row().classes('items-center gap-2 no-wrap'):
            ui.icon('check_circle' if not d.get('cancelled') else 'stop_circle').classes(
                'text-xl ' + ('text-green-600' if not d.get('cancelled') else 'text-amber-600')
            )
            ui.label(_headline(d, job.label)).classes('font-semibold').mark('import-report')
        with ui.grid(columns='auto auto').classes('gap-x-6 gap-y-0.5 text-sm'):
            for label, value in _count_rows(d):
                ui.label(label).classes('oh-muted')
                ui.label(value).mark('import-count')
        ui.label('Took less than a second.' if job.seconds < 1 else f'Took {job.seconds:g} s.').classes(
            'text-xs oh-muted'
        )
        _errors(d.get('errors') or [])
        if d.get('conversation_ids'):
            ui.label('What came in').classes('font-medium text-sm pt-1')
            await _links(d['conversation_ids'])
        if not d.get('dry_run') and self.ctx.indexer is not None:
            ui.label('New messages are being indexed for search by meaning in the background.').classes(
                'text-xs oh-muted'
            )
            indexing_status(self.ctx)  # how many are left and the time left, while it runs

    # ---- history

    @ui.refreshable_method
    async def history(self) -> None:
        runs = await run.io_bound(recent_runs, HISTORY_ROWS) or []
        with ui.card().classes('w-full gap-1').props('flat bordered'):
            ui.label('Past imports').classes('font-semibold')
            if not runs:
                ui.label('Nothing imported yet.').classes('text-sm oh-muted')
            for r in runs:
                self._history_row(r)

    def _history_row(self, r: Any) -> None:
        d = r.report if isinstance(r.report, dict) and 'format' in r.report else {}
        name = r.filename or ''
        if not name.endswith(import_history.UPLOAD_SUFFIX):
            name = Path(name).name or name  # a path typed in: its last part; the full path is inside
        what = (
            f'{r.conversations_added:,} added, {r.conversations_updated:,} updated, '
            f'{fmt.plural(r.messages_added, "message")}' + (f', {r.skipped:,} skipped' if r.skipped else '')
        )
        caption = ' · '.join(
            s for s in (fmt.date_time(r.created_at), r.format or '', _run_status(r), what) if s
        )
        with (
            ui.expansion(name or 'Import', caption=caption, icon='history')
            .classes('w-full')
            .props('dense')
            .mark('import-run') as exp
        ):
            body = ui.column().classes('w-full gap-1 pl-2')
        with body:
            ui.label(r.filename or '').classes('text-xs oh-muted break-all')
            if d:
                with ui.grid(columns='auto auto').classes('gap-x-6 gap-y-0.5 text-sm'):
                    for label, value in _count_rows(d):
                        ui.label(label).classes('oh-muted')
                        ui.label(value)
            _errors(list(r.errors or d.get('errors') or []))
        ids = d.get('conversation_ids') or []
        if ids:
            loaded = False

            async def load(e: events.ValueChangeEventArguments) -> None:
                nonlocal loaded
                if e.value and not loaded:
                    loaded = True
                    with body:
                        await _links(ids, 'Those conversations are no longer here.')

            exp.on_value_change(load)


def register(ctx: AppContext) -> None:
    from . import settings  # here, not at the top: see CONTRIBUTING (page modules are reloaded in tests)

    settings.add_section(
        settings.Section('import', 'Import', 'upload', session_watch_panel.settings_tab, order=65)
    )
    _guarded_uploads.clear()
    # Innermost, behind the login gate: a stranger gets the gate's refusal, never this one's.
    app.user_middleware.append(Middleware(UploadLimit))
    remove_stale_uploads()
    nav.add(nav.NavItem('Import', '/import', 'upload', order=85, group='System'))

    @shell.page(ctx, '/import')
    async def import_page() -> None:
        with frame(ctx, 'Import'):
            await ImportPage(ctx).show()
