"""A coding-agent session's working directory becomes a collection (one per project and source)."""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath

from ..db import write_tx
from ..models import Collection, utcnow
from .base import ConversationWriter, ParsedConversation

PREFIX = 'project:'


def project_name(cwd: str) -> str:
    path = PureWindowsPath(cwd) if '\\' in cwd and '/' not in cwd else PurePosixPath(cwd)
    return (path.name or str(cwd)).strip()[:150] or 'project'


def ensure_collection(writer: ConversationWriter, conv: ParsedConversation, label: str) -> None:
    """The collection ``conv`` joins exists before it is saved (created once; the user may rename it)."""
    ext = conv.collection_external_id
    if not ext or not ext.startswith(PREFIX) or writer.source_id is None and not writer.dry_run:
        return
    if writer.collection_id(ext) is not None:
        return
    if writer.dry_run:
        if ext not in writer._collections:
            writer._collections[ext] = None
            writer.report.collections_added += 1
        return
    cwd = ext[len(PREFIX) :]
    name = project_name(cwd)
    with write_tx():
        candidate, n = name, 2
        while Collection.select().where(Collection.name == candidate).exists():
            candidate = f'{name} ({label})' if n == 2 else f'{name} ({label} {n})'
            n += 1
        row = Collection.create(
            name=candidate,
            description=f'{label} sessions in {cwd}',
            source=writer.source_id,
            external_id=ext,
            created_at=conv.created_at or utcnow(),
            updated_at=utcnow(),
        )
    writer._collections[ext] = row.id
    writer.report.collections_added += 1
