"""One shell per browser tab: the header, drawer and dialogs are built once, and every page switches
inside it (NiceGUI ``ui.sub_pages``) without reloading the browser.

Pages register with ``@shell.page(ctx, path)`` instead of ``@ui.page(path)``; their functions keep their
signatures. Every path is also a route of its own (a deep link, a reload, the phone's share target),
which builds the shell and shows that page in it. What a page function receives:

- path parameters and query parameters by name, validated against their annotation like FastAPI does
  (``ItemId``, ``FocusId``, ``tab: str = 'general'``); a path parameter that does not validate shows
  "Page not found";
- ``request: Request``: the tab's request re-pointed at the sub page's own path and query (from its
  ``PageArguments``), so ``request.query_params`` are the shown page's, never those of the URL the tab
  was first opened with; headers, cookies and the principal are the tab's;
- ``args: PageArguments`` when asked for.

Access: a switch is a socket event, not an HTTP request, so the login middleware does not see it. Each
switch asks the gate again what it would answer for the tab's request (``Gate.principal_of_page``: the
session's device still valid, this computer still trusted) and refreshes the principal pages read
(``auth.principal_of(ui.context.client.request)``); a tab whose session ended goes to the login form.

Clean-up: when a page is left, what it attached to the tab (not to its own elements, which go with
them) is removed: page-wide event listeners (``ui.on``), and handlers it added to the client
(``on_connect`` / ``on_disconnect``; ``on_delete`` handlers are run then, as the tab closing would
have). Its elements, timers among them, are deleted with the page. Tab-wide things belong in
``frame.build_chrome`` (built before any page).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
import typing
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from nicegui import Client, ui
from nicegui.events import GenericEventArguments
from nicegui.page_arguments import PageArguments
from pydantic import TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from .. import auth, config
from ..context import AppContext
from . import frame

log = logging.getLogger(__name__)


@dataclass
class _Route:
    path: str
    func: Callable[..., Any]
    params: list[inspect.Parameter]
    hints: dict[str, Any]
    adapters: dict[str, TypeAdapter] = field(default_factory=dict)


_routes: dict[str, _Route] = {}


def reset() -> None:
    """Forget the registered pages (``register_all`` registers them again)."""
    _routes.clear()


def paths() -> list[str]:
    return list(_routes)


def page(ctx: AppContext, path: str, *, response_timeout: float = 3.0) -> Callable[[Callable], Callable]:
    """Register ``func`` as the page at ``path`` (a sub page of the shell, and a deep link)."""

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            hints = typing.get_type_hints(func, include_extras=True)
        except Exception:  # a name only the enclosing function knows: keep the annotations as written
            hints = {}
        _routes[path] = _Route(path, func, list(inspect.signature(func).parameters.values()), hints)

        async def open_tab(request: Request, **_: Any) -> None:
            await _build_tab(ctx, request)

        # The deep link validates the page's parameters as its own @ui.page did (``/outputs/abc``: the
        # app's "not found" page, a 404); a switch inside the tab validates them in ``_arguments``.
        open_tab.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter('request', inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)]
            + [_http_parameter(p, hints) for p in _routes[path].params if not _is_special(p, hints)]
        )

        # Named after the page function, so NiceGUI's test harness reloads the page's module between
        # tests as it did when the page was a @ui.page of its own.
        open_tab.__module__ = func.__module__
        open_tab.__name__ = func.__name__
        open_tab.__qualname__ = f'{func.__qualname__}.<shell>'
        ui.page(path, response_timeout=response_timeout)(open_tab)
        return func

    return decorator


def _is_special(param: inspect.Parameter, hints: dict[str, Any]) -> bool:
    hint = hints.get(param.name, param.annotation)
    return param.name == 'request' or hint in (Request, PageArguments, 'Request', 'PageArguments')


def _http_parameter(param: inspect.Parameter, hints: dict[str, Any]) -> inspect.Parameter:
    hint = hints.get(param.name, param.annotation)
    return inspect.Parameter(
        param.name,
        inspect.Parameter.KEYWORD_ONLY,
        default=param.default,
        annotation=inspect.Parameter.empty if isinstance(hint, str) else hint,
    )


# --------------------------------------------------------------------------- one tab


@dataclass
class _Scope:
    """What a page attached to its tab, beyond its own elements (see the module docstring)."""

    listeners: set[str]
    connect: int
    disconnect: int
    delete: int

    @classmethod
    def start(cls, client: Client) -> _Scope:
        return cls(
            set(client.layout._event_listeners),  # noqa: SLF001 - NiceGUI has no public way to list them
            len(client.connect_handlers),
            len(client.disconnect_handlers),
            len(client.delete_handlers),
        )

    def end(self, client: Client) -> None:
        layout = client.layout
        added = [key for key in layout._event_listeners if key not in self.listeners]  # noqa: SLF001
        for key in added:
            del layout._event_listeners[key]  # noqa: SLF001
        if added and not layout.is_deleted:
            layout.update()  # the browser stops sending those events
        del client.connect_handlers[self.connect :]
        del client.disconnect_handlers[self.disconnect :]
        on_delete = client.delete_handlers[self.delete :]
        del client.delete_handlers[self.delete :]
        for handler in on_delete:
            client.safe_invoke(handler)


@dataclass
class _Tab:
    ctx: AppContext
    scope: _Scope | None = None
    first_page: asyncio.Event = field(default_factory=asyncio.Event)


_tabs: weakref.WeakKeyDictionary[Client, _Tab] = weakref.WeakKeyDictionary()


class _SubPages(ui.sub_pages):
    def _render_404(self) -> None:
        _not_found()


def _not_found() -> None:
    ui.page_title(f'Not found · {config.APP_TITLE}')
    with ui.column().classes('w-full max-w-3xl mx-auto p-5 gap-2'):
        ui.label('Page not found').classes('text-2xl font-semibold').mark('page-not-found')
        ui.label('The address does not lead to a page of Output Hub.').classes('oh-muted')
        ui.link('Go to Home', '/')


async def _build_tab(ctx: AppContext, request: Request) -> None:
    """A tab's first request: the shell, then the page at its URL (awaited, so it is in the response)."""
    client = ui.context.client
    tab = _Tab(ctx)
    _tabs[client] = tab
    frame.build_chrome(ctx, shell=True)
    ui.on('oh-address', _address_changed)  # app.js: a page changed the address in place
    pages = _SubPages({path: _builder(route) for path, route in _routes.items()}, show_404=True)
    pages.classes('w-full')
    if not pages.has_404:
        await tab.first_page.wait()


def _address_changed(e: GenericEventArguments) -> None:
    """A page changed the address without switching (``ui.navigate.history.push`` / ``replace``: another
    version of a prompt, the prompts' search box). The router learns the new address and forgets the
    shown page's, so Back or a link to the old address builds the page again (otherwise it would see
    "the same page" and leave the other version on screen)."""
    path = e.args if isinstance(e.args, str) else ''
    if not path.startswith('/') or path.startswith('//'):
        return
    e.client.sub_pages_router.current_path = path
    for element in e.client.layout.descendants():
        if isinstance(element, ui.sub_pages):
            element._reset_match()  # noqa: SLF001 - what SubPagesRouter.refresh does too


def _builder(route: _Route) -> Callable[..., Any]:
    def build(args: PageArguments) -> Any:
        client = ui.context.client
        tab = _tabs.get(client)
        if tab is None:  # not a shell tab (cannot happen: only the shell makes these sub pages)
            return None
        return _show(route, args, client, tab)

    # Set explicitly (this module uses postponed annotations): ui.sub_pages re-renders a page whose
    # query changed only when its builder asks for PageArguments.
    build.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter('args', inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=PageArguments)]
    )
    return build


async def _show(route: _Route, args: PageArguments, client: Client, tab: _Tab) -> None:
    if tab.scope is not None:
        tab.scope.end(client)  # the page being left
    tab.scope = _Scope.start(client)
    try:
        if not client.sub_pages_router.is_initial_request and not _still_allowed(client, args):
            return
        try:
            kwargs = _arguments(route, args, client.request)
        except _BadArgument:
            _not_found()
            return
        started = time.perf_counter()
        result = route.func(**kwargs)
        if inspect.isawaitable(result):
            await result
        log.debug('Built %s in %.0f ms', args.path, (time.perf_counter() - started) * 1000)
    finally:
        tab.first_page.set()


def _still_allowed(client: Client, args: PageArguments) -> bool:
    """What the login middleware would answer for this tab now; a tab whose session ended (the device
    was revoked, the computer is no longer trusted) goes to the login form."""
    try:
        gate = auth.current_gate()
    except RuntimeError:  # no gate installed (a script building pages by hand)
        return True
    request = client.request
    before = auth.principal_of(request)
    now = gate.principal_of_page(request.scope)
    if now is None or (now.kind, now.device_id) != (before.kind, before.device_id):
        log.info('A tab whose session ended tried to open %s; sent to the login form', args.path)
        target = args.path + (f'?{args.query_parameters}' if args.query_parameters else '')
        client.open('/login?next=' + quote(target, safe=''))
        return False
    request.state.oh_principal = now  # an administrator flag or a Secret permission changed since
    return True


# --------------------------------------------------------------------------- the page's arguments


class _BadArgument(Exception):
    pass


def _sub_request(base: Request, args: PageArguments) -> Request:
    """The tab's request, pointed at the sub page's path and query (the state dict, with the principal,
    is shared with the tab's request)."""
    scope = dict(base.scope)
    scope['path'] = args.path
    scope['raw_path'] = args.path.encode()
    scope['query_string'] = urlencode(list(args.query_parameters.multi_items())).encode()
    scope['path_params'] = dict(args.path_parameters)
    return Request(scope)


def _convert(route: _Route, name: str, raw: str) -> Any:
    hint = route.hints.get(name)
    if hint is None or isinstance(hint, str):
        return raw
    adapter = route.adapters.get(name)
    if adapter is None:
        adapter = route.adapters[name] = TypeAdapter(hint)
    return adapter.validate_python(raw)


def _arguments(route: _Route, args: PageArguments, request: Request) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    for param in route.params:
        name = param.name
        hint = route.hints.get(name, param.annotation)
        if hint in (PageArguments, 'PageArguments'):
            kwargs[name] = args
        elif _is_special(param, route.hints):
            kwargs[name] = _sub_request(request, args)
        elif name in args.path_parameters:
            try:
                kwargs[name] = _convert(route, name, args.path_parameters[name])
            except PydanticValidationError as exc:
                raise _BadArgument(name) from exc
        elif name in args.query_parameters:
            try:
                kwargs[name] = _convert(route, name, args.query_parameters[name])
            except PydanticValidationError:
                if param.default is inspect.Parameter.empty:
                    raise _BadArgument(name) from None
                # an unusable ?tab=… or ?m=… is ignored (the page's default), not an error page
        elif param.default is inspect.Parameter.empty:
            raise _BadArgument(name)
    return kwargs
