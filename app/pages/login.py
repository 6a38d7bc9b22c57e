"""Login, logout and pairing for LAN mode: small server-rendered pages (no websocket needed), so an
unauthenticated client reaches nothing but these forms and static files."""

from __future__ import annotations

import html
import logging
import uuid

from fastapi import Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from nicegui import app
from starlette.concurrency import run_in_threadpool

from .. import auth, config, lan
from ..context import AppContext
from ..data import access
from ..errors import UserError

log = logging.getLogger(__name__)

_CSS = """
:root { color-scheme: light dark; --accent: #4f46e5; }
* { box-sizing: border-box; }
body { margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
  font: 16px/1.5 system-ui, -apple-system, Segoe UI, Roboto, sans-serif; background: #f8fafc; color: #0f172a; }
main { width: min(100% - 2rem, 24rem); padding: 1.75rem 1.5rem; border-radius: 14px; background: #fff;
  border: 1px solid #e2e8f0; }
h1 { font-size: 1.35rem; margin: .5rem 0 1rem; display: flex; gap: .6rem; align-items: center; }
h1 img { width: 2rem; height: 2rem; }
label { display: block; font-size: .9rem; margin: .9rem 0 .3rem; color: #475569; }
input { width: 100%; font: inherit; padding: .75rem .8rem; border-radius: 10px; border: 1px solid #cbd5e1;
  background: transparent; color: inherit; }
input:focus { outline: 2px solid var(--accent); outline-offset: 1px; }
button { width: 100%; margin-top: 1.2rem; min-height: 48px; font: inherit; font-weight: 600; color: #fff;
  background: var(--accent); border: 0; border-radius: 10px; cursor: pointer; }
p { margin: .6rem 0; }
.muted { color: #64748b; font-size: .92rem; }
.error { color: #b91c1c; background: #fef2f2; border: 1px solid #fecaca; padding: .6rem .8rem; border-radius: 10px; }
code { font-size: .9em; }
@media (prefers-color-scheme: dark) {
  body { background: #0f172a; color: #e2e8f0; } main { background: #1e293b; border-color: #334155; }
  label, .muted { color: #94a3b8; } input { border-color: #475569; }
  .error { background: #450a0a; border-color: #7f1d1d; color: #fecaca; }
}
"""


def _page(title: str, body: str, status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    doc = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="theme-color" content="#4f46e5">
<link rel="manifest" href="/manifest.webmanifest">
<link rel="icon" href="/assets/icon.svg">
<script src="/assets/offline.js" defer></script>
<title>{html.escape(title)} · {config.APP_TITLE}</title><style>{_CSS}</style></head>
<body><main><h1><img src="/assets/icon.svg" alt="">{html.escape(config.APP_TITLE)}</h1>{body}</main></body></html>"""
    response = HTMLResponse(doc, status_code=status, headers=headers)
    response.headers['Cache-Control'] = 'no-store'
    response.headers['X-Frame-Options'] = 'DENY'
    return response


def safe_next(target: str | None) -> str:
    """Only a path on this site (never ``//elsewhere`` or a full URL) is a place to return to."""
    target = (target or '/').strip()
    if not target.startswith('/') or target.startswith(('//', '/\\')) or '\n' in target or '\r' in target:
        return '/'
    return target


def _login_form(next_path: str, device_name: str, message: str = '') -> str:
    error = f'<p class="error" role="alert">{html.escape(message)}</p>' if message else ''
    if not auth.password_is_set():
        return (
            '<p>No password has been set for phone access yet.</p>'
            '<p class="muted">On the computer running Output Hub open <b>Settings → Phone &amp; devices</b> '
            'to set one, or scan the pairing QR code shown there. From a terminal: '
            '<code>outputhub password</code>.</p>'
        )
    return f"""{error}
<form method="post" action="/login">
  <input type="hidden" name="next" value="{html.escape(next_path)}">
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required autofocus>
  <label for="device">This device's name</label>
  <input id="device" name="device" type="text" maxlength="100" value="{html.escape(device_name)}">
  <button type="submit">Log in</button>
</form>
<p class="muted">Or scan the pairing QR code in <b>Settings → Phone &amp; devices</b> on the computer.</p>"""


def register(ctx: AppContext) -> None:
    gate_settings = ctx.settings

    def gate() -> auth.Gate:
        return auth.current_gate()

    @app.get('/login', include_in_schema=False)
    def login_form(request: Request, next: str = '/') -> Response:  # noqa: A002 - the query parameter's name
        if auth.principal_of(request).kind in ('local', 'device') or not gate_settings.lan:
            return RedirectResponse(safe_next(next), status_code=303)
        name = auth.device_name_from_user_agent(request.headers.get('user-agent', ''))
        return _page('Log in', _login_form(safe_next(next), name))

    @app.post('/login', include_in_schema=False)
    async def login_submit(request: Request) -> Response:
        form = await request.form()
        next_path = safe_next(str(form.get('next') or '/'))
        password = str(form.get('password') or '')
        user_agent = request.headers.get('user-agent', '')
        device_name = str(form.get('device') or '').strip() or auth.device_name_from_user_agent(user_agent)
        key = auth.address_key(request.client.host if request.client else None)
        wait = gate().throttle.retry_after(key)
        if wait > 0:
            return _page(
                'Log in',
                _login_form(
                    next_path, device_name, f'Too many failed attempts. Try again in {int(wait) + 1} s.'
                ),
                status=429,
                headers={'Retry-After': str(int(wait) + 1)},
            )
        ok = await run_in_threadpool(auth.check_password, password)
        if not ok:
            gate().throttle.failed(key)
            log.warning('Failed LAN login from %s', key)
            return _page(
                'Log in', _login_form(next_path, device_name, 'That password is not right.'), status=401
            )
        gate().throttle.succeeded(key)
        device = await run_in_threadpool(access.create_device, device_name, user_agent)
        _new_browser_session(request)
        response = RedirectResponse(next_path, status_code=303)
        response.headers['Set-Cookie'] = gate().cookie_header(gate().session_cookie(device.id))
        return response

    @app.post('/logout', include_in_schema=False)
    async def logout(request: Request) -> Response:
        principal = auth.principal_of(request)
        if principal.device_id is not None:
            await run_in_threadpool(access.revoke_device, principal.device_id)
            gate().end_device_sessions(principal.device_id)  # its open pages stop working, as on Revoke
        _new_browser_session(request)
        response = RedirectResponse('/login', status_code=303)
        response.headers['Set-Cookie'] = gate().cookie_header('', max_age=0)
        return response

    @app.get('/pair', include_in_schema=False)
    def pair_form(token: str = '') -> Response:
        # A confirmation step: link previews and QR scanner apps fetch URLs, and must not use up the code.
        item = gate().pairings.status(token) if token else None
        if item is None or item.device_id is not None:
            return _expired()
        return _page(
            'Pair this device',
            f"""<p>Pair this device with Output Hub as <b>{html.escape(item.name)}</b>?</p>
<form method="post" action="/pair"><input type="hidden" name="token" value="{html.escape(token)}">
<button type="submit">Pair and open Output Hub</button></form>
<p class="muted">You can revoke it any time in Settings → Phone &amp; devices.</p>""",
        )

    @app.post('/pair', include_in_schema=False)
    async def pair_submit(request: Request) -> Response:
        form = await request.form()
        token = str(form.get('token') or '')
        item = gate().pairings.claim(token)
        if item is None:
            # A valid code always works; failures count in the token bucket (never the password's).
            key = auth.address_key(request.client.host if request.client else None)
            wait = gate().token_throttle.retry_after(key)
            gate().token_throttle.failed(key)
            if wait > 0:
                return _page(
                    'Pair', '<p class="error">Too many failed attempts. Wait a little.</p>', status=429
                )
            return _expired()
        try:
            device = await run_in_threadpool(
                access.create_device,
                item.name,
                request.headers.get('user-agent', ''),
                allow_restricted=item.allow_restricted,
            )
        except UserError as exc:
            return _page('Pair', f'<p class="error">{html.escape(str(exc))}</p>', status=400)
        item.device_id = device.id
        _new_browser_session(request)
        response = RedirectResponse('/', status_code=303)
        response.headers['Set-Cookie'] = gate().cookie_header(gate().session_cookie(device.id))
        return response

    @app.get('/manifest.webmanifest', include_in_schema=False)
    def manifest() -> Response:
        return FileResponse(
            config.ASSETS_DIR / 'manifest.webmanifest', media_type='application/manifest+json'
        )

    @app.get('/sw.js', include_in_schema=False)
    def service_worker() -> Response:
        # Served from the root so its scope is the whole app (installable as a home-screen app).
        return FileResponse(
            config.ASSETS_DIR / 'sw.js',
            media_type='text/javascript',
            headers={'Cache-Control': 'no-cache'},
        )

    @app.get('/outputhub-ca.crt', include_in_schema=False)
    def ca_certificate() -> Response:
        path = lan.ca_certificate_path() if gate_settings.https else None
        if path is None:
            return Response('No certificate: the app is not running with --https.', status_code=404)
        # A CA certificate is public; this content type makes Android offer to install it.
        return FileResponse(path, media_type='application/x-x509-ca-cert', filename='outputhub-ca.crt')


def _new_browser_session(request: Request) -> None:
    """Give the browser a new NiceGUI session id (its ``app.storage.user``) when it logs in or out, so
    a session id planted before the login is not the one the logged-in device uses (session fixation)."""
    if 'session' in request.scope:  # NiceGUI's SessionMiddleware runs (it does whenever the app runs)
        request.session['id'] = str(uuid.uuid4())


def _expired() -> HTMLResponse:
    return _page(
        'Pair',
        '<p class="error">This pairing code has expired or was already used.</p>'
        '<p class="muted">Show a new QR code on the computer: Settings → Phone &amp; devices → Pair a phone.</p>',
        status=410,
    )
