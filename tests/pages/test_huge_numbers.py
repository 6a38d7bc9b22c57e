"""Numbers past SQLite's 64-bit integers in an address (an id, a list filter, a page number) get a
not-found page or a 400/404 sentence, never a server error."""

from __future__ import annotations

import httpx
import pytest
from nicegui import core
from nicegui.testing import User

HUGE = str(2**63)  # one past SQLite's largest INTEGER
HUGER = '9' * 40

PAGES = [
    '/outputs/{n}',
    '/conversations/{n}',
    '/chat/{n}',
    '/prompts/{n}',
    '/agents/{n}',
    '/tags/{n}',
    '/collections/{n}',
    '/outputs?tags={n}',
    '/outputs?collections={n}',
    '/outputs?categories={n}&models={n}&agents={n}&sensitivities={n}',
    '/outputs?page={n}',
    '/outputs?per_page={n}',
    '/conversations?tags={n}&page={n}',
    '/prompts?tags={n}',
    '/agents?collections={n}',
    '/search?q=x&tags={n}',
    '/capture?message={n}',
    '/trash?page={n}',
]

API = [
    '/api/v1/outputs/{n}',
    '/api/v1/outputs/{n}/similar',
    '/api/v1/conversations/{n}',
    '/api/v1/outputs?tags={n}',
    '/api/v1/outputs?page={n}',
    '/api/v1/search?q=x&tags={n}',
]


@pytest.fixture
async def desktop(user: User):
    await user.open('/')  # starts the app with its database
    transport = httpx.ASGITransport(app=core.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url='http://127.0.0.1:8080') as client:
        yield client


@pytest.mark.parametrize('number', [HUGE, HUGER, f'-{HUGE}0'])
async def test_huge_numbers_in_addresses_are_not_server_errors(
    desktop: httpx.AsyncClient, number: str
) -> None:
    failures = []
    for pattern in PAGES:
        path = pattern.format(n=number)
        response = await desktop.get(path, headers={'Accept': 'text/html'})
        if response.status_code >= 500 or 'Traceback' in response.text:
            failures.append(f'{path} -> {response.status_code}')
    for pattern in API:
        path = pattern.format(n=number)
        response = await desktop.get(path)
        if response.status_code not in (200, 400, 404, 422):
            failures.append(f'{path} -> {response.status_code}')
        elif response.status_code != 200:
            assert isinstance(response.json().get('detail'), str), path
    assert failures == [], '\n'.join(failures)
