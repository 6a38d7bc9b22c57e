"""The REST API (/api/v1) through the real app, as a script on the home network with a bearer token."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from nicegui import core
from nicegui.testing import User

from app.data import access, conversations, lookups, outputs, settings_store
from app.data.models import SensitivityLevel

BASE = 'http://192.168.1.10:8080'


@pytest.fixture
def lan_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('OUTPUTHUB_LAN', '1')


@pytest.fixture
async def api(lan_mode, user: User) -> AsyncIterator[httpx.AsyncClient]:
    """A client on the home network holding a read-write token."""
    token = access.create_token('tests', 'write').token
    transport = httpx.ASGITransport(app=core.app, client=('192.168.1.50', 50123))
    async with httpx.AsyncClient(
        transport=transport, base_url=BASE + '/api/v1', headers={'Authorization': f'Bearer {token}'}
    ) as client:
        yield client


def _secret_level() -> SensitivityLevel:
    level = SensitivityLevel.get_or_none(SensitivityLevel.restricted == True)  # noqa: E712
    if level is None:
        level = lookups.create('sensitivity', 'Secret', restricted=True, rank=9)
    return level


async def test_capture_json_then_get_it_back(api: httpx.AsyncClient) -> None:
    response = await api.post(
        '/captures',
        json={
            'body': '# Regex cheat sheet\n`\\d+` matches digits',
            'prompt': 'Give me a regex cheat sheet',
            'model': 'gpt-4o',
            'tags': ['regex', 'phone'],
            'collections': ['Reference'],
            'rating': 4,
            'url': 'https://chatgpt.com/c/abc',
        },
    )
    assert response.status_code == 201, response.text
    created = response.json()
    assert created['title'] == 'Regex cheat sheet'
    assert response.headers['location'] == f'/api/v1/outputs/{created["id"]}'
    got = (await api.get(f'/outputs/{created["id"]}')).json()
    assert got['body'].startswith('# Regex cheat sheet')
    assert got['prompt'] == 'Give me a regex cheat sheet'
    assert got['model'] == 'gpt-4o'
    assert sorted(got['tags']) == ['phone', 'regex']
    assert got['collections'] == ['Reference']
    assert got['rating'] == 4 and got['source_url'] == 'https://chatgpt.com/c/abc'


async def test_capture_plain_text_as_a_share_sheet_shortcut_sends_it(api: httpx.AsyncClient) -> None:
    response = await api.post(
        '/captures?title=Shared%20from%20Claude&tag=phone&tag=inbox',
        content=b'Some shared answer text',
        headers={'Content-Type': 'text/plain; charset=utf-8'},
    )
    assert response.status_code == 201, response.text
    got = (await api.get(f'/outputs/{response.json()["id"]}')).json()
    assert got['title'] == 'Shared from Claude'
    assert sorted(got['tags']) == ['inbox', 'phone']
    assert got['body'] == 'Some shared answer text'


@pytest.mark.parametrize(
    ('kwargs', 'status', 'words'),
    [
        ({'json': {'title': 'no body'}}, 422, 'body'),
        ({'json': {'body': ''}}, 422, 'body'),
        ({'json': {'body': 'x', 'rating': 9}}, 422, 'rating'),
        ({'json': {'body': 'x', 'unknown': 1}}, 422, 'unknown'),
        ({'json': ['body']}, 400, 'JSON object'),
        ({'content': b'{not json', 'headers': {'Content-Type': 'application/json'}}, 400, 'not valid JSON'),
        ({'content': b'x', 'headers': {'Content-Type': 'application/xml'}}, 415, 'Send JSON'),
        ({'json': {'body': 'x', 'sensitivity': 'Nope'}}, 400, 'no sensitivity level'),
    ],
)
async def test_bad_captures_get_a_clear_4xx_sentence(api: httpx.AsyncClient, kwargs, status, words) -> None:
    response = await api.post('/captures', **kwargs)
    assert response.status_code == status, response.text
    detail = response.json()['detail']
    assert isinstance(detail, str) and words in detail
    assert outputs.find_duplicates('x') == []


async def test_list_is_paginated_and_filters_like_the_ui(api: httpx.AsyncClient) -> None:
    for i in range(5):
        await api.post('/captures', json={'body': f'Note {i}', 'tags': ['even' if i % 2 == 0 else 'odd']})
    page1 = (await api.get('/outputs', params={'per_page': 2, 'sort': 'title', 'desc': 0})).json()
    assert page1['total'] == 5 and page1['pages'] == 3
    assert [o['title'] for o in page1['items']] == ['Note 0', 'Note 1']
    page3 = (await api.get('/outputs', params={'per_page': 2, 'page': 3, 'sort': 'title', 'desc': 0})).json()
    assert [o['title'] for o in page3['items']] == ['Note 4']
    even = lookups.find_by_name('tag', 'even')
    tagged = (await api.get('/outputs', params={'tags': str(even.id)})).json()
    assert tagged['total'] == 3 and all('even' in o['tags'] for o in tagged['items'])
    bad = await api.get('/outputs', params={'sort': 'password'})
    assert bad.status_code == 400 and 'Cannot sort' in bad.json()['detail']


async def test_missing_items_are_json_404s(api: httpx.AsyncClient) -> None:
    for path in ('/outputs/999', '/conversations/999', '/outputs/999/similar'):
        response = await api.get(path)
        assert response.status_code == 404, path
        assert 'does not exist' in response.json()['detail']
    bad_id = await api.get('/outputs/abc')
    assert bad_id.status_code == 422
    assert bad_id.json()['detail'].startswith('output_id: ')
    bad_page = await api.get('/outputs', params={'per_page': 1000})
    assert bad_page.status_code == 422 and bad_page.json()['detail'].startswith('per_page: ')


async def test_restricted_items_are_hidden_from_tokens_not_allowed_to_see_them(
    api: httpx.AsyncClient,
) -> None:
    secret = _secret_level()
    hidden = outputs.capture_output(outputs.CaptureData(body='bank PIN notes', sensitivity_id=secret.id))
    outputs.capture_output(outputs.CaptureData(body='public recipe notes'))
    listed = (await api.get('/outputs')).json()
    assert [o['title'] for o in listed['items']] == ['public recipe notes']
    assert (await api.get(f'/outputs/{hidden.id}')).status_code == 404
    found = (await api.get('/search', params={'q': 'notes', 'mode': 'keyword'})).json()
    assert [r['title'] for r in found['results']] == ['public recipe notes']

    allowed = access.create_token('trusted script', 'read', allow_restricted=True).token
    headers = {'Authorization': f'Bearer {allowed}'}
    assert (await api.get(f'/outputs/{hidden.id}', headers=headers)).status_code == 200
    assert (await api.get('/outputs', headers=headers)).json()['total'] == 2


async def test_keyword_search_finds_a_capture(api: httpx.AsyncClient) -> None:
    await api.post(
        '/captures', json={'body': 'Use WAL mode so readers never block the writer', 'title': 'SQLite WAL'}
    )
    response = await api.get('/search', params={'q': 'readers block', 'mode': 'keyword'})
    assert response.status_code == 200
    results = response.json()['results']
    assert results and results[0]['title'] == 'SQLite WAL' and results[0]['kind'] == 'output'
    bad = await api.get('/search', params={'q': 'x', 'mode': 'telepathy'})
    assert bad.status_code == 400 and 'Unknown search mode' in bad.json()['detail']
    missing = await api.get('/search')  # q is required
    assert missing.status_code == 422 and missing.json()['detail'].startswith('q: ')


async def test_similar_outputs(api: httpx.AsyncClient) -> None:
    from app.data import embeddings

    settings_store.put(embeddings.MODEL_SETTING, 'builtin:hashing-384')  # instant, no model download
    first = outputs.capture_output(outputs.CaptureData(body='sourdough bread starter flour water'))
    outputs.capture_output(outputs.CaptureData(body='bread starter flour feeding schedule'))
    outputs.capture_output(outputs.CaptureData(body='kubernetes pod scheduling'))
    embeddings.index_pending()
    response = await api.get(f'/outputs/{first.id}/similar', params={'limit': 2})
    assert response.status_code == 200, response.text
    titles = [r['title'] for r in response.json()['results']]
    assert titles[0] == 'bread starter flour feeding schedule'


async def test_conversation_with_its_active_branch(api: httpx.AsyncClient) -> None:
    conv = conversations.create_conversation('Trip planning')
    q = conversations.add_message(conv, 'user', 'Where should I go?')
    tool = conversations.add_message(conv, 'tool', 'search results', parent=q, hidden=True)
    conversations.add_message(conv, 'assistant', 'Oslo', parent=tool)
    conversations.add_message(conv, 'assistant', 'Lisbon', parent=tool)  # a regeneration: the active branch
    full = (await api.get(f'/conversations/{conv.id}', params={'include_hidden': 1})).json()
    assert [m['role'] for m in full['messages']] == ['user', 'tool', 'assistant']
    assert full['messages'][-1]['branch'] == {'index': 2, 'count': 2}
    response = await api.get(f'/conversations/{conv.id}')
    assert response.status_code == 200
    data = response.json()
    assert data['title'] == 'Trip planning'
    assert [(m['role'], m['content']) for m in data['messages']] == [
        ('user', 'Where should I go?'),
        ('assistant', 'Lisbon'),
    ]


async def test_read_only_tokens_cannot_capture(api: httpx.AsyncClient) -> None:
    read = access.create_token('reader', 'read').token
    response = await api.post('/captures', json={'body': 'x'}, headers={'Authorization': f'Bearer {read}'})
    assert response.status_code == 403


async def test_openapi_docs_list_the_api(lan_mode, user: User) -> None:
    transport = httpx.ASGITransport(app=core.app)  # the trusted desktop
    async with httpx.AsyncClient(transport=transport, base_url='http://127.0.0.1:8080') as desktop:
        schema = (await desktop.get('/openapi.json')).json()
        docs = await desktop.get('/docs')
        asset = await desktop.get('/api-docs-assets/swagger-ui-bundle.js')
    for path in ('/api/v1/captures', '/api/v1/outputs', '/api/v1/outputs/{output_id}', '/api/v1/search'):
        assert path in schema['paths'], path
    assert '/api/v1/conversations/{conversation_id}' in schema['paths']
    assert '/api/v1/outputs/{output_id}/similar' in schema['paths']
    assert docs.status_code == 200 and 'swagger' in docs.text.lower()
    # Served from the app, not a CDN: the docs work offline and tell nobody you read them.
    assert 'cdn.jsdelivr.net' not in docs.text and '/api-docs-assets/swagger-ui-bundle.js' in docs.text
    assert asset.status_code == 200
    assert schema['info']['title'] == 'Output Hub API'
