"""Import chat exports (ChatGPT, Claude, Gemini, Grok, DeepSeek, Le Chat, Perplexity, Open WebUI,
LibreChat), coding-agent sessions (Claude Code, Codex CLI, Gemini CLI), llm logs and our own JSON export:
``import_path()`` is the one entry.

    report = import_path('~/Downloads/chatgpt-export.zip', progress=lambda done, total: ...)
    report.to_dict()   # format, conversations_added, conversations_updated, messages_added, skipped, errors, ...

The format is told from the content (zip, folder, JSON file or SQLite file, any name). Anything that is
not an export raises ``UserError`` before a single row is written. Every run (dry runs too) is recorded
as an ``ImportRun`` row; ``recent_runs()`` lists them.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from functools import partial
from pathlib import Path

from ...errors import UserError
from ..db import write_tx
from ..models import ImportRun, utcnow
from . import (
    aistudio,
    chatgpt,
    claude,
    claude_code,
    codex,
    deepseek,
    gemini_cli,
    gemini_takeout,
    grok,
    inputs,
    lechat,
    librechat,
    llm,
    openwebui,
    perplexity,
    projects,
)
from .base import ConversationWriter, ImportReport, ProgressFn, save_each

__all__ = [
    'FORMATS',
    'FORMAT_NAMES',
    'ImportReport',
    'ProgressFn',
    'detect_format',
    'import_path',
    'recent_runs',
]

log = logging.getLogger(__name__)

FORMATS = (
    'chatgpt',
    'claude',
    'llm',
    'outputhub',
    'claude_code',
    'codex',
    'gemini_cli',
    'grok',
    'deepseek',
    'aistudio',
    'gemini_takeout',
    'lechat',
    'perplexity',
    'openwebui',
    'librechat',
)

# what each format is called in reports and on the Import page
FORMAT_NAMES = {
    'chatgpt': 'ChatGPT',
    'claude': 'Claude',
    'llm': 'llm',
    'outputhub': 'Output Hub',
    'claude_code': 'Claude Code',
    'codex': 'Codex CLI',
    'gemini_cli': 'Gemini CLI',
    'grok': 'Grok',
    'deepseek': 'DeepSeek',
    'aistudio': 'Google AI Studio',
    'gemini_takeout': 'Gemini Takeout',
    'lechat': 'Le Chat',
    'perplexity': 'Perplexity',
    'openwebui': 'Open WebUI',
    'librechat': 'LibreChat',
}

# formats whose module yields (label, build) pairs for ``save_each`` from each document: ``items(doc, report)``
ITEM_MODULES = {
    inputs.CLAUDE_CODE: claude_code,
    inputs.CODEX: codex,
    inputs.GEMINI_CLI: gemini_cli,
    inputs.GROK: grok,
    inputs.DEEPSEEK: deepseek,
    inputs.AISTUDIO: aistudio,
    inputs.TAKEOUT: gemini_takeout,
    inputs.LECHAT: lechat,
    inputs.PERPLEXITY: perplexity,
    inputs.OPENWEBUI: openwebui,
    inputs.LIBRECHAT: librechat,
}
# what a project's collection is called after, per format (coding-agent sessions)
PROJECT_LABELS = {inputs.CLAUDE_CODE: 'Claude Code', inputs.CODEX: 'Codex', inputs.GEMINI_CLI: 'Gemini CLI'}


def detect_format(path: str | Path) -> str:
    """One of ``FORMATS`` from the content; UserError when it is none of them."""
    with inputs.open_input(path) as inp:
        if inp.container == 'sqlite':
            conn = inputs.open_sqlite_readonly(inp.path)
            try:
                llm.check(conn, inp.path.name)
            finally:
                conn.close()
        return inp.format


def import_path(
    path: str | Path,
    *,
    dry_run: bool = False,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
) -> ImportReport:
    """Import (or with ``dry_run`` only count) everything new in the export at ``path``.

    ``progress(done, total)`` is called as conversations (or records) are processed, from the importing
    thread (run this in a worker: ``await run.io_bound(import_path, path, progress=...)``). Setting
    ``cancel`` stops after the conversation in hand: what was imported so far stays (a later import
    of the same file adds the rest) and the report says ``cancelled``. Returns the report; raises
    UserError if ``path`` is not an export (nothing is written then).
    """
    started = time.monotonic()
    report = ImportReport(path=str(path), dry_run=dry_run)
    with inputs.open_input(path) as inp:
        report.format = inp.format
        conn = None
        if inp.container == 'sqlite':
            conn = inputs.open_sqlite_readonly(inp.path)
            try:
                llm.check(conn, inp.path.name)
                report.total = llm.count(conn)
            except BaseException:
                conn.close()
                raise
        else:
            if inp.format == inputs.CHATGPT:
                chatgpt.check_shards(inp)  # a sharded export without some of its shards is refused whole
            if progress:
                progress(0, None)
            try:
                inputs.validate(inp, cancel=cancel)  # the whole file is read once before anything is written
            except inputs.ImportStopped:
                report.cancelled = True  # stopped while reading: nothing written, no run to record
                report.seconds = round(time.monotonic() - started, 3)
                return report
            report.total = sum(d.count for d in inp.docs if d.kind != 'empty')
        run_id = _start_run(report, inp.path)
        report.run_id = run_id
        status = 'failed'
        try:
            tick = Ticker(progress, report.total, cancel)
            _run(inp, conn, report, dry_run, tick)
            report.cancelled = tick.stop_requested()
            status = 'cancelled' if report.cancelled else 'done'
        except UserError as exc:
            report.error(str(exc))
            raise
        except Exception as exc:
            report.error(f'{type(exc).__name__}: {exc}')
            log.exception('import of %s failed', path)
            raise
        finally:
            if conn is not None:
                conn.close()
            report.seconds = round(time.monotonic() - started, 3)
            _finish_run(run_id, report, status)
    return report


class Ticker:
    """Counts processed items, reports progress a few times a second and tells loops when to stop."""

    def __init__(self, progress: ProgressFn | None, total: int | None, cancel: threading.Event | None = None):
        self.progress = progress
        self.total = total
        self.cancel = cancel
        self.done = 0
        self._last = 0.0

    def __call__(self) -> None:
        self.done += 1
        if self.progress is None:
            return
        now = time.monotonic()
        # a UI only needs a few updates a second; the last one always arrives
        if now - self._last > 0.05 or (self.total is not None and self.done >= self.total):
            self._last = now
            self.progress(self.done, self.total)

    def stop_requested(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()


def _run(inp: inputs.ImportInput, conn, report: ImportReport, dry_run: bool, tick: Ticker) -> None:
    if inp.container == 'sqlite':
        writer = ConversationWriter('llm', report, dry_run=dry_run)
        save_each(writer, llm.conversations(conn, report), tick)
        return
    if inp.format == inputs.OUTPUTHUB:
        from .outputhub import import_records

        records = inputs.iter_items(inp.docs[0])
        import_records(records, report, dry_run=dry_run, tick=tick)
        return
    if inp.format in ITEM_MODULES:
        _run_items(inp, report, dry_run, tick)
        return
    module = chatgpt if inp.format == inputs.CHATGPT else claude
    assets = chatgpt.asset_names(inp) if inp.format == inputs.CHATGPT else {}  # names of uploaded files
    extra = (assets,) if assets else ()
    writer = ConversationWriter(inp.format, report, dry_run=dry_run)
    # projects first: their collections are what conversations of a project join
    for doc in sorted(inp.docs, key=lambda d: d.kind != inputs.CLAUDE_PROJECTS):
        if doc.kind == 'empty':
            continue
        if doc.kind == inputs.CLAUDE_PROJECTS:
            for project in inputs.iter_items(doc):
                if tick.stop_requested():
                    return
                try:
                    claude.save_project(project, writer)
                except Exception as exc:
                    report.skipped += 1
                    name = project.get('name') if isinstance(project, dict) else '?'
                    report.error(f'project {name}: {type(exc).__name__}: {exc}'[:500])
                tick()
            continue
        items = (
            (module.label(item), partial(module.convert, item, report, *extra))
            for item in inputs.iter_items(doc)
        )
        save_each(writer, items, tick)
        if tick.stop_requested():
            return


def _run_items(inp: inputs.ImportInput, report: ImportReport, dry_run: bool, tick: Ticker) -> None:
    module = ITEM_MODULES[inp.format]
    writer = ConversationWriter(inp.format, report, dry_run=dry_run)
    label = PROJECT_LABELS.get(inp.format)

    def with_project(build):
        conv = build()
        if label:
            projects.ensure_collection(writer, conv, label)
        return conv

    docs = [d for d in inp.docs if d.kind != 'empty']
    shared = (module.prepare(docs),) if hasattr(module, 'prepare') else ()
    # one run of batched commits over every document (a sessions folder holds thousands of small files)
    items = (
        (name, partial(with_project, build))
        for doc in docs
        for name, build in module.items(doc, report, *shared)
    )
    save_each(writer, items, tick)


def _start_run(report: ImportReport, path: Path) -> int:
    with write_tx():
        _close_abandoned_runs()
        return ImportRun.create(
            format=report.format,
            filename=str(path),
            status='running',
            dry_run=report.dry_run,
            report={'pid': os.getpid()},  # replaced by the full report when the run ends
        ).id


def _process_alive(pid: int) -> bool:
    if os.name == 'nt':  # os.kill(pid, 0) would terminate the process on Windows: assume it lives
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists but belongs to someone else
        return True
    return True


def _close_abandoned_runs() -> None:
    """An import killed on the way (SIGKILL, power cut) never records its end: its run would say
    "running" for ever. Runs whose process is gone are marked interrupted (the reliability suite's kills)."""
    for run in ImportRun.select().where(ImportRun.status == 'running'):
        pid = run.report.get('pid') if isinstance(run.report, dict) else None
        if not isinstance(pid, int) or not _process_alive(pid):
            ImportRun.update(status='interrupted', finished_at=utcnow(), updated_at=utcnow()).where(
                ImportRun.id == run.id
            ).execute()


def _finish_run(run_id: int, report: ImportReport, status: str) -> None:
    try:
        with write_tx():
            ImportRun.update(
                status=status, finished_at=utcnow(), updated_at=utcnow(), **report.run_columns()
            ).where(ImportRun.id == run_id).execute()
    except Exception:  # never hide the import's own outcome behind a bookkeeping failure
        log.warning('could not record the import run %s', run_id, exc_info=True)


def recent_runs(limit: int = 20) -> list[ImportRun]:
    """The latest imports (and dry runs), newest first, for an Import page's history."""
    return list(ImportRun.select().order_by(ImportRun.id.desc()).limit(limit))
