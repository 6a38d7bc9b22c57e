"""Benchmark: library lists and capture at scale (issue 3 budgets).

    python -m bench.lists --outputs 100000 [--db PATH] [--json]

Seeds demo data (unless --db points at an already seeded file), then measures in one process:
- the outputs list's first page as the data layer builds it (median of 15), and its SQL query count;
- GET /outputs from the real app in a subprocess (page built with its first list page; median of 7);
- a filtered page (tag + rating) and a title filter;
- saving a capture (p50 / p95 over 200 captures with tags, model, prompt);
- a naive baseline — the same page loading tags and collections with one query per row (N+1) —
  so the ratio shows what the batched loading buys.
Budgets: first page <= 300 ms server time with <= 10 queries; capture p95 <= 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playhouse.test_utils import count_queries

ROOT = Path(__file__).resolve().parent.parent


def _median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _naive_first_page():
    """What a straightforward ORM page does: the rows, then tags and collections row by row."""
    from app.data.models import Collection, CollectionOutput, Output, OutputTag, Tag

    rows = list(
        Output.select().where(Output.deleted_at.is_null()).order_by(Output.created_at.desc()).limit(25)
    )
    for o in rows:
        o.tags = list(
            Tag.select().join(OutputTag, on=(OutputTag.tag == Tag.id)).where(OutputTag.output == o.id)
        )
        o.cols = list(
            Collection.select()
            .join(CollectionOutput, on=(CollectionOutput.collection == Collection.id))
            .where(CollectionOutput.output == o.id)
        )
        _ = o.model.name if o.model_id else None
        _ = o.category.name if o.category_id else None
    return rows


def _page_server_ms(db_path: Path, repeat: int) -> float:
    """Serve the real app in a subprocess and time GET /outputs: NiceGUI answers once the page,
    including its first list page, is built, so this is the server time plus a loopback round trip."""
    import socket
    import subprocess

    import httpx

    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != 'PYTEST_CURRENT_TEST'}
    env['OUTPUTHUB_DATA_DIR'] = str(db_path.parent)
    env['OUTPUTHUB_INDEXER'] = '0'  # measure the page, not the embedding backlog
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / 'main.py'), '--db', str(db_path), '--port', str(port), '--no-browser'],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f'http://127.0.0.1:{port}/outputs'
        deadline = time.time() + 90
        while True:
            try:
                httpx.get(url, timeout=10)
                break
            except httpx.HTTPError:
                if time.time() > deadline or proc.poll() is not None:
                    raise RuntimeError('the app did not start') from None
                time.sleep(0.3)
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            response = httpx.get(url, timeout=30)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        return statistics.median(times)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument('--outputs', type=int, default=100_000)
    parser.add_argument('--db', type=Path, default=None, help='use this database (seeded if empty)')
    parser.add_argument('--json', action='store_true')
    args = parser.parse_args(argv)

    from app.data import db as dbmod
    from app.data import demo, entities, lookups, outputs
    from app.data.listing import ListParams
    from app.data.models import Output

    path = args.db or Path(tempfile.mkdtemp(prefix='oh-bench-')) / 'bench.db'
    dbmod.connect(path)
    have = Output.select().count()
    seed_s = 0.0
    if have < args.outputs:
        start = time.perf_counter()
        demo.seed(outputs=args.outputs - have, seed=7)
        seed_s = time.perf_counter() - start
    n = Output.select().count()

    first = ListParams()
    page_ms = _median_ms(lambda: entities.list_items('output', first), 15)
    with count_queries() as counter:
        entities.list_items('output', first)
    tag = lookups.list_with_usage('tag', sort='usage', desc=True, per_page=1).items[0].row
    filtered = ListParams(tags=[tag.id], rating_min=3)
    filtered_ms = _median_ms(lambda: entities.list_items('output', filtered), 9)
    text_ms = _median_ms(lambda: entities.list_items('output', ListParams(text='python')), 9)
    conv_ms = _median_ms(lambda: entities.list_items('conversation', ListParams()), 9)
    naive_ms = _median_ms(_naive_first_page, 9)

    capture_times = []
    for i in range(200):
        data = outputs.CaptureData(
            body=f'Benchmark capture {i}: a short answer with `code` and a list.\n\n- one\n- two',
            prompt=f'Benchmark prompt {i % 20}',
            model='gpt-4o',
            tags=['bench', f'bench-{i % 5}'],
        )
        start = time.perf_counter()
        outputs.capture_output(data)
        capture_times.append((time.perf_counter() - start) * 1000)
    capture_times.sort()
    dbmod.close()

    page_server_ms = _page_server_ms(path, 7)

    result = {
        'outputs': n,
        'seed_s': round(seed_s, 1),
        'first_page_data_ms': round(page_ms, 1),
        'first_page_queries': counter.count,
        'first_page_server_ms': round(page_server_ms, 1),
        'filtered_page_ms': round(filtered_ms, 1),
        'title_filter_ms': round(text_ms, 1),
        'conversations_first_page_ms': round(conv_ms, 1),
        'naive_n_plus_1_page_ms': round(naive_ms, 1),
        'batched_vs_naive_ratio': round(naive_ms / page_ms, 2) if page_ms else None,
        'capture_p50_ms': round(capture_times[len(capture_times) // 2], 2),
        'capture_p95_ms': round(capture_times[int(len(capture_times) * 0.95)], 2),
        'budget_first_page_ok': page_server_ms <= 300 and counter.count <= 10,
        'budget_capture_ok': capture_times[int(len(capture_times) * 0.95)] <= 50,
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f'{key:32} {value}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
