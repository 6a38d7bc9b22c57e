"""Tokens -> cost, this month's spend per provider, and the monthly cap."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.data import conversations as convs
from app.data.db import current
from app.data.models import LlmModel, Provider, ProviderSetting
from app.llm import pricing
from app.llm.errors import SpendingCapReached

NOW = datetime(2026, 11, 15, 12, 0)


def model(name: str = 'gpt-4o') -> LlmModel:
    return LlmModel.get(LlmModel.name == name)


def test_cost_from_prices_per_million() -> None:
    m = LlmModel(input_price=2.5, output_price=10.0)
    assert pricing.cost_for(m, 1_000_000, 0) == 2.5
    assert pricing.cost_for(m, 1000, 500) == pytest.approx(0.0025 + 0.005)
    assert pricing.cost_for(LlmModel(input_price=0.0, output_price=0.0), 500, 500) == 0.0
    assert pricing.cost_for(LlmModel(), 10, 10) is None  # prices unknown
    assert pricing.cost_for(m, None, None) is None
    assert pricing.cost_for(None, 10, 10) is None


def test_month_bounds() -> None:
    assert pricing.month_start(NOW) == datetime(2026, 11, 1)
    assert pricing.next_month_start(datetime(2026, 12, 31, 23, 59)) == datetime(2027, 1, 1)


def _spend(db_model: LlmModel, cost: float, when: datetime) -> None:
    conv = convs.create_conversation('spend')
    convs.add_message(conv, 'assistant', 'x', model=db_model, cost=cost, created_at=when)


def test_monthly_spend_counts_this_month_and_this_provider_only(db) -> None:
    openai = Provider.get(Provider.name == 'OpenAI')
    anthropic = Provider.get(Provider.name == 'Anthropic')
    _spend(model('gpt-4o'), 1.25, datetime(2026, 11, 2))
    _spend(model('gpt-4o-mini'), 0.75, datetime(2026, 11, 30, 23, 59))
    _spend(model('gpt-4o'), 50.0, datetime(2026, 10, 31, 23, 59))  # last month
    _spend(model('claude-sonnet-4-5'), 3.0, datetime(2026, 11, 3))
    assert pricing.monthly_spend(openai, NOW) == pytest.approx(2.0)
    assert pricing.monthly_spend(anthropic.id, NOW) == pytest.approx(3.0)
    assert pricing.spend_by_provider(NOW) == {openai.id: pytest.approx(2.0), anthropic.id: pytest.approx(3.0)}


def test_cap_refuses_a_request_that_would_start_past_it(db) -> None:
    openai = Provider.get(Provider.name == 'OpenAI')
    ProviderSetting.create(provider=openai, monthly_cap=2.0)
    _spend(model('gpt-4o'), 1.5, datetime(2026, 11, 2))
    status = pricing.check_cap(openai, NOW)  # under the cap: allowed
    assert status.remaining == pytest.approx(0.5) and not status.reached
    _spend(model('gpt-4o'), 0.6, datetime(2026, 11, 3))
    with pytest.raises(SpendingCapReached) as info:
        pricing.check_cap(openai, NOW)
    assert str(info.value) == (
        'OpenAI has reached its monthly spending cap ($2.10 of $2.00 this month): '
        'raise the cap in Settings → Providers or wait for next month.'
    )
    assert pricing.check_cap(openai, datetime(2026, 12, 1)).spend == 0.0  # a new month starts fresh


def test_no_cap_means_no_refusal(db) -> None:
    openai = Provider.get(Provider.name == 'OpenAI')
    _spend(model('gpt-4o'), 999.0, datetime(2026, 11, 2))
    status = pricing.check_cap(openai, NOW)
    assert status.cap is None and status.remaining is None and not status.reached


def test_spend_is_read_from_the_small_index(db) -> None:
    sql, params = pricing._month_spend_query(NOW).sql()
    plan = current().execute_sql('EXPLAIN QUERY PLAN ' + sql, params).fetchall()
    assert any('COVERING INDEX message_spend' in row[-1] for row in plan), plan
