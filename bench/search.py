"""Benchmark search at N outputs against the practical limits, and print the figures (one JSON object).

    .venv/bin/python -m bench.search --n 100000 --synthetic-vectors --json
    .venv/bin/python -m bench.search --n 10000 --json            # real model: embeds 10k texts first

Every figure comes from the same run on the same data, queries interleaved so machine load hits all
series alike; each query runs ``--repeats`` times per series and its fastest run counts (a shared
2-core machine's scheduling stalls removed), then p50 / p95 are taken over the queries:
- keyword_p50_ms: ``search(mode='keyword')`` for a selective term (a code name in ~20 outputs);
  keyword_common_p50_ms the same for a word in most outputs (bounded by KEYWORD_CANDIDATES);
- semantic_p50_ms / hybrid_p50_ms: ``search(mode=...)``, limit 10, titles and snippets included;
  the query vector is computed before timing (query_embed_p50_ms reports the model's share);
- numpy_exact_p50_ms: ``X @ q`` + argpartition over every vector, float32 (the practical CPU limit);
- python_bruteforce_p50_ms: float32 BLOBs read from SQLite, unpacked and scored in a pure-Python
  cosine loop (what ``llm similar`` does), timed on a subset and scaled linearly;
- like_scan_p50_ms: ``LIKE '%term%'`` over title, body and notes for the same selective terms;
- recall_at_10: overlap of semantic top-10 items with the exact top-10 items (numpy, chunks collapsed).
Targets at n = 100,000: semantic <= 1.2 x numpy_exact with recall >= 0.95; semantic >= 200x faster
than python_bruteforce; keyword >= 50x faster than like_scan; hybrid <= 60 ms.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import struct
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

TOPICS = {
    'python': ['function', 'decorator', 'generator', 'asyncio', 'typing', 'dataclass', 'pytest', 'import'],
    'sql': ['index', 'query', 'join', 'transaction', 'vacuum', 'trigger', 'schema', 'migration'],
    'cooking': ['recipe', 'oven', 'simmer', 'garlic', 'butter', 'knead', 'marinade', 'roast'],
    'travel': ['flight', 'hotel', 'itinerary', 'passport', 'museum', 'train', 'budget', 'luggage'],
    'fitness': ['interval', 'stretch', 'protein', 'marathon', 'recovery', 'squat', 'cadence', 'rest'],
    'finance': ['invoice', 'budget', 'pension', 'mortgage', 'dividend', 'expense', 'tax', 'ledger'],
    'writing': ['outline', 'chapter', 'dialogue', 'editor', 'metaphor', 'draft', 'plot', 'voice'],
    'gardening': ['compost', 'seedling', 'prune', 'mulch', 'tomato', 'irrigation', 'soil', 'harvest'],
    'devops': ['container', 'deploy', 'pipeline', 'latency', 'cluster', 'rollback', 'metrics', 'alert'],
    'music': ['chord', 'tempo', 'melody', 'scale', 'rhythm', 'mixing', 'guitar', 'harmony'],
}
TEMPLATES = [
    'Here is how to handle the {a} when the {b} gets in the way. First check the {c}, then adjust the {d}.',
    'A short guide to {a} and {b}: start small, keep the {c} simple and review the {d} every week.',
    'The {a} failed because the {b} was not ready; after fixing the {c} the {d} worked as expected.',
    'Compare {a} with {b}. In most cases the {c} matters more than the {d}, but measure before deciding.',
    'Checklist: {a}, {b}, {c} and {d}. Skip none of them, and write down what you changed and why.',
]
COMMON = 'the'  # in every body: the worst case for ranking


def _codename(rng: random.Random) -> str:
    return ''.join(rng.choice('bcdfghjklmnpqrstvwxz') + rng.choice('aeiou') for _ in range(3)) + 'x'


def make_outputs(n: int, seed: int = 7) -> tuple[list[tuple[str, str]], list[str]]:
    """Demo-like (title, body) pairs: a topic, templated sentences, and one selective code name each."""
    rng = random.Random(seed)
    codenames = sorted({_codename(rng) for _ in range(max(10, n // 20))})
    topics = list(TOPICS)
    rows = []
    for i in range(n):
        topic = rng.choice(topics)
        words = TOPICS[topic]
        code = rng.choice(codenames)
        sentences = []
        for _ in range(rng.choice((2, 3, 4, 6, 10))):  # a few long outputs make multi-chunk owners
            a, b, c, d = rng.sample(words, 4)
            sentences.append(rng.choice(TEMPLATES).format(a=a, b=b, c=c, d=d))
        sentences.insert(rng.randrange(len(sentences) + 1), f'Project {code} uses this approach.')
        title = f'{topic.capitalize()} note {i}: {rng.choice(words)} and {rng.choice(words)}'
        rows.append((title, ' '.join(sentences)))
    return rows, codenames


def seed(n: int) -> tuple[list[str], float]:
    from app.data import db as dbmod

    started = time.monotonic()
    rows, codenames = make_outputs(n)
    database = dbmod.current()
    rng = random.Random(11)
    for start in range(0, n, 5000):
        batch = []
        for title, body in rows[start : start + 5000]:
            batch.append(
                (title, body, str(hash(body)), rng.choice((None, 3, 4, 5)), int(rng.random() < 0.05))
            )
        with dbmod.write_tx():
            database.cursor().executemany(
                'INSERT INTO output (created_at, updated_at, favourite, keep, title, body, body_hash, rating) '
                "VALUES (datetime('now'), datetime('now'), ?5, 0, ?1, ?2, ?3, ?4)",
                batch,
            )
    # A few in the trash, as in real life: search must skip them.
    with dbmod.write_tx():
        database.execute_sql("UPDATE output SET deleted_at = datetime('now') WHERE id % 200 = 0")
    return codenames, time.monotonic() - started


def p50(values: list[float]) -> float:
    return round(statistics.median(values) * 1000, 3)


def p95(values: list[float]) -> float:
    values = sorted(values)
    return round(values[min(len(values) - 1, int(math.ceil(0.95 * len(values))) - 1)] * 1000, 3)


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


def best_of(repeats: int, fn, *args, **kwargs):
    """The fastest of ``repeats`` runs (and its result): a shared machine's scheduling noise removed."""
    best, result = timed(fn, *args, **kwargs)
    for _ in range(repeats - 1):
        dt, result = timed(fn, *args, **kwargs)
        best = min(best, dt)
    return best, result


def python_bruteforce(database, q: list[float], limit: int) -> float:
    """Seconds to read ``limit`` float32 BLOBs from SQLite and score them with a pure-Python cosine loop."""
    started = time.perf_counter()
    rows = database.execute_sql('SELECT chunk_id, embedding FROM embed_vec LIMIT ?', (limit,)).fetchall()
    qn = math.sqrt(sum(x * x for x in q))
    scores = []
    for cid, blob in rows:
        v = struct.unpack(f'{len(blob) // 4}f', blob)
        dot = sum(a * b for a, b in zip(q, v, strict=True))
        vn = math.sqrt(sum(x * x for x in v))
        scores.append((dot / (qn * vn), cid))
    scores.sort(reverse=True)
    return time.perf_counter() - started


def run(n: int, synthetic: bool, queries: int, db_path: Path, repeats: int = 3) -> dict:
    from app.data import db as dbmod
    from app.data import embeddings, search, settings_store, vectors

    dbmod.connect(db_path)
    codenames, seed_s = seed(n)
    if synthetic:
        settings_store.put(embeddings.MODEL_SETTING, 'builtin:random-384')
    index_s, report = timed(embeddings.index_pending, batch=256)
    database = dbmod.current()
    load_s, index = timed(vectors.index_for, database)
    embedder = embeddings.get_embedder()

    # The exact reference: every vector as one float32 matrix, with the owner of each row.
    ids = np.array([r[0] for r in database.execute_sql('SELECT id FROM embed_chunk ORDER BY id')], np.int64)
    owners = dict(database.execute_sql('SELECT id, owner_id FROM embed_chunk').fetchall())
    blobs = dict(database.execute_sql('SELECT chunk_id, embedding FROM embed_vec').fetchall())
    X = np.frombuffer(b''.join(blobs[i] for i in ids), np.float32).reshape(len(ids), -1).copy()
    row_owner = np.array([owners[i] for i in ids], np.int64)
    trashed = {r[0] for r in database.execute_sql('SELECT id FROM output WHERE deleted_at IS NOT NULL')}
    del blobs

    rng = random.Random(3)
    picks = rng.sample(codenames, min(queries, len(codenames)))
    topic_words = [w for words in TOPICS.values() for w in words]
    texts = [f'{code} {rng.choice(topic_words)}' for code in picks]
    qvecs = {t: embedder.encode_query(t) for t in texts}  # the model's share is reported apart
    embed_times = []
    if not synthetic:
        for t in texts[:10]:
            embed_times.append(timed(embedder.encode, [t + ' (uncached)'])[0])

    def numpy_exact(q):
        s = X @ q
        return np.argpartition(-s, 10)[:10]

    def exact_owners(q, k=10):
        s = X @ q
        order = np.argsort(-s)
        out = []
        for row in order:
            oid = int(row_owner[row])
            if oid not in trashed and oid not in out:
                out.append(oid)
                if len(out) == k:
                    break
        return out

    like_sql = (
        'SELECT id FROM output WHERE (title LIKE ?1 OR body LIKE ?1 OR notes LIKE ?1) AND deleted_at IS NULL'
    )
    # Warm up every path once (first-use costs are not query costs).
    search.search(texts[0], mode='hybrid', limit=10)
    numpy_exact(qvecs[texts[0]])
    database.execute_sql(like_sql, (f'%{picks[0]}%',)).fetchall()

    t = {k: [] for k in ('keyword', 'common', 'semantic', 'hybrid', 'numpy', 'like')}
    recalls = []
    r = repeats
    for text, code in zip(texts, picks, strict=True):
        q = qvecs[text]
        common = f'{COMMON} {rng.choice(topic_words)}'
        t['numpy'].append(best_of(r, numpy_exact, q)[0])
        dt, sem = best_of(r, search.search, text, mode='semantic', limit=10)
        t['semantic'].append(dt)
        t['hybrid'].append(best_of(r, search.search, text, mode='hybrid', limit=10)[0])
        dt, kw = best_of(r, search.search, code, mode='keyword', limit=10)
        assert kw, f'keyword search found nothing for {code}'
        t['keyword'].append(dt)
        t['common'].append(best_of(r, search.search, common, mode='keyword', limit=10)[0])
        t['like'].append(best_of(r, lambda c=code: database.execute_sql(like_sql, (f'%{c}%',)).fetchall())[0])
        exact = set(exact_owners(q))
        recalls.append(len(exact & {h.id for h in sem}) / max(1, len(exact)))

    subset = min(len(ids), 2000)
    q0 = [float(x) for x in qvecs[texts[0]]]
    brute = [python_bruteforce(database, q0, subset) * len(ids) / subset for _ in range(3)]

    result = {
        'n': n,
        'vectors': int(len(ids)),
        'synthetic_vectors': synthetic,
        'model': report.model,
        'queries': len(texts),
        'repeats': repeats,
        'keyword_p50_ms': p50(t['keyword']),
        'keyword_common_p50_ms': p50(t['common']),
        'semantic_p50_ms': p50(t['semantic']),
        'semantic_p95_ms': p95(t['semantic']),
        'hybrid_p50_ms': p50(t['hybrid']),
        'hybrid_p95_ms': p95(t['hybrid']),
        'numpy_exact_p50_ms': p50(t['numpy']),
        'python_bruteforce_p50_ms': p50(brute),
        'like_scan_p50_ms': p50(t['like']),
        'recall_at_10': round(statistics.mean(recalls), 4),
        'query_embed_p50_ms': p50(embed_times) if embed_times else 0.0,
        'seed_s': round(seed_s, 1),
        'index_s': round(index_s, 1),
        'vector_mirror_load_s': round(load_s, 2),
        'vector_mirror_mb': round(index.memory_bytes / 2**20, 1),
        'db_mb': round(sum(p.stat().st_size for p in db_path.parent.glob(db_path.name + '*')) / 2**20, 1),
        # Fastest single query per series.
        'best_ms': {k: round(min(v) * 1000, 3) for k, v in t.items()},
        'cores': os.cpu_count(),
        'loadavg_1m': round(os.getloadavg()[0], 2),
    }
    sem, num = result['semantic_p50_ms'], result['numpy_exact_p50_ms']
    result['semantic_vs_numpy'] = round(sem / num, 3) if num else None
    result['bruteforce_vs_semantic'] = round(result['python_bruteforce_p50_ms'] / sem, 1) if sem else None
    result['like_vs_keyword'] = round(result['like_scan_p50_ms'] / result['keyword_p50_ms'], 1)
    result['targets_met'] = {
        'semantic_le_1.2x_numpy': result['semantic_vs_numpy'] <= 1.2,
        'recall_ge_0.95': result['recall_at_10'] >= 0.95,
        'semantic_ge_200x_bruteforce': result['bruteforce_vs_semantic'] >= 200,
        'keyword_ge_50x_like': result['like_vs_keyword'] >= 50,
        'hybrid_le_60ms': result['hybrid_p50_ms'] <= 60,
    }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--n', type=int, default=10000, help='outputs to seed')
    parser.add_argument(
        '--synthetic-vectors',
        action='store_true',
        help='random unit vectors instead of the model (fast at 100k)',
    )
    parser.add_argument('--queries', type=int, default=40)
    parser.add_argument(
        '--repeats', type=int, default=3, help='runs per query and series; the fastest counts'
    )
    parser.add_argument('--db', type=Path, help='database file to create (default: a temporary one)')
    parser.add_argument('--json', action='store_true', help='print one JSON object')
    args = parser.parse_args(argv)
    os.environ.setdefault('OUTPUTHUB_DATA_DIR', tempfile.mkdtemp(prefix='outputhub-bench-'))
    with tempfile.TemporaryDirectory(prefix='outputhub-bench-') as tmp:
        path = args.db or Path(tmp) / 'bench.db'
        if path.exists():
            sys.exit(f'{path} exists; the benchmark makes a new database')
        result = run(args.n, args.synthetic_vectors, args.queries, path, args.repeats)
        from app.data import db as dbmod

        dbmod.close()
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f'{key:28} {value}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
