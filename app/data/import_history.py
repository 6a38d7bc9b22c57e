"""What the Import page shows about imports: the conversations a run brought in, the name of an
uploaded file (the importer only ever sees the temporary file the upload was saved to), and the passes
of the session watcher that brought something in (passes close together add up in one run)."""

from __future__ import annotations

from datetime import datetime, timedelta

from .db import write_tx
from .importers.base import MAX_ERRORS, ImportReport
from .models import Conversation, ImportRun, utcnow

UPLOAD_SUFFIX = ' (uploaded)'
WATCH_SUFFIX = ' sessions (watch)'


def name_upload(temp_path: str, name: str) -> None:
    """Record the name the browser gave an uploaded file on the runs that read ``temp_path``, so the
    history shows it instead of the temporary file's generated name. Only a label: never a path."""
    label = ' '.join((name or 'file').split())[:200] + UPLOAD_SUFFIX
    with write_tx():
        ImportRun.update(filename=label, updated_at=utcnow()).where(ImportRun.filename == temp_path).execute()


def conversations(ids: list[int], limit: int = 50) -> list[Conversation]:
    """The conversations with these ids that still exist (not in the trash), in the order given."""
    wanted = list(dict.fromkeys(int(i) for i in ids))[:limit]
    if not wanted:
        return []
    rows = {
        c.id: c
        for c in Conversation.select(
            Conversation.id,
            Conversation.title,
            Conversation.message_count,
            Conversation.sensitivity,
            Conversation.created_at,
        ).where(Conversation.id.in_(wanted) & Conversation.deleted_at.is_null())
    }
    return [rows[i] for i in wanted if i in rows]


WATCH_WINDOW = timedelta(minutes=30)  # passes closer together than this are one run in the history
_UPDATED_NOTE = 'brought up to date (a reply still being written)'


def record_watch_pass(fmt: str, label: str, report: ImportReport) -> int | None:
    """Record in the history what a pass of the session watcher brought in from one kind of session
    (``label``: "Claude Code" → "Claude Code sessions (watch)"); the run's id, or None when the pass added
    and updated nothing (an empty pass leaves no row).

    A watched agent writes for minutes and a pass runs every few seconds, so passes of the same kind less
    than ``WATCH_WINDOW`` apart add up in one run (as long as no other import came in between): the history
    says "Claude Code sessions (watch): 1 conversation, 212 messages" once, instead of a row per pass pushing
    the uploads out of the list."""
    if not (report.conversations_added or report.conversations_updated):
        return None
    report.path = label + WATCH_SUFFIX
    now = utcnow()
    with write_tx():
        open_run = _open_watch_run(fmt, report.path, now)
        if open_run is not None:
            return _add_to(open_run, report, now)
        _note_updates(report, report.messages_updated)
        return ImportRun.create(
            format=fmt, filename=report.path, status='done', finished_at=now, **report.run_columns()
        ).id


def _note_updates(report: ImportReport, messages_updated: int) -> None:
    report.notes = [n for n in report.notes if _UPDATED_NOTE not in n]
    if messages_updated:
        plural = 's' if messages_updated != 1 else ''
        report.note(f'{messages_updated:,} message{plural} already here {_UPDATED_NOTE}.')


def _open_watch_run(fmt: str, name: str, now: datetime) -> ImportRun | None:
    """The latest run of this kind of session, if it finished within the window and no other import
    (an upload, a command-line import) was recorded after it."""
    last = (
        ImportRun.select()
        .where((ImportRun.format == fmt) & (ImportRun.filename == name) & (ImportRun.status == 'done'))
        .order_by(ImportRun.id.desc())
        .first()
    )
    if last is None or last.finished_at is None or now - last.finished_at > WATCH_WINDOW:
        return None
    other = ImportRun.select().where(
        (ImportRun.id > last.id) & (ImportRun.filename.is_null() | ~ImportRun.filename.endswith(WATCH_SUFFIX))
    )
    return None if other.exists() else last


def _add_to(run: ImportRun, report: ImportReport, now: datetime) -> int:
    before = dict(run.report or {})
    ids = list(dict.fromkeys([*(before.get('conversation_ids') or []), *report.conversation_ids]))[:1000]
    added = run.conversations_added + report.conversations_added
    messages_updated = int(before.get('messages_updated') or 0) + report.messages_updated
    report.conversations_added = added
    report.conversations_updated = max(0, len(ids) - added)  # touched in the window, not new in it
    report.messages_added += run.messages_added
    report.messages_updated = messages_updated
    report.skipped += run.skipped
    report.errors = [*(before.get('errors') or []), *report.errors][:MAX_ERRORS]
    report.conversation_ids = ids
    report.notes = [*(n for n in before.get('notes') or [] if n not in report.notes), *report.notes]
    report.seconds = round(float(before.get('seconds') or 0) + report.seconds, 3)
    _note_updates(report, messages_updated)
    ImportRun.update(finished_at=now, updated_at=now, **report.run_columns()).where(
        ImportRun.id == run.id
    ).execute()
    return run.id
