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
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from .. import config
from ..data import notes_folder, prompt_git
from ..data.models import utcnow
from ..roles import require_this_computer
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
    last_removed: int = 0
    last_restored: int = 0
    last_error: str | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _runner: PeriodicThread | None = None

    def run_now(self) -> prompt_git.GitExportReport | None:
        with self._lock:
            report = prompt_git.write_kept()
            if report is not None:
                self.last_run_at, self.last_commits, self.last_error = utcnow(), report.commits, None
                self.last_removed, self.last_restored = report.removed, report.restored
                if report.commits or report.removed or report.restored:
                    log.info(
                        'prompt history: %d new versions, %d removed, %d restored in %s',
                        report.commits,
                        report.removed,
                        report.restored,
                        report.path,
                    )
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
            'last_removed': self.last_removed,
            'last_restored': self.last_restored,
            'last_error': self.last_error,
        }


# --------------------------------------------------------------------------- what the Settings panel calls


def _repository_folder(directory: str | None) -> Path:
    """The repository's folder as a full path, or one sentence: a relative one would be resolved against
    wherever the app was started, a repository made there without a word."""
    return notes_folder.full_path(directory, blank='Type the folder of the repository first.')


def configure(
    principal: Any, ctx: AppContext | None, *, directory: str | None, include_secret: bool, keep: bool
) -> dict[str, Any] | None:
    """Keep the repository at ``directory`` in step (``keep``) or stop keeping any. This computer only:
    the app writes a repository into that computer's folder. Returns the setting now in force."""
    require_this_computer(principal, 'choose the repository it keeps the prompt history in')
    if not keep:
        prompt_git.stop_keeping()
        return None
    path = _repository_folder(directory)
    setting = prompt_git.kept() or {}
    prompt_git.keep_in_step(
        path,
        include_secret=include_secret,
        author=setting.get('author') or prompt_git.DEFAULT_AUTHOR,
    )
    return prompt_git.kept()


def commit_now(
    principal: Any, ctx: AppContext | None, *, directory: str, include_secret: bool
) -> prompt_git.GitExportReport:
    """One run into ``directory`` now (the panel's *Commit now*); the running service's status follows
    when it is the kept repository."""
    require_this_computer(principal, 'write the prompt history')
    path = str(_repository_folder(directory))
    service = getattr(ctx, 'prompt_git', None) if ctx is not None else None
    kept = prompt_git.kept()
    same = kept and kept['dir'] == path and bool(kept.get('include_secret')) == include_secret
    if isinstance(service, PromptGitSync) and same:
        try:
            report = service.run_now()
        except Exception as exc:
            service.last_error = str(exc) or type(exc).__name__
            raise
        if report is not None:
            return report
    author = (kept or {}).get('author') or prompt_git.DEFAULT_AUTHOR
    return prompt_git.write_history(path, include_secret=include_secret, author=author)


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
