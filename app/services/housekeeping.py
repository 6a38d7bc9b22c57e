"""Daily housekeeping while the app runs (and once shortly after start-up): the retention purge moves
expired items to the trash, then items trashed more than 30 days ago are deleted for good.

Listed in ``app.server.SERVICE_MODULES``. ``OUTPUTHUB_HOUSEKEEPING=0`` keeps it from starting; the
scheduled purge also follows the ``retention.auto_purge`` setting (the trash is emptied regardless).
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from .. import config
from ..data import idempotency, retention, trash
from ..data.models import utcnow
from .periodic import PeriodicService, PeriodicThread

if TYPE_CHECKING:
    from ..context import AppContext

log = logging.getLogger(__name__)

ENV_SWITCH = 'OUTPUTHUB_HOUSEKEEPING'
FIRST_RUN_SECONDS = 20.0  # after start-up: the UI is up and the first page served before this runs
EVERY_SECONDS = 24 * 3600.0


@dataclass
class Housekeeper(PeriodicService):
    """Owns the thread; ``run_now()`` is the same work on demand, ``status()`` what a page shows."""

    thread_name: ClassVar[str] = 'outputhub-housekeeping'

    first_run: float = FIRST_RUN_SECONDS
    every: float = EVERY_SECONDS
    last_run_at: datetime | None = None
    last_purged: int = 0
    last_emptied: int = 0
    last_error: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _runner: PeriodicThread | None = None

    def run_now(self, now: datetime | None = None) -> dict[str, Any]:
        """Purge (when automatic purging is on), then empty what has been in the trash too long."""
        with self._lock:
            purged = 0
            if retention.settings().get('auto_purge', True):
                purged = retention.purge(trigger='schedule', now=now).moved
            emptied = sum(trash.empty_expired(now).values())
            idempotency.purge_expired(now)  # capture keys older than 7 days: a resend is long over
            self.last_run_at, self.last_purged, self.last_emptied = utcnow(), purged, emptied
            self.last_error = None
            if purged or emptied:
                log.info(
                    'housekeeping: %d expired items moved to the trash, %d deleted for good', purged, emptied
                )
            return {'purged': purged, 'emptied': emptied}

    def check(self) -> None:
        try:
            self.run_now()
        except Exception as exc:  # housekeeping must never take the app down; status() shows the error
            self.last_error = str(exc) or type(exc).__name__
            log.warning('housekeeping failed: %s', exc)

    def status(self) -> dict[str, Any]:
        return {
            'running': self.running,
            'last_run_at': self.last_run_at,
            'last_purged': self.last_purged,
            'last_emptied': self.last_emptied,
            'last_error': self.last_error,
        }


def enabled() -> bool:
    return config.env_flag(ENV_SWITCH, True)


def start(ctx: AppContext) -> None:
    if not enabled():
        log.info('housekeeping not started (%s=%s)', ENV_SWITCH, os.environ.get(ENV_SWITCH))
        ctx.housekeeping = None
        return
    keeper = Housekeeper()
    ctx.housekeeping = keeper
    keeper.start()


def stop(ctx: AppContext) -> None:
    keeper = ctx.housekeeping
    if isinstance(keeper, Housekeeper):
        keeper.stop()
        ctx.housekeeping = None
