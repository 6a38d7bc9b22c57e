"""Real-browser test fixtures: the app in a subprocess, Debian's Chromium driven by Playwright.

Use ``start_app(...)`` to serve a database, then ``page`` (desktop) or ``phone_page`` (360 x 740) to
drive it. Requests to any host other than the app are recorded in ``page.remote_requests`` and
blocked, so a test can prove nothing was fetched from outside. Screenshots go to ``test-artifacts/``.

Every app a test started must end with a log free of Python tracebacks: the test fails otherwise (an
exception in a page handler or a background task is a bug even when the page looked fine). A test
that provokes one on purpose says so with ``@pytest.mark.app_traceback_expected``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path('/usr/bin/chromium')
CHROMIUM_ARGS = [
    '--no-sandbox',
    '--headless',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
]
ARTIFACTS = ROOT / 'test-artifacts'


def pytest_configure(config) -> None:
    config.addinivalue_line(
        'markers', 'app_traceback_expected: the app started by this test may log a traceback on purpose'
    )


def tracebacks(log: str) -> list[str]:
    """The tracebacks in an app log, each from its "Traceback" line to its exception line."""
    found: list[str] = []
    current: list[str] | None = None
    for line in log.splitlines():
        if line.startswith('Traceback (most recent call last)'):
            current = [line]
        elif current is not None:
            current.append(line)
            if line.strip() and not line[0].isspace():  # the unindented line naming the exception
                found.append('\n'.join(current))
                current = None
    if current:
        found.append('\n'.join(current))
    return found


def browser_available() -> bool:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False
    return CHROMIUM.exists()


def require_browser() -> None:
    """Skip (or, in CI, fail) when no real browser is available."""
    if browser_available():
        return
    reason = f'real-browser test needs Playwright and {CHROMIUM} (apt-get install chromium)'
    if os.environ.get('OUTPUTHUB_REQUIRE_BROWSER') == '1':
        pytest.fail(reason)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@dataclass
class AppServer:
    url: str
    db_path: Path
    data_dir: Path
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors='replace') if self.log_path.exists() else ''


def app_env(data_dir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for an app subprocess: its own data dir, no pytest markers (NiceGUI would force a test port)."""
    env = {k: v for k, v in os.environ.items() if k not in ('PYTEST_CURRENT_TEST', 'NICEGUI_USER_SIMULATION')}
    env['OUTPUTHUB_DATA_DIR'] = str(data_dir)
    env.setdefault('OUTPUTHUB_INDEXER', '0')
    env['OUTPUTHUB_KEYSTORE'] = 'file'
    env.update(extra or {})
    return env


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f'the app exited with code {process.returncode}')
        try:
            httpx.get(url, timeout=5, verify=False)
            return
        except httpx.HTTPError:
            time.sleep(0.25)
    raise RuntimeError(f'the app did not answer at {url} within {timeout} s')


@pytest.fixture
def start_app(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Callable[..., AppServer]]:
    """Start ``python main.py`` on a free port: ``start_app(db_path=None, args=(), env=None)`` (with
    ``--no-browser`` unless ``open_browser``). At the end the apps are stopped and their logs must hold
    no traceback (see the module docstring)."""
    started: list[AppServer] = []

    def start(
        db_path: Path | None = None,
        args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
        scheme: str = 'http',
        open_browser: bool = False,
    ) -> AppServer:
        data_dir = tmp_path / f'app-data-{len(started)}'
        data_dir.mkdir()
        db = db_path or data_dir / 'outputhub.db'
        port = free_port()
        log_path = tmp_path / f'app-{len(started)}.log'
        log = open(log_path, 'w')  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / 'main.py'),
                '--db',
                str(db),
                '--port',
                str(port),
                *(() if open_browser else ('--no-browser',)),
                *args,
            ],
            cwd=str(ROOT),
            env=app_env(data_dir, env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        server = AppServer(f'{scheme}://127.0.0.1:{port}', db, data_dir, process, log_path)
        started.append(server)
        try:
            wait_until_up(server.url + '/', process)
        except RuntimeError as exc:
            raise RuntimeError(f'{exc}\n--- app log ---\n{server.log()}') from None
        return server

    yield start
    for server in started:
        server.process.terminate()
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.process.kill()
    if request.node.get_closest_marker('app_traceback_expected'):
        return
    found = [(server.log_path, tb) for server in started for tb in tracebacks(server.log())]
    if found:
        pytest.fail(
            'the app logged a traceback:\n' + '\n\n'.join(f'--- {path}\n{tb}' for path, tb in found),
            pytrace=False,
        )


# Module scope, not session: Playwright's sync API keeps an event loop running in the main thread while
# it is open, and every later test that calls asyncio.run() (CLI tests, pytest-asyncio) would then fail.
@pytest.fixture(scope='module')
def browser():
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()


@dataclass
class PageRecorder:
    """Console errors and requests that left the machine, collected while a page is open."""

    console_errors: list[str] = field(default_factory=list)
    remote_requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)


def _new_page(browser, **context_args):
    context = browser.new_context(ignore_https_errors=True, **context_args)
    page = context.new_page()
    rec = PageRecorder()

    def route(r) -> None:
        host = r.request.url.split('/')[2].split(':')[0] if '://' in r.request.url else ''
        if r.request.url.startswith(('data:', 'blob:')) or host in ('127.0.0.1', 'localhost'):
            r.continue_()
        else:
            rec.remote_requests.append(r.request.url)
            r.abort()

    page.route('**/*', route)
    page.on('console', lambda msg: rec.console_errors.append(msg.text) if msg.type == 'error' else None)

    def on_dialog(dialog) -> None:
        rec.dialogs.append(dialog.message)
        dialog.dismiss()

    page.on('dialog', on_dialog)
    page.recorder = rec
    return context, page


@pytest.fixture
def page(browser):
    context, pg = _new_page(browser, viewport={'width': 1280, 'height': 860})
    yield pg
    context.close()


@pytest.fixture
def phone_page(browser):
    context, pg = _new_page(
        browser, viewport={'width': 360, 'height': 740}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    yield pg
    context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f'{name}.png'
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_for_app(page) -> None:
    """Wait until NiceGUI has mounted the page (the socket is connected and content is rendered)."""
    page.wait_for_load_state('networkidle')
    page.wait_for_selector('.nicegui-content', state='attached', timeout=30_000)


def canvas_pixels(page, selector: str) -> int:
    """How many pixels of the first canvas inside ``selector`` are drawn (alpha > 0): 0 means blank."""
    return page.evaluate(
        """(selector) => {
            const canvas = document.querySelector(selector + ' canvas');
            if (!canvas || !canvas.width || !canvas.height) return 0;
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let drawn = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) drawn++;
            return drawn;
        }""",
        selector,
    )


def wait_for_drawn_canvas(page, selector: str, min_pixels: int = 200, timeout: float = 30) -> int:
    """Wait until a chart (ECharts draws on a canvas) inside ``selector`` has drawn something."""
    deadline = time.time() + timeout
    drawn = 0
    while time.time() < deadline:
        drawn = canvas_pixels(page, selector)
        if drawn >= min_pixels:
            return drawn
        page.wait_for_timeout(200)
    raise AssertionError(f'{selector}: only {drawn} pixels drawn after {timeout} s')


LAN_PASSWORD = 'correct horse battery'


def start_lan_app(
    start_app: Callable[..., AppServer], *args: str, password: str = LAN_PASSWORD, scheme: str = 'http'
) -> AppServer:
    """The app in LAN mode acting on 127.0.0.1 as if it were a phone (``--no-trust-loopback``), with a
    login password set through ``outputhub password``."""
    server = start_app(args=('--lan', '--no-trust-loopback', *args), scheme=scheme)
    subprocess.run(
        [sys.executable, str(ROOT / 'main.py'), 'password', '--db', str(server.db_path)],
        input=password + '\n',
        env=app_env(server.data_dir),
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return server


def log_in(page, url: str, password: str = LAN_PASSWORD, next_path: str = '/') -> None:
    """Open ``next_path``, get sent to the login form, log in, and wait for the app."""
    page.goto(url + next_path)
    page.wait_for_selector('input[name=password]')
    page.fill('input[name=password]', password)
    page.click('button[type=submit]')
    wait_for_app(page)
