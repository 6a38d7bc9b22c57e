"""The shape of the demo library: its reference date, sizes, weighted choices and time helpers."""

from __future__ import annotations

import bisect
import json
import random
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import accumulate
from typing import Any

# Every timestamp derives from this date, never from now(): the same seed gives the same rows.
REFERENCE_DATE = datetime(2026, 11, 1, 9, 0, 0)
SPAN_DAYS = 730  # content spreads over the two years before the reference date
SPAN = SPAN_DAYS * 86400
REFERENCE_MIDNIGHT = REFERENCE_DATE.replace(hour=0, minute=0, second=0, microsecond=0)
REFERENCE_SECONDS_OF_DAY = int((REFERENCE_DATE - REFERENCE_MIDNIGHT).total_seconds())
FIXTURE_TIME = REFERENCE_DATE - timedelta(days=SPAN_DAYS + 30)  # lookups exist before any content
CONVERSATION_RATIO = 5  # default: one conversation per five outputs
CONVERSATION_OUTPUT_SHARE = 0.4  # roughly this share of outputs is captured from a conversation message
CHUNK_UNITS = 2500  # conversations + outputs written per transaction
DEMO_OUTPUTS = 500
BULK_CACHE_KB = 256 * 1024
DEMO_SEED = 42
DEMO_STATE_KEY = 'demo_seed'
SEEDED_TOKEN_MARK = 'seeded:'  # prefixes a seeded token's hash, so no presented token can ever match it


class Rng(random.Random):
    """``random.Random`` with the hot helpers on the C ``random()``: same seed, same sequence, 2x faster."""

    def _randbelow(self, n: int) -> int:  # used by choice, sample, randrange
        return int(self.random() * n)

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))

    def choice(self, seq: Sequence[Any]) -> Any:
        return seq[int(self.random() * len(seq))]

    def sample(self, population: Sequence[Any], k: int) -> list[Any]:  # type: ignore[override]
        pool = list(population)
        n = len(pool)
        if not 0 <= k <= n:
            raise ValueError('sample larger than population or negative')
        for i in range(k):  # a partial Fisher-Yates shuffle
            j = i + int(self.random() * (n - i))
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:k]


class Weighted:
    """A fixed weighted choice, its cumulative weights computed once."""

    def __init__(self, pairs: Sequence[tuple[Any, float]]) -> None:
        self.items = [item for item, _w in pairs]
        self.cum = list(accumulate(w for _item, w in pairs))
        self.total = self.cum[-1]

    def pick(self, rng: random.Random) -> Any:
        return self.items[bisect.bisect_right(self.cum, rng.random() * self.total)]


DEMO_SOURCE = 'Demo data'

# Sources by how content arrives: conversations (import or chat) and standalone captures.
# A conversation source also says whose models answer there (None: any provider).
CONVERSATION_SOURCES = Weighted(
    [
        (('ChatGPT export', 'OpenAI'), 35),
        (('Claude export', 'Anthropic'), 20),
        (('In-app chat', None), 33),
        (('Gemini export', 'Google'), 5),
        (('Manual capture', None), 7),
    ]
)
OUTPUT_SOURCES = Weighted(
    (
        ('Manual capture', 40),
        ('Android share (Tasker)', 12),
        ('REST API', 8),
        ('iOS Shortcut', 6),
        ('Browser clipper', 10),
        ('llm CLI', 10),
        ('Perplexity', 5),
        ('Obsidian import', 5),
        ('In-app chat', 4),
    )
)
RATINGS = Weighted(((1, 3), (2, 7), (3, 20), (4, 40), (5, 30)))
ACCURACY = Weighted(
    (
        ('Verified', 25),
        ('Mostly accurate', 30),
        ('Unverified', 20),
        ('Tested in production', 8),
        ('Peer reviewed', 5),
        ('Partially correct', 5),
        ('Outdated', 3),
        ('Needs checking', 2),
        ('Wrong', 1),
        ('Hallucinated', 1),
    )
)
ITEM_PLANS = (('30 days', 30), ('90 days', 90), ('1 year', 365), ('2 years', 730), ('5 years', 1825))
ITEM_PLANS += (('Keep forever', None),)
FOLLOWUP_OPENERS = (
    'Sure.',
    'Good point.',
    'Here is the updated version.',
    'Yes — with one caveat.',
    'Of course.',
    'Done.',
    'Good catch.',
)
SECTION_TITLES = ('Key points', 'What changed', 'Details', 'Step by step', 'Summary', 'Notes')
WEEKDAYS = ('Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday')
SUMMARIES = (
    'Worked through {title} and ended with a version worth keeping.',
    'Started broad, narrowed down to a concrete answer about {title}.',
    'Several iterations; the final answer is the one captured.',
)
CONVERSATION_NOTES = (
    'Continue this next week.',
    'Good thread to share with {first}.',
    'The last answer is the useful one.',
)

# Prompt variables ({{name}}) and how a user would fill them for an item's context.
VAR_FILL = {
    'code': 'def {fn}(rows):\n    out = []\n    for r in rows:\n        if r:\n            for k in r.keys():\n                if k.startswith("x_"):\n                    out.append((k, r[k]))\n    return out',
    'database': 'PostgreSQL 16',
    'query': 'SELECT * FROM {table} WHERE {col} = $1 ORDER BY created_at DESC LIMIT 50;',
    'plan': 'Limit  (actual time={b}.1..{b}.9 rows=50)\n  ->  Sort  (Sort Key: created_at DESC)\n        ->  Seq Scan on {table}  (rows={big}00)',
    'component': 'export function {component}({{ userId }}) {{\n  const orders = {hook}({{ userId, pageSize: 20 }});\n  useEffect(() => setCount(orders.length), [orders]);\n  return <OrderTable rows={{orders}} />;\n}}',
    'symptom': 'it re-renders in a loop after the first fetch',
    'dockerfile': 'FROM python:3.12\nCOPY . /app\nRUN pip install -r /app/requirements.txt\nCMD ["python", "/app/{service}.py"]',
    'filename': '{dataset}',
    'metric': '{metric}',
    'title': '{paper}',
    'notes': '{first}: launch slips a week unless legal signs off\n{first2}: pricing page copy is done\n{first3}: {company} wants a demo on {weekday}',
    'recipient': '{name} at {company}',
    'topic': '{purpose}',
    'product': '{product}',
    'audience': '{audience}',
    'feature': '{feature} in {product}',
    'concept': '{concept}',
    'destination': '{destination}',
    'subject': '{subject}',
    'contract': '[{contract} from {company}, 12 pages, pasted]',
    'income': '{big} a month',
    'goal': '{goal}',
}
VAR_RE = re.compile(r'\{\{\s*(\w+)\s*(?:\|([^}]*))?\}\}')


DAY_PREFIXES: dict[int, str] = {}


def timestamp(seconds: float) -> str:
    """Seconds relative to the reference date -> the text peewee stores for a naive datetime.

    Equal to ``(REFERENCE_DATE + timedelta(seconds=...)).isoformat(' ')``, three times faster.
    """
    day, rest = divmod(int(seconds) + REFERENCE_SECONDS_OF_DAY, 86400)
    prefix = DAY_PREFIXES.get(day)
    if prefix is None:
        prefix = DAY_PREFIXES[day] = (REFERENCE_MIDNIGHT + timedelta(days=day)).strftime('%Y-%m-%d')
    return f'{prefix} {rest // 3600:02d}:{rest // 60 % 60:02d}:{rest % 60:02d}'


MONTHS = ('January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September')
MONTHS += ('October', 'November', 'December')


def day_month(seconds: int) -> str:
    day = REFERENCE_DATE + timedelta(seconds=seconds)
    return f'{day.day} {MONTHS[day.month - 1]}'


def relative_seconds(value: datetime | str) -> int:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return int((value - REFERENCE_DATE).total_seconds())


def compact_json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(',', ':'))
