"""Tokens -> cost from the models table, this month's spend per provider, and the monthly spending cap.

Prices are USD per million tokens (``LlmModel.input_price`` / ``output_price``). Spend is the sum
of the costs recorded on messages (in UTC calendar months, like the providers' own billing);
the partial index ``message_spend`` (migration 0003) keeps that a cheap index read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from peewee import fn

from ..data.models import LlmModel, Message, Provider, ProviderSetting, utcnow
from .errors import SpendingCapReached


def cost_for(model: LlmModel | None, input_tokens: int | None, output_tokens: int | None) -> float | None:
    """USD for a call, or None when the tokens or the model's prices are unknown.

    A model with only one price known still gets a cost (the other side counted as free) —
    for local models both prices are 0 and the cost is an honest 0.0.
    """
    if model is None or (input_tokens is None and output_tokens is None):
        return None
    if model.input_price is None and model.output_price is None:
        return None
    cost = (input_tokens or 0) * (model.input_price or 0.0) + (output_tokens or 0) * (
        model.output_price or 0.0
    )
    return round(cost / 1_000_000, 8)


def month_start(now: datetime | None = None) -> datetime:
    """The first instant of the current UTC month (naive, like every stored timestamp)."""
    now = now or utcnow()
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def next_month_start(now: datetime | None = None) -> datetime:
    start = month_start(now)
    return (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )


def _month_spend_query(now: datetime | None = None):
    return (
        Message.select(Message.model, fn.SUM(Message.cost))
        .where(
            Message.cost.is_null(False)
            & (Message.created_at >= month_start(now))
            & (Message.created_at < next_month_start(now))
        )
        .group_by(Message.model)
    )


def spend_by_model(now: datetime | None = None) -> dict[int, float]:
    """This month's USD per model id, from recorded message costs.

    Grouped by model with only a ``created_at`` range in the WHERE, so SQLite reads the covering
    partial index ``message_spend`` (a filter on model ids would tempt it into ``message_model_id``
    and a row lookup per message — slow when imports tag a million messages with a model).
    """
    rows = _month_spend_query(now).tuples()
    return {mid: float(total or 0.0) for mid, total in rows if mid is not None}


def spend_by_provider(now: datetime | None = None) -> dict[int, float]:
    """This month's USD per provider id (providers with no spend are left out)."""
    by_model = spend_by_model(now)
    if not by_model:
        return {}
    owners = dict(
        LlmModel.select(LlmModel.id, LlmModel.provider).where(LlmModel.id.in_(list(by_model))).tuples()
    )
    out: dict[int, float] = {}
    for mid, total in by_model.items():
        pid = owners.get(mid)
        if pid is not None:
            out[pid] = out.get(pid, 0.0) + total
    return out


def monthly_spend(provider: Provider | int, now: datetime | None = None) -> float:
    """USD recorded on messages this month for models of ``provider``."""
    pid = provider if isinstance(provider, int) else provider.id
    return spend_by_provider(now).get(pid, 0.0)


@dataclass(frozen=True)
class CapStatus:
    """This month's spend against the cap, for the settings page and the check before a request."""

    provider_id: int
    provider_name: str
    spend: float
    cap: float | None  # None = no cap

    @property
    def remaining(self) -> float | None:
        return None if self.cap is None else max(0.0, self.cap - self.spend)

    @property
    def reached(self) -> bool:
        return self.cap is not None and self.spend >= self.cap

    @property
    def fraction(self) -> float | None:
        if self.cap is None:
            return None
        return 1.0 if self.cap <= 0 else min(1.0, self.spend / self.cap)


def cap_status(provider: Provider | int, now: datetime | None = None) -> CapStatus:
    prov = provider if isinstance(provider, Provider) else Provider.get_by_id(provider)
    setting = ProviderSetting.get_or_none(ProviderSetting.provider == prov.id)
    cap = setting.monthly_cap if setting is not None else None
    return CapStatus(prov.id, prov.name, monthly_spend(prov.id, now), cap)


def check_cap(provider: Provider | int, now: datetime | None = None) -> CapStatus:
    """Refuse (``SpendingCapReached``) when this month's spend has reached the provider's cap.

    Only a request that would *start* past the cap is refused: the cost of a reply is known only
    once it has streamed, so the last request of a month may end a little over the cap.
    """
    status = cap_status(provider, now)
    if status.reached:
        raise SpendingCapReached(
            f'{status.provider_name} has reached its monthly spending cap '
            f'(${status.spend:,.2f} of ${status.cap:,.2f} this month): raise the cap in Settings → Providers '
            'or wait for next month.'
        )
    return status
