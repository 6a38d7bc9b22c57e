"""What the Import page shows about imports: the conversations a run brought in, and the name of an
uploaded file (the importer only ever sees the temporary file the upload was saved to)."""

from __future__ import annotations

from .db import write_tx
from .models import Conversation, ImportRun, utcnow

UPLOAD_SUFFIX = ' (uploaded)'


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
