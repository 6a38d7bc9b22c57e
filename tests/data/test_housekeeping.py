"""The housekeeping service: at start-up and then daily it purges expired items into the trash and
deletes what has been in the trash for more than 30 days."""

from __future__ import annotations

from datetime import timedelta

from app.data import outputs, retention
from app.data.models import Output, PurgeRun, RetentionPlan, utcnow
from app.services.housekeeping import Housekeeper
from tests.waits import wait_until


def _output(title: str, **fields) -> int:
    o = outputs.capture_output(outputs.CaptureData(body=title, title=title))
    if fields:
        Output.update(**fields).where(Output.id == o.id).execute()
    return o.id


def test_the_thread_runs_shortly_after_start_and_does_both_jobs(db) -> None:
    days30 = RetentionPlan.get(RetentionPlan.name == '30 days')
    old = utcnow() - timedelta(days=40)
    expired = _output('expired', retention=days30.id, updated_at=old)
    long_trashed = _output('long trashed', deleted_at=old)
    recently_trashed = _output('recently trashed', deleted_at=utcnow() - timedelta(days=3))

    keeper = Housekeeper(first_run=0.05, every=3600)
    keeper.start()
    try:
        wait_until(lambda: keeper.last_run_at is not None, what='the first housekeeping run')
    finally:
        keeper.stop()
    assert keeper.status()['last_error'] is None
    assert (keeper.last_purged, keeper.last_emptied) == (1, 1)
    assert Output.get_by_id(expired).deleted_at is not None  # in the trash, not gone
    assert Output.get_or_none(Output.id == long_trashed) is None
    assert Output.get_or_none(Output.id == recently_trashed) is not None
    assert PurgeRun.get().trigger == 'schedule'


def test_automatic_purge_can_be_turned_off_but_the_trash_is_still_emptied(db) -> None:
    days30 = RetentionPlan.get(RetentionPlan.name == '30 days')
    old = utcnow() - timedelta(days=40)
    expired = _output('expired', retention=days30.id, updated_at=old)
    _output('long trashed', deleted_at=old)
    retention.set_auto_purge(False)
    assert Housekeeper().run_now() == {'purged': 0, 'emptied': 1}
    assert Output.get_by_id(expired).deleted_at is None
    assert PurgeRun.select().count() == 0
