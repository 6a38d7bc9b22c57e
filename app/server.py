"""Build the NiceGUI app (pages, API, background services) and run it."""

from __future__ import annotations

import contextlib
import importlib
import inspect
import logging
import os
import time

from nicegui import app, ui

from . import api, auth, config
from .context import AppContext
from .data import db
from .errors import DISK_FULL, DiskFullLogFilter, UserError, is_disk_full

log = logging.getLogger(__name__)

# Modules exposing ``start(ctx)`` (called on startup) and optionally ``stop(ctx)`` (plain or async, called in
# reverse order on shutdown, before the database closes) — background services.
SERVICE_MODULES: list[str] = [
    'app.services.indexing',  # search: embeds new and edited outputs and messages in the background
    'app.services.backups',  # a daily backup of the database with rotation while the app runs
    'app.services.housekeeping',  # daily: retention purge into the trash, trash older than 30 days emptied
    'app.services.jobs',  # the one slot for imports, exports and restores started from a page
    'app.services.session_watch',  # Settings → Import: coding-agent sessions kept as they are written
    'app.services.prompt_git_sync',  # commits new prompt and agent versions to a kept git repository
    'app.services.notes_sync',  # keeps the synced notes folder (Markdown) in step
    'app.services.webhooks',  # delivers outgoing webhooks from their persisted queue
    'app.services.touches',  # one writer for the "last used" stamps of devices and API tokens
    'app.services.demo_profile',  # stop only: the demo child Home's "Open the demo" started
    'app.mcp.http',  # the MCP server at /mcp (streamable HTTP), for assistants that connect to a URL
    'app.services.chat_replies',  # last, so it stops first: replies streaming at exit keep what arrived
]


def build(settings: config.Settings) -> AppContext:
    """Open the database, register every page and route, and hook up background services."""
    from .pages import register_all

    db.connect(settings.db_path)
    _errors_in_one_sentence()
    ctx = AppContext(settings=settings)
    # Every route goes through the login gate (it lets everything through unless the app is on the LAN).
    ctx.gate = auth.install(
        app, auth.Gate(lan=settings.lan, trust_loopback=settings.trust_loopback, https=settings.https)
    )
    if config.ASSETS_DIR.is_dir():
        app.add_static_files('/assets', str(config.ASSETS_DIR))
    register_all(ctx)
    api.register(app)
    from .mcp import http as mcp_http

    ctx.mcp = mcp_http.mount(app)

    async def on_startup() -> None:
        for name in SERVICE_MODULES:
            start = getattr(importlib.import_module(name), 'start', None)  # some only stop
            if start is not None:
                start(ctx)

    async def on_shutdown() -> None:
        # Each service is stopped even when one before it fails: a service left running would go on
        # writing (a webhook worker, a session watcher) into whatever database is open next.
        for name in reversed(SERVICE_MODULES):
            stop = getattr(importlib.import_module(name), 'stop', None)
            try:
                if stop is not None and inspect.isawaitable(result := stop(ctx)):
                    await result
            except Exception:
                log.exception('%s did not stop cleanly', name)
        db.close()

    app.on_startup(on_startup)
    app.on_shutdown(on_shutdown)
    return ctx


class ClientGoneLogFilter(logging.Filter):
    """A browser that goes away (a closed tab, a phone locking) while a request is in flight makes
    Starlette's BaseHTTPMiddleware (NiceGUI's request tracking) raise "No response returned." for a
    response nobody is waiting for: one debug line, not a traceback that reads like a bug."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, RuntimeError) and str(exc) == 'No response returned.':
            log.debug('A client went away before its response was sent')
            return False
        return True


def _errors_in_one_sentence() -> None:
    """A user error nobody caught (a full disk above all) reaches the person as one sentence, and the log
    as one line a minute instead of a traceback per failed write."""
    for name in ('nicegui', 'uvicorn.error'):
        logger = logging.getLogger(name)
        if not any(isinstance(f, DiskFullLogFilter) for f in logger.filters):
            logger.addFilter(DiskFullLogFilter())
    uvicorn_log = logging.getLogger('uvicorn.error')
    if not any(isinstance(f, ClientGoneLogFilter) for f in uvicorn_log.filters):
        uvicorn_log.addFilter(ClientGoneLogFilter())

    def show(exc: Exception) -> None:
        if isinstance(exc, UserError) or is_disk_full(exc):
            with contextlib.suppress(Exception):  # no page to show it on (a background task)
                ui.notify(str(exc) if isinstance(exc, UserError) else DISK_FULL, type='negative')

    app.on_exception(show)


async def _announce_ready(settings: config.Settings) -> None:
    """Once the server answers: one short block in the terminal with the address, the database, the
    address for phones (LAN mode) and how to stop; the browser is opened here, so a failure can be said."""
    import webbrowser

    from nicegui import run as nicegui_run

    from . import lan

    url = lan.local_url(settings.host, settings.port, https=settings.https)
    shown_host = '127.0.0.1' if settings.host in ('0.0.0.0', '::', '') else settings.host
    await nicegui_run.io_bound(_wait_until_listening, shown_host, settings.port)
    lines = [
        f'Output Hub is ready: {url}',
        f'  Database: {settings.db_path}' + (' (demo)' if settings.demo else ''),
    ]
    if settings.lan:
        urls = await nicegui_run.io_bound(lan.lan_urls, settings.port, https=settings.https)
        lines.append(f'  On your network: {", ".join(urls) or "(no network address found)"}')
    if settings.show_browser and not settings.native:
        opened = await nicegui_run.io_bound(_open_browser, webbrowser, url)
        if not opened:
            lines.append('  No browser could be opened here: open the address above yourself.')
    lines.append('Press Ctrl+C to stop.')
    print('\n'.join(lines), flush=True)


def _wait_until_listening(host: str, port: int, timeout: float = 30.0) -> None:
    """The startup hooks run before the server takes connections: "ready" waits until it does."""
    from nicegui.helpers import is_port_open

    deadline = time.monotonic() + timeout
    while not is_port_open(host, port) and time.monotonic() < deadline:
        time.sleep(0.1)


def _open_browser(webbrowser: object, url: str) -> bool:
    try:
        return bool(webbrowser.open(url))  # type: ignore[attr-defined]
    except Exception:  # no display, a broken BROWSER setting: say so instead of failing
        return False


def _keep_storage_with_the_data() -> None:
    """NiceGUI's per-browser storage (it holds capture drafts in plain text) lives in the private data
    directory, not in ``.nicegui`` of whatever folder the app was started from."""
    if 'NICEGUI_STORAGE_PATH' in os.environ:
        return
    from nicegui.storage import Storage

    Storage.path = config.data_dir() / 'nicegui'
    Storage.path.mkdir(mode=0o700, exist_ok=True)
    config.make_private(Storage.path)


def _proxy_options() -> dict:
    """uvicorn believes X-Forwarded-For from 127.0.0.1 by default, so any local client could pose as
    any address (and dodge the per-address login throttle). Proxy headers count only from the proxies
    named in OUTPUTHUB_TRUSTED_PROXIES (comma-separated addresses, e.g. a reverse proxy on 127.0.0.1)."""
    trusted = os.environ.get('OUTPUTHUB_TRUSTED_PROXIES', '').strip()
    if not trusted:
        return {'proxy_headers': False}
    return {'proxy_headers': True, 'forwarded_allow_ips': trusted}


def run(settings: config.Settings) -> None:
    if settings.native:
        from . import desktop

        desktop.prepare_environment()
        desktop.check_available()
    build(settings)
    _keep_storage_with_the_data()
    app.on_startup(lambda: _announce_ready(settings))
    favicon = config.ASSETS_DIR / 'icon.svg'
    extra: dict = {}
    if settings.native:
        extra['window_size'] = desktop.install(app)
    if settings.https:
        from . import lan

        cert = lan.ensure_certificate()
        extra.update(ssl_certfile=str(cert.cert), ssl_keyfile=str(cert.key))
    ui.run(
        host=settings.host,
        port=settings.port,
        title=config.APP_TITLE,
        favicon=str(favicon) if favicon.exists() else '📚',
        dark=None,
        show=settings.show_browser and settings.native,  # a browser tab is opened by _announce_ready
        native=settings.native,
        reload=False,
        storage_secret=config.read_or_create_secret('session.key'),
        # NiceGUI's own session cookie (app.storage.user): never sent over plain http when serving https.
        session_middleware_kwargs={'https_only': settings.https, 'same_site': 'lax'},
        **_proxy_options(),
        # A locked phone drops its connection for minutes; keep its page so it picks up where it was.
        reconnect_timeout=600.0 if settings.lan else 30.0,
        show_welcome_message=False,
        # Tailwind's classes come prebuilt in assets/tailwind.css (tools/tailwind): NiceGUI's in-page
        # compiler cost ~380 ms of every page load and recompiled on every change to the page.
        tailwind=False,
        fastapi_docs=True,
        **extra,
    )
