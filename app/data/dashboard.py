"""The dashboard's numbers: captures and messages over time, models and providers, tokens and cost,
ratings by prompt version, most used tags and agents, where things came from — all for a date range.

Per-day totals are stored (``stat_*`` tables, migration 0005) and recomputed in SQL only for the
days a write has marked, reading the day-first covering indexes of migration 0004; a dashboard over
100k outputs / 1M messages then reads a few thousand stored rows. Python only folds them into weeks.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import date, timedelta

from ..errors import ValidationError
from . import db as dbmod

# The day of a stored timestamp ("YYYY-MM-DD HH:MM:SS", naive UTC). Must read exactly like the
# expression of the dashboard indexes, or SQLite cannot use them.
DAY = 'substr(created_at, 1, 10)'
TOP = 15  # bars in the "most used" charts
# More marked days than this: recompute every day at once (after an import or the first start).
FULL_REFRESH = 400
MAX_PADDED_WEEKS = 260


@dataclass(frozen=True)
class Period:
    """Inclusive date range; None on either side means open-ended."""

    date_from: date | None = None
    date_to: date | None = None

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValidationError('The start date is after the end date.')

    def sql(self, expr: str = DAY) -> tuple[str, list[str]]:
        """`` AND ...`` conditions on a day expression, and their parameters."""
        parts, params = [], []
        if self.date_from:
            parts.append(f' AND {expr} >= ?')
            params.append(self.date_from.isoformat())
        if self.date_to:
            parts.append(f' AND {expr} <= ?')
            params.append(self.date_to.isoformat())
        return ''.join(parts), params


@dataclass
class Week:
    start: date  # Monday
    outputs: int = 0
    messages: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost: float = 0.0

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)


@dataclass
class ModelUsage:
    model_id: int
    label: str
    provider_id: int | None
    provider: str
    outputs: int = 0
    messages: int = 0
    tokens: int = 0
    cost: float = 0.0


@dataclass
class ProviderUsage:
    provider_id: int
    name: str
    model_ids: list[int] = field(default_factory=list)
    outputs: int = 0
    messages: int = 0
    tokens: int = 0
    cost: float = 0.0


@dataclass(frozen=True)
class VersionRating:
    prompt_id: int
    version_id: int
    number: int
    label: str  # "Prompt title · v2"
    rated: int  # outputs with a rating
    average: float


@dataclass(frozen=True)
class Usage:
    """A tag or agent and how often it was used in the period."""

    id: int
    label: str
    outputs: int
    messages: int = 0


@dataclass(frozen=True)
class SourceUsage:
    id: int
    name: str
    kind: str
    outputs: int
    conversations: int


@dataclass
class Dashboard:
    period: Period
    weeks: list[Week]
    models: list[ModelUsage]
    providers: list[ProviderUsage]
    ratings: list[VersionRating]
    tags: list[Usage]
    agents: list[Usage]
    sources: list[SourceUsage]

    @property
    def totals(self) -> dict[str, float]:
        return {
            'outputs': sum(w.outputs for w in self.weeks),
            'messages': sum(w.messages for w in self.weeks),
            'input_tokens': sum(w.input_tokens for w in self.weeks),
            'output_tokens': sum(w.output_tokens for w in self.weeks),
            'cost': round(sum(w.cost for w in self.weeks), 6),
        }

    @property
    def empty(self) -> bool:
        return not any(w.outputs or w.messages for w in self.weeks)


def _rows(sql: str, params: list) -> list[tuple]:
    return dbmod.current().execute_sql(sql, params).fetchall()


def _monday(day: str | date) -> date:
    d = date.fromisoformat(day) if isinstance(day, str) else day
    return d - timedelta(days=d.weekday())


# Live outputs, read through the partial covering index output_dashboard.
_OUTPUTS = 'FROM output WHERE deleted_at IS NULL'
# Messages of conversations that are not in the trash, through message_dashboard.
_MESSAGES = (
    'FROM message WHERE conversation_id NOT IN (SELECT id FROM conversation WHERE deleted_at IS NOT NULL)'
)


# --------------------------------------------------------------------------- stored per-day totals


def compute_days(days: list[str] | None) -> dict[str, list[tuple]]:
    """Per-day totals counted now from the base tables, for ``days`` (``YYYY-MM-DD``) or all days.

    Output tokens and cost count only for outputs not captured from a message: the message already
    counts them, and the dashboard must not count a reply twice.
    """
    params = [] if days is None else [json.dumps(sorted(days))]

    def only(expr: str = DAY) -> str:
        return '' if days is None else f' AND {expr} IN (SELECT value FROM json_each(?))'

    cond = only()
    tagged_day = 'substr(output.created_at, 1, 10)'  # output_tag has a created_at too
    standalone = 'CASE WHEN message_id IS NULL THEN {} END'
    return {
        'activity': _rows(
            f"SELECT {DAY}, 'output', model_id, agent_version_id, count(*), "
            f'COALESCE(sum({standalone.format("input_tokens")}), 0), '
            f'COALESCE(sum({standalone.format("output_tokens")}), 0), '
            f'COALESCE(sum({standalone.format("cost")}), 0.0) '
            f'{_OUTPUTS}{cond} GROUP BY 1, 3, 4',
            params,
        )
        + _rows(
            f"SELECT {DAY}, 'message', model_id, agent_version_id, count(*), COALESCE(sum(input_tokens), 0), "
            f'COALESCE(sum(output_tokens), 0), COALESCE(sum(cost), 0.0) {_MESSAGES}{cond} GROUP BY 1, 3, 4',
            params,
        ),
        'tag': _rows(
            f'SELECT {tagged_day}, j.tag_id, count(*) FROM output JOIN output_tag j ON j.output_id = output.id '
            f'WHERE output.deleted_at IS NULL{only(tagged_day)} GROUP BY 1, 2',
            params,
        ),
        'rating': _rows(
            f'SELECT {DAY}, prompt_version_id, count(*), sum(rating) {_OUTPUTS} '
            f'AND prompt_version_id IS NOT NULL AND rating IS NOT NULL{cond} GROUP BY 1, 2',
            params,
        ),
        'source': _rows(
            'SELECT day, source_id, sum(o), sum(c) FROM ('
            f'  SELECT {DAY} AS day, source_id, count(*) AS o, 0 AS c {_OUTPUTS}{cond} GROUP BY 1, 2'
            '  UNION ALL'
            f'  SELECT {DAY}, source_id, 0, count(*) FROM conversation WHERE deleted_at IS NULL{cond} GROUP BY 1, 2'
            ') GROUP BY 1, 2',
            params * 2,
        ),
    }


_REFRESH_LOCK = threading.Lock()

_STAT_TABLES = {
    'activity': 'stat_activity (day, kind, model_id, agent_version_id, n, input_tokens, output_tokens, cost)',
    'tag': 'stat_tag (day, tag_id, n)',
    'rating': 'stat_rating (day, prompt_version_id, n, total)',
    'source': 'stat_source (day, source_id, outputs, conversations)',
}


def refresh_stats() -> int:
    """Bring the stored numbers up to date (see ``_refresh_stats_unlocked``); one refresh at a time per process,
    so two pages opened together do not both recount a big library."""
    with _REFRESH_LOCK:
        return _refresh_stats_unlocked()


def _refresh_stats_unlocked() -> int:
    """Recompute the stored totals of every day a write has marked (migration 0005); returns how many.

    The counting happens outside the write lock; only the short write of the results takes it. A mark
    whose ``gen`` moved on meanwhile stays, so the next reader recomputes that day again.
    """
    dirty = _rows('SELECT day, gen FROM stat_dirty_day', [])
    if not dirty:
        return 0
    full = len(dirty) > FULL_REFRESH or any(day == '*' for day, _ in dirty)
    days = None if full else [day for day, _ in dirty]
    fresh = compute_days(days)
    with dbmod.write_tx():
        database = dbmod.current()
        for key, spec in _STAT_TABLES.items():
            table = spec.split(' ', 1)[0]
            if full:
                database.execute_sql(f'DELETE FROM {table}')
            else:
                database.execute_sql(
                    f'DELETE FROM {table} WHERE day IN (SELECT value FROM json_each(?))', [json.dumps(days)]
                )
            rows = fresh[key]
            if rows:
                marks = ','.join('?' * len(rows[0]))
                database.cursor().executemany(f'INSERT INTO {spec} VALUES ({marks})', rows)
        database.cursor().executemany('DELETE FROM stat_dirty_day WHERE day = ? AND gen = ?', dirty)
    return len(dirty)


def needs_full_refresh() -> bool:
    """True when the next dashboard has to count everything (first start after an upgrade, big import)."""
    n = _rows("SELECT count(*), max(day = '*') FROM stat_dirty_day", [])[0]
    return bool(n[1]) or n[0] > FULL_REFRESH


def rebuild_stats() -> None:
    """Recount every day (a repair; normal writes keep the totals fresh)."""
    with dbmod.write_tx():
        dbmod.current().execute_sql(
            "INSERT INTO stat_dirty_day (day) VALUES ('*') ON CONFLICT (day) DO UPDATE SET gen = gen + 1"
        )
    refresh_stats()


# --------------------------------------------------------------------------- reading them


def _weeks(period: Period) -> list[Week]:
    """Captures, messages, tokens and cost per week (Monday to Sunday), empty weeks included."""
    cond, params = period.sql('day')
    by_week: dict[date, Week] = {}
    # date(day, 'weekday 0', '-6 days') is the Monday of the day's week
    for week_start, kind, n, tin, tout, cost in _rows(
        "SELECT date(day, 'weekday 0', '-6 days'), kind, sum(n), sum(input_tokens), sum(output_tokens), "
        f'sum(cost) FROM stat_activity WHERE 1{cond} GROUP BY 1, 2',
        params,
    ):
        if not week_start:
            continue
        start = date.fromisoformat(week_start)
        week = by_week.setdefault(start, Week(start))
        if kind == 'output':
            week.outputs += n
        else:
            week.messages += n
        week.input_tokens += tin
        week.output_tokens += tout
        week.cost += cost
    lo = _monday(period.date_from) if period.date_from else None
    hi = _monday(period.date_to) if period.date_to else None
    if by_week:
        first, last = min(by_week), max(by_week)
        # show the chosen range's empty edges too, unless a far-off bound would make thousands of bars
        if lo and (last - lo).days <= MAX_PADDED_WEEKS * 7:
            first = min(first, lo)
        if hi and (hi - first).days <= MAX_PADDED_WEEKS * 7:
            last = max(last, hi)
    elif lo and hi and (hi - lo).days <= MAX_PADDED_WEEKS * 7:
        first, last = lo, hi
    else:
        return []
    weeks, current = [], first
    while current <= last:  # every week in the range, empty ones included, so the time axis is honest
        weeks.append(by_week.get(current) or Week(current))
        current += timedelta(days=7)
    for w in weeks:
        w.cost = round(w.cost, 6)
    return weeks


def _models(period: Period) -> tuple[list[ModelUsage], list[ProviderUsage]]:
    """Captures and messages per model (user / system / tool messages have none) and per provider."""
    cond, params = period.sql('s.day')
    rows = _rows(
        'SELECT s.model_id, COALESCE(m.display_name, m.name), m.provider_id, p.name, '
        "sum(CASE WHEN s.kind = 'output' THEN s.n ELSE 0 END), "
        "sum(CASE WHEN s.kind = 'message' THEN s.n ELSE 0 END), "
        'sum(s.input_tokens + s.output_tokens), sum(s.cost) '
        'FROM stat_activity s JOIN llm_model m ON m.id = s.model_id LEFT JOIN provider p ON p.id = m.provider_id '
        f'WHERE s.model_id IS NOT NULL{cond} GROUP BY s.model_id',
        params,
    )
    models: list[ModelUsage] = []
    providers: dict[int, ProviderUsage] = {}
    for model_id, label, provider_id, provider, n_out, n_msg, tokens, cost in rows:
        if not (n_out or n_msg):
            continue
        models.append(
            ModelUsage(model_id, label, provider_id, provider or '', n_out, n_msg, tokens, round(cost, 6))
        )
        if provider_id is not None:
            p = providers.setdefault(provider_id, ProviderUsage(provider_id, provider))
            p.model_ids.append(model_id)
            p.outputs += n_out
            p.messages += n_msg
            p.tokens += tokens
            p.cost = round(p.cost + cost, 6)
    models.sort(key=lambda m: (-(m.outputs + m.messages), m.label.lower()))
    provider_list = sorted(providers.values(), key=lambda p: (-(p.outputs + p.messages), p.name.lower()))
    for p in provider_list:
        p.model_ids.sort()
    return models, provider_list


def _agents(period: Period, limit: int) -> list[Usage]:
    """Agents (not in the trash) by captures and messages made with any of their versions."""
    cond, params = period.sql('s.day')
    rows = _rows(
        'SELECT a.id, a.name, '
        "sum(CASE WHEN s.kind = 'output' THEN s.n ELSE 0 END) AS o, "
        "sum(CASE WHEN s.kind = 'message' THEN s.n ELSE 0 END) AS m "
        'FROM stat_activity s JOIN agent_version v ON v.id = s.agent_version_id JOIN agent a ON a.id = v.agent_id '
        f'WHERE s.agent_version_id IS NOT NULL AND a.deleted_at IS NULL{cond} '
        'GROUP BY a.id HAVING o + m > 0 ORDER BY o + m DESC, lower(a.name) LIMIT ?',
        [*params, limit],
    )
    return [Usage(agent_id, name, n_out, n_msg) for agent_id, name, n_out, n_msg in rows]


def ratings_by_prompt_version(period: Period, limit: int = 20) -> list[VersionRating]:
    """Average rating of the outputs each prompt version produced (most-rated versions first)."""
    cond, params = period.sql('day')
    rows = _rows(
        'SELECT v.prompt_id, r.version_id, v.number, p.title, r.rated, r.total FROM ('
        '  SELECT prompt_version_id AS version_id, sum(n) AS rated, sum(total) AS total '
        f'  FROM stat_rating WHERE 1{cond} GROUP BY 1'
        ') r JOIN prompt_version v ON v.id = r.version_id JOIN prompt p ON p.id = v.prompt_id '
        'WHERE p.deleted_at IS NULL AND r.rated > 0 '
        'ORDER BY r.rated DESC, 1.0 * r.total / r.rated DESC, r.version_id LIMIT ?',
        [*params, limit],
    )
    return [
        VersionRating(prompt_id, version_id, number, f'{title} · v{number}', rated, round(total / rated, 2))
        for prompt_id, version_id, number, title, rated, total in rows
    ]


def top_tags(period: Period, limit: int = TOP) -> list[Usage]:
    """Tags on the most outputs captured in the period (what ``/outputs?tags=ID`` then lists)."""
    cond, params = period.sql('day')
    rows = _rows(
        'SELECT t.id, t.name, c.n FROM ('
        f'  SELECT tag_id, sum(n) AS n FROM stat_tag WHERE 1{cond} GROUP BY 1'
        ') c JOIN tag t ON t.id = c.tag_id WHERE c.n > 0 ORDER BY c.n DESC, t.name LIMIT ?',
        [*params, limit],
    )
    return [Usage(i, name, n) for i, name, n in rows]


def sources(period: Period) -> list[SourceUsage]:
    """Where outputs and conversations came from (manual capture, ChatGPT / Claude import, chat, API …)."""
    cond, params = period.sql('day')
    rows = _rows(
        'SELECT s.id, s.name, s.kind, x.o, x.c FROM ('
        f'  SELECT source_id, sum(outputs) AS o, sum(conversations) AS c FROM stat_source WHERE 1{cond} GROUP BY 1'
        ') x JOIN source s ON s.id = x.source_id WHERE x.o > 0 OR x.c > 0 ORDER BY x.o + x.c DESC, s.name',
        params,
    )
    return [SourceUsage(*r) for r in rows]


def dashboard(date_from: date | None = None, date_to: date | None = None) -> Dashboard:
    """Every chart's data for the period, in one call (the page runs it off the event loop)."""
    period = Period(date_from, date_to)
    refresh_stats()
    models, providers = _models(period)
    return Dashboard(
        period=period,
        weeks=_weeks(period),
        models=models,
        providers=providers,
        ratings=ratings_by_prompt_version(period),
        tags=top_tags(period),
        agents=_agents(period, TOP),
        sources=sources(period),
    )
