"""A local fake model server that speaks the real OpenAI and Anthropic streaming wire formats.

Point the real SDKs at it through ``base_url`` (``server.openai_url`` / ``server.anthropic_url``)
and script what it does: the reply text, pacing, errors (401, 429 with retry-after, 404, context
too long, 5xx), a stall (timeouts) or a cut connection in the middle of a stream.

    with FakeLLMServer() as server:
        server.enqueue(Script(text='Hello there.', delay=0.01))
        ...  # AsyncOpenAI(base_url=server.openai_url, api_key='sk-test') streams "Hello there."

Scripts are taken, in order, from ``enqueue`` for the next chat requests; otherwise from
``model_scripts[model]`` (so another process can pick a behaviour by model name, e.g. the
``fail-401`` model); otherwise ``default``. Run it alone for manual or browser tests:
``python -m tests.llm.fake_llm_server --port 8765``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

DEFAULT_REPLY = 'Hello! This is the fake model answering. It streams a few words, one at a time.'
_TOKEN = re.compile(r'\s*\S+')


def tokenize(text: str) -> list[str]:
    """The fake tokenizer: one token per word (with its leading whitespace), so counts are predictable."""
    return _TOKEN.findall(text)


def count_tokens(text: str) -> int:
    return len(tokenize(text))


@dataclass
class Script:
    """What the server does for one chat request."""

    text: str = DEFAULT_REPLY
    delay: float = 0.0  # seconds between streamed tokens
    first_byte_delay: float = 0.0  # stall before answering at all (timeouts)
    disconnect_after: int | None = None  # cut the connection after this many tokens
    error: str | None = (
        None  # unauthorized | forbidden | rate_limit | quota | context | unknown_model | server | overloaded
    )
    retry_after: str | None = None  # the retry-after header sent with an error
    stop_reason: str | None = None  # default: stop (OpenAI) / end_turn (Anthropic)
    send_usage: bool = True
    model: str | None = None  # the model id to report (default: the one asked for), e.g. a dated snapshot


@dataclass
class RecordedRequest:
    protocol: str  # openai | anthropic
    method: str
    path: str
    api_key: str | None
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def model(self) -> str | None:
        return self.body.get('model')


# Model names that pick a behaviour by themselves (useful from another process).
MODEL_SCRIPTS: dict[str, Script] = {
    'fail-401': Script(error='unauthorized'),
    'fail-429': Script(error='rate_limit', retry_after='7'),
    'fail-context': Script(error='context'),
    'fail-500': Script(error='server'),
    'slow-model': Script(delay=0.2),
    'drop-model': Script(disconnect_after=3),
}

_ERRORS: dict[str, tuple[int, str, str, str, str]] = {
    # name: (status, openai type, openai code, anthropic type, message)
    'unauthorized': (
        401,
        'invalid_request_error',
        'invalid_api_key',
        'authentication_error',
        'Invalid API key provided.',
    ),
    'forbidden': (403, 'invalid_request_error', 'permission_denied', 'permission_error', 'Not allowed.'),
    'rate_limit': (
        429,
        'requests',
        'rate_limit_exceeded',
        'rate_limit_error',
        'Rate limit reached for requests.',
    ),
    'quota': (
        429,
        'insufficient_quota',
        'insufficient_quota',
        'rate_limit_error',
        'You exceeded your current quota.',
    ),
    'context': (
        400,
        'invalid_request_error',
        'context_length_exceeded',
        'invalid_request_error',
        "This model's maximum context length is 128000 tokens; prompt is too long: 130000 tokens > 128000 maximum.",
    ),
    'unknown_model': (
        404,
        'invalid_request_error',
        'model_not_found',
        'not_found_error',
        'The model does not exist.',
    ),
    'server': (500, 'server_error', 'server_error', 'api_error', 'Internal server error.'),
    'overloaded': (529, 'server_error', 'overloaded', 'overloaded_error', 'Overloaded.'),
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - keep test output clean
        pass

    # ---------------------------------------------------------------- routing

    def _protocol(self) -> str:
        return 'anthropic' if 'anthropic-version' in self.headers or 'x-api-key' in self.headers else 'openai'

    def _api_key(self) -> str | None:
        if self.headers.get('x-api-key'):
            return self.headers['x-api-key']
        auth = self.headers.get('authorization', '')
        return auth[7:] if auth.lower().startswith('bearer ') else None

    def _read_body(self) -> dict[str, Any]:
        length = int(self.headers.get('content-length') or 0)
        raw = self.rfile.read(length) if length else b''
        try:
            return json.loads(raw) if raw else {}
        except ValueError:
            return {}

    def _record(self, body: dict[str, Any]) -> RecordedRequest:
        rec = RecordedRequest(
            protocol=self._protocol(),
            method=self.command,
            path=self.path,
            api_key=self._api_key(),
            body=body,
            headers={k.lower(): v for k, v in self.headers.items()},
        )
        with self.server.fake.lock:
            self.server.fake.requests.append(rec)
        return rec

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        rec = self._record({})
        fake = self.server.fake
        if not self.path.rstrip('/').endswith('/models'):
            return self._json(404, {'error': {'message': 'not found', 'type': 'invalid_request_error'}})
        if not fake.key_ok(rec.api_key):
            return self._error(rec.protocol, 'unauthorized', None)
        if rec.protocol == 'anthropic':
            data = [
                {'type': 'model', 'id': m, 'display_name': m.title(), 'created_at': '2026-01-01T00:00:00Z'}
                for m in fake.models
            ]
            first = data[0]['id'] if data else None
            last = data[-1]['id'] if data else None
            return self._json(200, {'data': data, 'has_more': False, 'first_id': first, 'last_id': last})
        data = [
            {'id': m, 'object': 'model', 'created': 1_700_000_000, 'owned_by': 'fake'} for m in fake.models
        ]
        return self._json(200, {'object': 'list', 'data': data})

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        body = self._read_body()
        rec = self._record(body)
        fake = self.server.fake
        path = self.path.split('?')[0].rstrip('/')
        if not (path.endswith('/chat/completions') or path.endswith('/messages')):
            return self._json(
                404, {'error': {'message': f'no route {path}', 'type': 'invalid_request_error'}}
            )
        script = fake.next_script(rec.model)
        if script.first_byte_delay:
            time.sleep(script.first_byte_delay)
        if not fake.key_ok(rec.api_key):
            return self._error(rec.protocol, 'unauthorized', None)
        if script.error:
            return self._error(rec.protocol, script.error, script.retry_after)
        if not body.get('stream'):
            return self._json(
                400, {'error': {'message': 'the fake server only streams', 'type': 'invalid_request_error'}}
            )
        fake._enter()
        try:
            if path.endswith('/chat/completions'):
                self._stream_openai(body, script)
            else:
                self._stream_anthropic(body, script)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            with fake.lock:
                fake.client_disconnects += 1
            self.close_connection = True
        finally:
            fake._leave()

    # ---------------------------------------------------------------- responses

    def _json(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header('content-type', 'application/json')
        self.send_header('content-length', str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _error(self, protocol: str, name: str, retry_after: str | None) -> None:
        status, oa_type, oa_code, an_type, message = _ERRORS[name]
        headers = {'retry-after': retry_after} if retry_after is not None else {}
        # The SDKs retry 429/5xx by themselves unless told not to; tests set max_retries=0 or 1.
        if protocol == 'anthropic':
            payload = {
                'type': 'error',
                'error': {'type': an_type, 'message': message},
                'request_id': 'req_fake',
            }
        else:
            payload = {'error': {'message': message, 'type': oa_type, 'param': None, 'code': oa_code}}
        self._json(status, payload, headers)

    def _start_sse(self) -> None:
        self.send_response(200)
        self.send_header('content-type', 'text/event-stream; charset=utf-8')
        self.send_header('cache-control', 'no-cache')
        self.send_header('transfer-encoding', 'chunked')
        self.end_headers()

    def _chunk(self, data: str) -> None:
        raw = data.encode()
        self.wfile.write(f'{len(raw):x}\r\n'.encode() + raw + b'\r\n')
        self.wfile.flush()

    def _end_chunks(self) -> None:
        self.wfile.write(b'0\r\n\r\n')
        self.wfile.flush()

    def _cut(self) -> None:
        """Drop the connection mid-body, as a crashed server or a dropped Wi-Fi would."""
        # counted before the cut: the client sees the drop at once and a test may check the count next
        with self.server.fake.lock:
            self.server.fake.server_disconnects += 1
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)
        self.connection.close()

    @staticmethod
    def _input_tokens(body: dict[str, Any]) -> int:
        total = 0
        system = body.get('system')
        if isinstance(system, str):
            total += count_tokens(system)
        elif isinstance(system, list):
            total += sum(count_tokens(b.get('text', '')) for b in system if isinstance(b, dict))
        for msg in body.get('messages') or []:
            content = msg.get('content')
            if isinstance(content, str):
                total += count_tokens(content)
            elif isinstance(content, list):
                total += sum(count_tokens(b.get('text', '')) for b in content if isinstance(b, dict))
        return total

    def _stream_openai(self, body: dict[str, Any], script: Script) -> None:
        model = script.model or body.get('model') or 'fake'
        created = int(time.time())
        include_usage = bool((body.get('stream_options') or {}).get('include_usage')) and script.send_usage

        def chunk(choices: list[dict[str, Any]], usage: dict[str, int] | None = None) -> str:
            payload = {
                'id': 'chatcmpl-fake',
                'object': 'chat.completion.chunk',
                'created': created,
                'model': model,
                'system_fingerprint': 'fp_fake',
                'choices': choices,
                'usage': usage,
            }
            return f'data: {json.dumps(payload)}\n\n'

        tokens = tokenize(script.text)
        self._start_sse()
        self._chunk(
            chunk(
                [
                    {
                        'index': 0,
                        'delta': {'role': 'assistant', 'content': ''},
                        'logprobs': None,
                        'finish_reason': None,
                    }
                ]
            )
        )
        for i, tok in enumerate(tokens):
            if script.disconnect_after is not None and i >= script.disconnect_after:
                return self._cut()
            if script.delay:
                time.sleep(script.delay)
            self._chunk(
                chunk([{'index': 0, 'delta': {'content': tok}, 'logprobs': None, 'finish_reason': None}])
            )
        if script.disconnect_after is not None and script.disconnect_after >= len(tokens):
            return self._cut()
        stop = script.stop_reason or 'stop'
        self._chunk(chunk([{'index': 0, 'delta': {}, 'logprobs': None, 'finish_reason': stop}]))
        if include_usage:
            prompt = self._input_tokens(body)
            usage = {
                'prompt_tokens': prompt,
                'completion_tokens': len(tokens),
                'total_tokens': prompt + len(tokens),
            }
            self._chunk(chunk([], usage))
        self._chunk('data: [DONE]\n\n')
        self._end_chunks()

    def _stream_anthropic(self, body: dict[str, Any], script: Script) -> None:
        model = script.model or body.get('model') or 'fake'

        def event(name: str, payload: dict[str, Any]) -> str:
            return f'event: {name}\ndata: {json.dumps(payload)}\n\n'

        tokens = tokenize(script.text)
        prompt = self._input_tokens(body)
        self._start_sse()
        self._chunk(
            event(
                'message_start',
                {
                    'type': 'message_start',
                    'message': {
                        'id': 'msg_fake',
                        'type': 'message',
                        'role': 'assistant',
                        'content': [],
                        'model': model,
                        'stop_reason': None,
                        'stop_sequence': None,
                        'usage': {'input_tokens': prompt if script.send_usage else 0, 'output_tokens': 1},
                    },
                },
            )
        )
        self._chunk(
            event(
                'content_block_start',
                {'type': 'content_block_start', 'index': 0, 'content_block': {'type': 'text', 'text': ''}},
            )
        )
        self._chunk(event('ping', {'type': 'ping'}))
        for i, tok in enumerate(tokens):
            if script.disconnect_after is not None and i >= script.disconnect_after:
                return self._cut()
            if script.delay:
                time.sleep(script.delay)
            self._chunk(
                event(
                    'content_block_delta',
                    {'type': 'content_block_delta', 'index': 0, 'delta': {'type': 'text_delta', 'text': tok}},
                )
            )
        if script.disconnect_after is not None and script.disconnect_after >= len(tokens):
            return self._cut()
        self._chunk(event('content_block_stop', {'type': 'content_block_stop', 'index': 0}))
        self._chunk(
            event(
                'message_delta',
                {
                    'type': 'message_delta',
                    'delta': {'stop_reason': script.stop_reason or 'end_turn', 'stop_sequence': None},
                    'usage': {'output_tokens': len(tokens) if script.send_usage else 0},
                },
            )
        )
        self._chunk(event('message_stop', {'type': 'message_stop'}))
        self._end_chunks()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    fake: FakeLLMServer


class FakeLLMServer:
    """The fake server, run in a daemon thread on a free port of 127.0.0.1."""

    def __init__(self, *, host: str = '127.0.0.1', port: int = 0, default: Script | None = None) -> None:
        self.host = host
        self.port = port
        self.default = default or Script()
        self.model_scripts: dict[str, Script] = dict(MODEL_SCRIPTS)
        self.valid_keys: set[str] | None = None  # None: any key is accepted
        self.models: list[str] = ['fake-chat', 'fake-large', 'slow-model']
        self.requests: list[RecordedRequest] = []
        self.active_streams = 0
        self.max_active_streams = 0
        self.client_disconnects = 0  # the client went away mid-stream (a stop)
        self.server_disconnects = 0  # we cut the stream on purpose
        self.lock = threading.Lock()
        self._queue: deque[Script] = deque()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> FakeLLMServer:
        self._httpd = _Server((self.host, self.port), _Handler)
        self._httpd.fake = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={'poll_interval': 0.05},
            name='fake-llm-server',
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        return f'http://{self.host}:{self.port}'

    @property
    def openai_url(self) -> str:
        """The base URL for ``openai.AsyncOpenAI`` (it appends ``/chat/completions``)."""
        return f'{self.url}/v1'

    @property
    def anthropic_url(self) -> str:
        """The base URL for ``anthropic.AsyncAnthropic`` (it appends ``/v1/messages``)."""
        return self.url

    # ---------------------------------------------------------------- scripting

    def enqueue(self, *scripts: Script) -> None:
        with self.lock:
            self._queue.extend(scripts)

    def next_script(self, model: str | None) -> Script:
        with self.lock:
            if self._queue:
                return self._queue.popleft()
        if model and model in self.model_scripts:
            return self.model_scripts[model]
        return self.default

    def key_ok(self, key: str | None) -> bool:
        return self.valid_keys is None or key in self.valid_keys

    def chat_requests(self) -> list[RecordedRequest]:
        with self.lock:
            return [r for r in self.requests if r.method == 'POST']

    def _enter(self) -> None:
        with self.lock:
            self.active_streams += 1
            self.max_active_streams = max(self.max_active_streams, self.active_streams)

    def _leave(self) -> None:
        with self.lock:
            self.active_streams -= 1


FAKE_MODEL = 'fake-chat'
FAKE_PRICES = (1.0, 2.0)  # USD per million input / output tokens, set on FAKE_MODEL by point_providers_at


def point_providers_at(
    server: FakeLLMServer, *, key: str | None = 'sk-test-fake-key-000000'
) -> dict[str, Any]:
    """Aim the database's OpenAI and Anthropic providers at ``server`` (needs an open database).

    Sets each provider's base URL, stores ``key`` for both (in the key store, never the DB) and
    adds the model ``fake-chat`` with known prices under each. Returns
    ``{'openai': Provider, 'anthropic': Provider, 'openai_model': LlmModel, 'anthropic_model': LlmModel}``.
    """
    from app.data.db import write_tx
    from app.data.models import LlmModel, Provider, ProviderSetting
    from app.llm import keys

    out: dict[str, Any] = {}
    for kind, url in (('openai', server.openai_url), ('anthropic', server.anthropic_url)):
        with write_tx():
            prov = Provider.get(Provider.kind == kind)
            setting, _ = ProviderSetting.get_or_create(provider=prov.id)
            setting.base_url = url
            setting.save()
            model, _ = LlmModel.get_or_create(provider=prov.id, name=FAKE_MODEL)
            model.input_price, model.output_price = FAKE_PRICES
            model.save()
        if key:
            keys.save_provider_key(prov, key)
        out[kind] = prov
        out[f'{kind}_model'] = model
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description='Run the fake OpenAI/Anthropic server.')
    parser.add_argument('--port', type=int, default=8765)
    parser.add_argument('--delay', type=float, default=0.05, help='seconds between streamed words')
    args = parser.parse_args()
    server = FakeLLMServer(port=args.port, default=Script(delay=args.delay)).start()
    print(f'fake LLM server: OpenAI base URL {server.openai_url}, Anthropic base URL {server.anthropic_url}')
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()


if __name__ == '__main__':
    main()
