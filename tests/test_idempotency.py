"""POST /api/v1/captures with an Idempotency-Key stores once per key (a phone resending its offline queue,
a shortcut's retry), and GET /api/v1/pocket, the phone's offline copy, follows the API's Secret rules."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from nicegui import core
from nicegui.testing import User

from app import auth
from app.data import access, idempotency, lookups, outputs
from app.data.models import Output, SensitivityLevel, utcnow
from app.services.housekeeping import Housekeeper

BASE = 'http://192.168.1.10:8080'


@pytest.fixture
def lan_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('OUTPUTHUB_LAN', '1')


def _client(**headers: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=core.app, client=('192.168.1.50', 50123))
    return httpx.AsyncClient(transport=transport, base_url=BASE + '/api/v1', headers=headers)


@pytest.fixture
async def api(lan_mode, user: User) -> AsyncIterator[httpx.AsyncClient]:
    token = access.create_token('phone shortcut', 'write').token
    async with _client(Authorization=f'Bearer {token}') as client:
        yield client


def _live_outputs() -> int:
    return Output.select().where(Output.deleted_at.is_null()).count()


async def test_the_same_key_twice_stores_one_output_and_answers_the_same_item(api: httpx.AsyncClient) -> None:
    capture = {'body': 'Tent pegs, stove, headlamp', 'title': 'Packing list'}
    first = await api.post('/captures', json=capture, headers={'Idempotency-Key': 'phone-1234'})
    assert first.status_code == 201, first.text
    again = await api.post('/captures', json=capture, headers={'Idempotency-Key': 'phone-1234'})
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert again.headers['idempotent-replayed'] == 'true'
    assert again.headers['location'] == first.headers['location']
    assert _live_outputs() == 1


async def test_different_keys_store_two_outputs(api: httpx.AsyncClient) -> None:
    capture = {'body': 'The same text captured on purpose twice'}
    one = await api.post('/captures', json=capture, headers={'Idempotency-Key': 'key-a'})
    two = await api.post('/captures', json=capture, headers={'Idempotency-Key': 'key-b'})
    assert one.status_code == two.status_code == 201
    assert one.json()['id'] != two.json()['id']
    assert _live_outputs() == 2
    plain = await api.post('/captures', json=capture)  # no key: every post stores, as before
    assert plain.status_code == 201 and _live_outputs() == 3


async def test_a_key_reused_for_a_different_body_is_refused_in_one_sentence(api: httpx.AsyncClient) -> None:
    ok = await api.post('/captures', json={'body': 'first text'}, headers={'Idempotency-Key': 'k-1'})
    assert ok.status_code == 201
    other = await api.post('/captures', json={'body': 'other text'}, headers={'Idempotency-Key': 'k-1'})
    assert other.status_code == 422
    detail = other.json()['detail']
    assert detail == 'This Idempotency-Key was already used for a different capture; send a new key.'
    assert _live_outputs() == 1
    bad = await api.post('/captures', json={'body': 'x'}, headers={'Idempotency-Key': 'x' * 300})
    assert bad.status_code == 400 and 'Idempotency-Key' in bad.json()['detail']
    assert _live_outputs() == 1


async def test_keys_are_per_principal_and_plain_text_replays_too(api: httpx.AsyncClient) -> None:
    other_token = access.create_token('laptop script', 'write').token
    sent = dict(content=b'Shared answer', headers={'Content-Type': 'text/plain', 'Idempotency-Key': 'same'})
    first = await api.post('/captures?title=Shared', **sent)
    replay = await api.post('/captures?title=Shared', **sent)
    assert (first.status_code, replay.status_code) == (201, 200)
    async with _client(Authorization=f'Bearer {other_token}') as other:
        theirs = await other.post('/captures?title=Shared', **sent)
    assert theirs.status_code == 201 and theirs.json()['id'] != first.json()['id']
    assert _live_outputs() == 2


async def test_a_refused_capture_keeps_no_key_and_old_keys_are_purged(api: httpx.AsyncClient) -> None:
    empty = await api.post('/captures', json={'body': '   '}, headers={'Idempotency-Key': 'k-empty'})
    assert empty.status_code == 400
    assert idempotency.count() == 0  # the capture's transaction rolled back the key with it
    ok = await api.post('/captures', json={'body': 'kept'}, headers={'Idempotency-Key': 'k-ok'})
    assert ok.status_code == 201 and idempotency.count() == 1
    Housekeeper().run_now(now=utcnow() + timedelta(days=6))
    assert idempotency.count() == 1
    Housekeeper().run_now(now=utcnow() + timedelta(days=8))
    assert idempotency.count() == 0


def _secret_level() -> SensitivityLevel:
    level = SensitivityLevel.get_or_none(SensitivityLevel.restricted == True)  # noqa: E712
    return level or lookups.create('sensitivity', 'Secret', restricted=True, rank=9)


async def test_pocket_copy_holds_favourites_and_recent_and_never_a_secret_for_a_plain_device(
    lan_mode, user: User
) -> None:
    secret = _secret_level()
    outputs.capture_output(outputs.CaptureData(body='bank PIN and door code', sensitivity_id=secret.id))
    fav = outputs.capture_output(outputs.CaptureData(body='Sourdough starter schedule', favourite=True))
    for n in range(5):
        outputs.capture_output(outputs.CaptureData(body=f'Recent note number {n}'))
    gate = auth.Gate(lan=True)
    phone = access.create_device('phone')
    trusted = access.create_device('trusted phone', allow_restricted=True)

    async with _client(Cookie=f'{auth.COOKIE_NAME}={gate.session_cookie(phone.id)}') as client:
        got = await client.get('/pocket', params={'limit': 3})
        assert got.status_code == 200, got.text
        data = got.json()
        titles = [i['title'] for i in data['items']]
        assert titles == ['Sourdough starter schedule', 'Recent note number 4', 'Recent note number 3']
        assert data['items'][0]['id'] == fav.id and data['items'][0]['body'] == 'Sourdough starter schedule'
        everything = (await client.get('/pocket', params={'limit': 1000})).json()['items']
        assert len(everything) == 6
        assert not any('PIN' in i['body'] or 'PIN' in i['title'] for i in everything)
    async with _client(Cookie=f'{auth.COOKIE_NAME}={gate.session_cookie(trusted.id)}') as client:
        allowed = (await client.get('/pocket')).json()['items']
        assert any('PIN' in i['body'] for i in allowed)
    async with _client() as stranger:
        assert (await stranger.get('/pocket')).status_code == 401


def test_the_key_and_the_output_are_one_transaction(db) -> None:
    """A failure after the output was written (a crash before the key) leaves neither, so a resend stores it."""

    def make_then_fail() -> tuple[int, dict]:
        outputs.capture_output(outputs.CaptureData(body='written, then the request dies'))
        raise OSError('the process died here')

    with pytest.raises(OSError):
        idempotency.run_once('device:1', 'k', 'hash', make_then_fail)
    assert _live_outputs() == 0 and idempotency.count() == 0

    def make() -> tuple[int, dict]:
        out = outputs.capture_output(outputs.CaptureData(body='sent again after the crash'))
        return out.id, {'id': out.id}

    first = idempotency.run_once('device:1', 'k', 'hash', make)
    assert not first.replayed and _live_outputs() == 1 and idempotency.count('device:1') == 1


def test_two_resends_at_once_store_one_output(db) -> None:
    import threading

    start = threading.Barrier(4)
    results: list[idempotency.Outcome] = []

    def make() -> tuple[int, dict]:
        out = outputs.capture_output(outputs.CaptureData(body='the same queued capture'))
        return out.id, {'id': out.id}

    def resend() -> None:
        start.wait()
        results.append(idempotency.run_once('device:7', 'same-key', 'hash', make))

    threads = [threading.Thread(target=resend) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert len(results) == 4 and _live_outputs() == 1
    assert sorted(r.replayed for r in results) == [False, True, True, True]
    assert len({r.response['id'] for r in results}) == 1
