"""POST /api/v1/captures checks permission before reading the body and stops reading at the 2 MB limit
(issue 14, item 10: a 300 MB chunked body cost 585 MB), through the real app with bearer tokens."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from nicegui import core
from nicegui.testing import User

from app.api import MAX_CAPTURE_BYTES
from app.data import access
from app.data.models import Output

BASE = 'http://192.168.1.10:8080/api/v1'
CHUNK = 64 * 1024
HUGE = 300 * 1024 * 1024


class CountedBody:
    """A chunked request body that counts the bytes the server actually pulled."""

    def __init__(self, total: int, head: bytes = b'') -> None:
        self.total = total
        self.head = head
        self.pulled = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        block = b'x' * CHUNK
        sent = 0
        if self.head:
            self.pulled += len(self.head)
            sent += len(self.head)
            yield self.head
        while sent < self.total:
            piece = block[: self.total - sent]
            self.pulled += len(piece)
            sent += len(piece)
            yield piece


@pytest.fixture
async def client(monkeypatch: pytest.MonkeyPatch, user: User) -> AsyncIterator[httpx.AsyncClient]:
    monkeypatch.setenv('OUTPUTHUB_LAN', '1')
    transport = httpx.ASGITransport(app=core.app, client=('192.168.1.50', 50123))
    async with httpx.AsyncClient(transport=transport, base_url=BASE, timeout=60) as c:
        yield c


def _bearer(kind: str) -> dict[str, str]:
    return {'Authorization': f'Bearer {access.create_token(f"{kind} token", kind).token}'}


async def test_a_read_only_token_is_refused_before_its_body_is_read(
    client: httpx.AsyncClient, figure
) -> None:
    body = CountedBody(HUGE)
    response = await client.post(
        '/captures', content=body, headers={**_bearer('read'), 'Content-Type': 'text/plain'}
    )
    figure(f'captures: read-only token refused after pulling {body.pulled} bytes of a 300 MB body')
    assert response.status_code == 403, response.text
    assert 'read-only' in response.json()['detail']
    assert body.pulled <= CHUNK


async def test_a_huge_chunked_capture_is_refused_at_the_limit(client: httpx.AsyncClient, figure) -> None:
    body = CountedBody(HUGE)
    response = await client.post(
        '/captures', content=body, headers={**_bearer('write'), 'Content-Type': 'text/plain'}
    )
    figure(f'captures: 300 MB chunked body refused after pulling {body.pulled / 1024**2:.2f} MB')
    assert response.status_code == 413, response.text
    detail = response.json()['detail']
    assert 'too large' in detail and '2 MB' in detail and '\n' not in detail
    assert body.pulled <= MAX_CAPTURE_BYTES + CHUNK
    assert Output.select().count() == 0


async def test_a_too_large_content_length_is_refused_before_reading(client: httpx.AsyncClient) -> None:
    body = CountedBody(HUGE)
    headers = {**_bearer('write'), 'Content-Type': 'text/plain', 'Content-Length': str(HUGE)}
    response = await client.post('/captures', content=body, headers=headers)
    assert response.status_code == 413, response.text
    assert body.pulled == 0


async def test_a_capture_under_the_limit_sent_in_chunks_is_saved(client: httpx.AsyncClient) -> None:
    text = 'y' * 900_000  # the body field holds at most a million characters
    raw = json.dumps({'body': text, 'title': 'Big but fine'}).encode()
    chunks = [raw[i : i + CHUNK] for i in range(0, len(raw), CHUNK)]

    async def stream() -> AsyncIterator[bytes]:
        for c in chunks:
            yield c

    response = await client.post(
        '/captures', content=stream(), headers={**_bearer('write'), 'Content-Type': 'application/json'}
    )
    assert response.status_code == 201, response.text
    saved = Output.get_by_id(response.json()['id'])
    assert saved.title == 'Big but fine' and saved.body == text
