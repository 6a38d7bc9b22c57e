"""Streamable HTTP at ``/mcp`` on the running app, for MCP clients that connect to a URL.

The route sits behind the app's gate (``auth.AuthMiddleware``) like every other: this computer gets in
as itself, anyone else with an API token (``Authorization: Bearer …``, read or write, with or without
Secret items) — each request carries its own principal to the tools. The gate refuses unknown Host names
(DNS rebinding) and cross-site writes; the SDK's own transport check runs behind it with the same host
rule (``auth.host_allowed``) and refuses any request that names an Origin: MCP clients send none, and
no page — of this app or another site — has any business here.

A background service (listed in ``app.server.SERVICE_MODULES``): ``start`` runs the SDK's session manager
in a task of its own, ``stop`` ends it before the database closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import TYPE_CHECKING, Any

from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.routing import Route

from .. import auth
from .server import build_server

if TYPE_CHECKING:
    from ..context import AppContext

log = logging.getLogger(__name__)

PATH = auth.MCP_PATH
SESSION_IDLE_SECONDS = 30 * 60


class _AppHosts(list):
    """The app's own rule for Host names, in the shape the SDK's check asks (``host in allowed_hosts``)."""

    def __contains__(self, host: object) -> bool:
        return isinstance(host, str) and auth.host_allowed(host, lan=True)

    def __iter__(self) -> Any:  # no wildcard patterns beyond the rule itself
        return iter(())


def security_settings() -> TransportSecuritySettings:
    # model_construct keeps the rule object (validation would copy it into a plain, empty list).
    return TransportSecuritySettings.model_construct(
        enable_dns_rebinding_protection=True, allowed_hosts=_AppHosts(), allowed_origins=[]
    )


class McpEndpoint:
    """The ASGI app behind ``/mcp``: the SDK's streamable HTTP session manager, once started."""

    def __init__(self) -> None:
        self.manager = StreamableHTTPSessionManager(
            app=build_server(),
            security_settings=security_settings(),
            session_idle_timeout=SESSION_IDLE_SECONDS,
        )
        self._ready = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task | None = None

    async def _serve(self) -> None:
        # The manager's task group is entered and left in this one task (anyio requires it).
        async with self.manager.run():
            self._ready.set()
            await self._stop.wait()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._serve(), name='outputhub-mcp')

    async def stop(self) -> None:
        if self._task is None:
            return
        self._stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._task, timeout=10)
        self._ready.clear()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if not self._ready.is_set() or self._stop.is_set():
            body = json.dumps({'detail': 'The MCP server is not running; try again in a moment.'}).encode()
            await send(
                {
                    'type': 'http.response.start',
                    'status': 503,
                    'headers': [(b'content-type', b'application/json'), (b'retry-after', b'2')],
                }
            )
            await send({'type': 'http.response.body', 'body': body})
            return
        await self.manager.handle_request(scope, receive, send)


def mount(app: Any) -> McpEndpoint:
    """Add ``/mcp`` to ``app`` (ahead of any catch-all page route) and return its endpoint."""
    endpoint = McpEndpoint()
    app.router.routes[:] = [r for r in app.router.routes if getattr(r, 'path', None) != PATH]
    app.router.routes.insert(
        0, Route(PATH, endpoint, methods=['GET', 'POST', 'DELETE'], include_in_schema=False)
    )
    return endpoint


def start(ctx: AppContext) -> None:
    if ctx.mcp is not None:
        ctx.mcp.start()


async def stop(ctx: AppContext) -> None:
    if ctx.mcp is not None:
        await ctx.mcp.stop()
