"""Build the NiceGUI app (pages, API, background services) and run it."""

from __future__ import annotations

import contextlib
import importlib
import logging
import os

from nicegui import app, ui

from . import api, auth, config
from .context import AppContext
from .data import db
from .errors import DISK_FULL, DiskFullLogFilter, UserError, is_disk_full

log = logging.getLogger(__name__)

# Modules exposing ``start(ctx)`` (called on startup) and optionally ``stop(ctx)`` — background services.
SERVICE_MODULES: list[str] = [
    'app.services.indexing',  # search: embeds new and edited outputs and messages in the background
    'app.services.backups',  # a daily backup of the database with rotation while the app runs
    'app.services.housekeeping',  # daily: retention purge into the trash, trash older than 30 days emptied
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

    async def on_startup() -> None:
        for name in SERVICE_MODULES:
            importlib.import_module(name).start(ctx)

    async def on_shutdown() -> None:
        for name in reversed(SERVICE_MODULES):
            stop = getattr(importlib.import_module(name), 'stop', None)
            if stop is not None:
                stop(ctx)
        db.close()

    app.on_startup(on_startup)
    app.on_shutdown(on_shutdown)
    return ctx


def _errors_in_one_sentence() -> None:
    """A user error nobody caught (a full disk above all) reaches the person as one sentence, and the log
    as one line a minute instead of a traceback per failed write."""
    for name in ('nicegui', 'uvicorn.error'):
        logger = logging.getLogger(name)
        if not any(isinstance(f, DiskFullLogFilter) for f in logger.filters):
            logger.addFilter(DiskFullLogFilter())

    def show(exc: Exception) -> None:
        if isinstance(exc, UserError) or is_disk_full(exc):
            with contextlib.suppress(Exception):  # no page to show it on (a background task)
                ui.notify(str(exc) if isinstance(exc, UserError) else DISK_FULL, type='negative')

    app.on_exception(show)


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
        show=settings.show_browser,
        native=settings.native,
        reload=False,
        storage_secret=config.read_or_create_secret('session.key'),
        # NiceGUI's own session cookie (app.storage.user): never sent over plain http when serving https.
        session_middleware_kwargs={'https_only': settings.https, 'same_site': 'lax'},
        **_proxy_options(),
        # A locked phone drops its connection for minutes; keep its page so it picks up where it was.
        reconnect_timeout=600.0 if settings.lan else 30.0,
        show_welcome_message=False,
        fastapi_docs=True,
        **extra,
    )
