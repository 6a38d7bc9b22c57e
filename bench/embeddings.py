"""Benchmark the embedding model: ONNX Runtime against torch, and the first search by meaning after start-up.

    .venv/bin/python -m bench.embeddings                    # all three figures
    .venv/bin/python -m bench.embeddings --only first-vector --cold-runs 3
    .venv/bin/python -m bench.embeddings --only throughput --texts 96 --rounds 5
    .venv/bin/python -m bench.embeddings --only first-search --n 20000 --wait 20

Throughput: the bundled all-MiniLM-L6-v2 on both backends in the same process, on the same texts (~1,200
characters of demo-like prose each, chunked as the indexer chunks them), the app's batch size, each backend on
the app's thread setting: torch on ``EMBED_THREADS`` (1, the torch path as the app ran it), ONNX on
``ONNX_THREADS`` (every core up to four; ``OUTPUTHUB_EMBED_THREADS`` or ``--threads N`` sets both), and ONNX
on one thread as well, to tell the runtime's gain from the other cores'. Rounds alternate the order so machine
load hits all alike; chunks/s is the median over rounds; the ratio is ONNX / torch. Cosine: per chunk between
the two backends' vectors, the minimum reported (budget: ratio >= 2, min cosine >= 0.999). GFLOP/s: the
encoder's floating-point operations per chunk (from its config and the chunks' token counts) times chunks/s on
one thread, next to a plain 1024x1024 fp32 matrix product on one thread: how near it is to the core's ceiling.

First vector: fresh processes (torch and ONNX alternately, ``--cold-runs`` each, the export made
beforehand as on every start but the first) time import + load + one embedded text; medians reported,
and whether the ONNX path imported torch (it should not).

First search: a fresh process (a new data folder, so the first start exports the ONNX model) opens a
library of ``--n`` outputs (random vectors in the index, labelled with the real model: the query is
embedded by the real model and scored against n vectors), starts the indexer service as the app does,
waits ``--wait`` seconds, then times one hybrid search with a query it has never seen. A second fresh
process on the same data folder times the start with the cached export. Budget: <= 1.5 s after 20 s up.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.search import TEMPLATES, TOPICS

ROOT = Path(__file__).resolve().parent.parent


def long_texts(n: int, chars: int = 1200, seed: int = 5) -> list[str]:
    """Demo-like prose of about ``chars`` characters each (the size FINDINGS.md measured)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        words = TOPICS[rng.choice(list(TOPICS))]
        parts: list[str] = [f'Note {i}.']
        while sum(len(p) + 1 for p in parts) < chars:
            a, b, c, d = rng.sample(words, 4)
            parts.append(rng.choice(TEMPLATES).format(a=a, b=b, c=c, d=d))
        out.append(' '.join(parts)[:chars])
    return out


def throughput(n_texts: int, rounds: int) -> dict:
    from app.data import embeddings

    embeddings.MODEL_CACHE = Path(
        tempfile.mkdtemp(prefix='oh-bench-models-')
    )  # a fresh export, like a new install
    started = time.monotonic()
    onnx = embeddings.SentenceTransformerEmbedder(embeddings.DEFAULT_MODEL, backend='onnx')
    onnx.load()
    first_load_s = time.monotonic() - started
    torch = embeddings.SentenceTransformerEmbedder(embeddings.DEFAULT_MODEL, backend='torch')
    torch.load()
    assert onnx.backend == 'onnx', onnx.fallback_reason
    texts = long_texts(n_texts)
    chunks = [c.text for t in texts for c in torch.chunks(t)]
    # ONNX on one thread too: the same runtime without the other cores, to tell the two gains apart
    single = embeddings.OnnxModel(embeddings.onnx_cache_dir(embeddings._resolve_model_path(onnx.name)), 1)
    runners = {
        'torch': torch.encode,
        'onnx': onnx.encode,
        'onnx_1_thread': lambda texts: single.encode(texts, embeddings.ENCODE_BATCH),
    }
    for run in runners.values():  # warm-up: first-call allocations are not throughput
        run(chunks[:16])
    rates: dict[str, list[float]] = {name: [] for name in runners}
    vectors: dict[str, np.ndarray] = {}
    for r in range(rounds):
        names = list(runners) if r % 2 == 0 else list(reversed(runners))
        for name in names:
            t0 = time.perf_counter()
            vectors[name] = runners[name](chunks)
            rates[name].append(len(chunks) / (time.perf_counter() - t0))
    cos = (vectors['onnx'] * vectors['torch']).sum(axis=1)
    torch_rate, onnx_rate = statistics.median(rates['torch']), statistics.median(rates['onnx'])
    one_rate = statistics.median(rates['onnx_1_thread'])
    flops = model_flops(torch, chunks)
    torch_threads = torch._torch.get_num_threads()  # the setting torch ran on, before the 1-thread GEMM
    torch._torch.set_num_threads(1)
    peak = gemm_gflops(torch._torch)
    return {
        'texts': len(texts),
        'chunks': len(chunks),
        'chars_per_text': round(sum(map(len, texts)) / len(texts)),
        # what each runtime really uses (read back, not the setting)
        'torch_threads': torch_threads,
        'onnx_intra_op_threads': onnx._model.session.get_session_options().intra_op_num_threads,
        'batch': embeddings.ENCODE_BATCH,
        'rounds': rounds,
        'torch_chunks_per_s': round(torch_rate, 1),  # the torch path as the app ran it (EMBED_THREADS)
        'onnx_chunks_per_s': round(onnx_rate, 1),  # the app's path now (ONNX_THREADS)
        'ratio': round(onnx_rate / torch_rate, 2),
        'best_round_ratio': round(max(rates['onnx']) / max(rates['torch']), 2),  # the least disturbed rounds
        'onnx_1_thread_chunks_per_s': round(one_rate, 1),
        'ratio_1_thread': round(one_rate / torch_rate, 2) if torch_threads == 1 else None,
        # How close one thread gets to what this core can do at fp32 at all: the model's floating-point
        # operations per second against a plain large matrix product on one thread (torch's GEMM), same run.
        'gemm_1_thread_gflops': round(peak, 1),
        'onnx_1_thread_gflops': round(flops * one_rate / 1e9, 1),
        'onnx_1_thread_share_of_gemm': round(flops * one_rate / 1e9 / peak, 2),
        'min_cosine': round(float(cos.min()), 6),
        'mean_cosine': round(float(cos.mean()), 6),
        'rounds_chunks_per_s': {name: [round(x, 1) for x in rates[name]] for name in runners},
        'first_load_with_export_s': round(first_load_s, 1),
    }


def model_flops(model, chunks: list[str]) -> float:
    """Floating-point operations per chunk (mean) of the BERT encoder: the six matrix products of each layer
    (q, k, v, attention output, the two feed-forward ones) and attention's two token-by-token products."""
    config = model._model[0].auto_model.config
    h, inner, layers = config.hidden_size, config.intermediate_size, config.num_hidden_layers
    tokenizer = model._model.tokenizer
    total = 0.0
    for text in chunks:
        n = min(len(tokenizer(text)['input_ids']), model._model.max_seq_length)
        total += layers * (2 * n * (4 * h * h + 2 * h * inner) + 4 * n * n * h)
    return total / len(chunks)


def gemm_gflops(torch, size: int = 1024, repeats: int = 8) -> float:
    """fp32 matrix-product rate on the current thread setting: this core's practical ceiling."""
    a = torch.randn(size, size)
    b = torch.randn(size, size)
    torch.mm(a, b)
    best = float('inf')
    for _ in range(repeats):
        t0 = time.perf_counter()
        torch.mm(a, b)
        best = min(best, time.perf_counter() - t0)
    return 2 * size**3 / best / 1e9


def child_first_vector(backend: str, cache: str) -> dict:
    """In a fresh process: import the app's embeddings, load ``backend``, embed one text (cold start)."""
    t0 = time.perf_counter()
    from app.data import embeddings

    embeddings.MODEL_CACHE = Path(cache)
    model = embeddings.SentenceTransformerEmbedder(embeddings.DEFAULT_MODEL, backend=backend)
    model.encode(['the first vector after start-up'])
    return {
        'backend': model.backend,
        'first_vector_s': round(time.perf_counter() - t0, 2),
        'torch_imported': 'torch' in sys.modules,
    }


def first_vector(runs: int) -> dict:
    """Time to the first vector from a cold process, per backend (the ONNX export made beforehand, as on
    every start but the first); runs alternate torch and ONNX, medians reported."""
    cache = tempfile.mkdtemp(prefix='oh-bench-models-')
    cmd = [sys.executable, '-m', 'bench.embeddings', '--child-first-vector']
    subprocess.run([*cmd, 'onnx', cache], cwd=ROOT, check=True, capture_output=True)  # the export
    times: dict[str, list[float]] = {'torch': [], 'onnx': []}
    torch_imported: dict[str, bool] = {}
    for r in range(runs):
        for backend in ('torch', 'onnx') if r % 2 == 0 else ('onnx', 'torch'):
            out = subprocess.run([*cmd, backend, cache], cwd=ROOT, check=True, capture_output=True, text=True)
            got = json.loads(out.stdout.strip().splitlines()[-1])
            assert got['backend'] == backend, got
            times[backend].append(got['first_vector_s'])
            torch_imported[backend] = got['torch_imported']
    return {
        'runs': runs,
        'torch_first_vector_s': round(statistics.median(times['torch']), 2),
        'onnx_first_vector_s': round(statistics.median(times['onnx']), 2),
        'onnx_imports_torch': torch_imported['onnx'],
        'torch_runs': times['torch'],
        'onnx_runs': times['onnx'],
    }


def make_library(db_path: Path, n: int) -> None:
    """n outputs with random unit vectors in an index labelled with the real model (no hour of embedding)."""
    from app.data import db as dbmod
    from app.data import embeddings, settings_store, vectors
    from bench.search import seed

    dbmod.connect(db_path)
    seed(n)
    settings_store.put(embeddings.MODEL_SETTING, 'builtin:random-384')
    embeddings.index_pending(batch=512)
    database = dbmod.current()
    state = vectors.read_index_state(database)
    state['model'] = embeddings.DEFAULT_MODEL  # same dimension: the real model embeds the queries
    with dbmod.write_tx():
        database.execute_sql(
            'UPDATE app_setting SET value = ? WHERE key = ?', (json.dumps(state), vectors.INDEX_KEY)
        )
    settings_store.put(embeddings.MODEL_SETTING, embeddings.DEFAULT_MODEL)
    dbmod.close()


def child_first_search(db_path: str, wait: float) -> dict:
    """In a fresh process: start the indexer service as the app does, wait, time one search."""
    t_start = time.monotonic()
    from app import config
    from app.context import AppContext
    from app.data import db as dbmod
    from app.data import embeddings, search
    from app.services import indexing

    os.environ['OUTPUTHUB_INDEXER'] = '1'
    dbmod.connect(Path(db_path))
    ctx = AppContext(settings=config.Settings(db_path=Path(db_path)))
    indexing.start(ctx)
    ready_at = None
    while time.monotonic() - t_start < wait:
        if ready_at is None and embeddings.is_ready():
            ready_at = time.monotonic() - t_start
        time.sleep(0.1)
    query = 'budget invoice'  # a fresh process: never embedded before (and words that match, too)
    ready = embeddings.is_ready()
    t0 = time.perf_counter()
    hits = search.search(query, mode='hybrid', limit=20)
    took = time.perf_counter() - t0
    # Stay up until the model has loaded (at most 3 min), so an export under way is finished and kept.
    while ready_at is None and time.monotonic() - t_start < wait + 180:
        if embeddings.is_ready():
            ready_at = time.monotonic() - t_start
        time.sleep(0.1)
    meaning_s = None
    if ready_at is not None:  # and the first query the model embeds (what "ready" buys)
        t0 = time.perf_counter()
        search.search('reviewing the yearly spending plan', mode='hybrid', limit=20)
        meaning_s = round(time.perf_counter() - t0, 3)
    emb = embeddings.get_embedder(embeddings.DEFAULT_MODEL)
    indexing.stop(ctx)
    return {
        'up_s': round(time.monotonic() - t_start, 1),
        'model_ready_after_s': round(ready_at, 1) if ready_at is not None else None,
        'backend': getattr(emb, 'backend', ''),
        'first_search_s': round(took, 3),
        'query_embedded_by_the_model': ready,  # else answered by words only (the model still loading)
        'hits': len(hits),
        'first_search_by_meaning_once_ready_s': meaning_s,
    }


def first_search(n: int, wait: float) -> dict:
    work = Path(tempfile.mkdtemp(prefix='oh-bench-first-'))
    data = work / 'data'
    data.mkdir(mode=0o700)
    db_path = work / 'library.db'
    env = {**os.environ, 'OUTPUTHUB_DATA_DIR': str(data), 'OUTPUTHUB_DB': str(db_path)}
    t0 = time.monotonic()
    subprocess.run(
        [sys.executable, '-m', 'bench.embeddings', '--make-library', str(db_path), '--n', str(n)],
        cwd=ROOT,
        env=env,
        check=True,
    )
    seed_s = time.monotonic() - t0
    runs = {}
    for label in ('fresh_install', 'cached_export'):  # the first start exports, the second loads the export
        out = subprocess.run(
            [
                sys.executable,
                '-m',
                'bench.embeddings',
                '--child-first-search',
                str(db_path),
                '--wait',
                str(wait),
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        runs[label] = json.loads(out.stdout.strip().splitlines()[-1])
    return {'n_outputs': n, 'wait_s': wait, 'seed_s': round(seed_s, 1), **runs}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--only', choices=('throughput', 'first-vector', 'first-search'))
    parser.add_argument('--cold-runs', type=int, default=3, help='cold processes per backend (first vector)')
    parser.add_argument('--texts', type=int, default=96)
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--n', type=int, default=20000, help='outputs in the first-search library')
    parser.add_argument('--wait', type=float, default=20.0, help='seconds the app is up before the search')
    parser.add_argument(
        '--threads', type=int, help='OUTPUTHUB_EMBED_THREADS for both backends (default: as set)'
    )
    parser.add_argument('--make-library', help=argparse.SUPPRESS)
    parser.add_argument('--child-first-search', help=argparse.SUPPRESS)
    parser.add_argument('--child-first-vector', nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.threads:
        os.environ['OUTPUTHUB_EMBED_THREADS'] = str(args.threads)  # read when app.data.embeddings loads
    import logging

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    if args.make_library:
        make_library(Path(args.make_library), args.n)
        return 0
    if args.child_first_search:
        print(json.dumps(child_first_search(args.child_first_search, args.wait)))
        return 0
    if args.child_first_vector:
        print(json.dumps(child_first_vector(*args.child_first_vector)))
        return 0
    result = {}
    if args.only in (None, 'throughput'):
        result['throughput'] = throughput(args.texts, args.rounds)
    if args.only in (None, 'first-vector'):
        result['first_vector'] = first_vector(args.cold_runs)
    if args.only in (None, 'first-search'):
        result['first_search'] = first_search(args.n, args.wait)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
