"""Benchmark: word diffs of prompt versions, typical and pathological, and per-version provenance.

    python -m bench.versions [--json]

Prints, for each case, the text size, the seconds one diff takes and how many runs it produced:
long prompts with a few edits, unrelated texts, many identical lines or words (which make plain
difflib quadratic — minutes before ``versioning._opcodes`` bounded the cost), and one long
paragraph. Then ``version_stats`` for a prompt with 50 versions and 20,000 outputs (query count and
milliseconds).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from playhouse.test_utils import count_queries


def _text(rng: random.Random, lines: int, vocabulary: list[str]) -> str:
    return '\n'.join(' '.join(rng.choice(vocabulary) for _ in range(12)) for _ in range(lines))


def diff_cases() -> dict[str, tuple[str, str]]:
    rng = random.Random(1)
    small_vocab = ['alpha', 'beta', 'gamma', 'delta', 'the', 'a', 'of', 'and', 'model', 'prompt']
    prose_vocab = ['the', 'cat', 'sat', 'on', 'a', 'mat', 'and', 'then', 'it', 'slept'] + [
        f'word{i}' for i in range(3000)
    ]
    long = _text(rng, 6000, small_vocab)
    edited = '\n'.join(
        line.replace('alpha', 'omega') if i % 50 == 0 else line for i, line in enumerate(long.split('\n'))
    )
    prose = ' '.join(rng.choice(prose_vocab) for _ in range(60000))
    sentences = '. '.join(prose.split(' the '))
    return {
        'typical prompt, 3 words edited': (
            'You are a careful reviewer. ' * 40 + 'Check {{code}} for bugs.',
            'You are a careful reviewer. ' * 39
            + 'You are a strict reviewer. Check {{code}} for bugs and style.',
        ),
        '350k chars, every 50th line edited': (long, edited),
        '350k chars, unrelated texts': (long, _text(rng, 6000, small_vocab)),
        '5,000 identical lines': ('same line\n' * 5000, 'same line\n' * 4000 + 'other\n' * 1000),
        '3,000 repeated word pairs': ('a b ' * 3000, 'a c ' * 3000),
        '500k chars of sentences, 3 words edited': (sentences, sentences.replace('word17', 'CHANGED', 3)),
    }


def bench_diffs(repeat: int = 3) -> list[dict]:
    from app.data.versioning import word_diff

    rows = []
    for name, (old, new) in diff_cases().items():
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            diff = word_diff(old, new)
            times.append(time.perf_counter() - start)
        rows.append(
            {
                'case': name,
                'chars': len(old) + len(new),
                'seconds': round(statistics.median(times), 3),
                'runs': len(diff.runs),
                'added_words': diff.added_words,
                'removed_words': diff.removed_words,
            }
        )
    return rows


def bench_provenance() -> dict:
    from app.data import db as dbmod
    from app.data import prompts
    from app.data.models import Output, utcnow

    with tempfile.TemporaryDirectory() as tmp:
        database = dbmod.connect(Path(tmp) / 'bench.db')
        p = prompts.create_prompt('Bench', 'v1 body')
        ids = [prompts.current_version(p.id).id]
        for i in range(2, 51):
            ids.append(prompts.new_version(p.id, f'v{i} body').id)
        rng = random.Random(3)
        now = utcnow()
        rows = [
            {
                'title': f'out {i}',
                'body': f'out {i}',
                'body_hash': f'{i:064x}',
                'prompt_version': rng.choice(ids),
                'rating': rng.choice([None, 1, 2, 3, 4, 5]),
                'created_at': now,
                'updated_at': now,
            }
            for i in range(20000)
        ]
        with dbmod.write_tx():
            for start in range(0, len(rows), 500):
                Output.insert_many(rows[start : start + 500]).execute()
        times = []
        for _ in range(7):
            start = time.perf_counter()
            with count_queries() as counter:
                stats = prompts.version_stats(p.id)
            times.append((time.perf_counter() - start) * 1000)
        database.close()
        return {
            'versions': len(stats),
            'outputs': sum(s.outputs for s in stats),
            'queries': counter.count,
            'ms_median': round(statistics.median(times), 1),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--json', action='store_true')
    args = parser.parse_args()
    result = {'diffs': bench_diffs(), 'provenance': bench_provenance()}
    if args.json:
        print(json.dumps(result))
        return
    print(f'{"diff case":42} {"chars":>9} {"seconds":>8} {"runs":>6}')
    for row in result['diffs']:
        print(f'{row["case"]:42} {row["chars"]:>9,} {row["seconds"]:>8.3f} {row["runs"]:>6}')
    p = result['provenance']
    print(
        f'version_stats: {p["versions"]} versions, {p["outputs"]:,} outputs -> '
        f'{p["queries"]} queries, {p["ms_median"]} ms (median of 7)'
    )


if __name__ == '__main__':
    main()
