"""Relative times read right whatever the time zone ("8 minutes ago" for an item captured 8 minutes ago),
and list rows show the tags that fit instead of "+1"."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from app.components import fmt
from app.components.list_view import tag_chips_html
from app.data import outputs
from app.data.models import Output, utcnow


@pytest.fixture
def other_time_zone(monkeypatch):
    """A computer far from UTC: a naive UTC time read as local time would be 10 hours off."""
    monkeypatch.setenv('TZ', 'Pacific/Honolulu')
    time.tzset()
    yield
    monkeypatch.delenv('TZ')
    time.tzset()


def test_an_item_captured_8_minutes_ago_reads_8_minutes_ago(db, other_time_zone) -> None:
    out = outputs.capture_output(outputs.CaptureData(body='x', created_at=utcnow() - timedelta(minutes=8)))
    stored = Output.get_by_id(out.id).created_at  # naive UTC, as every time is stored
    assert stored.tzinfo is None
    assert fmt.ago(stored) == '8 minutes ago'
    aware = datetime.now(UTC) - timedelta(minutes=8, seconds=5)
    assert fmt.ago(aware) == '8 minutes ago'
    assert fmt.ago(aware.astimezone()) == '8 minutes ago'  # in the local zone: the same instant
    assert fmt.ago(stored.isoformat() + 'Z') == '8 minutes ago'  # text as an export or the API writes it


def test_relative_time_wording() -> None:
    now = datetime(2026, 5, 1, 12, 0, 0)
    assert fmt.ago(now - timedelta(seconds=20), now) == 'just now'
    assert fmt.ago(now - timedelta(seconds=70), now) == '1 minute ago'
    assert fmt.ago(now - timedelta(hours=1, minutes=5), now) == '1 hour ago'
    assert fmt.ago(now - timedelta(hours=5), now) == '5 hours ago'
    assert fmt.ago(now - timedelta(hours=30), now) == 'yesterday'
    # a time ahead of this clock is not "just now"
    assert fmt.ago(now + timedelta(minutes=50), now) != 'just now'


def test_list_rows_show_every_tag_that_fits_not_plus_one() -> None:
    tags = [SimpleNamespace(id=i, name=name, color=None) for i, name in enumerate(['ai', 'code', 'work'], 1)]
    html = tag_chips_html(tags)
    assert all(f'>{name}</a>' in html for name in ('ai', 'code', 'work'))
    assert '+1' not in html
