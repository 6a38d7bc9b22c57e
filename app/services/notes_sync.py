"""Keeps the synced notes folder in step while the app runs (``outputhub notes-folder DIR --keep-in-step`` or
Settings → Integrations → Notes folder).

Shortly after start-up and then every few minutes it brings the kept folder in step (``notes_folder.sync``);
when nothing the notes are made of changed since its last run (``notes_folder.fingerprint``) it renders
nothing at all, and once an hour it runs in full anyway. Without a kept folder it does nothing. Listed in
``app.server.SERVICE_MODULES``; ``OUTPUTHUB_NOTES_FOLDER=0`` keeps it from starting.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from .. import config
from ..data import notes_folder
from ..data.models import utcnow
from ..roles import require_this_computer
from .periodic import PeriodicService, PeriodicThread

if TYPE_CHECKING:
    from ..context import AppContext

log = logging.getLogger(__name__)

ENV_SWITCH = 'OUTPUTHUB_NOTES_FOLDER'
FIRST_RUN_SECONDS = 20.0
EVERY_SECONDS = 300.0  # a change reaches the folder within five minutes
FULL_RUN_EVERY = 12  # runs: a full pass at least hourly, whatever the fingerprint says


@dataclass
class NotesSync(PeriodicService):
    """Owns the thread; ``run_now()`` is one run on demand, ``status()`` what a page shows."""

    thread_name: ClassVar[str] = 'outputhub-notes-folder'

    first_run: float = FIRST_RUN_SECONDS
    every: float = EVERY_SECONDS
    last_run_at: datetime | None = None
    last_report: notes_folder.SyncReport | None = None
    last_error: str | None = None
    _seen: tuple[Any, str] | None = None  # (the setting, the library's fingerprint) of the last full run
    _skipped: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _runner: PeriodicThread | None = None

    def run_now(self, *, force: bool = False) -> notes_folder.SyncReport | None:
        """One run into the kept folder; None when none is kept or (unless ``force``) nothing changed."""
        with self._lock:
            setting = notes_folder.kept()
            if setting is None:
                self._seen = None
                return None
            key = (setting['dir'], bool(setting.get('include_secret')))
            seen = (key, notes_folder.fingerprint())
            manifest_there = (Path(setting['dir']) / notes_folder.MANIFEST).is_file()
            if not force and seen == self._seen and manifest_there and self._skipped < FULL_RUN_EVERY:
                self._skipped += 1
                return None
            try:
                report = notes_folder.sync(setting['dir'], include_secret=key[1])
            except Exception as exc:
                self._seen = None
                self.last_run_at, self.last_error = utcnow(), str(exc) or type(exc).__name__
                notes_folder.record_status(None, self.last_error)
                raise
            self._seen, self._skipped = seen, 0
            self.last_run_at, self.last_report, self.last_error = utcnow(), report, None
            notes_folder.record_status(report)
            if report.written or report.removed:
                log.info('notes folder %s: %s', report.path, report.summary())
            return report

    def check(self) -> None:
        try:
            self.run_now()
        except Exception as exc:  # never takes the app down; status() shows the one sentence
            log.warning('notes folder not kept in step: %s', exc)

    def status(self) -> dict[str, Any]:
        return {
            'running': self.running,
            'last_run_at': self.last_run_at,
            'last_report': self.last_report.to_dict() if self.last_report else None,
            'last_error': self.last_error,
        }


# --------------------------------------------------------------------------- what the Settings panel calls


def configure(
    principal: Any, ctx: AppContext | None, *, directory: str, include_secret: bool, keep: bool
) -> dict[str, Any] | None:
    """Choose the folder (checked: one sentence when it will not do) and keep it in step (``keep``), or stop
    keeping any. Stopping never looks at the folder: an empty field or a folder gone away must not leave the
    app writing there. This computer only: the app writes files into that computer's folder. Returns the
    setting now in force (None when no folder is remembered)."""
    require_this_computer(principal, 'choose the notes folder it writes to')
    if not keep:
        notes_folder.stop_keeping()
        return notes_folder.setting()
    return notes_folder.save_setting(directory, include_secret=include_secret, keep=True)


def sync_now(
    principal: Any, ctx: AppContext | None, *, directory: str, include_secret: bool
) -> notes_folder.SyncReport:
    """One sync into ``directory`` now (the panel's *Sync now*); recorded as the last run."""
    require_this_computer(principal, 'write the notes folder')
    service = getattr(ctx, 'notes_sync', None) if ctx is not None else None
    kept = notes_folder.kept()
    try:
        target = notes_folder.check_folder(directory)
        same = kept and kept['dir'] == str(target) and bool(kept.get('include_secret')) == include_secret
        if isinstance(service, NotesSync) and same:
            report = service.run_now(force=True)  # the service's run: its status and fingerprint follow
            if report is not None:
                return report
        report = notes_folder.sync(target, include_secret=include_secret)
    except Exception as exc:
        notes_folder.record_status(None, str(exc) or type(exc).__name__)
        raise
    notes_folder.record_status(report)
    return report


def start(ctx: AppContext) -> None:
    if not config.env_flag(ENV_SWITCH, True):
        ctx.notes_sync = None
        return
    sync = NotesSync()
    ctx.notes_sync = sync
    sync.start()


def stop(ctx: AppContext) -> None:
    sync = ctx.notes_sync
    if isinstance(sync, NotesSync):
        sync.stop()
        ctx.notes_sync = None
