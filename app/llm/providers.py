"""One small async interface for chat models: stream messages, get text deltas, end with usage.

Implemented with the official SDKs: ``openai`` (OpenAI and any OpenAI-compatible base URL —
Ollama, LM Studio, vLLM, OpenRouter) and ``anthropic``. Every failure surfaces as one of the
``app.llm.errors`` types with a sentence a user can act on.

    provider = make_provider(ProviderConfig(kind='openai', name='OpenAI', api_key=key))
    async with provider:
        async for event in provider.stream([ChatMessage('user', 'Hi')], 'gpt-4o-mini'):
            if isinstance(event, TextDelta):
                print(event.text, end='')
            else:  # StreamEnd, always the last event
                print(event.input_tokens, event.output_tokens, event.stop_reason)

Each provider owns its SDK client (an HTTP connection pool bound to the running event loop);
make one per task or per chat and close it. Several streams on one provider may run at once.
"""

from __future__ import annotations

import email.utils
import sys
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from .errors import (
    AuthenticationFailed,
    ConnectionLost,
    ContextTooLong,
    InvalidRequest,
    LlmError,
    ProviderTimeout,
    ProviderUnavailable,
    ProviderUnreachable,
    QuotaExceeded,
    RateLimited,
    UnknownModel,
    redact,
)

KINDS = ('openai', 'anthropic', 'openai_compatible')
OFFICIAL_HOSTS = {'openai': 'api.openai.com', 'anthropic': 'api.anthropic.com'}
DEFAULT_ANTHROPIC_MAX_TOKENS = 8192
# Local servers (Ollama, LM Studio) ignore the key, but the openai SDK insists on one.
NO_KEY_PLACEHOLDER = 'not-needed'


def _loaded(attr: str) -> tuple[type[BaseException], ...]:
    """``attr`` from each SDK / HTTP library already imported (an exception can only come from one)."""
    found = []
    for name in ('openai', 'anthropic', 'httpx2', 'httpx'):
        module = sys.modules.get(name)
        cls = getattr(module, attr, None) if module is not None else None
        if isinstance(cls, type) and issubclass(cls, BaseException):
            found.append(cls)
    return tuple(found)


def preload_sdks() -> None:
    """Import both SDKs (~4 s for openai, ~9 s for anthropic on a small laptop): call it in a worker
    thread at start-up so the first chat does not wait. Everything here imports them lazily."""
    import anthropic  # noqa: F401
    import openai  # noqa: F401


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class ChatMessage:
    role: str  # system | user | assistant
    content: str


@dataclass(frozen=True)
class GenerationParams:
    """How to generate. ``None`` means "the provider's default"."""

    system: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)  # other provider parameters, sent as-is

    def overridden_by(self, other: GenerationParams | None) -> GenerationParams:
        """These parameters with every value ``other`` sets taking precedence."""
        if other is None:
            return self
        changes = {
            name: getattr(other, name)
            for name in ('system', 'temperature', 'max_tokens', 'top_p')
            if getattr(other, name) is not None
        }
        return replace(self, **changes, extra={**self.extra, **other.extra})


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class StreamEnd:
    """The last event of every successful stream."""

    input_tokens: int | None
    output_tokens: int | None
    stop_reason: str | None  # the provider's own word: stop, length, end_turn, max_tokens, …
    model: str | None  # the model id the provider reports having used


StreamEvent = TextDelta | StreamEnd


@dataclass(frozen=True)
class ModelInfo:
    id: str
    display_name: str | None = None


@dataclass(frozen=True)
class ProviderConfig:
    """Where and how to reach one provider. ``api_key`` is never shown by ``repr``."""

    kind: str  # openai | anthropic | openai_compatible
    name: str = ''  # shown in messages ("OpenAI", "Local")
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    timeout: float = 120.0  # seconds without a byte from the provider
    connect_timeout: float = 10.0
    max_retries: int = 2

    @property
    def label(self) -> str:
        return self.name or {'openai': 'OpenAI', 'anthropic': 'Anthropic'}.get(self.kind, 'the model server')

    @property
    def needs_key(self) -> bool:
        """True for the official OpenAI / Anthropic endpoints; local servers do without."""
        host = OFFICIAL_HOSTS.get(self.kind)
        if self.kind not in OFFICIAL_HOSTS:
            return False
        return not self.base_url or urlsplit(self.base_url).hostname == host


# --------------------------------------------------------------------------- the interface


class ChatProvider(ABC):
    """Streams chat replies from one provider."""

    def __init__(self, config: ProviderConfig) -> None:
        self.config = config

    @abstractmethod
    def stream(
        self, messages: Sequence[ChatMessage], model: str, params: GenerationParams | None = None
    ) -> AsyncIterator[StreamEvent]:
        """Yield ``TextDelta`` events and finally one ``StreamEnd``; raise an ``LlmError`` on failure.

        Closing the iterator early (``aclose()``, or cancelling the task that consumes it) closes
        the HTTP response, which tells the provider to stop generating.
        """

    @abstractmethod
    async def list_models(self) -> list[ModelInfo]:
        """The models the provider offers (raises ``LlmError``; doubles as a connection test)."""

    @abstractmethod
    async def aclose(self) -> None: ...

    async def __aenter__(self) -> ChatProvider:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f'{type(self).__name__}({self.config.label!r}, base_url={self.config.base_url!r})'

    # ---------------------------------------------------------------- error mapping

    def map_error(
        self, exc: BaseException, model: str | None = None, *, mid_stream: bool = False
    ) -> LlmError:
        """Our exception for an SDK / transport exception (never carries the key or the request)."""
        return map_error(exc, self.config, model, mid_stream=mid_stream)


def make_provider(config: ProviderConfig) -> ChatProvider:
    if config.kind == 'anthropic':
        return AnthropicProvider(config)
    if config.kind in ('openai', 'openai_compatible'):
        return OpenAIProvider(config)
    raise InvalidRequest(
        f'Output Hub cannot talk to {config.label} (provider type {config.kind!r}) yet; '
        'use an OpenAI-compatible endpoint instead.'
    )


# --------------------------------------------------------------------------- OpenAI (+ compatible)


class OpenAIProvider(ChatProvider):
    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        import openai  # lazily: importing it takes seconds

        self.client = openai.AsyncOpenAI(
            api_key=config.api_key or NO_KEY_PLACEHOLDER,
            base_url=config.base_url or None,
            timeout=openai.Timeout(config.timeout, connect=config.connect_timeout),
            max_retries=config.max_retries,
        )

    def _request(
        self, messages: Sequence[ChatMessage], model: str, params: GenerationParams
    ) -> dict[str, Any]:
        wire: list[dict[str, str]] = []
        if params.system:
            wire.append({'role': 'system', 'content': params.system})
        wire.extend({'role': m.role, 'content': m.content} for m in messages)
        kwargs: dict[str, Any] = {
            'model': model,
            'messages': wire,
            'stream': True,
            'stream_options': {'include_usage': True},
        }
        if params.temperature is not None:
            kwargs['temperature'] = params.temperature
        if params.top_p is not None:
            kwargs['top_p'] = params.top_p
        if params.max_tokens is not None:
            # OpenAI's reasoning models only accept the newer name; compatible servers know the older one.
            name = 'max_completion_tokens' if self.config.kind == 'openai' else 'max_tokens'
            kwargs[name] = params.max_tokens
        if params.extra:
            kwargs['extra_body'] = dict(params.extra)
        return kwargs

    async def stream(
        self, messages: Sequence[ChatMessage], model: str, params: GenerationParams | None = None
    ) -> AsyncIterator[StreamEvent]:
        params = params or GenerationParams()
        input_tokens = output_tokens = None
        stop_reason: str | None = None
        reported_model: str | None = None
        started = False
        try:
            response = await self.client.chat.completions.create(**self._request(messages, model, params))
            started = True
            async with response:
                async for chunk in response:
                    reported_model = getattr(chunk, 'model', None) or reported_model
                    usage = getattr(chunk, 'usage', None)
                    if usage is not None:
                        input_tokens = usage.prompt_tokens
                        output_tokens = usage.completion_tokens
                    for choice in chunk.choices or ():
                        if choice.index not in (0, None):
                            continue
                        delta = choice.delta
                        text = getattr(delta, 'content', None) if delta is not None else None
                        if text:
                            yield TextDelta(text)
                        if choice.finish_reason:
                            stop_reason = choice.finish_reason
        except LlmError:
            raise
        except Exception as exc:
            raise self.map_error(exc, model, mid_stream=started) from None
        if stop_reason is None:
            # The body ended without a finish reason: the server or a proxy cut the stream short.
            raise ConnectionLost(f'The connection to {self.config.label} dropped before the reply finished.')
        yield StreamEnd(input_tokens, output_tokens, stop_reason, reported_model or model)

    async def list_models(self) -> list[ModelInfo]:
        try:
            models = [ModelInfo(m.id) async for m in self.client.models.list()]
        except Exception as exc:
            raise self.map_error(exc) from None
        return sorted(models, key=lambda m: m.id)

    async def aclose(self) -> None:
        await self.client.close()


# --------------------------------------------------------------------------- Anthropic


def anthropic_messages(messages: Sequence[ChatMessage]) -> tuple[list[str], list[dict[str, str]]]:
    """Split out system text and shape the rest as Anthropic wants: alternating, starting with user.

    Imported conversations can hold system messages mid-thread, two user turns in a row or an
    assistant turn first; the Messages API refuses those, so they are merged rather than dropped.
    """
    system: list[str] = []
    turns: list[dict[str, str]] = []
    for m in messages:
        if not m.content:
            continue
        if m.role == 'system':
            system.append(m.content)
            continue
        role = 'assistant' if m.role == 'assistant' else 'user'
        if turns and turns[-1]['role'] == role:
            turns[-1]['content'] += '\n\n' + m.content
        else:
            turns.append({'role': role, 'content': m.content})
    if turns and turns[0]['role'] != 'user':
        turns.insert(0, {'role': 'user', 'content': '(The conversation so far.)'})
    return system, turns


class AnthropicProvider(ChatProvider):
    def __init__(self, config: ProviderConfig) -> None:
        super().__init__(config)
        import anthropic  # lazily: importing it takes seconds

        self.client = anthropic.AsyncAnthropic(
            api_key=config.api_key or NO_KEY_PLACEHOLDER,
            base_url=config.base_url or None,
            timeout=anthropic.Timeout(config.timeout, connect=config.connect_timeout),
            max_retries=config.max_retries,
        )

    def _request(
        self, messages: Sequence[ChatMessage], model: str, params: GenerationParams
    ) -> dict[str, Any]:
        system, turns = anthropic_messages(messages)
        if params.system:
            system.insert(0, params.system)
        kwargs: dict[str, Any] = {
            'model': model,
            'messages': turns,
            'max_tokens': params.max_tokens or DEFAULT_ANTHROPIC_MAX_TOKENS,
            'stream': True,
        }
        if system:
            kwargs['system'] = '\n\n'.join(system)
        # This SDK version no longer types temperature/top_p; the API still takes them in the body.
        body: dict[str, Any] = {}
        if params.temperature is not None:
            body['temperature'] = params.temperature
        if params.top_p is not None:
            body['top_p'] = params.top_p
        body.update(params.extra)
        if body:
            kwargs['extra_body'] = body
        return kwargs

    async def stream(
        self, messages: Sequence[ChatMessage], model: str, params: GenerationParams | None = None
    ) -> AsyncIterator[StreamEvent]:
        params = params or GenerationParams()
        input_tokens: int | None = None
        output_tokens: int | None = None
        stop_reason: str | None = None
        reported_model: str | None = None
        finished = started = False
        try:
            response = await self.client.messages.create(**self._request(messages, model, params))
            started = True
            async with response:
                async for event in response:
                    kind = event.type
                    if kind == 'message_start':
                        reported_model = event.message.model
                        input_tokens = _anthropic_input_tokens(event.message.usage)
                        output_tokens = event.message.usage.output_tokens
                    elif kind == 'content_block_delta':
                        if getattr(event.delta, 'type', None) == 'text_delta' and event.delta.text:
                            yield TextDelta(event.delta.text)
                    elif kind == 'message_delta':
                        stop_reason = event.delta.stop_reason or stop_reason
                        usage = event.usage
                        if usage is not None:
                            output_tokens = (
                                usage.output_tokens if usage.output_tokens is not None else output_tokens
                            )
                            total_in = _anthropic_input_tokens(usage)
                            input_tokens = total_in if total_in else input_tokens
                    elif kind == 'message_stop':
                        finished = True
        except LlmError:
            raise
        except Exception as exc:
            raise self.map_error(exc, model, mid_stream=started) from None
        if not finished:
            raise ConnectionLost(f'The connection to {self.config.label} dropped before the reply finished.')
        yield StreamEnd(input_tokens, output_tokens, stop_reason, reported_model or model)

    async def list_models(self) -> list[ModelInfo]:
        try:
            models = [
                ModelInfo(m.id, getattr(m, 'display_name', None)) async for m in self.client.models.list()
            ]
        except Exception as exc:
            raise self.map_error(exc) from None
        return sorted(models, key=lambda m: m.id)

    async def aclose(self) -> None:
        await self.client.close()


def _anthropic_input_tokens(usage: Any) -> int | None:
    """Input tokens including prompt-cache reads and writes (all of them are billed)."""
    parts = [
        getattr(usage, name, None)
        for name in ('input_tokens', 'cache_creation_input_tokens', 'cache_read_input_tokens')
    ]
    if all(p is None for p in parts):
        return None
    return sum(p or 0 for p in parts)


# --------------------------------------------------------------------------- errors


_CONTEXT_HINTS = (
    'context length',
    'context_length',
    'context window',
    'maximum context',
    'prompt is too long',
    'too many tokens',
    'reduce the length',
    'input is too long',
    'exceeds the context',
)


def _error_details(exc: BaseException) -> tuple[str, str, str]:
    """(type, code, message) from an SDK error's body, whichever provider shaped it."""
    body = getattr(exc, 'body', None)
    err = body.get('error', body) if isinstance(body, Mapping) else None
    if isinstance(err, Mapping):
        return (
            str(err.get('type') or ''),
            str(err.get('code') or ''),
            str(err.get('message') or getattr(exc, 'message', '') or ''),
        )
    if isinstance(err, str):
        return '', '', err
    return '', '', str(getattr(exc, 'message', '') or '')


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds to wait, from ``retry-after-ms`` / ``retry-after`` (seconds or an HTTP date)."""
    if not headers:
        return None
    raw_ms = headers.get('retry-after-ms')
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = headers.get('retry-after')
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _seconds(value: float) -> str:
    n = max(1, round(value))
    return f'{n} second' if n == 1 else f'{n} seconds'


def map_error(
    exc: BaseException, config: ProviderConfig, model: str | None = None, *, mid_stream: bool = False
) -> LlmError:
    """Turn whatever the SDK or HTTP layer raised into one of our errors, with one clear sentence.

    ``mid_stream``: the reply had started, so a broken connection means "dropped", not "unreachable".
    """
    name = config.label
    where = f' at {config.base_url}' if config.base_url else ''
    status = getattr(exc, 'status_code', None)
    err_type, code, detail = _error_details(exc)
    detail = redact(detail.strip(), config.api_key)
    lowered = f'{err_type} {code} {detail}'.lower()

    connection_errors = _loaded('APIConnectionError')
    if isinstance(exc, (TimeoutError, *_loaded('APITimeoutError'), *_loaded('TimeoutException'))):
        return ProviderTimeout(
            f'{name} did not answer within {_seconds(config.timeout)}; try again, or pick a faster model.'
        )
    if isinstance(exc, _loaded('TransportError')) or (mid_stream and isinstance(exc, connection_errors)):
        return ConnectionLost(f'The connection to {name} dropped before the reply finished.')
    if isinstance(exc, connection_errors):
        return ProviderUnreachable(
            f'Could not reach {name}{where}: check the network connection, the base URL, '
            'or that the local model server is running.'
        )

    if status == 401 or err_type == 'authentication_error':
        return AuthenticationFailed(
            f'{name} rejected the API key (401): check the key in Settings → Providers.', status_code=401
        )
    if status == 403 or err_type == 'permission_error':
        return AuthenticationFailed(
            f'{name} refused the request (403): this API key may not use {model or "that model"}.',
            status_code=403,
        )
    if status == 429 or err_type == 'rate_limit_error':
        if code == 'insufficient_quota' or 'quota' in lowered or 'billing' in lowered:
            return QuotaExceeded(
                f'{name} says the account is out of credit or quota (429): check your billing settings.',
                status_code=429,
            )
        response = getattr(exc, 'response', None)
        retry_after = parse_retry_after(getattr(response, 'headers', None))
        when = f'try again in {_seconds(retry_after)}' if retry_after is not None else 'try again in a moment'
        return RateLimited(f'{name} is rate limiting requests (429); {when}.', retry_after=retry_after)
    if any(hint in lowered for hint in _CONTEXT_HINTS) or status == 413:
        return ContextTooLong(
            f'The conversation is too long for {model or "this model"}: start a new chat, '
            'branch from an earlier message, or pick a model with a larger context window.',
            status_code=status,
        )
    if status == 404 or err_type == 'not_found_error' or code == 'model_not_found':
        return UnknownModel(
            f'{name} does not know the model {model!r} (404): check the model name and the base URL.'
            if model
            else f'{name} answered "not found" (404): check the base URL{where}.',
            status_code=404,
        )
    if (status is not None and status >= 500) or err_type in ('overloaded_error', 'api_error'):
        return ProviderUnavailable(
            f'{name} had a server problem ({status or err_type}); try again in a moment.', status_code=status
        )
    if isinstance(exc, _loaded('APIError')):
        text = detail or 'no details given'
        label = f' ({status})' if status else ''
        return InvalidRequest(f'{name} refused the request{label}: {text}', status_code=status)
    return LlmError(f'Talking to {name} failed: {redact(str(exc), config.api_key) or type(exc).__name__}.')
