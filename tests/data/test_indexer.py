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
