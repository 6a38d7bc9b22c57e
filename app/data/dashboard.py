"""The dashboard's numbers: captures and messages over time, models and providers, tokens and cost,
ratings by prompt version, most used tags and agents, where things came from — all for a date range.

The heavy lifting (reading 100k outputs / 1M messages) is SQL grouping on covering indexes
(migration 0004); Python only folds the few grouped rows into weeks and totals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from ..errors import ValidationError
from . import db as dbmod

# The day of a stored timestamp ("YYYY-MM-DD HH:MM:SS", naive UTC). Must read exactly like the
# expression of the dashboard indexes, or SQLite cannot use them.
DAY = 'substr(created_at, 1, 10)'
TOP = 15  # bars in the "most used" charts
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


# Live outputs read through the partial covering index output_dashboard.
_OUTPUTS = 'FROM output WHERE deleted_at IS NULL'
# Messages of conversations that are not in the trash, through message_dashboard.
_MESSAGES = (
    'FROM message WHERE conversation_id NOT IN (SELECT id FROM conversation WHERE deleted_at IS NOT NULL)'
)


def _facts(period: Period) -> tuple[list[tuple], list[tuple]]:
    """(day, model, agent version, count, input tokens, output tokens, cost) for outputs and messages.

    Output tokens and cost count only for outputs not captured from a message: the message already
    counts them, and the dashboard must not count a reply twice.
    """
    cond, params = period.sql()
    outputs = _rows(
        f'SELECT {DAY}, model_id, agent_version_id, count(*), '
        'sum(CASE WHEN message_id IS NULL THEN input_tokens END), '
        'sum(CASE WHEN message_id IS NULL THEN output_tokens END), '
        'sum(CASE WHEN message_id IS NULL THEN cost END) '
        f'{_OUTPUTS}{cond} GROUP BY 1, 2, 3',
        params,
    )
    messages = _rows(
        f'SELECT {DAY}, model_id, agent_version_id, count(*), sum(input_tokens), sum(output_tokens), sum(cost) '
        f'{_MESSAGES}{cond} GROUP BY 1, 2, 3',
        params,
    )
    return outputs, messages


def _weeks(period: Period, outputs: list[tuple], messages: list[tuple]) -> list[Week]:
    by_week: dict[date, Week] = {}
    for rows, attr in ((outputs, 'outputs'), (messages, 'messages')):
        for day, _model, _agent, n, tin, tout, cost in rows:
            if not day:
                continue
            week = by_week.setdefault(_monday(day), Week(_monday(day)))
            setattr(week, attr, getattr(week, attr) + n)
            week.input_tokens += tin or 0
            week.output_tokens += tout or 0
            week.cost += cost or 0.0
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


def _models(outputs: list[tuple], messages: list[tuple]) -> tuple[list[ModelUsage], list[ProviderUsage]]:
    per_model: dict[int, list] = {}
    for rows, index in ((outputs, 0), (messages, 1)):
        for _day, model_id, _agent, n, tin, tout, cost in rows:
            if model_id is None:  # user / system / tool messages have no model
                continue
            acc = per_model.setdefault(model_id, [0, 0, 0, 0.0])
            acc[index] += n
            acc[2] += (tin or 0) + (tout or 0)
            acc[3] += cost or 0.0
    if not per_model:
        return [], []
    ids = sorted(per_model)
    marks = ','.join('?' * len(ids))
    info = {
        r[0]: r[1:]
        for r in _rows(
            'SELECT m.id, COALESCE(m.display_name, m.name), p.id, p.name FROM llm_model m '
            f'LEFT JOIN provider p ON p.id = m.provider_id WHERE m.id IN ({marks})',
            ids,
        )
    }
    models: list[ModelUsage] = []
    providers: dict[int, ProviderUsage] = {}
    for model_id, (n_out, n_msg, tokens, cost) in per_model.items():
        label, provider_id, provider = info.get(model_id, (f'Model {model_id}', None, ''))
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


def _agents(outputs: list[tuple], messages: list[tuple], limit: int) -> list[Usage]:
    per_version: dict[int, list[int]] = {}
    for rows, index in ((outputs, 0), (messages, 1)):
        for _day, _model, version_id, n, *_ in rows:
            if version_id is not None:
                per_version.setdefault(version_id, [0, 0])[index] += n
    if not per_version:
        return []
    ids = sorted(per_version)
    marks = ','.join('?' * len(ids))
    per_agent: dict[int, list] = {}
    for version_id, agent_id, name in _rows(
        f'SELECT v.id, a.id, a.name FROM agent_version v JOIN agent a ON a.id = v.agent_id '
        f'WHERE v.id IN ({marks}) AND a.deleted_at IS NULL',
        ids,
    ):
        acc = per_agent.setdefault(agent_id, [name, 0, 0])
        acc[1] += per_version[version_id][0]
        acc[2] += per_version[version_id][1]
    usage = [Usage(agent_id, name, n_out, n_msg) for agent_id, (name, n_out, n_msg) in per_agent.items()]
    usage.sort(key=lambda u: (-(u.outputs + u.messages), u.label.lower()))
    return usage[:limit]


def ratings_by_prompt_version(period: Period, limit: int = 20) -> list[VersionRating]:
    """Average rating of the outputs each prompt version produced (most-rated versions first)."""
    cond, params = period.sql()
    rows = _rows(
        'SELECT v.prompt_id, r.version_id, v.number, p.title, r.rated, r.average FROM ('
        f'  SELECT prompt_version_id AS version_id, count(*) AS rated, avg(rating) AS average {_OUTPUTS}'
        f'  AND prompt_version_id IS NOT NULL AND rating IS NOT NULL{cond} GROUP BY 1'
        ') r JOIN prompt_version v ON v.id = r.version_id JOIN prompt p ON p.id = v.prompt_id '
        'WHERE p.deleted_at IS NULL ORDER BY r.rated DESC, r.average DESC, r.version_id LIMIT ?',
        [*params, limit],
    )
    return [
        VersionRating(prompt_id, version_id, number, f'{title} · v{number}', rated, round(average, 2))
        for prompt_id, version_id, number, title, rated, average in rows
    ]


def top_tags(period: Period, limit: int = TOP) -> list[Usage]:
    """Tags on the most outputs captured in the period (what ``/outputs?tags=ID`` then lists)."""
    cond, params = period.sql()
    rows = _rows(
        'SELECT t.id, t.name, c.n FROM ('
        '  SELECT tag_id, count(*) AS n FROM output_tag '
        f'  WHERE output_id IN (SELECT id {_OUTPUTS}{cond}) GROUP BY 1'
        ') c JOIN tag t ON t.id = c.tag_id ORDER BY c.n DESC, t.name LIMIT ?',
        [*params, limit],
    )
    return [Usage(i, name, n) for i, name, n in rows]


def sources(period: Period) -> list[SourceUsage]:
    """Where outputs and conversations came from (manual capture, ChatGPT / Claude import, chat, API …)."""
    cond, params = period.sql()
    rows = _rows(
        'SELECT s.id, s.name, s.kind, COALESCE(o.n, 0), COALESCE(c.n, 0) FROM source s '
        f'LEFT JOIN (SELECT source_id, count(*) AS n {_OUTPUTS}{cond} GROUP BY 1) o ON o.source_id = s.id '
        'LEFT JOIN (SELECT source_id, count(*) AS n FROM conversation WHERE deleted_at IS NULL'
        f'{cond} GROUP BY 1) c ON c.source_id = s.id '
        'WHERE o.n > 0 OR c.n > 0 ORDER BY COALESCE(o.n, 0) + COALESCE(c.n, 0) DESC, s.name',
        [*params, *params],
    )
    return [SourceUsage(*r) for r in rows]


def dashboard(date_from: date | None = None, date_to: date | None = None) -> Dashboard:
    """Every chart's data for the period, in one call (the page runs it off the event loop)."""
    period = Period(date_from, date_to)
    outputs, messages = _facts(period)
    models, providers = _models(outputs, messages)
    return Dashboard(
        period=period,
        weeks=_weeks(period, outputs, messages),
        models=models,
        providers=providers,
        ratings=ratings_by_prompt_version(period),
        tags=top_tags(period),
        agents=_agents(outputs, messages, TOP),
        sources=sources(period),
    )
