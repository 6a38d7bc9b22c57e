"""Vector search kernels at 100k / 300k chunks: exact float scan vs a sign-bit pre-filter + exact re-score.

    .venv/bin/python -m bench.vectors                          # 100k and 300k, in-memory kernels
    .venv/bin/python -m bench.vectors --sizes 100000 --sqlite 100000  # and sqlite-vec's KNN
    .venv/bin/python -m bench.vectors --json

Realistic vectors, not uniform noise (sign bits of uniform random vectors say nothing about real ones):
a small demo library (``demo.seed``) is chunked and embedded with the real model (all-MiniLM-L6-v2, a few
thousand chunks, cached in ``--cache``), then each synthetic vector is a real chunk plus part of another
real chunk plus Gaussian noise, normalised — the real vectors' anisotropy (a shared mean direction,
which is what hurts sign bits) is kept. Queries are output titles of the same library (short, like what a
person types), encoded by the same model; they are not in the vector set.

Series, each query timed ``--repeats`` times and its fastest run kept (a shared machine's stalls removed):
- ``exact``: ``X @ q`` + argpartition over every float32 vector (what the in-memory mirror does);
- ``bits xF``: Hamming distance over packed sign bits (uint64 words), the ``k x F`` closest re-scored
  exactly on their float32 rows (held in memory); ``app_R_candidates``: the same with the number of
  candidates the mirror re-scores for a 10-item search (``vectors.prefilter_candidates``);
- ``--sqlite``: sqlite-vec 0.1.9 ``float[384]`` KNN ``k=10``, and a ``bit[384]`` vec0 table
  (``vec_quantize_binary``) KNN ``k = 10 x F`` re-scored with ``vec_distance_cosine`` on the float rows.
Recall@10: overlap of each series' top 10 chunks with the exact top 10.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

K = 10
FACTORS = (4, 8, 16, 32, 64)


def real_vectors(cache: Path, outputs: int, max_chunks: int) -> tuple[np.ndarray, np.ndarray]:
    """(chunk vectors, query vectors) of a small demo library, embedded with the default model."""
    if cache.exists():
        data = np.load(cache)
        return data['chunks'], data['queries']
    from app.data import db as dbmod
    from app.data import demo, embeddings

    with tempfile.TemporaryDirectory() as tmp:
        dbmod.connect(Path(tmp) / 'texts.db')
        demo.seed(outputs=outputs, conversations=outputs // 3)
        database = dbmod.current()
        texts = [r[0] for r in database.execute_sql('SELECT title || char(10) || body FROM output')]
        texts += [r[0] for r in database.execute_sql("SELECT content FROM message WHERE content != ''")]
        titles = sorted({r[0] for r in database.execute_sql('SELECT title FROM output')})
        dbmod.close()
    model = embeddings.get_embedder(embeddings.DEFAULT_MODEL)
    pieces: list[str] = []
    seen: set[str] = set()
    for text in texts:
        for chunk in model.chunks(text):
            if chunk.text not in seen:
                seen.add(chunk.text)
                pieces.append(chunk.text)
        if len(pieces) >= max_chunks:
            break
    pieces = pieces[:max_chunks]
    rng = np.random.default_rng(3)
    queries = [titles[i] for i in rng.choice(len(titles), min(60, len(titles)), replace=False)]
    started = time.perf_counter()
    chunks = model.encode(pieces).astype(np.float32)
    qv = model.encode(queries).astype(np.float32)
    print(f'embedded {len(pieces)} real chunks in {time.perf_counter() - started:.0f} s', file=sys.stderr)
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, chunks=chunks, queries=qv)
    return chunks, qv


def synthetic(real: np.ndarray, n: int, seed: int = 7) -> np.ndarray:
    """``n`` unit vectors around the real ones: real_i + u * real_j + noise (the real rows come first)."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, real.shape[1]), np.float32)
    m = min(n, len(real))
    out[:m] = real[:m]
    step = 50_000
    for start in range(m, n, step):
        size = min(step, n - start)
        a = real[rng.integers(0, len(real), size)]
        b = real[rng.integers(0, len(real), size)]
        u = rng.uniform(0.0, 0.6, (size, 1)).astype(np.float32)
        noise = rng.normal(0, 0.035, (size, real.shape[1])).astype(np.float32)  # norm ~0.7
        block = a + u * b + noise
        out[start : start + size] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def pack(mat: np.ndarray) -> np.ndarray:
    """Sign bits word by word, [words, rows] (as the mirror stores them)."""
    bits = np.packbits(mat > 0, axis=1)
    pad = (-bits.shape[1]) % 8
    if pad:
        bits = np.pad(bits, ((0, 0), (0, pad)))
    return np.ascontiguousarray(np.ascontiguousarray(bits).view(np.uint64).T)


def exact(mat: np.ndarray, q: np.ndarray, k: int = K) -> np.ndarray:
    s = mat @ q
    part = np.argpartition(s, len(s) - k)[-k:]
    return part[np.argsort(-s[part])]


def prefilter(mat: np.ndarray, bits: np.ndarray, q: np.ndarray, r: int, k: int = K) -> np.ndarray:
    qb = pack(q[None, :])[:, 0]
    dist = np.zeros(bits.shape[1], np.uint16)
    for w, qw in enumerate(qb):
        dist += np.bitwise_count(bits[w] ^ qw)
    cand = np.argpartition(dist, r - 1)[:r]
    s = mat[cand] @ q
    best = np.argpartition(s, len(s) - k)[-k:]
    return cand[best[np.argsort(-s[best])]]


def timed(fn, repeats: int) -> tuple[float, object]:
    best, out = float('inf'), None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, (time.perf_counter() - t) * 1000)
    return best, out


def recall(got, want) -> float:
    return len(set(int(x) for x in got) & set(int(x) for x in want)) / len(want)


def sqlite_series(mat: np.ndarray, queries: np.ndarray, truth: list, repeats: int, factors) -> dict:
    from app.data import db as dbmod

    out: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        database = dbmod.open_database(Path(tmp) / 'vec.db')
        database.execute_sql(
            'CREATE VIRTUAL TABLE fv USING vec0(chunk_id INTEGER PRIMARY KEY, embedding float[384])'
        )
        database.execute_sql(
            'CREATE VIRTUAL TABLE bv USING vec0(chunk_id INTEGER PRIMARY KEY, embedding bit[384])'
        )
        started = time.perf_counter()
        with database.atomic():
            database.cursor().executemany(
                'INSERT INTO fv (chunk_id, embedding) VALUES (?, ?)',
                ((i + 1, mat[i].tobytes()) for i in range(len(mat))),
            )
            database.execute_sql(
                'INSERT INTO bv (chunk_id, embedding) SELECT chunk_id, vec_quantize_binary(embedding) FROM fv'
            )
        out['load_s'] = round(time.perf_counter() - started, 1)
        series = {
            'sqlite_float': lambda q: [
                r[0] - 1
                for r in database.execute_sql(
                    'SELECT chunk_id FROM fv WHERE embedding MATCH ? AND k = ? ORDER BY distance',
                    (q.tobytes(), K),
                )
            ]
        }

        def bit(f: int):
            def run(q):
                return [
                    r[0] - 1
                    for r in database.execute_sql(
                        'WITH c AS (SELECT chunk_id FROM bv WHERE embedding MATCH vec_quantize_binary(?) AND k = ?) '
                        'SELECT fv.chunk_id FROM c JOIN fv ON fv.chunk_id = c.chunk_id '
                        'ORDER BY vec_distance_cosine(fv.embedding, ?) LIMIT ?',
                        (q.tobytes(), K * f, q.tobytes(), K),
                    )
                ]

            return run

        for f in factors:
            series[f'sqlite_bits_x{f}'] = bit(f)
        for name, fn in series.items():
            ms, rec = [], []
            for q, want in zip(queries, truth, strict=True):
                took, got = timed(lambda fn=fn, q=q: fn(q), repeats)
                ms.append(took)
                rec.append(recall(got, want))
            out[name] = {
                'p50_ms': round(statistics.median(ms), 2),
                'recall_at_10': round(float(np.mean(rec)), 3),
            }
        database.close()
    return out


def run(size: int, real: np.ndarray, queries: np.ndarray, repeats: int, factors, with_sqlite: bool) -> dict:
    mat = synthetic(real, size)
    bits = pack(mat)
    result: dict = {
        'chunks': size,
        'float_mb': round(mat.nbytes / 2**20),
        'bits_mb': round(bits.nbytes / 2**20, 1),
    }
    ms, truth = [], []
    for q in queries:
        took, got = timed(lambda q=q: exact(mat, q), repeats)
        ms.append(took)
        truth.append(got)
    result['exact'] = {'p50_ms': round(statistics.median(ms), 2), 'recall_at_10': 1.0}
    for f in factors:
        ms, rec = [], []
        for q, want in zip(queries, truth, strict=True):
            took, got = timed(lambda q=q, f=f: prefilter(mat, bits, q, K * f), repeats)
            ms.append(took)
            rec.append(recall(got, want))
        result[f'bits_x{f}'] = {
            'p50_ms': round(statistics.median(ms), 2),
            'recall_at_10': round(float(np.mean(rec)), 3),
            'recall_min': round(float(np.min(rec)), 2),
        }
    from app.data import vectors

    app_r = vectors.prefilter_candidates(size, 30)  # what a search for 10 items asks the mirror for
    ms, rec = [], []
    for q, want in zip(queries, truth, strict=True):
        took, got = timed(lambda q=q: prefilter(mat, bits, q, app_r), repeats)
        ms.append(took)
        rec.append(recall(got, want))
    result[f'app_{app_r}_candidates'] = {
        'p50_ms': round(statistics.median(ms), 2),
        'recall_at_10': round(float(np.mean(rec)), 3),
        'recall_min': round(float(np.min(rec)), 2),
    }
    if with_sqlite and size <= with_sqlite:
        result.update(sqlite_series(mat, queries, truth, max(1, repeats // 2), factors))
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sizes', type=int, nargs='+', default=[100_000, 300_000])
    parser.add_argument('--factors', type=int, nargs='+', default=list(FACTORS))
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument(
        '--sqlite', type=int, default=0, metavar='MAX', help="also time sqlite-vec's own KNN up to MAX chunks"
    )
    parser.add_argument('--real-outputs', type=int, default=600, help='demo outputs whose texts are embedded')
    parser.add_argument('--real-chunks', type=int, default=3000)
    parser.add_argument(
        '--cache', type=Path, default=Path(tempfile.gettempdir()) / 'outputhub-bench-vectors.npz'
    )
    parser.add_argument('--json', action='store_true')
    args = parser.parse_args(argv)
    real, queries = real_vectors(args.cache, args.real_outputs, args.real_chunks)
    results = [run(n, real, queries, args.repeats, args.factors, args.sqlite) for n in args.sizes]
    summary = {'real_chunks': len(real), 'queries': len(queries), 'k': K, 'results': results}
    if args.json:
        print(json.dumps(summary))
        return 0
    print(f'{len(real)} real chunks (all-MiniLM-L6-v2), {len(queries)} title queries, recall@{K} vs exact')
    for r in results:
        print(f'\n{r["chunks"]:,} chunks (float32 {r["float_mb"]} MB, bits {r["bits_mb"]} MB):')
        for name, v in r.items():
            if isinstance(v, dict):
                print(f'  {name:18s} p50 {v["p50_ms"]:7.2f} ms   recall@10 {v["recall_at_10"]:.3f}')
        if 'load_s' in r:
            print(f'  (sqlite-vec tables loaded in {r["load_s"]} s)')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
