"""What the Import page shows about imports: the conversations a run brought in, the name of an
uploaded file (the importer only ever sees the temporary file the upload was saved to), and the passes
of the session watcher that brought something in (one run each)."""

from __future__ import annotations

from .db import write_tx
from .importers.base import ImportReport
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


def record_watch_pass(fmt: str, label: str, report: ImportReport) -> int | None:
    """One finished run in the history for what a pass of the session watcher brought in from one kind of
    session (``label``: "Claude Code" → "Claude Code sessions (watch)"); the run's id, or None when the
    pass added and updated nothing (an empty pass leaves no row)."""
    if not (report.conversations_added or report.conversations_updated):
        return None
    report.path = label + WATCH_SUFFIX
    if report.messages_updated:
        report.note(
            f'{report.messages_updated:,} message{"s" if report.messages_updated != 1 else ""} already here '
            'brought up to date (a reply still being written).'
        )
    now = utcnow()
    with write_tx():
        return ImportRun.create(
            format=fmt,
            filename=report.path,
            status='done',
            finished_at=now,
            conversations_added=report.conversations_added,
            conversations_updated=report.conversations_updated,
            messages_added=report.messages_added,
            skipped=report.skipped,
            errors=report.errors or None,
            report=report.to_dict(),
        ).id
