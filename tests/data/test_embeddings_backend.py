"""The bundled model runs through ONNX Runtime with torch's vectors; a broken export falls back (exported
again, or torch) with one log line and search keeps working; the model loads in the background and a
query meanwhile answers by words instead of waiting.

The ONNX export happens once per test session (tests/conftest.py points embeddings.MODEL_CACHE at one
folder); the tests that break an export work on a copy of it.
"""

from __future__ import annotations

import logging
import shutil
import stat
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from app.data import embeddings, search
from tests.waits import wait_until

from .search_helpers import capture

TEXTS = [
    'How do I rotate the API keys without downtime?',
    'Bicycle tyre puncture: find the hole with soapy water, patch it, check the rim tape.',
    'def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)',
    'Quarterly budget planning for the marketing team, with a 10% reserve. ' * 12,  # past 256 word pieces
    'Les ordinateurs quantiques utilisent des qubits.',
    '🙂 emoji and ünïcödé',
]


@pytest.fixture(scope='session')
def onnx_model() -> embeddings.SentenceTransformerEmbedder:
    model = embeddings.get_embedder(
        embeddings.DEFAULT_MODEL
    )  # the instance the app and the relevance tests use
    model.load()
    return model


@pytest.fixture(scope='session')
def torch_model() -> embeddings.SentenceTransformerEmbedder:
    model = embeddings.SentenceTransformerEmbedder(embeddings.DEFAULT_MODEL, backend='torch')
    model.load()
    return model


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def export_folder() -> Path:
    return embeddings.onnx_cache_dir(embeddings._resolve_model_path(embeddings.DEFAULT_MODEL))


def test_the_bundled_model_runs_on_onnx_with_the_same_vectors_as_torch(onnx_model, torch_model):
    assert onnx_model.backend == 'onnx' and torch_model.backend == 'torch'
    assert onnx_model.fallback_reason == ''
    worst = cosines(onnx_model.encode(TEXTS), torch_model.encode(TEXTS)).min()
    assert worst >= 0.999, worst
    # the query path too (cached per text)
    assert cosines(onnx_model.encode_query(TEXTS[0])[None], torch_model.encode([TEXTS[0]]))[0] >= 0.999
    # the same chunking: the tokenizer came with the export
    assert onnx_model.max_tokens == torch_model.max_tokens
    assert onnx_model.chunks(TEXTS[3]) == torch_model.chunks(TEXTS[3])


def test_the_export_is_kept_private_and_loaded_from_the_cache_next_time(onnx_model, caplog):
    folder = export_folder()
    assert (folder / 'onnx' / 'model.onnx').is_file() and (folder / 'probe.npy').is_file()
    assert folder.is_relative_to(embeddings.model_cache_root())
    for path in [folder, *folder.rglob('*')]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o077 == 0, (path, oct(mode))  # 0700 folders, 0600 files
    caplog.set_level(logging.INFO, logger='app.data.embeddings')
    again = embeddings.SentenceTransformerEmbedder(embeddings.DEFAULT_MODEL)
    again.load()
    assert again.backend == 'onnx'
    assert not [r for r in caplog.records if 'Exported' in r.getMessage()]  # no second export
    assert cosines(again.encode(TEXTS[:2]), onnx_model.encode(TEXTS[:2])).min() > 0.99999


@pytest.fixture
def registered():
    """Put back the session's embedder after a test registered its own under the default name."""
    before = embeddings.get_embedder(embeddings.DEFAULT_MODEL)
    yield
    embeddings.use_embedder(before)


def searchable_with(model: embeddings.Embedder) -> None:
    """Index two outputs with ``model`` and find one by meaning (not by its words)."""
    embeddings.use_embedder(model)
    tyre = capture(
        'Patch the inner tube, then pump it back up to pressure.', title='Fixing a flat bicycle tyre'
    )
    capture('Sourdough needs a lively starter and a long, cool rise.', title='Bread baking')
    assert embeddings.index_pending().embedded == 2
    hits = search.search('my bike has a puncture', mode='semantic', limit=1)
    assert [(h.kind, h.id) for h in hits] == [('output', tyre)]


def test_a_corrupt_cached_export_is_exported_again_with_a_log_line(
    db, onnx_model, torch_model, tmp_path, caplog, registered
):
    broken = tmp_path / 'cache'
    shutil.copytree(export_folder(), broken)
    (broken / 'onnx' / 'model.onnx').write_bytes(b'\x08\x07 not a model any more')  # a disk error, a bad copy
    caplog.set_level(logging.INFO, logger='app.data.embeddings')
    model = embeddings.SentenceTransformerEmbedder(embeddings.DEFAULT_MODEL, cache_dir=broken)
    model.load()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and 'cannot be used' in warnings[0] and 'exporting it again' in warnings[0]
    assert model.backend == 'onnx'
    assert (broken / 'onnx' / 'model.onnx').stat().st_size > 1_000_000  # a whole model again
    assert cosines(model.encode(TEXTS), torch_model.encode(TEXTS)).min() >= 0.999
    searchable_with(model)


def test_an_export_that_cannot_be_made_falls_back_to_torch_with_one_log_line(
    db, tmp_path, caplog, registered
):
    blocked = tmp_path / 'not-a-folder'
    blocked.write_text('a file where the cache folder should go')
    caplog.set_level(logging.INFO, logger='app.data.embeddings')
    model = embeddings.SentenceTransformerEmbedder(embeddings.DEFAULT_MODEL, cache_dir=blocked / 'cache')
    model.load()
    assert model.backend == 'torch' and model.fallback_reason
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and 'runs on torch, not ONNX' in warnings[0], warnings
    searchable_with(model)


def test_a_cached_export_whose_vectors_drifted_is_not_used(onnx_model, tmp_path):
    """A model file that still loads but no longer gives the model's vectors (the probe check)."""
    drifted = tmp_path / 'cache'
    shutil.copytree(export_folder(), drifted)
    probe = np.load(drifted / 'probe.npy')
    np.save(drifted / 'probe.npy', probe[::-1].copy())  # as if the weights had changed under it
    model = embeddings.SentenceTransformerEmbedder(embeddings.DEFAULT_MODEL, cache_dir=drifted)
    with pytest.raises(ValueError, match='differ'):
        model._open_onnx(drifted)


def test_the_export_runs_the_fused_transformer_graph(onnx_model):
    """ONNX Runtime's fusions (one Attention op per layer) are in the kept export: faster, same vectors."""
    import onnx

    graph = onnx.load(str(export_folder() / 'onnx' / 'model.onnx'), load_external_data=False).graph
    ops = [n.op_type for n in graph.node]
    assert ops.count('Attention') == 6 and 'Softmax' not in ops, sorted(set(ops))


def real_texts() -> list[str]:
    """Paragraphs of the README (real prose, short to past 256 word pieces) and the texts above."""
    readme = (Path(__file__).resolve().parents[2] / 'README.md').read_text()
    paragraphs = [p.strip() for p in readme.split('\n\n') if len(p.strip()) > 40]
    return TEXTS + paragraphs[:: max(1, len(paragraphs) // 12)][:12]


def test_the_onnx_path_gives_the_vectors_of_sentence_transformers_and_torch(onnx_model, torch_model):
    """OnnxModel (onnxruntime + tokenizers, no torch) against sentence-transformers on the same export
    (identical up to float rounding) and against torch, on texts of many lengths in one call (sorted into
    batches by length: padding must not change a vector)."""
    from sentence_transformers import SentenceTransformer

    assert isinstance(onnx_model._model, embeddings.OnnxModel)
    texts = real_texts()
    assert len(texts) >= 12 and max(map(len, texts)) > 1200 and min(map(len, texts)) < 60
    ours = onnx_model.encode(texts)
    st_onnx = SentenceTransformer(str(export_folder()), device='cpu', backend='onnx')
    theirs = st_onnx.encode(texts, normalize_embeddings=True, convert_to_numpy=True, batch_size=16)
    assert cosines(ours, theirs).min() >= 0.9999
    assert cosines(ours, torch_model.encode(texts)).min() >= 0.999
    one_by_one = np.vstack([onnx_model.encode([t]) for t in texts[:6]])  # no padding at all
    assert cosines(ours[:6], one_by_one).min() >= 0.9999


def test_a_cached_export_is_used_without_importing_torch(onnx_model):
    """A fresh process with the export cached: the first vector comes without torch (~7-10 s cold)."""
    import json
    import subprocess
    import sys

    code = (
        'import json, sys\n'
        'from pathlib import Path\n'
        'from app.data import embeddings\n'
        f'embeddings.MODEL_CACHE = Path({str(embeddings.model_cache_root())!r})\n'
        'm = embeddings.SentenceTransformerEmbedder(embeddings.DEFAULT_MODEL, backend="onnx")\n'
        f'v = m.encode({TEXTS[:2]!r})\n'
        'print(json.dumps([m.backend, "torch" in sys.modules, "sentence_transformers" in sys.modules,'
        ' v.tolist()]))\n'
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, '-c', code], cwd=root, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    backend, torch_loaded, st_loaded, vecs = json.loads(out.stdout.strip().splitlines()[-1])
    assert (backend, torch_loaded, st_loaded) == ('onnx', False, False)
    assert cosines(np.array(vecs, np.float32), onnx_model.encode(TEXTS[:2])).min() >= 0.9999


def test_a_broken_export_that_cannot_be_made_again_falls_back_to_torch(
    db, onnx_model, tmp_path, caplog, monkeypatch, registered
):
    broken = tmp_path / 'cache'
    shutil.copytree(export_folder(), broken)
    (broken / 'onnx' / 'model.onnx').write_bytes(b'truncated')

    def no_export(self, src, folder):
        raise OSError('No space left on device')

    monkeypatch.setattr(embeddings.SentenceTransformerEmbedder, '_export_onnx', no_export)
    caplog.set_level(logging.INFO, logger='app.data.embeddings')
    model = embeddings.SentenceTransformerEmbedder(embeddings.DEFAULT_MODEL, cache_dir=broken)
    model.load()
    assert model.backend == 'torch' and 'No space left' in model.fallback_reason
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 2 and 'cannot be used' in warnings[0], warnings
    assert 'runs on torch, not ONNX: No space left on device' in warnings[1]
    assert cosines(model.encode(TEXTS), onnx_model.encode(TEXTS)).min() >= 0.999
    searchable_with(model)


def test_an_export_from_before_the_torch_free_path_is_exported_again(onnx_model, tmp_path, caplog):
    """An export without the metadata OnnxModel needs (made by an older version) is replaced."""
    old = tmp_path / 'cache'
    shutil.copytree(export_folder(), old)
    (old / embeddings.META_FILE).unlink()
    caplog.set_level(logging.INFO, logger='app.data.embeddings')
    model = embeddings.SentenceTransformerEmbedder(embeddings.DEFAULT_MODEL, cache_dir=old)
    model.load()
    assert model.backend == 'onnx' and (old / embeddings.META_FILE).is_file()
    assert any('exporting it again' in r.getMessage() for r in caplog.records)


class SlowLoading(embeddings.HashingEmbedder):
    """A model that takes as long to load as the test wants: the app's real loading path waits on it."""

    def __init__(self, name: str) -> None:
        super().__init__(384)
        self.name = name
        self.release = threading.Event()
        self._loaded = False

    @property
    def loaded(self) -> bool:
        return self._loaded

    def load(self) -> None:
        self.release.wait(30)
        self._loaded = True


def test_a_query_while_the_model_loads_in_the_background_answers_by_words_at_once(db):
    from app.data import settings_store

    slow = SlowLoading('test:slow-loading')
    embeddings.use_embedder(slow)
    settings_store.put(embeddings.MODEL_SETTING, slow.name)
    embeddings.reset_index(slow)
    oid = capture('vacuum the database weekly', title='Maintenance')
    slow.release.set()
    embeddings.index_pending()
    slow._loaded, slow.release = False, threading.Event()  # as at the next start-up

    thread = embeddings.load_in_background()
    try:
        wait_until(lambda: slow.background_loading, what='the background load to start')
        assert not embeddings.is_ready()
        with pytest.raises(embeddings.ModelNotReady):
            search.semantic_search('vacuum database')
        for mode in ('semantic', 'hybrid'):  # words now, never a wait
            hits = search.search('vacuum database', mode=mode)
            assert [(h.kind, h.id, h.matched) for h in hits] == [('output', oid, 'keyword')]
    finally:
        slow.release.set()
    thread.join(10)
    assert embeddings.is_ready() and not slow.background_loading
    assert [h.matched for h in search.search('vacuum database', mode='hybrid')] == ['both']


def test_a_query_while_a_backlog_is_embedded_answers_without_waiting_for_it(onnx_model):
    """The indexer's encode and a search's query run at the same time (a tokenizer per thread), so a
    search during an import is not queued behind a batch; both get the vectors they would alone."""
    backlog = [f'{TEXTS[3]} Part {i}.' for i in range(48)]  # ~48 chunks of 256 word pieces: seconds
    alone = onnx_model.encode(backlog[:2])
    query_alone = onnx_model.encode([TEXTS[0]])
    done = threading.Event()
    got: dict[str, np.ndarray] = {}

    def index() -> None:
        got['backlog'] = onnx_model.encode(backlog)
        done.set()

    worker = threading.Thread(target=index)
    worker.start()
    try:
        time.sleep(0.2)  # the batch is under way
        query = onnx_model.encode([TEXTS[0]])
        answered_first = not done.is_set()
    finally:
        worker.join(60)
    assert answered_first, 'the query waited for the whole backlog'
    assert cosines(query, query_alone).min() > 0.9999
    assert cosines(got['backlog'][:2], alone).min() > 0.9999


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason='thread priorities are read from /proc')
def test_background_embedding_runs_at_low_priority_and_a_page_thread_keeps_its_own(onnx_model):
    def nice_of(tid: int) -> int:
        stat_line = Path(f'/proc/self/task/{tid}/stat').read_text()
        return int(stat_line[stat_line.rindex(')') + 2 :].split()[16])

    before = {int(p.name) for p in Path('/proc/self/task').iterdir()}
    model = embeddings.OnnxModel(export_folder(), 2)  # a session with one helper thread
    helpers = {int(p.name) for p in Path('/proc/self/task').iterdir()} - before
    assert helpers and all(nice_of(t) >= embeddings.LOW_PRIORITY for t in helpers)
    assert nice_of(threading.get_native_id()) == 0  # the thread that asked (a page's) is untouched
    assert model.encode([TEXTS[0]], 4).shape == (1, onnx_model.dim)

    seen: list[int] = []

    def indexer_like() -> None:
        embeddings.lower_thread_priority()
        seen.append(nice_of(threading.get_native_id()))

    thread = threading.Thread(target=indexer_like)
    thread.start()
    thread.join()
    assert seen == [embeddings.LOW_PRIORITY]
