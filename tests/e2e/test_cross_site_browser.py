"""Real browser: a page of another origin can neither frame the app nor make it write (issue 14 item 7);
the app's pages still work under its Content-Security-Policy; proxy headers do not let one client pose as
many, and a flood of bad tokens locks no one out (item 8)."""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from .conftest import (
    LAN_PASSWORD,
    ROOT,
    app_env,
    free_port,
    start_lan_app,
    wait_for_app,
    wait_for_drawn_canvas,
)


@pytest.fixture
def other_site() -> Iterator[tuple[str, dict[str, str]]]:
    """A tiny web site on another loopback port: ``pages[name] = html`` is served at ``/name``."""
    pages: dict[str, str] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            body = pages.get(self.path.lstrip('/'), 'not here').encode()
            self.send_response(200)
            self.send_header('Content-Type', 'text/html; charset=utf-8')
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    port = free_port()
    server = http.server.ThreadingHTTPServer(('127.0.0.1', port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f'http://127.0.0.1:{port}', pages
    server.shutdown()


def _cli(server, *args: str) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / 'main.py'), *args, '--db', str(server.db_path)],
        env=app_env(server.data_dir),
        check=True,
        capture_output=True,
        timeout=120,
    )


def _output_titles(server) -> list[str]:
    response = httpx.get(server.url + '/api/v1/outputs', timeout=10)  # this computer: trusted
    return [item['title'] for item in response.json()['items']]


def test_another_site_can_neither_frame_the_app_nor_make_it_write(start_app, page, other_site) -> None:
    server = start_app()
    _cli(server, 'capture', '--output', 'Something in the trash', '--title', 'Trashed note')
    site, pages = other_site
    app = server.url
    pages['frame'] = (
        f'<h1>Win a prize</h1><iframe id="victim" src="{app}/trash" width="900" height="600"></iframe>'
    )
    pages['sandboxed'] = f"""<h1>Sandboxed</h1>
<iframe sandbox="allow-forms allow-scripts" srcdoc="
  <form method='post' action='{app}/api/v1/captures?title=From%20a%20sandboxed%20frame' enctype='text/plain'>
    <input name='text' value='planted by another site'></form>
  <script>document.forms[0].submit()</script>"></iframe>"""
    pages['fetch'] = f"""<h1>Fetch</h1><script>
  fetch('{app}/api/v1/captures?title=From%20a%20fetch', {{method: 'POST', mode: 'no-cors',
        credentials: 'include', headers: {{'Content-Type': 'text/plain'}}, body: 'planted by fetch'}})
    .finally(() => document.title = 'sent');
</script>"""

    # Framing: the browser refuses to show the app inside another site's page.
    page.goto(f'{site}/frame')
    page.wait_for_timeout(1500)
    frame = next(f for f in page.frames if f != page.main_frame)
    assert frame.locator('.nicegui-content').count() == 0
    assert frame.get_by_text('Trashed note').count() == 0
    assert any(
        'frame-ancestors' in e or 'refused to connect' in e.lower() for e in page.recorder.console_errors
    ), page.recorder.console_errors

    # A sandboxed frame (Origin: null) and a no-cors fetch from another port both try to create an output.
    # Each attempt that reaches the app is answered 403; Chromium may also stop one itself (its local-network
    # rules for an opaque origin), which shows as a failed request. Either way nothing is written.
    outcomes: list[object] = []

    def seen(request, outcome: object) -> None:
        if '/api/v1/captures' in request.url:
            outcomes.append(outcome)

    page.on('response', lambda r: seen(r, r.status))
    page.on('requestfailed', lambda r: seen(r, f'stopped by the browser: {r.failure}'))
    page.goto(f'{site}/sandboxed')
    page.wait_for_function('() => true', timeout=1000)
    deadline = time.monotonic() + 20
    while not outcomes and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    page.goto(f'{site}/fetch')
    page.wait_for_function("document.title === 'sent'")
    while len(outcomes) < 2 and time.monotonic() < deadline + 10:
        page.wait_for_timeout(200)
    assert outcomes and all(o == 403 or str(o).startswith('stopped by the browser') for o in outcomes), (
        outcomes
    )
    assert 403 in outcomes, outcomes  # the app itself refused at least one (the fetch always reaches it)
    assert _output_titles(server) == ['Trashed note']  # nothing was created


def _csp_watch(page) -> None:
    page.add_init_script(
        """window.__csp = [];
        document.addEventListener('securitypolicyviolation',
            (e) => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"""
    )


def _assert_clean(page, path: str) -> None:
    violations = page.evaluate('window.__csp')
    csp_errors = [e for e in page.recorder.console_errors if 'Content Security Policy' in e]
    assert not violations and not csp_errors, f'{path}: {violations} {csp_errors}'


def test_the_pages_work_under_the_content_security_policy(start_app, page) -> None:
    server = start_app()
    body = '# Heading\n\nSome **bold** text.\n\n```python\nprint("hello")\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n'
    _cli(server, 'capture', '--output', body, '--title', 'Markdown and code', '--tag', 'python')
    _cli(server, 'capture', '--output', 'second', '--title', 'Second', '--tag', 'python', '--tag', 'sql')
    _csp_watch(page)
    response = page.goto(server.url + '/')
    assert "frame-ancestors 'none'" in response.headers['content-security-policy']
    checks = {
        '/': lambda: page.get_by_text('Markdown and code').first.wait_for(),
        '/outputs': lambda: page.get_by_text('Markdown and code').first.wait_for(),
        '/outputs/1': lambda: page.locator('.oh-md pre code').first.wait_for(),
        '/chat': lambda: page.locator('.nicegui-content').first.wait_for(),
        '/graph': lambda: wait_for_drawn_canvas(page, '.oh-graph'),
        '/dashboard': lambda: wait_for_drawn_canvas(page, '.oh-chart-activity'),
        '/settings': lambda: page.get_by_role('tab').first.wait_for(),
    }
    for path, check in checks.items():
        page.goto(server.url + path)
        wait_for_app(page)
        check()
        page.wait_for_timeout(300)
        _assert_clean(page, path)
    page.goto(server.url + '/outputs/1')
    wait_for_app(page)
    assert page.locator('.oh-md strong').first.inner_text() == 'bold'
    _assert_clean(page, '/outputs/1')
    assert not page.recorder.remote_requests


def test_proxy_headers_are_not_believed_and_bad_tokens_lock_nobody_out(start_app) -> None:
    server = start_lan_app(start_app)
    made = subprocess.run(
        [
            sys.executable,
            str(ROOT / 'main.py'),
            'token',
            'create',
            'automation',
            '--write',
            '--db',
            str(server.db_path),
        ],
        env=app_env(server.data_dir),
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    good = next(word for word in made.split() if word.startswith('oh_'))
    same = {'Origin': server.url}  # a browser's login form names its origin
    with httpx.Client(base_url=server.url, timeout=20) as client:
        for n in range(60):  # the attack: bad tokens, each "from" another address
            client.get(
                '/api/v1/outputs',
                headers={'Authorization': f'Bearer oh_bad{n}', 'X-Forwarded-For': f'10.1.{n}.1'},
            )
        assert client.get('/api/v1/outputs', headers={'Authorization': f'Bearer {good}'}).status_code == 200
        assert client.post('/login', data={'password': LAN_PASSWORD}, headers=same).status_code == 303
        client.cookies.clear()
        # Wrong passwords "from" six addresses are six tries from this one address: the sixth waits.
        statuses = [
            client.post(
                '/login', data={'password': f'guess {n}'}, headers={**same, 'X-Forwarded-For': f'10.0.{n}.1'}
            ).status_code
            for n in range(6)
        ]
        assert statuses == [401] * 5 + [429], statuses
