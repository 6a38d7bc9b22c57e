"""In-app chat end to end: the service, the real SDKs and the fake server; what lands in the database."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from app.data import agents
from app.data import conversations as convs
from app.data.db import (
    sqlite3,  # the same SQLite library as the app: two copies in one process ignore each other's locks
)
from app.data.models import Conversation, Message, Output, ProviderSetting, Source
from app.llm import errors, keys
from app.llm.providers import GenerationParams
from app.services import chat
from tests.waits import until

from .fake_llm_server import DEFAULT_REPLY, FAKE_MODEL, FAKE_PRICES, Script, count_tokens, tokenize

pytestmark = pytest.mark.usefixtures('chat_env')

REPLY_TOKENS = count_tokens(DEFAULT_REPLY)


def expected_cost(input_tokens: int, output_tokens: int) -> float:
    return round((input_tokens * FAKE_PRICES[0] + output_tokens * FAKE_PRICES[1]) / 1_000_000, 8)


def active_path(conversation_id: int) -> list[Message]:
    leaf = Conversation.get_by_id(conversation_id).active_leaf_id
    return [Message.get_by_id(i) for i in convs.path_ids(leaf)]


def sibling_count(message: Message) -> int:
    return (
        Message.select()
        .where(
            (Message.conversation == message.conversation_id)
            & (Message.parent.is_null() if message.parent_id is None else Message.parent == message.parent_id)
        )
        .count()
    )


@pytest.mark.parametrize('kind', ['openai', 'anthropic'])
async def test_a_reply_streams_and_lands_like_a_capture(chat_env: dict[str, Any], kind: str) -> None:
    model = chat_env[f'{kind}_model']
    reply = await chat.send_message('Tell me about WAL mode', model=model)
    # The user's message and the (still empty) reply are stored before any text arrives.
    user = Message.get_by_id(reply.user_message_id)
    assert (user.role, user.content) == ('user', 'Tell me about WAL mode')
    pieces = [piece async for piece in reply.deltas()]
    result = await reply.wait()

    assert ''.join(pieces) == DEFAULT_REPLY == result.text
    assert result.status == 'complete' and result.error is None
    assert (result.input_tokens, result.output_tokens) == (5, REPLY_TOKENS)
    assert result.cost == pytest.approx(expected_cost(5, REPLY_TOKENS))

    msg = Message.get_by_id(result.message_id)
    assert msg.role == 'assistant' and msg.parent_id == user.id
    assert msg.content == DEFAULT_REPLY and msg.status == 'complete'
    assert msg.finish_reason == ('stop' if kind == 'openai' else 'end_turn')
    assert (msg.input_tokens, msg.output_tokens) == (5, REPLY_TOKENS)
    assert msg.cost == pytest.approx(result.cost)
    assert msg.model_id == model.id
    conv = Conversation.get_by_id(result.conversation_id)
    assert conv.title == 'Tell me about WAL mode'
    assert conv.source.kind == 'chat'
    assert conv.active_leaf_id == msg.id and conv.model_id == model.id
    assert chat.running_replies() == []


async def test_multi_turn_sends_the_whole_active_path(chat_env: dict[str, Any]) -> None:
    server = chat_env['server']
    first = await (await chat.send_message('First question', model=chat_env['openai_model'])).wait()
    server.enqueue(Script(text='Second answer.'))
    second = await (await chat.send_message('And a follow-up', conversation_id=first.conversation_id)).wait()
    assert second.text == 'Second answer.'
    sent = server.chat_requests()[-1].body['messages']
    assert sent == [
        {'role': 'user', 'content': 'First question'},
        {'role': 'assistant', 'content': DEFAULT_REPLY},
        {'role': 'user', 'content': 'And a follow-up'},
    ]
    path = [m.content for m in active_path(first.conversation_id)]
    assert path == ['First question', DEFAULT_REPLY, 'And a follow-up', 'Second answer.']


async def test_stop_keeps_what_arrived_marked_incomplete(chat_env: dict[str, Any]) -> None:
    server = chat_env['server']
    server.enqueue(Script(text=' '.join(f'w{i}' for i in range(200)), delay=0.02))
    reply = await chat.send_message('Write a lot', model=chat_env['anthropic_model'])
    seen: list[str] = []
    async for piece in reply.deltas():
        seen.append(piece)
        if len(seen) == 5:
            assert chat.stop(reply.message_id)
    result = await reply.wait()
    assert result.status == 'incomplete' and result.finish_reason == chat.CANCELLED
    assert result.error is None
    assert result.text.startswith('w0 w1 w2 w3 w4') and len(result.text.split()) < 200
    msg = Message.get_by_id(reply.message_id)
    assert (msg.content, msg.status, msg.finish_reason) == (result.text, 'incomplete', 'cancelled')
    await until(lambda: server.client_disconnects == 1)  # the provider was told to stop generating
    assert not chat.stop(reply.message_id)  # already stopped


async def test_stop_before_the_first_byte(chat_env: dict[str, Any]) -> None:
    chat_env['server'].enqueue(Script(first_byte_delay=0.5))
    reply = await chat.send_message('Hi', model=chat_env['openai_model'])
    reply.cancel()
    result = await reply.wait()
    assert result.status == 'incomplete' and result.text == ''
    assert Message.get_by_id(reply.message_id).status == 'incomplete'


@pytest.mark.parametrize('kind', ['openai', 'anthropic'])
async def test_a_dropped_connection_keeps_the_partial_reply(chat_env: dict[str, Any], kind: str) -> None:
    chat_env['server'].enqueue(Script(disconnect_after=6))
    reply = await chat.send_message('Go', model=chat_env[f'{kind}_model'])
    result = await reply.wait()
    partial = ''.join(tokenize(DEFAULT_REPLY)[:6])
    assert result.text == partial
    assert result.status == 'incomplete' and result.finish_reason == chat.ERROR
    assert isinstance(result.error, errors.ConnectionLost)
    assert (
        result.error_message
        == f'The connection to {kind.title() if kind == "anthropic" else "OpenAI"} dropped before the reply finished.'
    )
    msg = Message.get_by_id(result.message_id)
    assert (msg.content, msg.status) == (partial, 'incomplete')
    assert msg.raw == {'error': result.error_message, 'error_type': 'ConnectionLost'}
    assert Message.get_by_id(result.user_message_id).content == 'Go'


async def test_wrong_key_is_an_error_reply_with_one_sentence(chat_env: dict[str, Any]) -> None:
    chat_env['server'].valid_keys = {'sk-some-other-key-0000'}
    reply = await chat.send_message('Hello?', model=chat_env['openai_model'])
    result = await reply.wait()
    assert result.status == 'error' and result.text == ''
    assert result.error_message == 'OpenAI rejected the API key (401): check the key in Settings → Providers.'
    assert Message.get_by_id(result.message_id).status == 'error'
    assert Message.get_by_id(result.user_message_id).content == 'Hello?'  # nothing the user typed is lost


async def test_rate_limit_reports_when_to_retry(chat_env: dict[str, Any]) -> None:
    chat_env['server'].enqueue(Script(error='rate_limit', retry_after='30'))
    result = await (await chat.send_message('Hi', model=chat_env['anthropic_model'])).wait()
    assert isinstance(result.error, errors.RateLimited)
    assert result.retry_after == 30.0
    assert 'try again in 30 seconds' in result.error_message


async def test_two_chats_stream_at_once(chat_env: dict[str, Any]) -> None:
    server = chat_env['server']
    server.enqueue(Script(text='alpha ' * 20, delay=0.03), Script(text='beta ' * 20, delay=0.03))
    a = await chat.send_message('first', model=chat_env['openai_model'])
    b = await chat.send_message('second', model=chat_env['anthropic_model'])
    assert {r.message_id for r in chat.running_replies()} == {a.message_id, b.message_id}
    ra, rb = await asyncio.gather(a.wait(), b.wait())
    assert server.max_active_streams == 2
    assert ra.conversation_id != rb.conversation_id
    texts = sorted(
        [Message.get_by_id(ra.message_id).content.split(), Message.get_by_id(rb.message_id).content.split()]
    )
    assert texts == [['alpha'] * 20, ['beta'] * 20]


async def test_streaming_text_is_saved_throttled_not_per_token(
    chat_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chat.replies, 'FLUSH_INTERVAL', 0.2)
    writes: list[int] = []
    real_update = convs.update_message

    def counting_update(message_id: int, **fields: Any) -> None:
        writes.append(len(fields.get('content', '')))
        real_update(message_id, **fields)

    monkeypatch.setattr(convs, 'update_message', counting_update)
    chat_env['server'].enqueue(Script(text='tok ' * 60, delay=0.02))  # ~1.2 s, 60 tokens
    reply = await chat.send_message('stream slowly', model=chat_env['openai_model'])
    mid_stream: list[tuple[bool, str]] = []

    def stored() -> str:
        return Message.get_by_id(reply.message_id).content

    async def peek() -> None:  # the first flush, while the reply is still streaming
        await until(lambda: reply.done or 'tok' in stored(), what='a flush mid-stream')
        mid_stream.append((reply.done, stored()))

    await asyncio.gather(peek(), reply.wait())
    assert 2 <= len(writes) <= 10, writes  # a handful of flushes + the final write, not 60
    done_then, text_then = mid_stream[0]
    assert not done_then and 'tok' in text_then  # partial text was safe in the database mid-stream
    assert text_then != 'tok ' * 59 + 'tok'
    assert Message.get_by_id(reply.message_id).content == 'tok ' * 59 + 'tok'


async def test_a_locked_database_never_stalls_the_event_loop(
    chat_env: dict[str, Any], db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chat.replies, 'FLUSH_INTERVAL', 0.05)
    chat_env['server'].enqueue(Script(text='x ' * 40, delay=0.02))
    reply = await chat.send_message('go', model=chat_env['openai_model'])
    locked = threading.Event()

    def hold_write_lock() -> None:  # another writer (an import, a phone) holding the lock for a while
        con = sqlite3.connect(db_path, timeout=10)
        con.execute('BEGIN IMMEDIATE')
        locked.set()
        time.sleep(1.0)
        con.rollback()
        con.close()

    holder = threading.Thread(target=hold_write_lock)
    holder.start()
    await asyncio.to_thread(locked.wait)
    worst = 0.0
    last = time.monotonic()
    while not reply.done:
        await asyncio.sleep(0.01)
        now = time.monotonic()
        worst, last = max(worst, now - last), now
    holder.join()
    result = await reply.wait()
    assert worst < 0.6, f'the event loop stalled for {worst:.2f} s'  # the lock is held 1 s
    assert result.status == 'complete' and Message.get_by_id(result.message_id).content == result.text


async def test_regenerate_makes_a_sibling_branch(chat_env: dict[str, Any]) -> None:
    first = await (await chat.send_message('Pick a name', model=chat_env['openai_model'])).wait()
    chat_env['server'].enqueue(Script(text='Another name.'))
    again = await (await chat.regenerate(first.message_id)).wait()
    new = Message.get_by_id(again.message_id)
    assert new.parent_id == first.user_message_id and new.content == 'Another name.'
    assert new.model_id == chat_env['openai_model'].id  # the original reply's model by default
    path = active_path(first.conversation_id)
    assert path[-1].id == new.id and sibling_count(new) == 2
    assert Message.get_by_id(first.message_id).content == DEFAULT_REPLY  # the old branch is kept
    # the regenerated call saw the question, not the old answer
    assert chat_env['server'].chat_requests()[-1].body['messages'] == [
        {'role': 'user', 'content': 'Pick a name'}
    ]


async def test_regenerate_with_another_model(chat_env: dict[str, Any]) -> None:
    first = await (await chat.send_message('Hi', model=chat_env['openai_model'])).wait()
    again = await (await chat.regenerate(first.message_id, model=chat_env['anthropic_model'])).wait()
    assert Message.get_by_id(again.message_id).model_id == chat_env['anthropic_model'].id
    assert chat_env['server'].chat_requests()[-1].protocol == 'anthropic'


async def test_editing_a_user_message_branches(chat_env: dict[str, Any]) -> None:
    server = chat_env['server']
    first = await (await chat.send_message('Waht is SQLite?', model=chat_env['openai_model'])).wait()
    second = await (await chat.send_message('More', conversation_id=first.conversation_id)).wait()
    server.enqueue(Script(text='SQLite is a library.'))
    edited = await (await chat.edit_user_message(first.user_message_id, 'What is SQLite?')).wait()
    new_user = Message.get_by_id(edited.user_message_id)
    assert new_user.parent_id is None and new_user.content == 'What is SQLite?'
    assert Message.get_by_id(first.user_message_id).content == 'Waht is SQLite?'  # original kept
    path = active_path(first.conversation_id)
    assert [m.content for m in path] == ['What is SQLite?', 'SQLite is a library.']
    assert sibling_count(path[0]) == 2
    assert server.chat_requests()[-1].body['messages'] == [{'role': 'user', 'content': 'What is SQLite?'}]
    assert Message.get_by_id(second.message_id).content == DEFAULT_REPLY


async def test_continue_an_imported_conversation_with_any_model(chat_env: dict[str, Any]) -> None:
    source = Source.get(Source.kind == 'chatgpt')
    conv = convs.create_conversation('Imported', source=source, external_id='abc')
    convs.add_message(conv, 'system', 'You are ChatGPT.', hidden=True)
    convs.add_message(conv, 'user', 'Old question')
    convs.add_message(conv, 'tool', 'search results', hidden=True)
    convs.add_message(conv, 'assistant', 'Old answer')
    result = await (
        await chat.send_message('New question', conversation_id=conv.id, model=chat_env['anthropic_model'])
    ).wait()
    assert result.status == 'complete'
    body = chat_env['server'].chat_requests()[-1].body
    assert body['messages'] == [
        {'role': 'user', 'content': 'Old question'},
        {'role': 'assistant', 'content': 'Old answer'},
        {'role': 'user', 'content': 'New question'},
    ]
    assert Conversation.get_by_id(conv.id).source_id == source.id  # still an imported conversation


async def test_reply_to_an_unanswered_question(chat_env: dict[str, Any]) -> None:
    conv = convs.create_conversation('Imported, ends with a question')
    question = convs.add_message(conv, 'user', 'Unanswered?')
    result = await (await chat.reply_to(question.id, model=chat_env['openai_model'])).wait()
    assert Message.get_by_id(result.message_id).parent_id == question.id
    assert result.text == DEFAULT_REPLY


async def test_an_agent_version_supplies_system_prompt_model_and_parameters(chat_env: dict[str, Any]) -> None:
    agent = agents.create_agent(
        'Terse editor',
        'Answer in one line.',
        model=chat_env['anthropic_model'].id,
        temperature=0.2,
        max_tokens=300,
        params={'top_k': 5},
    )
    result = await (await chat.send_message('Fix this', agent=agent.id)).wait()
    body = chat_env['server'].chat_requests()[-1].body
    assert body['model'] == FAKE_MODEL and body['system'] == 'Answer in one line.'
    assert body['temperature'] == 0.2 and body['max_tokens'] == 300 and body['top_k'] == 5
    msg = Message.get_by_id(result.message_id)
    assert msg.agent_version_id == agent.current_version_id
    # explicit parameters win over the agent's; a continued conversation keeps its agent
    await (
        await chat.send_message(
            'Again', conversation_id=result.conversation_id, params=GenerationParams(temperature=0.9)
        )
    ).wait()
    body = chat_env['server'].chat_requests()[-1].body
    assert body['temperature'] == 0.9 and body['system'] == 'Answer in one line.'


async def test_spending_cap_refuses_before_anything_is_stored(chat_env: dict[str, Any]) -> None:
    openai = chat_env['openai']
    ProviderSetting.update(monthly_cap=0.5).where(ProviderSetting.provider == openai.id).execute()
    conv = convs.create_conversation('Spent')
    convs.add_message(conv, 'assistant', 'expensive', model=chat_env['openai_model'], cost=0.6)
    convs.add_message(
        conv,
        'assistant',
        'last month',
        model=chat_env['anthropic_model'],
        cost=99.0,
        created_at=datetime(2000, 1, 1),
    )
    before = Message.select().count()
    with pytest.raises(
        errors.SpendingCapReached, match=r'OpenAI has reached its monthly spending cap \(\$0\.60 of \$0\.50'
    ):
        await chat.send_message('One more?', model=chat_env['openai_model'])
    assert Message.select().count() == before
    assert chat_env['server'].chat_requests() == []
    # another provider is not affected
    result = await (await chat.send_message('Fine here', model=chat_env['anthropic_model'])).wait()
    assert result.status == 'complete'


async def test_recorded_costs_feed_the_cap(chat_env: dict[str, Any]) -> None:
    anthropic = chat_env['anthropic']
    cost_one = expected_cost(1, REPLY_TOKENS)
    ProviderSetting.update(monthly_cap=cost_one * 1.5).where(
        ProviderSetting.provider == anthropic.id
    ).execute()
    first = await (await chat.send_message('Hi', model=chat_env['anthropic_model'])).wait()
    assert first.cost == pytest.approx(cost_one)
    second = await (
        await chat.send_message('Hi', model=chat_env['anthropic_model'])
    ).wait()  # starts under the cap
    assert second.status == 'complete'
    with pytest.raises(errors.SpendingCapReached):  # now past it
        await chat.send_message('Hi', model=chat_env['anthropic_model'])


async def test_missing_key_is_refused_with_a_hint(chat_env: dict[str, Any]) -> None:
    keys.clear_provider_key(chat_env['openai'])
    ProviderSetting.update(base_url=None).where(ProviderSetting.provider == chat_env['openai'].id).execute()
    with pytest.raises(errors.MissingKey, match='add one in Settings → Providers or set OPENAI_API_KEY'):
        await chat.send_message('Hi', model='gpt-4o', provider='openai')


async def test_environment_key_is_used(chat_env: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    keys.clear_provider_key(chat_env['anthropic'])
    monkeypatch.setenv('ANTHROPIC_API_KEY', 'sk-ant-from-the-environment-1')
    await (await chat.send_message('Hi', model=chat_env['anthropic_model'])).wait()
    assert chat_env['server'].chat_requests()[-1].api_key == 'sk-ant-from-the-environment-1'


async def test_a_local_endpoint_needs_no_key(chat_env: dict[str, Any]) -> None:
    server = chat_env['server']
    result = await (
        await chat.send_message('Hi local', provider='Local', model='llama3.1:8b', base_url=server.openai_url)
    ).wait()
    assert result.status == 'complete'
    assert result.cost == 0.0  # local models are priced at zero
    assert server.chat_requests()[-1].body['model'] == 'llama3.1:8b'


async def test_save_reply_as_output(chat_env: dict[str, Any]) -> None:
    result = await (await chat.send_message('Summarise WAL', model=chat_env['openai_model'])).wait()
    output = await asyncio.to_thread(chat.save_reply_as_output, result.message_id)
    assert output.body == DEFAULT_REPLY
    assert output.model_id == chat_env['openai_model'].id
    assert (output.conversation_id, output.message_id) == (result.conversation_id, result.message_id)
    assert (output.input_tokens, output.output_tokens, output.cost) == (
        result.input_tokens,
        result.output_tokens,
        pytest.approx(result.cost),
    )
    assert output.source.name == 'In-app chat'
    assert output.prompt_version.body == 'Summarise WAL'
    assert chat.save_reply_as_output(result.message_id).id == output.id  # saving twice makes no duplicate
    with pytest.raises(errors.UserError, match='Only a model reply'):
        chat.save_reply_as_output(result.user_message_id)


async def test_auto_save_every_reply(chat_env: dict[str, Any]) -> None:
    assert not chat.auto_save_enabled()
    chat.set_auto_save(True)
    agent = agents.create_agent('Helper', 'Be helpful.', model=chat_env['openai_model'].id)
    result = await (await chat.send_message('Hello', agent=agent.id)).wait()
    assert result.output_id is not None
    output = Output.get_by_id(result.output_id)
    assert output.message_id == result.message_id
    assert output.agent_version_id == agent.current_version_id
    chat_env['server'].enqueue(Script(disconnect_after=2))
    failed = await (await chat.send_message('Again', conversation_id=result.conversation_id)).wait()
    assert failed.output_id is None  # an incomplete reply is not saved automatically
    assert Output.select().count() == 1


async def test_a_late_listener_gets_the_text_so_far_then_the_rest(chat_env: dict[str, Any]) -> None:
    chat_env['server'].enqueue(Script(text='one two three four five six seven eight', delay=0.05))
    reply = await chat.send_message('count', model=chat_env['openai_model'])
    called: list[str] = []
    reply.add_listener(called.append)
    await until(lambda: len(reply.text.split()) >= 3)
    late = [piece async for piece in reply.deltas()]  # like a page reloaded mid-stream
    assert ''.join(late) == 'one two three four five six seven eight'
    assert ''.join(called) == 'one two three four five six seven eight'
    assert ''.join([p async for p in reply.deltas()]) == reply.text  # after the end: the whole text at once


async def test_empty_message_and_trashed_conversation_are_refused(chat_env: dict[str, Any]) -> None:
    with pytest.raises(errors.UserError, match='Type a message first'):
        await chat.send_message('   ', model=chat_env['openai_model'])
    conv = convs.create_conversation('gone')
    Conversation.update(deleted_at=datetime(2026, 1, 1)).where(Conversation.id == conv.id).execute()
    with pytest.raises(errors.UserError, match='in the trash'):
        await chat.send_message('hi', conversation_id=conv.id, model=chat_env['openai_model'])


async def test_check_connection_and_model_list(chat_env: dict[str, Any]) -> None:
    assert await chat.check_connection('openai') == 'Connected to OpenAI: 3 models available.'
    models = await chat.list_provider_models('anthropic')
    assert [m.id for m in models] == ['fake-chat', 'fake-large', 'slow-model']
    chat_env['server'].valid_keys = {'sk-not-ours-000000'}
    with pytest.raises(errors.AuthenticationFailed):
        await chat.check_connection('anthropic')


async def test_a_planted_key_never_reaches_the_database_or_the_logs(
    chat_env: dict[str, Any], db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    planted = 'sk-PLANTED-' + 'q7Zx' * 8
    keys.save_provider_key(chat_env['openai'], planted)
    keys.save_provider_key(chat_env['anthropic'], planted)
    server = chat_env['server']
    caplog.set_level(logging.DEBUG)  # everything, the SDKs' and httpx's debug logs included
    for name in ('openai', 'anthropic', 'httpx', 'httpx2', 'httpcore', 'app'):
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        ok = await (await chat.send_message('Hello', model=chat_env['openai_model'])).wait()
        await (await chat.send_message('Hello', model=chat_env['anthropic_model'])).wait()
        server.valid_keys = {'sk-a-different-key-0000'}
        bad = await (await chat.send_message('Hello', model=chat_env['openai_model'])).wait()
        server.valid_keys = None
        server.enqueue(Script(disconnect_after=2))
        await (await chat.send_message('Hello', model=chat_env['anthropic_model'])).wait()
        await chat.check_connection('openai')
    finally:
        for name in ('openai', 'anthropic', 'httpx', 'httpx2', 'httpcore', 'app'):
            logging.getLogger(name).setLevel(logging.NOTSET)
    assert ok.status == 'complete' and bad.status == 'error'
    assert {r.api_key for r in server.chat_requests()} == {planted}  # the key really was used
    assert caplog.records, 'debug logging was captured'
    assert planted not in caplog.text
    assert all(planted not in str(r.args) for r in caplog.records)
    assert planted not in (bad.error_message or '')
    secret = planted.encode()
    for suffix in ('', '-wal', '-shm'):
        path = Path(str(db_path) + suffix)
        if path.exists():
            assert secret not in path.read_bytes(), f'key found in {path.name}'
    assert secret in keys.key_file_path().read_bytes()  # it lives in the key store instead


async def test_google_and_url_less_providers_never_fall_through_to_openai(chat_env: dict[str, Any]) -> None:
    from app.data.models import Provider

    with pytest.raises(errors.MissingKey, match='no API key for Google: .* or set GEMINI_API_KEY'):
        await chat.send_message('Hi', model='gemini-2.5-flash')
    Provider.create(name='My box', kind='openai_compatible', base_url=None)
    with pytest.raises(errors.UserError, match='My box has no base URL'):
        await chat.send_message('Hi', provider='My box', model='some-model')
    assert chat_env['server'].chat_requests() == []


async def test_the_exact_model_snapshot_the_provider_used_is_kept(chat_env: dict[str, Any]) -> None:
    chat_env['server'].enqueue(Script(model='fake-chat-2026-11-01'))
    result = await (await chat.send_message('Hi', model=chat_env['openai_model'])).wait()
    assert result.model == 'fake-chat-2026-11-01'
    msg = Message.get_by_id(result.message_id)
    assert msg.model_id == chat_env['openai_model'].id
    assert msg.raw == {'provider_model': 'fake-chat-2026-11-01'}
