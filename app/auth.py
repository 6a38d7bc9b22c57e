"""Login for LAN mode: the password, signed session cookies, throttled attempts, pairing tokens, and the
ASGI middleware that lets a request through only when it is allowed.

Who gets in:
- Without LAN mode the server listens on 127.0.0.1 only and every client is this computer.
- In LAN mode, a client on the loopback address is the trusted desktop (unless ``trust_loopback``
  is off); everyone else needs a session cookie (a logged-in or paired *device*) or, for the REST
  API, a bearer token. Login, pairing and static assets are public; every other route is not.
- Devices and tokens are rows in the database; revoking one refuses its next request (each request
  checks the row) and reloads its open pages so they land on the login form at once.
- Secrets never touch the database: the password's scrypt hash and the cookie-signing key are files
  in the data directory, readable only by the user.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import ipaddress
import json
import logging
import os
import secrets
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from . import config
from .data import access
from .data.models import utcnow
from .services import touches

log = logging.getLogger(__name__)

PASSWORD_FILE = 'lan-password'
SESSION_KEY_FILE = 'auth-session.key'
COOKIE_NAME = 'oh_session'
COOKIE_MAX_AGE = 400 * 24 * 3600  # a paired phone stays paired (browsers cap cookies at 400 days)
MIN_PASSWORD_LENGTH = 8
PAIRING_TTL = 300.0  # seconds a QR code stays valid

# scrypt: 32 MiB and ~0.25 s per check on a small laptop; verification runs in a worker thread.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**15, 8, 1
_SCRYPT_MAXMEM = 64 * 1024 * 1024

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


# --------------------------------------------------------------------------- the password


def _password_path() -> Path:
    return config.data_dir() / PASSWORD_FILE


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode('utf-8'), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, maxmem=_SCRYPT_MAXMEM
    )
    b64 = base64.b64encode
    return f'scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}'


def check_password_hash(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.strip().split('$')
        if kind != 'scrypt':
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode('utf-8'),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_SCRYPT_MAXMEM,
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def password_is_set() -> bool:
    path = _password_path()
    return path.exists() and path.read_text().strip().startswith('scrypt$')


def check_password(password: str) -> bool:
    """True when ``password`` is the LAN password (slow on purpose: call it off the event loop)."""
    if not password or not password_is_set():
        return False
    return check_password_hash(password, _password_path().read_text())


def validate_new_password(password: str) -> None:
    from .errors import ValidationError

    if len(password or '') < MIN_PASSWORD_LENGTH:
        raise ValidationError(f'Choose a password of at least {MIN_PASSWORD_LENGTH} characters.')
    if password != password.strip():
        raise ValidationError('The password cannot start or end with a space.')


def set_password(password: str) -> None:
    """Store the LAN password's salted scrypt hash (mode 0600). Existing sessions stay valid."""
    validate_new_password(password)
    path = _password_path()
    tmp = path.with_suffix('.tmp')
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as fh:
        fh.write(hash_password(password))
    os.replace(tmp, path)


# --------------------------------------------------------------------------- signed session cookies


class Signer:
    """HMAC-SHA256 signed, base64url JSON values (the session cookie)."""

    def __init__(self, key: str) -> None:
        self._key = key.encode('utf-8')

    def _mac(self, body: bytes) -> str:
        return (
            base64.urlsafe_b64encode(hmac.new(self._key, body, hashlib.sha256).digest()).decode().rstrip('=')
        )

    def sign(self, payload: dict[str, Any]) -> str:
        body = base64.urlsafe_b64encode(json.dumps(payload, separators=(',', ':')).encode()).rstrip(b'=')
        return f'{body.decode()}.{self._mac(body)}'

    def unsign(self, value: str | None) -> dict[str, Any] | None:
        if not value or '.' not in value or len(value) > 2000:
            return None
        body, mac = value.rsplit('.', 1)
        if not hmac.compare_digest(mac, self._mac(body.encode())):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(body + '=' * (-len(body) % 4)))
        except (ValueError, TypeError):
            return None
        return data if isinstance(data, dict) else None


# --------------------------------------------------------------------------- throttling


class Throttle:
    """Failed attempts per client address (and in total): a few are free, then each failure doubles
    the wait, up to ``max_wait``. A success clears the address.

    The total never locks anyone out (item 14.8: a flood of bad guesses from many addresses put every
    phone behind a 15-minute wait): while it is over ``global_free``, each address gets only
    ``busy_free`` free failures before its own wait starts, so the flood slows down failing clients only."""

    def __init__(
        self,
        *,
        free: int = 5,
        window: float = 900.0,
        base_wait: float = 15.0,
        max_wait: float = 900.0,
        global_free: int = 50,
        busy_free: int = 1,
    ) -> None:
        self.free, self.window, self.base_wait, self.max_wait = free, window, base_wait, max_wait
        self.global_free, self.busy_free = global_free, busy_free
        self._fails: dict[str, deque[float]] = {}
        self._lock = threading.Lock()
        self.clock: Callable[[], float] = time.monotonic

    def _prune(self, fails: deque[float], now: float) -> deque[float]:
        while fails and now - fails[0] > self.window:
            fails.popleft()
        return fails

    def _wait_for(self, fails: deque[float], free: int, now: float) -> float:
        self._prune(fails, now)
        if len(fails) < free:
            return 0.0
        wait = min(self.max_wait, self.base_wait * 2 ** (len(fails) - free))
        return max(0.0, fails[-1] + wait - now)

    def busy(self) -> bool:
        """True while the failures of all addresses together are over ``global_free``."""
        now = self.clock()
        with self._lock:
            return len(self._prune(self._fails.get('*', deque()), now)) >= self.global_free

    def retry_after(self, key: str) -> float:
        """Seconds this client must wait before its next attempt (0 = go ahead)."""
        free = self.busy_free if self.busy() else self.free
        now = self.clock()
        with self._lock:
            return self._wait_for(self._fails.get(key, deque()), free, now)

    def failed(self, key: str) -> None:
        now = self.clock()
        with self._lock:
            for k in (key, '*'):
                self._fails.setdefault(k, deque(maxlen=200)).append(now)

    def succeeded(self, key: str) -> None:
        with self._lock:
            self._fails.pop(key, None)


# --------------------------------------------------------------------------- pairing tokens


@dataclass
class Pairing:
    name: str
    expires: float
    allow_restricted: bool = False
    device_id: int | None = None  # set once a phone used it


class PairingTokens:
    """One-time, short-lived tokens carried by the pairing QR code. Kept in memory, hashed."""

    def __init__(self, ttl: float = PAIRING_TTL) -> None:
        self.ttl = ttl
        self._items: dict[str, Pairing] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def create(self, name: str, *, allow_restricted: bool = False) -> str:
        token = secrets.token_urlsafe(24)
        now = time.monotonic()
        with self._lock:
            self._items = {k: v for k, v in self._items.items() if v.expires > now - 3600}
            self._items[self._key(token)] = Pairing(name.strip() or 'Phone', now + self.ttl, allow_restricted)
        return token

    def claim(self, token: str) -> Pairing | None:
        """The pairing for ``token`` if it is unused and not expired; it can never be used again."""
        if not token or len(token) > 100:
            return None
        with self._lock:
            item = self._items.get(self._key(token))
            if item is None or item.device_id is not None or item.expires < time.monotonic():
                return None
            item.device_id = -1  # claimed; the real id is filled in once the device row exists
            return item

    def status(self, token: str) -> Pairing | None:
        with self._lock:
            return self._items.get(self._key(token))


# --------------------------------------------------------------------------- who is asking


@dataclass(frozen=True)
class Principal:
    """Who a request comes from. ``local``: the trusted desktop (or the app is not on the LAN)."""

    kind: str  # local | device | token
    scope: str = 'write'  # read | write
    allow_restricted: bool = True
    device_id: int | None = None
    token_id: int | None = None
    name: str = ''
    admin: bool = False  # a device this computer made an administrator (see app/roles.py)

    @property
    def can_write(self) -> bool:
        return self.scope == 'write'


LOCAL = Principal('local')
ANONYMOUS = Principal('anonymous', scope='none', allow_restricted=False)

_NICEGUI_STATIC = ('static', 'libraries', 'components', 'resources', 'esm', 'dynamic_resources')
PUBLIC_PATHS = frozenset(
    {'/login', '/logout', '/pair', '/favicon.ico', '/sw.js', '/outputhub-ca.crt', '/manifest.webmanifest'}
)


API_PATHS = ('/api/', '/openapi.json', '/docs', '/redoc')
MCP_PATH = '/mcp'  # the MCP server (streamable HTTP, app/mcp): API tokens open it too


def token_opens(path: str) -> bool:
    """Whether an API token is accepted on ``path``: the REST API and the MCP endpoint, nothing else."""
    return path.startswith(API_PATHS) or path == MCP_PATH or path.startswith(MCP_PATH + '/')


def public_prefixes() -> tuple[str, ...]:
    import nicegui

    return ('/assets/', *(f'/_nicegui/{nicegui.__version__}/{name}/' for name in _NICEGUI_STATIC))


def is_public_path(path: str) -> bool:
    """Login, pairing and static assets (the app's own and NiceGUI's library files)."""
    return path in PUBLIC_PATHS or path.startswith(public_prefixes())


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    try:
        return ipaddress.ip_address(host.split('%')[0]).is_loopback
    except ValueError:
        return False


def _host_name(host_header: str) -> str:
    host = host_header.strip().lower()
    if host.startswith('['):
        return host[1 : host.find(']')] if ']' in host else host
    return host.rsplit(':', 1)[0] if host.count(':') == 1 else host


_OWN_NAMES_TTL = 300.0
_own_names_cache: tuple[float, frozenset[str]] = (0.0, frozenset())


def own_host_names() -> frozenset[str]:
    """This computer's own names: its host name, fully qualified name and ``<host>.local`` (mDNS),
    refreshed every few minutes (a laptop changes networks). Only the first call looks them up itself;
    later refreshes run in a thread while the names known so far keep answering, because ``getfqdn``
    may wait seconds on name resolution and this is asked on the event loop for every request."""
    global _own_names_refreshing
    stamp, names = _own_names_cache
    if not names:
        return _look_up_own_names()
    if time.monotonic() - stamp >= _OWN_NAMES_TTL:
        with _own_names_lock:
            start, _own_names_refreshing = not _own_names_refreshing, True
        if start:
            threading.Thread(target=_look_up_own_names, name='outputhub-host-names', daemon=True).start()
    return names


_own_names_lock = threading.Lock()
_own_names_refreshing = False


def _look_up_own_names() -> frozenset[str]:
    global _own_names_cache, _own_names_refreshing
    import socket

    found: set[str] = set()
    with contextlib.suppress(OSError):
        host = socket.gethostname().lower().rstrip('.')
        if host:
            found |= {host, host.split('.')[0] + '.local'}
    with contextlib.suppress(OSError):
        fqdn = socket.getfqdn().lower().rstrip('.')
        if fqdn and fqdn != 'localhost':
            found.add(fqdn)
    names = frozenset(found)
    _own_names_cache = (time.monotonic(), names)
    _own_names_refreshing = False
    return names


def host_allowed(host_header: str, *, lan: bool) -> bool:
    """Refuse DNS rebinding: a page of some web site (or of a name on the home network) whose name was
    re-pointed at this computer. Answered: IP addresses (no DNS involved, so nothing to rebind),
    ``localhost`` and ``*.localhost`` (browsers resolve those to loopback themselves), this
    computer's own names (``own_host_names``) and ``OUTPUTHUB_ALLOWED_HOSTS`` (comma separated).
    Any other name is refused — also other ``*.local`` and single-label names, which anyone on the
    network can claim. ``lan`` is kept for callers; the rule is the same in both modes."""
    del lan
    name = _host_name(host_header).rstrip('.')
    if not name:
        return True  # HTTP/1.0 without Host: no browser sends that
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        pass
    if name == 'localhost' or name.endswith('.localhost'):
        return True
    extra = {h.strip().lower() for h in os.environ.get('OUTPUTHUB_ALLOWED_HOSTS', '').split(',') if h.strip()}
    return name in extra or name in own_host_names()


def device_name_from_user_agent(user_agent: str) -> str:
    """A readable default name ("Chrome on Android") for a device that logs in with the password."""
    ua = user_agent or ''
    system = next(
        (
            label
            for needle, label in (
                ('Android', 'Android'),
                ('iPhone', 'iPhone'),
                ('iPad', 'iPad'),
                ('Windows', 'Windows'),
                ('Mac OS X', 'Mac'),
                ('CrOS', 'ChromeOS'),
                ('Linux', 'Linux'),
            )
            if needle in ua
        ),
        '',
    )
    browser = next(
        (
            label
            for needle, label in (
                ('Firefox/', 'Firefox'),
                ('Edg/', 'Edge'),
                ('SamsungBrowser/', 'Samsung Internet'),
                ('Chrome/', 'Chrome'),
                ('Safari/', 'Safari'),
            )
            if needle in ua
        ),
        'Browser',
    )
    return f'{browser} on {system}' if system else browser


# --------------------------------------------------------------------------- the gate


@dataclass
class Gate:
    """Decides who a request is and whether it may pass. One per app (``server.build``)."""

    lan: bool
    trust_loopback: bool = True
    https: bool = False
    signer: Signer = field(default_factory=lambda: Signer(config.read_or_create_secret(SESSION_KEY_FILE)))
    throttle: Throttle = field(default_factory=Throttle)  # wrong passwords
    # Wrong API tokens and pairing codes: a bucket of their own, so guessing them never slows a password
    # login. They are unguessable, so a valid one is always let in (only failures are throttled).
    token_throttle: Throttle = field(default_factory=Throttle)
    pairings: PairingTokens = field(default_factory=PairingTokens)

    # ---- sessions
    def session_cookie(self, device_id: int) -> str:
        return self.signer.sign({'d': device_id, 'n': secrets.token_hex(4)})

    def cookie_header(self, value: str, *, max_age: int = COOKIE_MAX_AGE) -> str:
        parts = [f'{COOKIE_NAME}={value}', 'Path=/', f'Max-Age={max_age}', 'HttpOnly', 'SameSite=Lax']
        if self.https:
            parts.append('Secure')
        return '; '.join(parts)

    def device_from_cookie(self, cookie_value: str | None) -> Principal | None:
        data = self.signer.unsign(cookie_value)
        if not data or not isinstance(data.get('d'), int):
            return None
        device = access.active_device(data['d'])
        if device is None:
            return None
        _touch_later(access.touch_device, device.id, device.last_seen_at)
        return Principal(
            'device',
            'write',
            bool(device.allow_restricted),
            device_id=device.id,
            name=device.name,
            admin=bool(device.is_admin),
        )

    def principal_for_token(self, token: str) -> Principal | None:
        row = access.find_token(token)
        if row is None:
            return None
        _touch_later(access.touch_token, row.id, row.last_used_at)
        return Principal(
            'token',
            'write' if row.scope == 'write' else 'read',
            bool(row.allow_restricted),
            token_id=row.id,
            name=row.name,
        )

    def principal_of_page(self, scope: Scope) -> Principal | None:
        """Who a request without a bearer token is: this computer, or a device by its session cookie
        (None: nobody). The middleware's rule, asked again when an open tab switches page over its socket
        (``app/pages/shell.py``), which no HTTP request and so no middleware sees."""
        headers = _headers(scope)
        if self.is_trusted_local((scope.get('client') or (None,))[0], headers.get('host', '')):
            return LOCAL
        return self.device_from_cookie(_cookie(headers, COOKIE_NAME))

    def is_trusted_local(self, client_host: str | None, host_header: str) -> bool:
        if not self.lan:
            return True  # bound to 127.0.0.1: only this computer can connect
        if not self.trust_loopback or not is_loopback(client_host):
            return False
        name = _host_name(host_header)
        return not name or '.' not in name or is_loopback(name) or name.endswith('localhost')

    # ---- revocation
    def end_device_sessions(self, device_id: int) -> int:
        """Reload every open page of a revoked device (it lands on the login form). Returns how many."""
        from nicegui import Client

        count = 0
        for client in list(Client.instances.values()):
            try:
                request = client.request
            except Exception:  # a client without a request (auto-index page in scripts)
                continue
            principal = getattr(getattr(request, 'state', None), 'oh_principal', None)
            if principal is not None and principal.device_id == device_id:
                count += 1
                _ended_clients.add(client.id)  # its socket's next event is refused at once
                with contextlib.suppress(Exception):  # the page may already be gone
                    client.run_javascript('window.location.reload()')
                _delete_client_soon(client)
        return count


def _touch_later(func: Callable[[int, Any], None], row_id: int, last: Any) -> None:
    """Record "last used" off the request path (a write may wait for the lock), at most once a minute:
    the one "touches" worker writes it (``app.services.touches``)."""
    if last is not None and utcnow() - last < access.TOUCH_EVERY:
        return
    touches.worker.submit(func, row_id, last)


def _delete_client_soon(client: Any) -> None:
    """Delete a NiceGUI client shortly after telling it to reload, so a page that ignores the reload
    cannot keep using its open connection."""
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return

    def delete() -> None:
        _ended_clients.discard(client.id)
        if not client.is_deleted:
            client.delete()

    loop.call_later(1.0, delete)


_ended_clients: set[str] = set()  # NiceGUI clients of ended sessions, until they are deleted


_gate: Gate | None = None


def current_gate() -> Gate:
    if _gate is None:
        raise RuntimeError('auth.install() has not run')
    return _gate


def install(app: Any, gate: Gate) -> Gate:
    """Put the gate in front of every route of ``app`` (NiceGUI's FastAPI app)."""
    global _gate
    _gate = gate
    own_host_names()  # looked up here, before the server takes requests, not on the first one
    app.add_middleware(AuthMiddleware, gate=gate)
    bind_page_sockets()
    return gate


# --------------------------------------------------------------------------- page sockets


def _identity(principal: Principal | None) -> tuple[str, int | None, int | None]:
    principal = principal or LOCAL
    return principal.kind, principal.device_id, principal.token_id


def _socket_principal(environ: dict[str, Any] | None) -> Principal | None:
    scope = (environ or {}).get('asgi.scope') or {}
    return (scope.get('state') or {}).get('oh_principal')


def socket_may_join(environ: dict[str, Any] | None, client_id: str) -> bool:
    """Whether the socket connected with ``environ`` may drive the NiceGUI client ``client_id``: only
    the principal whose request created that page (same kind and device / token), never a session
    that has ended. Unknown ids are left to NiceGUI (it refuses them and the page reloads)."""
    from nicegui import Client

    if client_id in _ended_clients:
        return False
    client = Client.instances.get(client_id)
    if client is None:
        return True
    try:
        creator = principal_of(client.request)
    except RuntimeError:  # a client without a request was made by the app itself
        creator = LOCAL
    return _identity(creator) == _identity(_socket_principal(environ))


def _socket_origin_allowed(origin: str | None, environ: dict[str, Any]) -> bool:
    """engine.io's CORS check: answer (and echo with credentials) this origin only."""
    return bool(origin) and origin != 'null' and _same_origin(origin or '', environ.get('HTTP_HOST', ''))


def bind_page_sockets() -> None:
    """Bind each NiceGUI page socket to the principal that opened the page (low item of issue 14).

    NiceGUI lets any socket that names a client id join that page (the implicit handshake in the
    connect query, or a ``handshake`` event) and routes ``event`` / ``javascript_response`` / ``ack`` /
    ``log`` messages by the client id they carry. The connect and handshake are checked against the
    page's creator; the other messages are only taken from a socket that joined that very client.
    Also stops engine.io from echoing any Origin with credentials."""
    import inspect
    import urllib.parse

    import socketio
    from nicegui import core

    sio = core.sio
    sio.eio.cors_allowed_origins = _socket_origin_allowed
    handlers = sio.handlers.get('/', {})

    def wrap(event: str, make: Callable[[Callable], Callable]) -> None:
        current = handlers.get(event)
        if current is None or getattr(current, '_oh_bound', False):
            return
        wrapped = make(current)
        wrapped._oh_bound = True  # type: ignore[attr-defined]
        sio.on(event, wrapped)

    def make_connect(original: Callable) -> Callable:
        async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> Any:
            query = urllib.parse.parse_qs(environ.get('QUERY_STRING', ''))
            client_id = (query.get('client_id') or [None])[0]
            if client_id and not socket_may_join(environ, client_id):
                log.warning('Refused a page socket for a client another session opened')
                raise socketio.exceptions.ConnectionRefusedError('This page belongs to another session.')
            return await original(sid, environ, auth)

        return connect

    def make_handshake(original: Callable) -> Callable:
        async def handshake(sid: str, data: dict[str, Any]) -> Any:
            client_id = data.get('client_id') if isinstance(data, dict) else None
            if not sid.startswith('test-') and not socket_may_join(sio.get_environ(sid), str(client_id)):
                log.warning('Refused a page handshake for a client another session opened')
                return False
            return await original(sid, data)

        return handshake

    def make_message(original: Callable) -> Callable:
        async def message(sid: str, msg: Any) -> Any:
            client_id = msg.get('client_id') if isinstance(msg, dict) else None
            if client_id in _ended_clients or client_id not in sio.rooms(sid):
                return None  # not this socket's page (or its session has ended)
            result = original(sid, msg)
            return await result if inspect.isawaitable(result) else result

        return message

    wrap('connect', make_connect)
    wrap('handshake', make_handshake)
    for name in ('event', 'javascript_response', 'ack', 'log'):
        wrap(name, make_message)


def address_key(host: str | None) -> str:
    """The throttling key of a client address: the address itself, or its /64 for IPv6 (a single
    computer may use any address of its /64, so counting single addresses would not slow it down).
    This is the address the connection came from: proxy headers are only believed when
    ``OUTPUTHUB_TRUSTED_PROXIES`` names the proxy (``server.run``)."""
    if not host:
        return 'unknown'
    try:
        ip = ipaddress.ip_address(host.split('%')[0])
    except ValueError:
        return host
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        if not ip.is_loopback:
            return str(ipaddress.ip_network(f'{ip}/64', strict=False))
    return str(ip)


def client_key(scope: Scope) -> str:
    client = scope.get('client')
    return address_key(client[0] if client else None)


def principal_of(request: Any) -> Principal:
    """The principal the middleware attached to a request (LOCAL when there is no gate at all)."""
    return getattr(request.state, 'oh_principal', None) or LOCAL


# --------------------------------------------------------------------------- the middleware


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode('latin-1').lower(): v.decode('latin-1') for k, v in scope.get('headers') or []}


def _cookie(headers: dict[str, str], name: str) -> str | None:
    """One cookie's value. Parsed by hand: ``SimpleCookie`` gives up on the whole header at the first
    cookie it dislikes (other apps on localhost set JSON-ish cookies), which would log the user out."""
    for part in headers.get('cookie', '').split(';'):
        key, sep, value = part.strip().partition('=')
        if sep and key == name:
            return value.strip().strip('"')
    return None


def _same_origin(origin: str, host_header: str) -> bool:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    return bool(parts.netloc) and parts.netloc.lower() == host_header.strip().lower()


class AuthMiddleware:
    """Pure ASGI (so it also guards the websocket NiceGUI pages talk over)."""

    def __init__(self, app: Callable, gate: Gate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope['type'] not in ('http', 'websocket'):
            await self.app(scope, receive, send)
            return
        gate = self.gate
        headers = _headers(scope)
        host_header = headers.get('host', '')
        path = scope.get('path', '')
        if scope['type'] == 'http':
            send = _with_security_headers(send, scope, host_header)
        if not host_allowed(host_header, lan=gate.lan):
            await _refuse(scope, receive, send, 421, 'This address is not one Output Hub answers to.')
            return
        method = scope.get('method', 'GET')
        if is_cross_site(scope, headers):
            log.warning('Refused a cross-site %s %s (Origin %s)', method, path, headers.get('origin', '-'))
            await _refuse(scope, receive, send, 403, 'Cross-site request refused.')
            return

        principal: Principal | None = None
        auth_header = headers.get('authorization', '')
        if auth_header[:7].lower() == 'bearer ':
            principal = gate.principal_for_token(auth_header[7:].strip())
            if principal is None:
                # A valid token always gets in; only failures count, in their own bucket (never the password's).
                key = client_key(scope)
                wait = gate.token_throttle.retry_after(key)
                gate.token_throttle.failed(key)
                if wait > 0:
                    await _refuse(
                        scope, receive, send, 429, 'Too many failed attempts; wait and try again.', wait
                    )
                else:
                    await _refuse(scope, receive, send, 401, 'That API token is unknown or revoked.')
                return
            if not token_opens(path):
                await _refuse(
                    scope, receive, send, 401, 'An API token opens the API (/api/v1) and /mcp only.'
                )
                return
        else:
            principal = gate.principal_of_page(scope)

        scope.setdefault('state', {})['oh_principal'] = principal or ANONYMOUS
        if principal is not None or is_public_path(path):
            await self.app(scope, receive, send)
            return
        wants_page = (
            scope['type'] == 'http'
            and method in ('GET', 'HEAD')
            and 'text/html' in headers.get('accept', '')
            and not path.startswith(('/api/', '/_nicegui', MCP_PATH))
            and path != '/openapi.json'
        )
        if wants_page:
            target = path + (
                '?' + scope['query_string'].decode('latin-1') if scope.get('query_string') else ''
            )
            await _redirect(send, '/login?next=' + quote(target, safe=''))
            return
        await _refuse(
            scope, receive, send, 401, 'Log in first, or send an API token (Authorization: Bearer …).'
        )


_SAFE_METHODS = frozenset({'GET', 'HEAD', 'OPTIONS'})
_CROSS_SITE_FETCH = frozenset({'cross-site', 'same-site'})  # same-site: another port or name of this host


def is_cross_site(scope: Scope, headers: dict[str, str]) -> bool:
    """Whether a request comes from a page of another origin (item 14.7), judged from what browsers send:

    - page sockets (``/_nicegui_ws``, polling and websocket) of another or a ``null`` Origin;
    - state-changing requests (not GET/HEAD/OPTIONS) with a ``null`` or foreign Origin, or
      ``Sec-Fetch-Site: cross-site | same-site``;
    - a state-changing request from a browser (it sends ``Sec-Fetch-*`` headers) without any Origin —
      unless it is a bearer-token API call. A cookie alone says nothing: scripts keep cookie jars
      (requests.Session, httpx), and browsers too old for ``Sec-Fetch-*`` still send Origin on a
      cross-site POST (and the session cookies are SameSite=Lax). curl and scripts keep working."""
    origin = headers.get('origin')
    fetch_site = headers.get('sec-fetch-site', '').strip().lower()
    foreign = origin is not None and (
        origin.strip() in ('', 'null') or not _same_origin(origin, headers.get('host', ''))
    )
    if foreign or fetch_site in _CROSS_SITE_FETCH:
        return (
            scope['type'] == 'websocket'
            or scope.get('path', '').startswith('/_nicegui_ws/')
            or (scope.get('method', 'GET') not in _SAFE_METHODS)
        )
    if scope['type'] == 'websocket' or scope.get('method', 'GET') in _SAFE_METHODS or origin is not None:
        return False
    bearer = headers.get('authorization', '')[:7].lower() == 'bearer '
    from_browser = any(name.startswith('sec-fetch-') for name in headers)
    return from_browser and not bearer


def content_security_policy(scope: Scope, host_header: str) -> str:
    """What NiceGUI pages need and nothing more: its inline bootstrap scripts and Vue's runtime template
    compiler (``unsafe-inline``/``unsafe-eval``), inline styles, images from data:/blob: URLs (QR codes,
    charts), and its websocket on this very origin; never framed, no plugins, forms post here only."""
    connect = "'self'"
    host = host_header.strip().lower()
    if host and all(c.isalnum() or c in '.-:[]' for c in host):
        # 'self' covers ws(s) of the same host in current browsers; older Safari needs it spelled out.
        connect += f' {"wss" if scope.get("scheme") in ("https", "wss") else "ws"}://{host}'
    return '; '.join(
        (
            "default-src 'self'",
            "script-src 'self' 'unsafe-inline' 'unsafe-eval'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            f'connect-src {connect}',
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def _with_security_headers(send: Send, scope: Scope, host_header: str) -> Send:
    """Add the security headers to every HTTP response (pages, API, static files, refusals)."""
    extra = (
        (b'content-security-policy', content_security_policy(scope, host_header).encode('latin-1')),
        (b'x-frame-options', b'DENY'),
        (b'x-content-type-options', b'nosniff'),
        (b'referrer-policy', b'same-origin'),
    )

    async def wrapped(message: MutableMapping[str, Any]) -> None:
        if message['type'] == 'http.response.start':
            headers = list(message.get('headers') or [])
            present = {bytes(k).lower() for k, _ in headers}
            headers.extend((k, v) for k, v in extra if k not in present)
            message = {**message, 'headers': headers}
        await send(message)

    return wrapped


async def _redirect(send: Send, location: str) -> None:
    await send(
        {
            'type': 'http.response.start',
            'status': 303,
            'headers': [(b'location', location.encode('latin-1')), (b'content-length', b'0')],
        }
    )
    await send({'type': 'http.response.body', 'body': b''})


async def _refuse(
    scope: Scope, receive: Receive, send: Send, status: int, message: str, retry_after: float = 0
) -> None:
    if scope['type'] == 'websocket':
        await receive()  # the websocket.connect message
        await send({'type': 'websocket.close', 'code': 4401 if status == 401 else 4403})
        return
    body = json.dumps({'detail': message}).encode()
    headers = [(b'content-type', b'application/json'), (b'content-length', str(len(body)).encode())]
    if status == 401:
        headers.append((b'www-authenticate', b'Bearer'))
    if retry_after:
        headers.append((b'retry-after', str(int(retry_after) + 1).encode()))
    await send({'type': 'http.response.start', 'status': status, 'headers': headers})
    await send({'type': 'http.response.body', 'body': body})
