"""The provider interface against the fake server, through the real openai and anthropic SDKs."""

from __future__ import annotations

import asyncio
import socket

import pytest

from app.llm import errors
from app.llm.providers import (
    ChatMessage,
    GenerationParams,
    ProviderConfig,
    StreamEnd,
    TextDelta,
    anthropic_messages,
    make_provider,
    parse_retry_after,
)
from tests.waits import until

from .fake_llm_server import DEFAULT_REPLY, FakeLLMServer, Script, count_tokens, tokenize

KEY = 'sk-test-provider-key-123456'
KINDS = ['openai', 'anthropic']


def config(server: FakeLLMServer, kind: str, **overrides) -> ProviderConfig:
    url = server.openai_url if kind == 'openai' else server.anthropic_url
    values = {
        'kind': kind,
        'name': kind.title(),
        'base_url': url,
        'api_key': KEY,
        'max_retries': 0,
        'timeout': 5,
    }
    values.update(overrides)
    return ProviderConfig(**values)


async def collect(server: FakeLLMServer, kind: str, messages=None, params=None, **overrides):
    deltas: list[str] = []
    end = None
    async with make_provider(config(server, kind, **overrides)) as provider:
        async for event in provider.stream(
            messages or [ChatMessage('user', 'Say hello')], 'fake-chat', params
        ):
            if isinstance(event, TextDelta):
                assert end is None, 'no text after the end event'
                deltas.append(event.text)
            else:
                end = event
    return deltas, end


@pytest.mark.parametrize('kind', KINDS)
async def test_streams_text_deltas_and_ends_with_usage(fake_llm: FakeLLMServer, kind: str) -> None:
    deltas, end = await collect(fake_llm, kind, [ChatMessage('user', 'one two three')])
    assert deltas == tokenize(DEFAULT_REPLY)
    assert ''.join(deltas) == DEFAULT_REPLY
    assert isinstance(end, StreamEnd)
    assert end.input_tokens == 3
    assert end.output_tokens == count_tokens(DEFAULT_REPLY)
    assert end.stop_reason == ('stop' if kind == 'openai' else 'end_turn')
    assert end.model == 'fake-chat'


@pytest.mark.parametrize('kind', KINDS)
async def test_parameters_and_system_prompt_reach_the_wire(fake_llm: FakeLLMServer, kind: str) -> None:
    params = GenerationParams(
        system='You are terse.', temperature=0.3, max_tokens=77, top_p=0.9, extra={'seed': 5}
    )
    await collect(fake_llm, kind, [ChatMessage('user', 'Hi')], params)
    req = fake_llm.chat_requests()[-1]
    body = req.body
    assert req.api_key == KEY
    assert body['stream'] is True
    assert body['temperature'] == 0.3 and body['top_p'] == 0.9 and body['seed'] == 5
    if kind == 'openai':
        assert req.path == '/v1/chat/completions'
        assert body['stream_options'] == {'include_usage': True}
        assert body['messages'][0] == {'role': 'system', 'content': 'You are terse.'}
        assert body['max_completion_tokens'] == 77
    else:
        assert req.path == '/v1/messages'
        assert body['system'] == 'You are terse.'
        assert body['max_tokens'] == 77
        assert body['messages'] == [{'role': 'user', 'content': 'Hi'}]


async def test_openai_compatible_servers_get_max_tokens(fake_llm: FakeLLMServer) -> None:
    async with make_provider(
        ProviderConfig(kind='openai_compatible', base_url=fake_llm.openai_url, max_retries=0)
    ) as provider:
        async for _ in provider.stream(
            [ChatMessage('user', 'Hi')], 'llama3', GenerationParams(max_tokens=12)
        ):
            pass
    req = fake_llm.chat_requests()[-1]
    assert req.body['max_tokens'] == 12
    assert 'max_completion_tokens' not in req.body
    assert req.api_key == 'not-needed'  # local servers need no key; the SDK insists on one


@pytest.mark.parametrize('kind', KINDS)
@pytest.mark.parametrize(
    ('script', 'error_type', 'words'),
    [
        (Script(error='unauthorized'), errors.AuthenticationFailed, '401'),
        (Script(error='forbidden'), errors.AuthenticationFailed, '403'),
        (Script(error='context'), errors.ContextTooLong, 'too long'),
        (Script(error='unknown_model'), errors.UnknownModel, "'fake-chat'"),
        (Script(error='server'), errors.ProviderUnavailable, 'server problem'),
        (Script(error='overloaded'), errors.ProviderUnavailable, 'server problem'),
    ],
)
async def test_errors_become_one_clear_sentence(
    fake_llm: FakeLLMServer, kind: str, script: Script, error_type: type, words: str
) -> None:
    fake_llm.enqueue(script)
    with pytest.raises(error_type) as info:
        await collect(fake_llm, kind)
    message = str(info.value)
    assert words in message
    assert message.count('. ') == 0 and message.endswith('.'), message  # one sentence
    assert KEY not in message and 'Traceback' not in message
    assert (
        info.value.__cause__ is None and info.value.__suppress_context__
    )  # the SDK error (with headers) is not chained


@pytest.mark.parametrize('kind', KINDS)
async def test_rate_limit_carries_retry_after(fake_llm: FakeLLMServer, kind: str) -> None:
    fake_llm.enqueue(Script(error='rate_limit', retry_after='7'))
    with pytest.raises(errors.RateLimited) as info:
        await collect(fake_llm, kind)
    assert info.value.retry_after == 7.0
    assert info.value.retryable
    assert 'try again in 7 seconds' in str(info.value)


async def test_openai_quota_429_is_not_a_wait_and_retry(fake_llm: FakeLLMServer) -> None:
    fake_llm.enqueue(Script(error='quota'))
    with pytest.raises(errors.QuotaExceeded, match='out of credit'):
        await collect(fake_llm, 'openai')


@pytest.mark.parametrize('kind', KINDS)
async def test_a_cut_connection_mid_stream_is_connection_lost_after_partial_text(
    fake_llm: FakeLLMServer, kind: str
) -> None:
    fake_llm.enqueue(Script(disconnect_after=4))
    received: list[str] = []
    with pytest.raises(errors.ConnectionLost, match='dropped before the reply finished'):
        async with make_provider(config(fake_llm, kind)) as provider:
            async for event in provider.stream([ChatMessage('user', 'Hi')], 'fake-chat'):
                if isinstance(event, TextDelta):
                    received.append(event.text)
    assert ''.join(received) == ''.join(tokenize(DEFAULT_REPLY)[:4])
    assert fake_llm.server_disconnects == 1


@pytest.mark.parametrize('kind', KINDS)
async def test_a_silent_server_times_out(fake_llm: FakeLLMServer, kind: str) -> None:
    fake_llm.enqueue(Script(first_byte_delay=1.5))
    with pytest.raises(errors.ProviderTimeout, match='did not answer within 1 second'):
        await collect(fake_llm, kind, timeout=0.4)


@pytest.mark.parametrize('kind', KINDS)
async def test_nothing_listening_is_unreachable(kind: str) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
    url = f'http://127.0.0.1:{port}' + ('/v1' if kind == 'openai' else '')
    cfg = ProviderConfig(kind=kind, name='Local box', base_url=url, api_key=KEY, max_retries=0, timeout=2)
    with pytest.raises(errors.ProviderUnreachable, match=f'Could not reach Local box at {url}'):
        async with make_provider(cfg) as provider:
            async for _ in provider.stream([ChatMessage('user', 'Hi')], 'fake-chat'):
                pass


@pytest.mark.parametrize('kind', KINDS)
async def test_closing_the_stream_early_tells_the_server(fake_llm: FakeLLMServer, kind: str) -> None:
    fake_llm.enqueue(Script(text=' '.join(['word'] * 200), delay=0.02))
    async with make_provider(config(fake_llm, kind)) as provider:
        stream = provider.stream([ChatMessage('user', 'Hi')], 'fake-chat')
        got = 0
        async for event in stream:
            got += isinstance(event, TextDelta)
            if got == 3:
                break
        await stream.aclose()
    await until(lambda: fake_llm.client_disconnects, what='the provider being told to stop')
    assert fake_llm.client_disconnects == 1


@pytest.mark.parametrize('kind', KINDS)
async def test_two_streams_at_once_on_one_provider(fake_llm: FakeLLMServer, kind: str) -> None:
    fake_llm.enqueue(Script(text='alpha ' * 15, delay=0.03), Script(text='beta ' * 15, delay=0.03))
    async with make_provider(config(fake_llm, kind)) as provider:

        async def run() -> str:
            text = ''
            async for event in provider.stream([ChatMessage('user', 'Hi')], 'fake-chat'):
                if isinstance(event, TextDelta):
                    text += event.text
            return text

        a, b = await asyncio.gather(run(), run())
    assert sorted([a.split(), b.split()]) == [['alpha'] * 15, ['beta'] * 15]
    assert fake_llm.max_active_streams == 2


@pytest.mark.parametrize('kind', KINDS)
async def test_list_models(fake_llm: FakeLLMServer, kind: str) -> None:
    async with make_provider(config(fake_llm, kind)) as provider:
        models = await provider.list_models()
    assert [m.id for m in models] == sorted(fake_llm.models)


@pytest.mark.parametrize('kind', KINDS)
async def test_list_models_with_a_wrong_key(fake_llm: FakeLLMServer, kind: str) -> None:
    fake_llm.valid_keys = {'sk-the-right-one-0000'}
    with pytest.raises(errors.AuthenticationFailed):
        async with make_provider(config(fake_llm, kind)) as provider:
            await provider.list_models()


def test_anthropic_shape_merges_what_the_api_would_refuse() -> None:
    system, turns = anthropic_messages(
        [
            ChatMessage('assistant', 'Earlier answer'),
            ChatMessage('system', 'Be kind'),
            ChatMessage('user', 'Q1'),
            ChatMessage('user', 'Q1 again'),
            ChatMessage('assistant', ''),
            ChatMessage('tool', 'tool output'),
        ]
    )
    assert system == ['Be kind']
    assert [t['role'] for t in turns] == ['user', 'assistant', 'user']
    assert turns[2]['content'] == 'Q1\n\nQ1 again\n\ntool output'


def test_config_repr_and_key_requirement_never_show_the_key() -> None:
    cfg = ProviderConfig(kind='openai', api_key=KEY)
    assert KEY not in repr(cfg)
    assert KEY not in repr(make_provider(cfg))
    assert cfg.needs_key
    assert not ProviderConfig(kind='openai', base_url='http://localhost:11434/v1').needs_key
    assert not ProviderConfig(kind='openai_compatible').needs_key
    assert ProviderConfig(kind='anthropic', base_url='https://api.anthropic.com').needs_key


def test_retry_after_forms() -> None:
    assert parse_retry_after({'retry-after': '12'}) == 12.0
    assert parse_retry_after({'retry-after-ms': '1500', 'retry-after': '9'}) == 1.5
    assert parse_retry_after({}) is None
    assert 0 <= parse_retry_after({'retry-after': 'Wed, 21 Oct 2015 07:28:00 GMT'}) <= 1
    assert (
        errors.redact(f'bad key {KEY} and Bearer abc.def', KEY) == 'bad key [redacted] and Bearer [redacted]'
    )
