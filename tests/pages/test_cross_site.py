"""Cross-site requests, security headers, lockout by guessing, logout and page sockets, all through the
real ASGI app in LAN mode (issue 14 items 7, 8, 9a and the low items on cookies, Host names and sockets).

The trusted desktop is a client on 127.0.0.1; phones come from the home network (192.168.1.x).
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
from nicegui import Client, core, ui
from nicegui.testing import User

from app import auth
from app.data import access, outputs

from .asgi_socket import PageSocket, client_id_of, page_query

BASE = 'http://192.168.1.10:8080'
DESKTOP_BASE = 'http://127.0.0.1:8080'
PASSWORD = 'correct horse battery'


@pytest.fixture
def lan_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('OUTPUTHUB_LAN', '1')


def _client(address: str, base: str = BASE, **kwargs) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=core.app, client=(address, 50123))
    return httpx.AsyncClient(transport=transport, base_url=base, **kwargs)


@pytest.fixture
async def desktop(lan_mode, user: User) -> AsyncIterator[httpx.AsyncClient]:
    """The trusted desktop (loopback) — the principal a hostile web page in its browser would ride on."""
    async with _client('127.0.0.1', DESKTOP_BASE) as client:
        yield client


async def _log_in(client: httpx.AsyncClient, name: str) -> None:
    if not auth.password_is_set():
        auth.set_password(PASSWORD)
    response = await client.post(
        '/login', data={'password': PASSWORD, 'device': name}, headers={'Origin': str(client.base_url)}
    )
    assert response.status_code == 303, response.text


def _created(body: str) -> bool:
    return bool(outputs.find_duplicates(body))


# --------------------------------------------------------------------------- item 7: cross-site writes


CROSS_SITE_ATTEMPTS: list[tuple[str, dict[str, str]]] = [
    ('Origin null (sandboxed iframe, data: page)', {'Origin': 'null'}),
    ('a foreign Origin', {'Origin': 'https://evil.example.com'}),
    ('another port on this computer', {'Origin': 'http://127.0.0.1:9999'}),
    ('Sec-Fetch-Site cross-site, no Origin', {'Sec-Fetch-Site': 'cross-site'}),
    ('Sec-Fetch-Site same-site, no Origin', {'Sec-Fetch-Site': 'same-site'}),
    ('same Origin but Sec-Fetch-Site cross-site', {'Origin': DESKTOP_BASE, 'Sec-Fetch-Site': 'cross-site'}),
    ('a browser navigation without Origin', {'Sec-Fetch-Mode': 'navigate', 'Sec-Fetch-Dest': 'iframe'}),
    ('a browser request without Origin, with a cookie', {'Sec-Fetch-Mode': 'cors', 'Cookie': 'session=x'}),
]


async def test_cross_site_writes_from_the_trusted_desktops_browser_are_refused(desktop) -> None:
    refused = 0
    for n, (label, headers) in enumerate(CROSS_SITE_ATTEMPTS):
        body = f'cross-site attempt {n}'
        response = await desktop.post('/api/v1/captures', json={'body': body}, headers=headers)
        assert response.status_code == 403, f'{label}: {response.status_code}'
        assert 'Cross-site' in response.json()['detail']
        assert not _created(body), label
        refused += 1
        # A plain form post (what a hostile page's <form> sends) is refused the same way.
        form = await desktop.post(
            '/api/v1/captures?title=x',
            content=f'form {body}',
            headers={**headers, 'Content-Type': 'text/plain'},
        )
        assert form.status_code == 403, label
        assert not _created(f'form {body}')
        refused += 1
    assert refused == 2 * len(CROSS_SITE_ATTEMPTS) == 16

    # What keeps working: the app's own pages (same Origin), curl / scripts (no cookie, no Sec-Fetch),
    # and a bearer-token API call even from a client that keeps cookies.
    same = await desktop.post(
        '/api/v1/captures',
        json={'body': 'same origin'},
        headers={'Origin': DESKTOP_BASE, 'Sec-Fetch-Site': 'same-origin', 'Cookie': 'session=x'},
    )
    assert same.status_code == 201, same.text
    async with _client('127.0.0.1', DESKTOP_BASE) as curl:
        script = await curl.post('/api/v1/captures', json={'body': 'from a script'})
        assert script.status_code == 201, script.text
        # a script keeping a cookie jar (requests.Session, httpx) is still a script, not a browser
        jar = await curl.post('/api/v1/captures', json={'body': 'jar'}, headers={'Cookie': 'session=x'})
        assert jar.status_code == 201, jar.text
    token = access.create_token('script', 'write')
    tokened = await desktop.post(
        '/api/v1/captures',
        json={'body': 'token call'},
        headers={'Authorization': f'Bearer {token.token}', 'Cookie': 'session=x'},
    )
    assert tokened.status_code == 201, tokened.text


async def test_a_logged_in_phone_cannot_be_made_to_write_by_another_site(lan_mode, user: User) -> None:
    async with _client('192.168.1.50') as phone:
        await _log_in(phone, 'Phone')
        for n, (label, headers) in enumerate(CROSS_SITE_ATTEMPTS[:5]):
            body = f'phone cross-site {n}'
            response = await phone.post('/api/v1/captures', json={'body': body}, headers=headers)
            assert response.status_code == 403, label
            assert not _created(body)
        logout = await phone.post('/logout', headers={'Origin': 'null'})
        assert logout.status_code == 403  # a hostile page cannot log the phone out either
        assert access.list_devices()[0].revoked_at is None


async def test_the_socket_handshake_refuses_other_origins(desktop) -> None:
    polling = '/_nicegui_ws/socket.io/?EIO=4&transport=polling'
    for origin in ('https://evil.example.com', 'null', 'http://127.0.0.1:9999'):
        response = await desktop.get(polling, headers={'Origin': origin})
        assert response.status_code == 403, origin
        assert 'access-control-allow-origin' not in response.headers
    own = await desktop.get(polling, headers={'Origin': DESKTOP_BASE})
    assert own.status_code == 200
    assert own.headers.get('access-control-allow-origin') in (None, DESKTOP_BASE)

    page = await desktop.get('/', headers={'Accept': 'text/html'})
    client_id = client_id_of(page.text)
    query = page_query(client_id)
    async with PageSocket(
        client=('127.0.0.1', 50200), host='127.0.0.1:8080', query=query, origin='https://evil.example.com'
    ) as evil:
        assert not await evil.join()
    async with PageSocket(
        client=('127.0.0.1', 50201), host='127.0.0.1:8080', query=query, origin=DESKTOP_BASE
    ) as own_socket:
        assert await own_socket.join()


# --------------------------------------------------------------------------- item 7: headers

HEADERS = ('content-security-policy', 'x-frame-options', 'x-content-type-options', 'referrer-policy')


async def test_every_response_carries_the_security_headers(desktop) -> None:
    import nicegui

    async with _client('192.168.1.60') as stranger:
        responses = {
            'page': await desktop.get('/', headers={'Accept': 'text/html'}),
            'trash page': await desktop.get('/trash', headers={'Accept': 'text/html'}),
            'API': await desktop.get('/api/v1/outputs'),
            'app asset': await desktop.get('/assets/icon.svg'),
            'NiceGUI static': await desktop.get(f'/_nicegui/{nicegui.__version__}/static/nicegui.css'),
            'login form': await stranger.get('/login'),
            'refusal': await stranger.get('/api/v1/outputs'),
            'redirect': await stranger.get('/outputs', headers={'Accept': 'text/html'}),
            'not found': await desktop.get('/no/such/page', headers={'Accept': 'text/html'}),
        }
    for label, response in responses.items():
        for name in HEADERS:
            assert name in response.headers, f'{label} ({response.status_code}) lacks {name}'
        csp = response.headers['content-security-policy']
        assert "frame-ancestors 'none'" in csp, label
        assert "connect-src 'self'" in csp, label
        assert response.headers['x-frame-options'] == 'DENY', label
        assert response.headers['x-content-type-options'] == 'nosniff', label
        assert response.headers['referrer-policy'] == 'same-origin', label
        assert len(response.headers.get_list('x-frame-options')) == 1, label
    page_csp = responses['page'].headers['content-security-policy']
    assert "default-src 'self'" in page_csp and "object-src 'none'" in page_csp
    assert 'ws://127.0.0.1:8080' in page_csp  # the page's own socket, nothing wider
    assert not re.search(r' wss?:(;| )', page_csp) and '*' not in page_csp  # no bare ws: / wss: scheme


# --------------------------------------------------------------------------- item 8: lockout


async def test_bad_tokens_from_many_addresses_lock_nobody_out(lan_mode, user: User) -> None:
    auth.set_password(PASSWORD)
    good = access.create_token('phone automation', 'write')
    statuses: list[int] = []
    for n in range(60):  # 30 addresses, 2 guesses each, each also claiming another X-Forwarded-For
        async with _client(f'192.168.7.{n % 30 + 1}') as attacker:
            response = await attacker.get(
                '/api/v1/outputs',
                headers={'Authorization': f'Bearer oh_guess{n}', 'X-Forwarded-For': f'10.9.{n}.1'},
            )
            statuses.append(response.status_code)
    assert set(statuses) <= {401, 429}
    assert statuses.count(429) > 0  # the guessing itself is slowed down
    for address in ('192.168.1.50', '192.168.7.1'):  # a fresh address and one the attacker used
        async with _client(address) as client:
            ok = await client.get('/api/v1/outputs', headers={'Authorization': f'Bearer {good.token}'})
            assert ok.status_code == 200, f'valid token from {address}: {ok.status_code}'
            login = await client.post('/login', data={'password': PASSWORD}, headers={'Origin': BASE})
            assert login.status_code == 303, f'password from {address}: {login.status_code}'


async def test_bad_passwords_from_many_addresses_never_refuse_the_right_one(lan_mode, user: User) -> None:
    auth.set_password(PASSWORD)
    gate = auth.current_gate()
    gate.throttle = auth.Throttle(global_free=4)  # a small global budget keeps the test fast (scrypt)
    for n in range(5):
        async with _client(f'192.168.8.{n + 1}') as attacker:
            wrong = await attacker.post('/login', data={'password': f'guess {n}'}, headers={'Origin': BASE})
            assert wrong.status_code in (401, 429)
    async with _client('192.168.1.50') as phone:
        right = await phone.post('/login', data={'password': PASSWORD}, headers={'Origin': BASE})
        assert right.status_code == 303, right.status_code
    # While everyone is over the budget, a failing address gets one try before it has to wait.
    async with _client('192.168.8.99') as attacker:
        first = await attacker.post('/login', data={'password': 'guess again'}, headers={'Origin': BASE})
        second = await attacker.post('/login', data={'password': 'and again'}, headers={'Origin': BASE})
        assert (first.status_code, second.status_code) == (401, 429)


# --------------------------------------------------------------------------- item 9a: logout ends pages


def _value_field(client_id: str):
    client = Client.instances[client_id]
    for element in client.elements.values():
        if isinstance(element, ui.textarea):
            listener = next(  # the text area's own value listener (not the page's draft saver)
                lid
                for lid, li in element._event_listeners.items()
                if li.type.startswith('update:') and li.handler.__name__ == 'handle_change'
            )
            return element, listener
    raise AssertionError('no text area on the page')


async def _set_value(sock: PageSocket, client_id: str, element_id: int, listener: str, value: str) -> None:
    await sock.emit(
        'event',
        {'client_id': client_id, 'id': element_id, 'listener_id': listener, 'args': [json.dumps(value)]},
    )


async def _eventually(condition, timeout: float = 3.0) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if condition():
            return True
        await asyncio.sleep(0.05)
    return condition()


async def test_logout_ends_the_open_pages_of_that_session(lan_mode, user: User) -> None:
    async with _client('192.168.1.50') as phone:
        await _log_in(phone, 'Phone')
        page = await phone.get('/capture', headers={'Accept': 'text/html'})
        client_id = client_id_of(page.text)
        element, listener = _value_field(client_id)
        cookies = dict(phone.cookies.items())
        async with PageSocket(
            client=('192.168.1.50', 50300),
            host='192.168.1.10:8080',
            query=page_query(client_id),
            cookies=cookies,
        ) as sock:
            assert await sock.join()
            # the page is live over this socket (the drawer no longer asks the browser anything on connect)
            assert await _eventually(lambda: Client.instances[client_id].has_socket_connection)
            await _set_value(sock, client_id, element.id, listener, 'written before logout')
            assert await _eventually(lambda: element.value == 'written before logout')

            out = await phone.post('/logout', headers={'Origin': BASE})
            assert out.status_code == 303
            assert await sock.wait_for('window.location.reload()')  # the page is sent to the login form
            await _set_value(sock, client_id, element.id, listener, 'written after logout')
            await asyncio.sleep(0.3)
            assert element.value == 'written before logout'
            assert await _eventually(lambda: client_id not in Client.instances)


# --------------------------------------------------------------------------- low: sockets bound to principals


async def test_a_page_socket_cannot_be_joined_by_another_principal(lan_mode, user: User) -> None:
    async with _client('192.168.1.50') as owner, _client('192.168.1.51') as other:
        await _log_in(owner, 'Owner phone')
        await _log_in(other, 'Other phone')
        page = await owner.get('/capture', headers={'Accept': 'text/html'})
        client_id = client_id_of(page.text)
        element, listener = _value_field(client_id)
        other_page = await other.get('/capture', headers={'Accept': 'text/html'})
        other_client_id = client_id_of(other_page.text)

        # Another device, and the trusted desktop, naming the owner's client id: refused.
        for address, cookies in (('192.168.1.51', dict(other.cookies.items())), ('127.0.0.1', {})):
            host = '127.0.0.1:8080' if address == '127.0.0.1' else '192.168.1.10:8080'
            async with PageSocket(
                client=(address, 50400), host=host, query=page_query(client_id), cookies=cookies
            ) as intruder:
                assert not await intruder.join(), address

        # The other device on its own page socket, sending events and an explicit handshake for the owner's.
        async with PageSocket(
            client=('192.168.1.51', 50401),
            host='192.168.1.10:8080',
            query=page_query(other_client_id),
            cookies=dict(other.cookies.items()),
        ) as own:
            assert await own.join()
            await _set_value(own, client_id, element.id, listener, 'written by another device')
            await own.send(
                '421' + json.dumps(['handshake', {**page_query(client_id), 'implicit_handshake': False}])
            )
            assert await own.wait_for('431[false]')
            await asyncio.sleep(0.2)
            assert element.value != 'written by another device'

        # The owner itself gets in and can write.
        async with PageSocket(
            client=('192.168.1.50', 50402),
            host='192.168.1.10:8080',
            query=page_query(client_id),
            cookies=dict(owner.cookies.items()),
        ) as sock:
            assert await sock.join()
            await _set_value(sock, client_id, element.id, listener, 'written by the owner')
            assert await _eventually(lambda: element.value == 'written by the owner')


# --------------------------------------------------------------------------- low: NiceGUI's session cookie


def _browser_id(client: httpx.AsyncClient) -> str:
    value = client.cookies.get('session')
    assert value, 'no NiceGUI session cookie'
    data = value.split('.')[0]
    return json.loads(base64.b64decode(data + '=' * (-len(data) % 4)))['id']


async def test_logging_in_or_pairing_starts_a_new_browser_session(lan_mode, user: User) -> None:
    auth.set_password(PASSWORD)
    async with _client('192.168.1.50') as phone:
        await phone.get('/login')
        before = _browser_id(phone)  # what an attacker could have planted before the login
        await _log_in(phone, 'Phone')
        assert _browser_id(phone) != before
    async with _client('192.168.1.52') as tablet:
        token = auth.current_gate().pairings.create('Tablet')
        await tablet.get(f'/pair?token={token}')
        before = _browser_id(tablet)
        paired = await tablet.post('/pair', data={'token': token}, headers={'Origin': BASE})
        assert paired.status_code == 303
        assert _browser_id(tablet) != before


# --------------------------------------------------------------------------- low: Host names


async def test_only_this_computers_names_are_answered(lan_mode, user: User) -> None:
    own = socket.gethostname().lower()
    async with _client('192.168.1.50') as phone:
        for host in ('evil.local', 'router', 'router:8080', f'not-{own}', 'evil.example.com'):
            response = await phone.get('/login', headers={'Host': host})
            assert response.status_code == 421, host
        for host in (f'{own}:8080', f'{own.split(".")[0]}.local:8080', '192.168.1.10:8080'):
            response = await phone.get('/login', headers={'Host': host})
            assert response.status_code == 200, host
