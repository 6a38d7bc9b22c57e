"""A NiceGUI page socket (socket.io over engine.io v4) driven straight through the real ASGI app, so a
test can open a page's websocket as a given client (address, cookies, Origin) without a browser."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from typing import Any
from urllib.parse import urlencode

from nicegui import core

SOCKET_PATH = '/_nicegui_ws/socket.io/'


def client_id_of(page_html: str) -> str:
    """The NiceGUI client id a served page tells its browser to connect with."""
    match = re.search(r'[\'"]client_id[\'"]:\s*[\'"]([0-9a-f-]{36})', page_html)
    assert match, 'the page carries no client id'
    return match.group(1)


class PageSocket:
    """One websocket to ``/_nicegui_ws/socket.io/`` through ``core.app`` (all middleware included)."""

    def __init__(
        self,
        *,
        client: tuple[str, int],
        host: str,
        query: dict[str, str],
        cookies: dict[str, str] | None = None,
        origin: str | None = None,
    ) -> None:
        headers = [(b'host', host.encode()), (b'upgrade', b'websocket'), (b'connection', b'Upgrade')]
        if origin is not None:
            headers.append((b'origin', origin.encode()))
        if cookies:
            cookie = '; '.join(f'{k}={v}' for k, v in cookies.items())
            headers.append((b'cookie', cookie.encode()))
        self.scope: dict[str, Any] = {
            'type': 'websocket',
            'asgi': {'version': '3.0'},
            'scheme': 'ws',
            'path': SOCKET_PATH,
            'raw_path': SOCKET_PATH.encode(),
            'root_path': '',
            'query_string': urlencode({'EIO': '4', 'transport': 'websocket', **query}).encode(),
            'headers': headers,
            'client': client,
            'server': ('192.168.1.10', 8080),
            'subprotocols': [],
        }
        self._to_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._from_app: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._texts: asyncio.Queue[str | None] = asyncio.Queue()
        self._task: asyncio.Task | None = None
        self.closed = False
        self.client_id = query.get('client_id', '')
        self.received: list[str] = []

    async def __aenter__(self) -> PageSocket:
        self._task = asyncio.create_task(core.app(self.scope, self._to_app.get, self._from_app.put))
        self._reader = asyncio.create_task(self._read())
        await self._to_app.put({'type': 'websocket.connect'})
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._to_app.put({'type': 'websocket.disconnect', 'code': 1000})
        if self._task is not None:
            with contextlib.suppress(Exception, asyncio.TimeoutError):
                await asyncio.wait_for(self._task, 5)
        self._reader.cancel()

    async def _read(self) -> None:
        """Keep reading what the server sends (a browser does), answering its JavaScript questions."""
        while True:
            message = await self._from_app.get()
            if message['type'] == 'websocket.send' and message.get('text') is not None:
                text = message['text']
                await self._answer_javascript(text)
                self.received.append(text)
                await self._texts.put(text)
            elif message['type'] == 'websocket.close':
                self.closed = True
                await self._texts.put(None)

    async def next_text(self, timeout: float = 5.0) -> str | None:
        """The next text frame the server sends (None once it closed the socket)."""
        return await asyncio.wait_for(self._texts.get(), timeout)

    async def _answer_javascript(self, text: str) -> None:
        """Answer the page's JavaScript questions (a drawer asks whether it is open) as a browser would."""
        if not text.startswith('42'):
            return
        with contextlib.suppress(ValueError, TypeError, IndexError):
            event, data = json.loads(text[2:])[:2]
            if event == 'run_javascript' and isinstance(data, dict) and data.get('request_id'):
                await self.emit(
                    'javascript_response',
                    {'request_id': data['request_id'], 'client_id': self.client_id, 'result': False},
                )

    async def send(self, text: str) -> None:
        await self._to_app.put({'type': 'websocket.receive', 'text': text})

    async def join(self) -> bool:
        """Open the engine.io session and connect to socket.io's namespace: True when the server accepted."""
        opened = await self.next_text()
        if opened is None or not opened.startswith('0'):
            return False
        await self.send('40')
        while True:
            frame = await self.next_text()
            if frame is None or frame.startswith('44'):
                return False
            if frame.startswith('40'):
                return True

    async def emit(self, event: str, data: dict[str, Any]) -> None:
        await self.send('42' + json.dumps([event, data]))

    async def wait_for(self, needle: str, timeout: float = 5.0) -> bool:
        """Whether a frame containing ``needle`` arrives within ``timeout`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not any(needle in text for text in self.received):
            if self.closed or loop.time() > deadline:
                return False
            await asyncio.sleep(0.02)
        return True


def page_query(client_id: str) -> dict[str, str]:
    """The query NiceGUI's page script connects with (implicit handshake, as a browser does)."""
    return {
        'client_id': client_id,
        'tab_id': 'tab-' + client_id[:8],
        'document_id': 'doc-' + client_id[:8],
        'implicit_handshake': 'true',
        'next_message_id': '0',
    }
