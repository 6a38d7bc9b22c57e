"""Benchmark: how fast ``demo.seed`` fills a fresh database (issue 2 budget: 100,000 outputs < 2 min).

    python -m bench.seed --outputs 100000 [--conversations N] [--db PATH] [--json]

Seeds a fresh database file (a temporary one unless --db is given; an existing --db file is
replaced) through the app's own opener, so every migration's triggers (search, embedding queue)
are live, exactly as for ``outputhub seed``. Prints wall and CPU seconds, rows per second
(every row in every table) and outputs per second.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BUDGET_100K_S = 120.0


def run(outputs: int, conversations: int | None, path: Path) -> dict:
    from app.data import db as dbmod
    from app.data import demo

    for suffix in ('', '-wal', '-shm'):
        Path(str(path) + suffix).unlink(missing_ok=True)
    dbmod.connect(path)
    wall, cpu = time.perf_counter(), time.process_time()
    counts = demo.seed(outputs=outputs, conversations=conversations)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    dbmod.close()
    rows = sum(counts.values())
    return {
        'outputs': counts['outputs'],
        'conversations': counts['conversations'],
        'messages': counts['messages'],
        'rows': rows,
        'seconds': round(wall, 2),
        'cpu_seconds': round(cpu, 2),
        'rows_per_s': round(rows / wall),
        'outputs_per_s': round(counts['outputs'] / wall),
        'file_mb': round(sum(p.stat().st_size for p in path.parent.glob(path.name + '*')) / 1e6, 1),
        'budget_s': round(BUDGET_100K_S * max(outputs, 1) / 100_000, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--outputs', type=int, default=100_000)
    parser.add_argument('--conversations', type=int, default=None, help='default: outputs / 5')
    parser.add_argument('--db', type=Path, default=None, help='database file to (re)create')
    parser.add_argument('--json', action='store_true')
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        result = run(args.outputs, args.conversations, args.db or Path(tmp) / 'seed.db')
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f'seeded {result["outputs"]:,} outputs, {result["conversations"]:,} conversations, '
            f'{result["messages"]:,} messages ({result["rows"]:,} rows, {result["file_mb"]} MB)'
        )
        print(
            f'{result["seconds"]} s wall ({result["cpu_seconds"]} s CPU): {result["rows_per_s"]:,} rows/s, '
            f'{result["outputs_per_s"]:,} outputs/s; budget {result["budget_s"]} s'
        )
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
