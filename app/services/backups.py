"""Automatic daily backups while the app runs: a background thread makes a backup when the newest one is
a day old, then rotates the folder. Settings live in AppSetting ``auto_backup``."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from .. import config
from ..data import backup, sensitivity, settings_store
from ..data.models import utcnow
from ..roles import require_admin
from .periodic import PeriodicService, PeriodicThread

if TYPE_CHECKING:
    from ..context import AppContext
    from .indexing import Indexer

log = logging.getLogger(__name__)

SETTING_KEY = 'auto_backup'
ENV_SWITCH = 'OUTPUTHUB_AUTO_BACKUP'
DEFAULTS: dict[str, Any] = {
    'enabled': True,
    'interval_hours': 24,
    'keep_daily': 7,
    'keep_weekly': 4,
    'keep_monthly': 6,
}
FIRST_CHECK_SECONDS = 60.0  # let the app start (and the user get going) before copying the database
CHECK_EVERY_SECONDS = 15 * 60.0


def settings() -> dict[str, Any]:
    stored = settings_store.get(SETTING_KEY, {}) or {}
    return {**DEFAULTS, **(stored if isinstance(stored, dict) else {})}


@dataclass
class BackupScheduler(PeriodicService):
    """Owns the thread. ``status()`` and ``run_now()`` are what a Settings or Backup page needs."""

    thread_name: ClassVar[str] = 'outputhub-backups'

    db_path: Path
    folder: Path
    first_check: float = FIRST_CHECK_SECONDS
    check_every: float = CHECK_EVERY_SECONDS
    last_backup: backup.BackupInfo | None = None
    last_error: str | None = None
    last_check_at: datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _runner: PeriodicThread | None = None

    def timing(self) -> tuple[float, float]:
        return self.first_check, self.check_every

    def due(self, now: datetime | None = None) -> bool:
        opts = settings()
        if not opts.get('enabled', True):
            return False
        age = backup.latest_backup_age(self.folder, now)
        return age is None or age >= timedelta(hours=float(opts.get('interval_hours') or 24))

    def run_now(self) -> backup.BackupInfo:
        """Back up and rotate now (also what the loop calls). Raises UserError on failure."""
        with self._lock:
            self.folder.mkdir(
                parents=True, exist_ok=True
            )  # an existing folder: a timestamped file goes in it
            info = backup.backup_database(self.folder, source=self.db_path)
            opts = settings()
            removed = backup.prune_backups(
                self.folder,
                keep_daily=int(opts['keep_daily']),
                keep_weekly=int(opts['keep_weekly']),
                keep_monthly=int(opts['keep_monthly']),
            )
            self.last_backup, self.last_error = info, None
            log.info('automatic backup written to %s (%d old ones rotated out)', info.path, len(removed))
            return info

    def check(self) -> None:
        self.last_check_at = utcnow()
        try:
            if self.due():
                self.run_now()
        except Exception as exc:  # a failed backup must never take the app down; the UI shows last_error
            self.last_error = f'{type(exc).__name__}: {exc}' if not str(exc).endswith('.') else str(exc)
            log.warning('automatic backup failed: %s', exc)

    def status(self) -> dict[str, Any]:
        backups = backup.list_backups(self.folder)
        opts = settings()
        newest = backups[0] if backups else None
        next_due = newest.created_at + timedelta(hours=float(opts['interval_hours'])) if newest else None
        return {
            'enabled': bool(opts['enabled']),
            'folder': str(self.folder),
            'count': len(backups),
            'latest': newest.to_dict() if newest else None,
            'next_due_at': next_due.isoformat() if next_due else None,
            'last_error': self.last_error,
            'running': self.running,
        }


# --------------------------------------------------------------------------- administration (this computer only)


def back_up_now(principal: Any, scheduler: BackupScheduler | None) -> backup.BackupInfo:
    """The "Back up now" button: through the scheduler (which also rotates old ones out) when it runs."""
    require_admin(principal, 'make backups')
    return scheduler.run_now() if scheduler is not None else backup.backup_database(None)


def restore(principal: Any, file: Path, indexer: Indexer | None = None) -> backup.RestoreReport:
    """Replace the whole library with a backup (the current database is saved first), then bring this
    process up to date with it."""
    require_admin(principal, 'restore backups')
    report = backup.restore_database(file)
    # The restore wrote through SQLite into the open database, so every connection of this app reads
    # the restored library at once; only short-lived caches (and open pages) still hold the old one.
    sensitivity.forget_cache()
    if indexer is not None:
        indexer.wake()  # the restored library may hold text without vectors
    return report


def backup_for_download(principal: Any, file: Path) -> Path:
    """A backup file to hand to the browser: it holds everything, Secret items included."""
    require_admin(principal, 'download backups')
    return file


def save_settings(principal: Any, values: dict[str, Any]) -> None:
    """Change the automatic backup settings (only the keys given)."""
    require_admin(principal, 'change the backup settings')
    unknown = set(values) - set(DEFAULTS)
    if unknown:
        raise ValueError(f'unknown backup settings: {sorted(unknown)}')
    stored = settings_store.get(SETTING_KEY, {}) or {}
    settings_store.put(SETTING_KEY, {**(stored if isinstance(stored, dict) else {}), **values})


def start(ctx: AppContext) -> None:
    """Start automatic backups for the open database (not for the disposable demo profile;
    ``OUTPUTHUB_AUTO_BACKUP=0`` turns them off for this process)."""
    if ctx.settings.demo or not config.env_flag(ENV_SWITCH, True):
        log.info('automatic backups not started')
        return
    db_path = Path(ctx.settings.db_path)
    scheduler = BackupScheduler(db_path=db_path, folder=backup.default_backup_dir(db_path))
    ctx.backups = scheduler
    scheduler.start()


def stop(ctx: AppContext) -> None:
    scheduler = ctx.backups
    if isinstance(scheduler, BackupScheduler):
        scheduler.stop()
