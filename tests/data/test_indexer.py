"""The background indexer: embeds new work within seconds, reports progress, stops cleanly, never logs ERROR."""

from __future__ import annotations

import logging
import threading
import time

import numpy as np
import pytest

from app import config
from app.context import AppContext
from app.data import embeddings, search, settings_store
from app.data.embeddings import Embedder
from app.services import indexing
from app.services.indexing import Indexer
from tests.waits import wait_until

from .search_helpers import HASHING, capture, use_hashing_model


@pytest.fixture
def indexer(db):
    use_hashing_model()
    ix = Indexer(poll_interval=0.1)
    ix.start()
    yield ix
    assert ix.stop(timeout=10)


def test_new_outputs_are_embedded_within_seconds_of_their_commit(indexer, caplog):
    caplog.set_level(logging.INFO)
    oid = capture('bioluminescent plankton glow at night', title='Plankton')
    wait_until(lambda: embeddings.pending_count() == 0)
    wait_until(lambda: indexer.progress().state == 'idle')
    assert search.semantic_search('plankton glow', limit=1)[0].id == oid
    p = indexer.progress()
    assert (p.backlog, p.done, p.total, p.fraction) == (0, p.total, p.total, 1.0)
    assert p.model == HASHING and not p.busy
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_progress_counts_a_backlog_down(db):
    use_hashing_model()
    for i in range(60):
        capture(f'item number {i} about things', title=f'Item {i}')
    seen = []
    ix = Indexer(poll_interval=0.05, batch=5, pause=0.01)
    ix.start()
    try:
        wait_until(lambda: seen.append(ix.progress()) or ix.progress().state == 'idle', 20)
    finally:
        assert ix.stop()
    busy = [p for p in seen if p.state == 'indexing']
    assert busy and busy[0].total == 60
    assert all(a.done <= b.done for a, b in zip(busy, busy[1:], strict=False))
    assert any(0 < p.fraction < 1 for p in busy)
    assert embeddings.pending_count() == 0


def test_writers_are_not_held_up_while_it_indexes(indexer):
    slowest = 0.0
    for i in range(40):
        started = time.monotonic()
        capture(f'concurrent capture {i} while the indexer runs', title=f'C{i}')
        slowest = max(slowest, time.monotonic() - started)
    assert slowest < 1.0  # each write waits at most for one short indexer transaction
    wait_until(lambda: embeddings.pending_count() == 0)


def test_stop_is_quick_and_idempotent(db):
    use_hashing_model()  # the indexer loads its model at start: not the real one (~10 s) here
    ix = Indexer(poll_interval=5.0)
    ix.start()
    wait_until(lambda: ix.progress().state == 'idle')
    started = time.monotonic()
    assert ix.stop() and ix.stop()
    assert time.monotonic() - started < 2.0
    assert ix.progress().state == 'stopped' and not ix.running


class BrokenEmbedder(Embedder):
    name = 'broken-model'

    @property
    def dim(self) -> int:
        raise OSError('no such model in the local cache')

    def encode(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - never reached
        raise OSError('unreachable')


def test_a_model_that_will_not_load_keeps_the_old_index_and_logs_no_error(indexer, caplog):
    oid = capture('meteor shower tonight', title='Sky')
    wait_until(lambda: embeddings.pending_count() == 0)
    embeddings.use_embedder(BrokenEmbedder())
    settings_store.put(embeddings.MODEL_SETTING, 'broken-model')
    indexer.wake()
    wait_until(lambda: indexer.progress().state == 'error')
    assert 'broken-model' in indexer.progress().message
    assert embeddings.index_state()['model'] == HASHING  # nothing was thrown away
    assert search.semantic_search('meteor shower', limit=1)[0].id == oid
    capture('more work still gets embedded', title='Later')
    wait_until(lambda: embeddings.pending_count() == 0)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_switching_model_in_the_setting_rebuilds_in_the_background(indexer):
    oid = capture('tidal pools starfish anemone', title='Shore')
    wait_until(lambda: embeddings.pending_count() == 0)
    embeddings.set_model('builtin:hashing-32')
    indexer.wake()
    wait_until(lambda: embeddings.index_state()['model'] == 'builtin:hashing-32')
    wait_until(lambda: embeddings.pending_count() == 0 and indexer.progress().state == 'idle')
    assert search.semantic_search('starfish anemone', limit=1)[0].id == oid


def test_searching_while_indexing_is_safe(indexer):
    for i in range(30):
        capture(f'parallel topic {i} lorem ipsum', title=f'P{i}')
    errors = []

    def searcher():
        try:
            for _ in range(30):
                search.search('parallel topic', mode='hybrid', limit=5)
        except Exception as exc:  # pragma: no cover - the assertion below reports it
            errors.append(exc)
        finally:
            from app.data import db as dbmod

            dbmod.close()

    threads = [threading.Thread(target=searcher) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    wait_until(lambda: embeddings.pending_count() == 0)


def test_the_service_respects_the_switch_and_stops_cleanly(db, monkeypatch):
    use_hashing_model()
    ctx = AppContext(settings=config.Settings(db_path=db.database))
    monkeypatch.setenv(indexing.ENV_SWITCH, '0')
    indexing.start(ctx)
    assert ctx.indexer is None
    indexing.stop(ctx)
    monkeypatch.setenv(indexing.ENV_SWITCH, '1')
    indexing.start(ctx)
    try:
        assert ctx.indexer is not None and ctx.indexer.running
    finally:
        indexing.stop(ctx)
    assert ctx.indexer is None


def test_the_service_is_registered():
    from app import server

    assert 'app.services.indexing' in server.SERVICE_MODULES


def test_without_a_usable_model_semantic_says_so_and_hybrid_keeps_keyword_results(db):
    use_hashing_model()
    oid = capture('comet tail dust ion', title='Comet')
    embeddings.index_pending()

    class Failing(embeddings.HashingEmbedder):
        def encode(self, texts):
            raise OSError('model files missing')

    from app.errors import UserError

    with pytest.raises(UserError, match='Semantic search is unavailable'):
        search.semantic_search('comet dust', embedder=Failing())
    hits = search.hybrid_search('comet dust', embedder=Failing())
    assert [(h.kind, h.id, h.matched) for h in hits] == [('output', oid, 'keyword')]


def embedded_ids(db) -> set[int]:
    return {r[0] for r in db.execute_sql("SELECT owner_id FROM embed_owner WHERE owner_kind = 'output'")}


def test_the_newest_items_are_embedded_first(db):
    """After an import (a long queue), what was just captured is searchable first, then the newest import."""
    use_hashing_model()
    older = [capture(f'imported item {i} about things', title=f'Old {i}') for i in range(10)]
    embedder = embeddings.get_embedder()
    embeddings.index_batch(embedder, limit=3)
    assert embedded_ids(db) == set(older[-3:])
    just_now = capture('captured a moment ago', title='Fresh')
    embeddings.index_batch(embedder, limit=1)
    assert just_now in embedded_ids(db)  # ahead of the seven still waiting
    assert search.semantic_search('captured moment ago', limit=1)[0].id == just_now


def test_a_rebuild_queues_the_newest_outputs_first(db):
    use_hashing_model()
    from .search_helpers import chat

    outs = [capture(f'note {i}', title=f'N{i}') for i in range(4)]
    chat('A chat', 'question one', 'answer one')
    embeddings.index_pending()  # all embedded; now the model changes and everything is queued again
    embeddings.set_model('builtin:hashing-32', load=False)
    embedder = embeddings.switch_model_if_needed()
    embeddings.index_batch(embedder, limit=2)
    assert embedded_ids(db) == set(outs[-2:])


def test_the_estimate_of_the_time_left_reads_plainly():
    from app.services.indexing import IndexProgress, time_left

    assert [time_left(s) for s in (5, 59, 61, 130, 3599, 3600, 4800, 7260)] == [
        'less than a minute',
        'less than a minute',
        'about 1 min',
        'about 2 min',
        'about 1 h',
        'about 1 h',
        'about 1 h 20 min',
        'about 2 h',
    ]
    p = IndexProgress('indexing', done=100, total=1334, backlog=1234, rate=10.0)
    assert p.describe() == 'Indexing for search by meaning: 1,234 items left, about 2 min'
    assert IndexProgress('indexing', backlog=1).describe() == 'Indexing for search by meaning: 1 item left'
    assert IndexProgress('loading-model', backlog=5).describe() == 'Loading the model for search by meaning…'
    assert IndexProgress('idle').describe() == ''


class SlowHashing(embeddings.HashingEmbedder):
    """A model that takes a while per batch, as the real one does (~0.5 s for 16 long texts)."""

    def encode(self, texts):
        time.sleep(0.03)  # the model's own work, not a test waiting for something to happen
        return super().encode(texts)


def test_while_it_runs_the_backlog_shows_the_time_left_from_the_measured_rate(db):
    slow = SlowHashing(48)
    slow.name = 'test:slow-hashing'
    embeddings.use_embedder(slow)
    embeddings.set_model(slow.name, load=False)
    embeddings.reset_index(slow)
    for i in range(120):
        capture(f'backlog item {i}', title=f'B{i}')
    ix = Indexer(poll_interval=0.05, batch=4, pause=0.0)
    ix.start()
    seen: list[str] = []
    try:
        wait_until(lambda: seen.append(ix.progress().describe()) or ix.progress().state == 'idle', 30)
    finally:
        assert ix.stop()
    estimates = [t for t in seen if t.startswith('Indexing for search by meaning: ') and ', ' in t]
    assert estimates, seen
    assert all(t.endswith(('less than a minute', 'min')) and ' items left, ' in t for t in estimates[:-1])
    assert ix.progress().rate > 0
