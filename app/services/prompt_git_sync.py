"""Keeps the prompt history repository in step while the app runs (``outputhub prompts git DIR --keep-in-step``).

Every few minutes (and shortly after start-up) it commits the prompt and agent versions not yet in the
repository named by the ``prompt_git`` setting; without that setting it does nothing. Listed in
``app.server.SERVICE_MODULES``; ``OUTPUTHUB_PROMPT_GIT=0`` keeps it from starting.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from .. import config
from ..data import prompt_git
from ..data.models import utcnow
from .periodic import PeriodicService, PeriodicThread

if TYPE_CHECKING:
    from ..context import AppContext

log = logging.getLogger(__name__)

ENV_SWITCH = 'OUTPUTHUB_PROMPT_GIT'
FIRST_RUN_SECONDS = 30.0
EVERY_SECONDS = 300.0  # a new version reaches the repository within five minutes


@dataclass
class PromptGitSync(PeriodicService):
    """Owns the thread; ``run_now()`` is one run on demand, ``status()`` what a page shows."""

    thread_name: ClassVar[str] = 'outputhub-prompt-git'

    first_run: float = FIRST_RUN_SECONDS
    every: float = EVERY_SECONDS
    last_run_at: datetime | None = None
    last_commits: int = 0
    last_error: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _runner: PeriodicThread | None = None

    def run_now(self) -> prompt_git.GitExportReport | None:
        with self._lock:
            report = prompt_git.write_kept()
            if report is not None:
                self.last_run_at, self.last_commits, self.last_error = utcnow(), report.commits, None
                if report.commits:
                    log.info('prompt history: %d new versions committed to %s', report.commits, report.path)
            return report

    def check(self) -> None:
        try:
            self.run_now()
        except Exception as exc:  # never takes the app down; status() shows the one sentence
            self.last_error = str(exc) or type(exc).__name__
            log.warning('prompt history not written: %s', exc)

    def status(self) -> dict[str, Any]:
        return {
            'running': self.running,
            'last_run_at': self.last_run_at,
            'last_commits': self.last_commits,
            'last_error': self.last_error,
        }


def start(ctx: AppContext) -> None:
    if not config.env_flag(ENV_SWITCH, True):
        ctx.prompt_git = None
        return
    sync = PromptGitSync()
    ctx.prompt_git = sync
    sync.start()


def stop(ctx: AppContext) -> None:
    sync = ctx.prompt_git
    if isinstance(sync, PromptGitSync):
        sync.stop()
        ctx.prompt_git = None
