"""LAN mode security: every registered route refuses a phone that has not logged in (except login and
static assets); password login, pairing, revocation and throttling, all through the real ASGI app.

The app runs in-process (NiceGUI's ``user`` fixture starts it with ``OUTPUTHUB_LAN=1``); a second
HTTP client comes from a home-network address (192.168.1.50), as a phone would.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from nicegui import core
from nicegui.testing import User
from starlette.routing import Mount, Route, WebSocketRoute

from app import auth
from app.data import access, outputs
from tests.waits import until

PHONE = ('192.168.1.50', 50123)
BASE = 'http://192.168.1.10:8080'
PASSWORD = 'correct horse battery'


@pytest.fixture
def lan_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('OUTPUTHUB_LAN', '1')


@pytest.fixture
async def phone(lan_mode, user: User) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the home network, talking to the app the ``user`` fixture started."""
    transport = httpx.ASGITransport(app=core.app, client=PHONE)
    # A browser names its page's origin on every write (a write with cookies and no Origin is refused).
    async with httpx.AsyncClient(transport=transport, base_url=BASE, headers={'Origin': BASE}) as client:
        yield client


def _concrete(path: str) -> str:
    """A request path for a route pattern: ``{id}`` -> 1, ``{name:path}`` -> x/y."""
    path = re.sub(r'\{[^}:]+:path\}', 'x/y', path)
    path = re.sub(r'\{[^}]*(id|page|version)[^}]*\}', '1', path)
    return re.sub(r'\{[^}]+\}', 'x', path)


def _all_requests() -> list[tuple[str, str]]:
    """(method, path) for every route NiceGUI's app has: pages, API, docs, NiceGUI internals, mounts."""
    out: list[tuple[str, str]] = []
    routes = []
    for route in core.app.routes:
        # FastAPI 0.141+ keeps an included router as one lazy entry; its routes carry the full path.
        routes.extend(route.original_router.routes if hasattr(route, 'original_router') else [route])
    for route in routes:
        if isinstance(route, Mount):
            out.append(('GET', route.path.rstrip('/') + '/x'))
        elif isinstance(route, WebSocketRoute):
            continue  # websockets are covered by test_websocket_is_refused
        elif isinstance(route, Route):
            for method in sorted(route.methods or {'GET'}):
                if method != 'HEAD':
                    out.append((method, _concrete(route.path)))
    return out


def _refused(response: httpx.Response) -> bool:
    if response.status_code == 401:
        return True
    return response.status_code == 303 and response.headers['location'].startswith('/login?next=')


async def test_every_route_refuses_a_phone_that_has_not_logged_in(phone: httpx.AsyncClient) -> None:
    requests = _all_requests()
    paths = {p for _, p in requests}
    # The enumeration really covers the app: pages, the API, its docs and NiceGUI's own routes.
    for expected in (
        '/',
        '/outputs',
        '/capture',
        '/settings',
        '/api/v1/outputs',
        '/api/v1/captures',
        '/docs',
    ):
        assert expected in paths, expected
    assert any(p.startswith('/_nicegui_ws') for p in paths)
    public, refused = [], []
    for method, path in requests:
        response = await phone.request(method, path, headers={'Accept': 'text/html'})
        if auth.is_public_path(path):
            public.append(path)
            continue
        assert _refused(response), f'{method} {path} answered {response.status_code} to a stranger'
        refused.append(path)
        api_response = await phone.request(method, path, headers={'Accept': 'application/json'})
        assert api_response.status_code in (401, 303), f'{method} {path}'
    assert len(refused) > 20
    # Only login, pairing and static files are open; anything new that is public must be added on purpose.
    for path in public:
        assert path in auth.PUBLIC_PATHS or path.startswith(auth.public_prefixes()), path


async def test_api_refusals_are_json_with_a_sentence(phone: httpx.AsyncClient) -> None:
    response = await phone.get('/api/v1/outputs')
    assert response.status_code == 401
    assert response.headers['www-authenticate'] == 'Bearer'
    assert 'Log in' in response.json()['detail']
    docs = await phone.get('/openapi.json')
    assert docs.status_code == 401


async def test_a_page_request_is_sent_to_the_login_form_and_back(phone: httpx.AsyncClient) -> None:
    auth.set_password(PASSWORD)
    response = await phone.get('/outputs?tags=3', headers={'Accept': 'text/html'})
    assert response.status_code == 303
    assert response.headers['location'] == '/login?next=%2Foutputs%3Ftags%3D3'
    form = await phone.get(response.headers['location'])
    assert form.status_code == 200 and 'name="password"' in form.text
    assert 'value="/outputs?tags=3"' in form.text
    wrong = await phone.post('/login', data={'password': 'nope', 'next': '/outputs?tags=3'})
    assert wrong.status_code == 401 and 'not right' in wrong.text
    ok = await phone.post(
        '/login', data={'password': PASSWORD, 'next': '/outputs?tags=3', 'device': 'My phone'}
    )
    assert ok.status_code == 303 and ok.headers['location'] == '/outputs?tags=3'
    assert 'HttpOnly' in ok.headers['set-cookie'] and 'SameSite=Lax' in ok.headers['set-cookie']
    page = await phone.get('/outputs?tags=3', headers={'Accept': 'text/html'})
    assert page.status_code == 200
    devices = access.list_devices()
    assert [d.name for d in devices] == ['My phone']


async def test_login_page_without_a_password_explains_how_to_get_in(phone: httpx.AsyncClient) -> None:
    form = await phone.get('/login')
    assert 'No password has been set' in form.text
    refused = await phone.post('/login', data={'password': 'anything at all'})
    assert refused.status_code == 401


async def test_failed_logins_are_throttled(phone: httpx.AsyncClient) -> None:
    auth.set_password(PASSWORD)
    statuses = []
    for _ in range(7):
        response = await phone.post('/login', data={'password': 'guess-guess'})
        statuses.append(response.status_code)
    assert statuses[:5] == [401] * 5
    assert statuses[5:] == [429, 429]
    blocked = await phone.post('/login', data={'password': PASSWORD})
    assert blocked.status_code == 429  # even the right password waits: no oracle while locked
    assert int(blocked.headers['retry-after']) > 0
    # Wrong tokens count in a bucket of their own: a token guess is told it is wrong, not to wait.
    token_guess = await phone.get('/api/v1/outputs', headers={'Authorization': 'Bearer oh_guess'})
    assert token_guess.status_code == 401


async def test_a_revoked_device_is_refused_at_once(phone: httpx.AsyncClient) -> None:
    auth.set_password(PASSWORD)
    await phone.post('/login', data={'password': PASSWORD, 'device': 'Pixel'})
    assert (await phone.get('/api/v1/outputs')).status_code == 200
    device = access.list_devices()[0]
    access.revoke_device(device.id)
    assert (await phone.get('/api/v1/outputs')).status_code == 401
    page = await phone.get('/', headers={'Accept': 'text/html'})
    assert page.status_code == 303


async def test_logout_ends_the_session_and_revokes_the_device(phone: httpx.AsyncClient) -> None:
    auth.set_password(PASSWORD)
    await phone.post('/login', data={'password': PASSWORD})
    response = await phone.post('/logout')
    assert response.status_code == 303
    assert (await phone.get('/api/v1/outputs')).status_code == 401
    assert access.list_devices()[0].revoked_at is not None


async def test_a_forged_cookie_gets_nothing(phone: httpx.AsyncClient) -> None:
    forged = auth.Signer('not the key').sign({'d': 1})
    phone.cookies.set(auth.COOKIE_NAME, forged)
    assert (await phone.get('/api/v1/outputs')).status_code == 401


async def test_pairing_signs_a_phone_in_once(phone: httpx.AsyncClient) -> None:
    token = auth.current_gate().pairings.create('Kitchen tablet')
    confirm = await phone.get(f'/pair?token={token}')
    assert confirm.status_code == 200 and 'Kitchen tablet' in confirm.text
    # Opening the link (a preview, a scanner app) does not use the code up; the button does.
    paired = await phone.post('/pair', data={'token': token})
    assert paired.status_code == 303 and paired.headers['location'] == '/'
    assert (await phone.get('/api/v1/outputs')).status_code == 200
    assert [d.name for d in access.list_devices()] == ['Kitchen tablet']
    transport = httpx.ASGITransport(app=core.app, client=('192.168.1.77', 40000))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as other:
        again = await other.post('/pair', data={'token': token})
        assert again.status_code == 410
        assert (await other.get('/api/v1/outputs')).status_code == 401


async def test_tokens_get_in_and_revoked_tokens_do_not(phone: httpx.AsyncClient) -> None:
    read = access.create_token('reader', 'read')
    headers = {'Authorization': f'Bearer {read.token}'}
    assert (await phone.get('/api/v1/outputs', headers=headers)).status_code == 200
    refused = await phone.post('/api/v1/captures', json={'body': 'x'}, headers=headers)
    assert refused.status_code == 403 and 'read-only' in refused.json()['detail']
    # A token opens the API, not the pages.
    assert (await phone.get('/settings', headers=headers)).status_code == 401
    access.revoke_token(read.row.id)
    gone = await phone.get('/api/v1/outputs', headers=headers)
    assert gone.status_code == 401 and 'revoked' in gone.json()['detail']


async def test_the_trusted_desktop_needs_no_login(lan_mode, user: User) -> None:
    await user.open('/settings?tab=devices')
    await user.should_see('Pair a phone')
    await user.should_see('Set password')


async def test_cross_site_posts_are_refused(phone: httpx.AsyncClient) -> None:
    write = access.create_token('writer', 'write')
    response = await phone.post(
        '/api/v1/captures',
        json={'body': 'from a web page'},
        headers={'Authorization': f'Bearer {write.token}', 'Origin': 'https://evil.example.com'},
    )
    assert response.status_code == 403
    assert outputs.find_duplicates('from a web page') == []


async def test_dns_rebinding_hosts_are_refused(phone: httpx.AsyncClient) -> None:
    response = await phone.get('/', headers={'Host': 'attacker.example.com'})
    assert response.status_code == 421


async def test_websocket_is_refused_without_login(phone: httpx.AsyncClient) -> None:
    gate = auth.current_gate()
    sent: list[dict] = []

    async def app(scope, receive, send):  # pragma: no cover - must not be reached
        raise AssertionError('the websocket reached the app')

    async def receive():
        return {'type': 'websocket.connect'}

    async def send(message):
        sent.append(message)

    middleware = auth.AuthMiddleware(app, gate)
    scope = {
        'type': 'websocket',
        'path': '/_nicegui_ws/socket.io/',
        'query_string': b'EIO=4&transport=websocket',
        'headers': [(b'host', b'192.168.1.10:8080')],
        'client': PHONE,
    }
    await middleware(scope, receive, send)
    assert sent == [{'type': 'websocket.close', 'code': 4401}]


# --------------------------------------------------------------------------- sub pages of the shell


def _navigate_listener(client_id: str) -> tuple[int, str]:
    """The tab's listener for in-app navigation (what a click on a link in the shell emits)."""
    from nicegui import Client

    layout = Client.instances[client_id].layout
    listener = next(
        lid
        for lid, li in layout._event_listeners.items()
        if li.type in ('sub_pages_navigate', 'subPagesNavigate')
    )
    return layout.id, listener


def _shown(client_id: str) -> list:
    """What the tab's page area shows (the children of its ``ui.sub_pages``)."""
    from nicegui import Client, ui

    pages = next(e for e in Client.instances[client_id].elements.values() if isinstance(e, ui.sub_pages))
    return list(pages.default_slot.children)


async def test_a_revoked_device_cannot_switch_pages_inside_its_open_tab(phone: httpx.AsyncClient) -> None:
    """A switch inside the shell is a socket event, which the login middleware never sees: the shell asks
    the gate again at every switch, for every page route."""
    from app.pages import shell

    from .asgi_socket import PageSocket, client_id_of, page_query

    auth.set_password(PASSWORD)
    await phone.post('/login', data={'password': PASSWORD, 'device': 'Pixel'})
    page = await phone.get('/', headers={'Accept': 'text/html'})
    assert page.status_code == 200
    client_id = client_id_of(page.text)
    layout_id, listener = _navigate_listener(client_id)
    async with PageSocket(
        client=PHONE,
        host='192.168.1.10:8080',
        query=page_query(client_id),
        cookies=dict(phone.cookies.items()),
    ) as sock:
        assert await sock.join()

        async def navigate(path: str) -> None:
            await sock.emit(
                'event',
                {
                    'client_id': client_id,
                    'id': layout_id,
                    'listener_id': listener,
                    'args': [json.dumps(path)],
                },
            )

        from nicegui import Client

        client = Client.instances[client_id]
        await navigate('/settings')  # while the device is valid, the tab switches
        await until(lambda: client.title.startswith('Settings'), what='the settings page shown')
        paths = [_concrete(p) for p in shell.paths()]
        assert '/outputs' in paths and '/outputs/1' in paths and len(paths) > 15
        access.revoke_device(access.list_devices()[0].id)  # revoked elsewhere (no page reload sent)
        for path in paths:
            sock.received.clear()
            await navigate(path)
            assert await sock.wait_for('/login?next='), f'{path}: not sent to the login form'
            assert _shown(client_id) == [], f'{path} was shown to a revoked device'
