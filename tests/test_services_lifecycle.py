"""Background work has one lifecycle: the composition root starts every service and stops it at shutdown,
and "last used" stamps are written by one worker, at most once a minute per row, never failing a request."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from nicegui.testing.user_simulation import user_simulation

from app import auth, server
from app.context import AppContext
from app.data import access, embeddings, settings_store
from app.data.models import ApiToken, Device, utcnow
from app.services import jobs, touches

from .data.search_helpers import HASHING

MAIN = Path(__file__).resolve().parent.parent / 'main.py'


def _threads(name: str) -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == name and t.is_alive()]


def test_every_background_service_is_listed_in_the_composition_root() -> None:
    for name in ('indexing', 'backups', 'housekeeping', 'jobs', 'touches', 'demo_profile', 'chat_replies'):
        assert f'app.services.{name}' in server.SERVICE_MODULES
    # The replies stop first (reverse order), while the database is still open.
    assert server.SERVICE_MODULES[-1] == 'app.services.chat_replies'


async def test_the_app_starts_its_services_and_stops_them_at_shutdown(db, monkeypatch) -> None:
    settings_store.put(embeddings.MODEL_SETTING, HASHING)  # the indexer needs no model download
    monkeypatch.setenv('OUTPUTHUB_INDEXER', '1')
    async with user_simulation(main_file=MAIN) as user:
        await user.open('/')
        assert touches.worker.running and len(_threads('outputhub-touches')) == 1
        assert len(_threads('outputhub-indexer')) == 1
        assert jobs.slot.busy() is None
    assert not touches.worker.running
    assert _threads('outputhub-touches') == [] and _threads('outputhub-indexer') == []


async def test_shutdown_asks_a_running_job_to_stop_and_waits_for_it(db) -> None:
    ctx = AppContext(settings=server.config.Settings(db_path=Path(db.database)))
    jobs.start(ctx)
    assert ctx.jobs is jobs.slot

    def work(job: jobs.Job) -> str:
        job.cancel.wait(10)
        return 'stopped' if job.cancel.is_set() else 'ran out'

    job = jobs.slot.start('import', 'big.zip', work)
    await jobs.stop(ctx)
    assert (job.state, job.result) == ('done', 'stopped')
    assert ctx.jobs is None and jobs.slot.current is None


@pytest.fixture
def worker(db):
    ctx = AppContext(settings=server.config.Settings(db_path=Path(db.database)))
    touches.start(ctx)
    yield touches.worker
    touches.stop(ctx)
    assert not touches.worker.running


def test_last_used_is_written_by_one_worker_once_however_many_requests(worker, monkeypatch) -> None:
    token = access.create_token('script', 'read').token
    gate = auth.Gate(lan=True)
    release = threading.Event()
    writers: list[str] = []
    real = access.touch_token

    def slow_touch(row_id, last) -> None:
        writers.append(threading.current_thread().name)
        release.wait(5)  # another connection holds the write lock for a while
        real(row_id, last)

    monkeypatch.setattr(access, 'touch_token', slow_touch)
    before = {t.ident for t in threading.enumerate()}
    # 40 requests from 4 threads while the first stamp waits for the lock: none waits, none starts a thread.
    callers = [
        threading.Thread(target=lambda: [gate.principal_for_token(token) for _ in range(10)])
        for _ in range(4)
    ]
    for t in callers:
        t.start()
    for t in callers:
        t.join(10)
    started = {t.ident for t in threading.enumerate()} - before - {t.ident for t in callers}
    assert started == set()
    release.set()
    assert worker.wait_idle()
    assert writers == ['outputhub-touches']
    assert ApiToken.get_by_id(access.find_token(token).id).last_used_at is not None
    # Within the minute the row is not touched again.
    for _ in range(20):
        assert gate.principal_for_token(token) is not None
    assert worker.wait_idle() and writers == ['outputhub-touches']


def test_a_failing_stamp_never_breaks_the_request_or_the_worker(worker, monkeypatch, caplog) -> None:
    device = access.create_device('phone')
    Device.update(last_seen_at=utcnow() - timedelta(hours=1)).where(Device.id == device.id).execute()
    gate = auth.Gate(lan=True)
    cookie = gate.session_cookie(device.id)
    real = access.touch_device

    def broken(row_id, last) -> None:
        raise OSError('database is locked')

    monkeypatch.setattr(access, 'touch_device', broken)
    principal = gate.device_from_cookie(cookie)
    assert principal is not None and principal.device_id == device.id
    assert worker.wait_idle() and worker.running
    assert 'Could not record last use' in caplog.text
    monkeypatch.setattr(access, 'touch_device', real)
    assert gate.device_from_cookie(cookie) is not None  # the failed stamp is tried again next time
    assert worker.wait_idle()
    seen = Device.get_by_id(device.id).last_seen_at
    assert utcnow() - seen < timedelta(minutes=1)
