"""Background service: the search indexer thread (embeds new and edited outputs and messages within
seconds of their commit, with ``app.data.embeddings`` doing the work).

Listed in ``app.server.SERVICE_MODULES``. ``OUTPUTHUB_INDEXER=0`` keeps it from starting (tests set
it so that no page test loads the embedding model); ``ctx.indexer`` is then None.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .. import config
from ..data import db as dbmod
from ..data import embeddings, vectors

if TYPE_CHECKING:
    from ..context import AppContext

log = logging.getLogger(__name__)

ENV_SWITCH = 'OUTPUTHUB_INDEXER'


@dataclass(frozen=True)
class IndexProgress:
    """What a progress bar shows. ``backlog`` = owners still queued; ``done``/``total`` = this run."""

    state: str  # starting | idle | loading-model | indexing | error (see message) | stopped
    done: int = 0
    total: int = 0
    backlog: int = 0
    model: str = ''
    message: str = ''
    rate: float = 0.0  # owners embedded per second, measured over the last minute of this run (0: not yet)

    @property
    def fraction(self) -> float:
        return 1.0 if not self.total else min(1.0, self.done / self.total)

    @property
    def busy(self) -> bool:
        return self.backlog > 0 or self.state == 'loading-model'

    @property
    def seconds_left(self) -> float | None:
        """The backlog at the measured rate; None until there is a rate."""
        return self.backlog / self.rate if self.backlog and self.rate > 0 else None

    def describe(self) -> str:
        """One line for the UI, e.g. "Indexing for search by meaning: 1,234 items left, about 2 min"."""
        if self.state == 'loading-model':
            return 'Loading the model for search by meaning…'
        if not self.backlog:
            return ''
        text = f'Indexing for search by meaning: {self.backlog:,} {"item" if self.backlog == 1 else "items"} left'
        left = self.seconds_left
        return f'{text}, {time_left(left)}' if left is not None else text


def time_left(seconds: float) -> str:
    """ "less than a minute", "about 2 min", "about 1 h 20 min": an estimate, not a countdown."""
    if seconds < 60:
        return 'less than a minute'
    minutes = round(seconds / 60)
    if minutes < 60:
        return f'about {minutes} min'
    hours, minutes = divmod(round(seconds / 600) * 10, 60)  # past an hour, to the nearest 10 minutes
    return f'about {hours} h' + (f' {minutes} min' if minutes else '')


RATE_WINDOW = 60.0  # seconds of batches the rate is measured over (recent enough to follow a busy machine)


class Indexer:
    """A daemon thread that embeds new and edited outputs and messages within seconds of their commit.

    It polls the queue (one indexed read per ``poll_interval``), loads the model only when there is
    work, embeds ``batch`` owners at a time and writes each batch in one short transaction, pausing
    briefly between batches so captures and the UI keep their share of the two cores.
    """

    def __init__(self, *, poll_interval: float = 1.0, batch: int = 16, pause: float = 0.02) -> None:
        self.poll_interval = poll_interval
        self.batch = batch
        self.pause = pause
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._progress = IndexProgress('stopped')
        self._failed_model: str | None = None
        self._note = ''  # a lasting message for the UI (a model that would not load)
        self._backlog_checked = 0.0
        self._known_backlog = 0
        self._warmed = False
        self._samples: deque[tuple[float, int]] = deque()  # (monotonic time, done) after each batch

    # -- control

    def start(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._set(state='starting')
        # The model loads now, beside the indexer: a page or a search never waits for it (they get
        # embeddings.ModelNotReady meanwhile), and the first search after start-up finds it ready.
        embeddings.load_in_background()
        self._thread = threading.Thread(target=self._run, name='outputhub-indexer', daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 15.0) -> bool:
        """Ask the thread to finish its batch and exit; True when it has."""
        self._stop.set()
        self._wake.set()
        thread = self._thread
        if thread is None:
            return True
        thread.join(timeout)
        if thread.is_alive():
            log.warning('The search indexer is still finishing a batch; it will stop with the process.')
            return False
        self._thread = None
        return True

    def wake(self) -> None:
        """Look at the queue now instead of at the next poll (e.g. right after an import)."""
        self._wake.set()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def progress(self) -> IndexProgress:
        with self._lock:
            return self._progress

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Block until the queue is empty and the indexer idle (tests, CLI)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.wake()
            p = self.progress()
            if p.state in ('idle', 'error') and p.backlog == 0:
                return True
            time.sleep(0.05)
        return False

    # -- the thread

    def _set(self, **changes: object) -> None:
        with self._lock:
            self._progress = replace(self._progress, **changes)

    def _run(self) -> None:
        failures = 0
        embeddings.lower_thread_priority()  # a backlog is embedded at low priority: pages come first
        try:
            while not self._stop.is_set():
                try:
                    worked = self._step()
                    failures = 0
                except Exception as exc:
                    if self._stop.is_set():
                        break
                    failures += 1
                    # WARNING, not ERROR: a locked or closed database is routine and self-heals.
                    log.warning('Search indexing paused: %s', exc, exc_info=failures == 1)
                    self._set(state='error', message=str(exc))
                    self._stop.wait(min(60.0, 2.0 * failures))
                    continue
                if worked:
                    if self.pause:
                        self._stop.wait(self.pause)
                else:
                    self._wake.wait(self.poll_interval)
                    self._wake.clear()
        finally:
            with contextlib.suppress(Exception):  # closing never matters at exit
                dbmod.close()  # this thread's connection only (peewee keeps one per thread)
            self._set(state='stopped')

    def _backlog(self, force: bool = False) -> int:
        """Queue length, counted at most every 2 s while busy (a count over 1M queued rows is not free)."""
        now = time.monotonic()
        if force or now - self._backlog_checked > 2.0:
            self._backlog_checked = now
            self._known_backlog = embeddings.pending_count()
        return self._known_backlog

    def _step(self) -> bool:
        wanted = embeddings.model_setting()
        state = embeddings.index_state()
        if wanted != state['model'] and wanted != self._failed_model:
            self._set(state='loading-model', model=wanted, message='')
            try:
                embedder = embeddings.get_embedder(wanted)
                embedder.dim  # noqa: B018 - load before anything is deleted
            except Exception as exc:
                self._failed_model = wanted
                embeddings.forget_embedder(wanted)
                log.warning('Cannot load embedding model %r; keeping %r: %s', wanted, state['model'], exc)
                self._note = f'Cannot load the embedding model {wanted}: {exc}'
                self._set(state='error', model=state['model'], message=self._note)
                return False
            embeddings.reset_index(embedder)
            self._set(done=0, total=0)
            return True
        if wanted == state['model']:
            self._failed_model = None
            self._note = ''

        backlog = self._backlog(force=self._known_backlog == 0)
        if backlog == 0:
            p = self.progress()
            resting = 'error' if self._note else 'idle'  # a chosen model that will not load stays visible
            if p.state != resting or p.backlog:
                self._set(state=resting, backlog=0, done=p.total, message=self._note)
            if not self._warmed:
                # Load the in-memory vector mirror now, so the first semantic search does not wait for it.
                self._warmed = True
                vectors.index_for()
            return False
        embedder = embeddings.get_embedder(state['model'])
        if not embedder.loaded:  # normally loading in the background since start(): wait for it here
            self._set(state='loading-model', model=embedder.name, backlog=backlog)
            embedder.load()
        p = self.progress()
        if p.state != 'indexing':  # a new run: the bar starts from zero
            self._samples.clear()
            self._samples.append((time.monotonic(), 0))
            self._set(
                state='indexing',
                model=embedder.name,
                done=0,
                total=backlog,
                backlog=backlog,
                message=self._note,
                rate=0.0,
            )
        r = embeddings.index_batch(embedder, limit=self.batch)
        if not r.processed:  # the queue emptied under us (another process) or the model switched
            self._backlog(force=True)
            return False
        self._known_backlog = max(0, self._known_backlog - r.processed)
        backlog = self._backlog()
        p = self.progress()
        done = p.done + r.processed
        self._set(done=done, total=max(p.total, done + backlog), backlog=backlog, rate=self._rate(done))
        return True

    def _rate(self, done: int) -> float:
        """Owners per second over the last RATE_WINDOW seconds (pauses and the machine's load included)."""
        now = time.monotonic()
        self._samples.append((now, done))
        while len(self._samples) > 2 and now - self._samples[1][0] > RATE_WINDOW:
            self._samples.popleft()
        (t0, d0), (t1, d1) = self._samples[0], self._samples[-1]
        return (d1 - d0) / (t1 - t0) if t1 - t0 >= 0.5 and d1 > d0 else self.progress().rate


def enabled() -> bool:
    return config.env_flag(ENV_SWITCH, True)


def start(ctx: AppContext) -> None:
    if not enabled():
        log.info('Search indexer not started (%s=%s)', ENV_SWITCH, os.environ.get(ENV_SWITCH))
        ctx.indexer = None
        return
    indexer = Indexer()
    indexer.start()
    ctx.indexer = indexer


def stop(ctx: AppContext) -> None:
    indexer = ctx.indexer
    if indexer is not None:
        indexer.stop()
        ctx.indexer = None
