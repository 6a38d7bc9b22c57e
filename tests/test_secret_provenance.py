"""Restriction follows provenance (issue 14 item 6): the text of a Secret output saved from a conversation
message ("Save as output") cannot be read through that message — not by a token, a LAN device or an
export without permission — while the trusted desktop still sees everything."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from nicegui import core
from nicegui.testing import User

from app import auth
from app.data import access, conversations, embeddings, entities, exporters, outputs, search, settings_store
from app.data import db as dbmod
from app.data.models import SensitivityLevel
from app.errors import NotFound

BASE = 'http://192.168.1.10:8080'
PHONE = ('192.168.1.50', 50123)
PASSWORD = 'correct horse battery'
SECRET_TEXT = 'Quarterly zeppelin merger terms: twelve million upfront'
PLAIN_TEXT = 'Happy to help with the zeppelin museum visit'


def _library() -> dict[str, int]:
    """A conversation with one reply saved as an output (the capture form's path), then marked Secret."""
    settings_store.put(embeddings.MODEL_SETTING, 'builtin:hashing-384')  # instant, no model download
    conv = conversations.create_conversation('Planning chat')
    question = conversations.add_message(conv, 'user', 'What are the terms?')
    reply = conversations.add_message(conv, 'assistant', SECRET_TEXT)
    conversations.add_message(conv, 'user', 'And the museum?')
    other = conversations.add_message(conv, 'assistant', PLAIN_TEXT)
    prefill = conversations.capture_prefill(reply.id)
    saved = outputs.capture_output(
        outputs.CaptureData(
            body=prefill['body'],
            title='Merger terms',
            prompt=prefill['prompt'],
            conversation_id=prefill['conversation_id'],
            message_id=prefill['message_id'],
        )
    )
    secret = SensitivityLevel.get(SensitivityLevel.restricted == True).id  # noqa: E712
    entities.update_item('output', saved.id, sensitivity=secret)
    embeddings.index_pending()
    return {
        'conversation': conv.id,
        'question': question.id,
        'reply': reply.id,
        'other': other.id,
        'output': saved.id,
    }


@pytest.fixture
def lan_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('OUTPUTHUB_LAN', '1')


@pytest.fixture
def library(db_path) -> dict[str, int]:
    dbmod.connect(db_path)
    return _library()


def _client(headers: dict[str, str] | None = None, client=PHONE, base: str = BASE) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=core.app, client=client)
    return httpx.AsyncClient(transport=transport, base_url=base, headers=headers or {})


@pytest.fixture
async def token_client(lan_mode, user: User, library) -> AsyncIterator[httpx.AsyncClient]:
    """A script on the home network with a read token not allowed to see restricted items."""
    token = access.create_token('reader', 'read').token
    async with _client({'Authorization': f'Bearer {token}'}) as client:
        yield client


# --------------------------------------------------------------------------- the API


async def test_a_token_cannot_read_secret_text_through_its_source_message(token_client, library) -> None:
    for mode in ('keyword', 'semantic', 'hybrid'):
        response = await token_client.get('/api/v1/search', params={'q': 'zeppelin merger', 'mode': mode})
        assert response.status_code == 200, response.text
        body = response.text
        assert 'twelve million' not in body and 'Merger terms' not in body, mode
        keys = {(r['kind'], r['id']) for r in response.json()['results']}
        assert ('message', library['reply']) not in keys, mode
    museum = (
        await token_client.get('/api/v1/search', params={'q': 'zeppelin museum', 'mode': 'keyword'})
    ).json()
    assert ('message', library['other']) in {(r['kind'], r['id']) for r in museum['results']}

    response = await token_client.get(f'/api/v1/conversations/{library["conversation"]}')
    assert response.status_code == 200, response.text
    assert 'twelve million' not in response.text
    messages = {m['id']: m for m in response.json()['messages']}
    assert messages[library['reply']]['withheld'] is True
    assert (
        messages[library['other']]['content'] == PLAIN_TEXT
        and messages[library['other']]['withheld'] is False
    )
    assert (await token_client.get(f'/api/v1/outputs/{library["output"]}')).status_code == 404

    # a token allowed to see restricted items, and the desktop, still see everything
    allowed = access.create_token('trusted', 'read', allow_restricted=True).token
    got = await token_client.get(
        f'/api/v1/conversations/{library["conversation"]}', headers={'Authorization': f'Bearer {allowed}'}
    )
    assert SECRET_TEXT in got.text
    async with _client(client=('127.0.0.1', 50000), base='http://127.0.0.1:8080') as desktop:
        found = (
            await desktop.get('/api/v1/search', params={'q': 'zeppelin merger', 'mode': 'keyword'})
        ).json()
        assert ('message', library['reply']) in {(r['kind'], r['id']) for r in found['results']}
        conv = (await desktop.get(f'/api/v1/conversations/{library["conversation"]}')).json()
        assert SECRET_TEXT in [m['content'] for m in conv['messages']]


# --------------------------------------------------------------------------- data layer: search, similar, export


def test_similar_never_returns_or_starts_from_a_withheld_message(library) -> None:
    hide = search.SearchFilters(kinds=['message'], exclude_restricted=True)
    near = search.similar('message', library['other'], filters=hide, limit=20)
    assert library['reply'] not in {h.id for h in near if h.kind == 'message'}
    assert library['reply'] in {h.id for h in search.similar('message', library['other'], limit=20)}
    with pytest.raises(NotFound):
        search.similar('message', library['reply'], filters=hide)
    assert library['question'] in {
        h.id for h in search.similar('message', library['reply'], limit=20) if h.kind == 'message'
    }


def test_exports_without_secret_leave_the_source_messages_text_out(library, tmp_path: Path) -> None:
    report = exporters.export_json(tmp_path / 'out.json')
    text = Path(report.path).read_text(encoding='utf-8')
    assert 'twelve million' not in text and PLAIN_TEXT in text
    records = json.loads(text)['records']
    conv = next(r for r in records if r['type'] == 'conversation')
    assert len(conv['messages']) == 4  # the thread keeps its shape; the one message is withheld
    md = exporters.export_markdown(tmp_path / 'md')
    notes = ''.join(p.read_text(encoding='utf-8') for p in Path(md.path).rglob('*.md'))
    assert 'twelve million' not in notes and PLAIN_TEXT in notes

    full = exporters.export_json(tmp_path / 'all.json', include_secret=True)
    assert 'twelve million' in Path(full.path).read_text(encoding='utf-8')
    full_md = exporters.export_markdown(tmp_path / 'md-all', include_secret=True)
    assert 'twelve million' in ''.join(
        p.read_text(encoding='utf-8') for p in Path(full_md.path).rglob('*.md')
    )


def test_the_graph_a_device_gets_hides_the_secret_output_and_its_link(library) -> None:
    from app.components.secret import graph_for_viewer
    from app.data import graph

    full = graph.neighbourhood('conversation', library['conversation'])
    key = f'output:{library["output"]}'
    assert key in {n.key for n in full.nodes}
    shown = graph_for_viewer(full, hide=True)
    assert key not in {n.key for n in shown.nodes}
    assert all(key not in (e.source, e.target) for e in shown.edges)


def test_the_capture_form_does_not_prefill_a_withheld_message(library) -> None:
    with pytest.raises(NotFound):
        conversations.capture_prefill(library['reply'], hide_restricted=True)
    assert conversations.capture_prefill(library['reply'])['body'] == SECRET_TEXT


# --------------------------------------------------------------------------- pages, as a phone


@pytest.fixture
async def phone(lan_mode, user: User, library) -> AsyncIterator[httpx.AsyncClient]:
    """A logged-in phone not allowed to see Secret items."""
    auth.set_password(PASSWORD)
    async with _client({'Accept': 'text/html'}) as client:
        response = await client.post('/login', data={'password': PASSWORD, 'device': 'Phone'})
        assert response.status_code == 303
        yield client


async def _page(client: httpx.AsyncClient, path: str) -> str:
    response = await client.get(path)
    assert response.status_code == 200, path
    return response.text


async def test_a_phone_sees_the_conversation_with_the_message_withheld(phone, user: User, library) -> None:
    # The simulated browser is the logged-in phone (the thread and search results render once connected).
    user.http_client = phone
    await user.open(f'/conversations/{library["conversation"]}')
    await user.should_see(PLAIN_TEXT)
    await user.should_see('Withheld')
    await user.should_not_see('twelve million')
    await user.open('/search?q=zeppelin&mode=keyword')
    await user.should_see('museum visit')
    await user.should_not_see('twelve million')
    capture = await _page(phone, f'/capture?message={library["reply"]}')
    assert 'twelve million' not in capture
    chat = await _page(phone, f'/chat/{library["conversation"]}')  # continuing would send it to the model
    assert 'twelve million' not in chat and 'holds a withheld message' in chat

    access.set_device_restricted(access.list_devices()[0].id, True)
    await user.open(f'/conversations/{library["conversation"]}')
    await user.should_see('twelve million')
    await user.open('/search?q=zeppelin&mode=keyword')
    await user.should_see('twelve million')
    assert 'twelve million' in await _page(phone, f'/capture?message={library["reply"]}')
    assert 'holds a withheld message' not in await _page(phone, f'/chat/{library["conversation"]}')
