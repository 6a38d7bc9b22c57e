"""The chat page and Settings → Providers, through NiceGUI's simulated user, against the fake model server."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from nicegui.testing import User

from app.data import conversations, prompts
from app.data import db as dbmod
from app.data.db import write_tx
from app.data.models import Conversation, Message, Output, Provider, ProviderSetting
from app.errors import UserError
from app.llm import keys
from app.services import chat
from tests.llm.fake_llm_server import FakeLLMServer, Script, point_providers_at
from tests.waits import until

# The first request imports the SDK (seconds on a small machine): wait for the model generously.
RETRIES = 200
LONG_REPLY = ' '.join(f'word{i}' for i in range(60)) + ' THE-END'


@pytest.fixture(autouse=True)
def _quick_llm(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('OUTPUTHUB_LLM_TIMEOUT', '5')


@pytest.fixture
def fake_llm() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


@pytest.fixture
def env(db_path: Path, fake_llm: FakeLLMServer) -> dict[str, Any]:
    """A database whose OpenAI and Anthropic providers talk to the fake server, with a stored key."""
    dbmod.connect(db_path)
    out = point_providers_at(fake_llm)
    out['server'] = fake_llm
    return out


def the(user: User, marker: str) -> Any:
    return next(iter(user.find(marker=marker).elements))


async def open_chat(user: User, env: dict[str, Any], path: str = '/chat') -> None:
    await user.open(path)
    await user.should_see(marker='composer-text', retries=RETRIES)
    the(user, 'model-select').set_value(env['openai_model'].id)


async def type_and_send(user: User, text: str) -> None:
    await until(lambda: the(user, 'send').enabled)  # disabled while a reply in this chat streams
    the(user, 'composer-text').set_value(text)
    user.find(marker='send').click()


def replies() -> list[Message]:
    return list(Message.select().where(Message.role == 'assistant').order_by(Message.id))


async def test_send_streams_the_reply_and_stores_it(user: User, env) -> None:
    server = env['server']
    server.enqueue(Script(text=LONG_REPLY, delay=0.03))
    await open_chat(user, env)
    await type_and_send(user, 'Explain WAL mode')
    await user.should_see('word1', retries=RETRIES)  # part of the answer is on screen while it streams
    assert not the(user, 'send').enabled
    await user.should_see(marker='stop')
    assert 'THE-END' not in (replies()[-1].content or '')
    await user.should_see('THE-END', retries=RETRIES)
    await until(lambda: not chat.running_replies())
    # the cost of the conversation in the header (the model's price under the picker has a '$' from the start)
    await until(lambda: '$' in the(user, 'conversation-usage').text, what='the cost in the header')
    reply = replies()[-1]
    await user.should_see(marker=f'usage-{reply.id}', retries=RETRIES)  # and under the reply
    assert '$' in the(user, f'usage-{reply.id}').text
    assert reply.status == 'complete' and reply.content == LONG_REPLY
    assert reply.output_tokens == 61 and reply.cost is not None and reply.cost > 0
    conv = Conversation.get_by_id(reply.conversation_id)
    assert conv.title.startswith('Explain WAL mode')
    usage = the(user, 'conversation-usage').text
    assert '61 out' in usage and '2 messages' in usage
    assert the(user, 'send').enabled
    await user.should_not_see(marker='stop')
    assert the(user, 'composer-text').value == ''


async def test_a_streaming_reply_is_re_rendered_a_few_times_a_second_not_per_token(
    user: User, env, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.components.message_view import MessageView

    renders: list[float] = []
    original = MessageView.set_text

    def counting(self: MessageView, text: str, *, force: bool = False) -> bool:
        done = original(self, text, force=force)
        if done:
            renders.append(asyncio.get_running_loop().time())
        return done

    monkeypatch.setattr(MessageView, 'set_text', counting)
    text = ' '.join(f't{i}' for i in range(150)) + ' DONE'
    env['server'].enqueue(Script(text=text, delay=0.01))  # 151 tokens in ~1.5 s
    await open_chat(user, env)
    await type_and_send(user, 'Stream many small pieces')
    await user.should_see('DONE', retries=RETRIES)
    assert 2 <= len(renders) <= 20, renders
    gaps = [b - a for a, b in zip(renders[1:], renders[2:], strict=False)]  # the first may be forced
    assert all(g >= 0.14 for g in gaps), gaps


async def test_stop_keeps_what_arrived(user: User, env) -> None:
    env['server'].enqueue(Script(text=LONG_REPLY, delay=0.1))
    await open_chat(user, env)
    await type_and_send(user, 'Write a long answer')
    await user.should_see('word2', retries=RETRIES)
    user.find(marker='stop').click()
    await user.should_see('Stopped — what arrived is kept.', retries=RETRIES)
    reply = replies()[-1]
    assert reply.status == 'incomplete' and reply.content.startswith('word0 word1')
    assert 'THE-END' not in reply.content


async def test_regenerate_makes_a_branch(user: User, env) -> None:
    env['server'].enqueue(Script(text='First answer.'), Script(text='Second answer.'))
    await open_chat(user, env)
    await type_and_send(user, 'Name a colour')
    await user.should_see('First answer.', retries=RETRIES)
    await until(lambda: not chat.running_replies())
    first = replies()[-1]
    await user.should_see(marker=f'regenerate-{first.id}', retries=RETRIES)
    user.find(marker=f'regenerate-{first.id}').click()
    await user.should_see('Second answer.', retries=RETRIES)
    await user.should_see('2 / 2', retries=RETRIES)
    await user.should_not_see('First answer.')
    second = replies()[-1]
    assert second.parent_id == first.parent_id and second.id != first.id
    await until(lambda: not chat.running_replies())
    user.find(marker='branch-prev').click()
    await user.should_see('First answer.', retries=RETRIES)
    assert conversations.get_conversation(first.conversation_id).active_leaf_id == first.id


async def test_edit_a_question_makes_a_branch(user: User, env) -> None:
    env['server'].enqueue(Script(text='About cats.'), Script(text='About dogs.'))
    await open_chat(user, env)
    await type_and_send(user, 'Tell me about cats')
    await user.should_see('About cats.', retries=RETRIES)
    await until(lambda: not chat.running_replies())
    question = Message.get(Message.content == 'Tell me about cats')
    user.find(marker=f'edit-{question.id}').click()
    await user.should_see(marker='edit-text', retries=RETRIES)
    the(user, 'edit-text').set_value('Tell me about dogs')
    user.find(marker='edit-send').click()
    await user.should_see('About dogs.', retries=RETRIES)
    edited = Message.get(Message.content == 'Tell me about dogs')
    assert edited.parent_id == question.parent_id and edited.id != question.id
    await user.should_see('2 / 2', retries=RETRIES)


async def test_error_shows_inline_with_a_retry(user: User, env) -> None:
    env['server'].enqueue(Script(error='unauthorized'), Script(text='Now it works.'))
    await open_chat(user, env)
    await type_and_send(user, 'Hello?')
    await user.should_see('rejected', retries=RETRIES)
    failed = replies()[-1]
    assert failed.status == 'error'
    await user.should_see(marker=f'reply-error-{failed.id}', retries=RETRIES)
    await user.should_not_see('Traceback')
    user.find(marker=f'retry-{failed.id}').click()
    await user.should_see('Now it works.', retries=RETRIES)
    assert replies()[-1].status == 'complete' or chat.running_replies()


async def test_a_rate_limit_says_when_to_try_again(user: User, env) -> None:
    env['server'].enqueue(Script(error='rate_limit', retry_after='7'))
    await open_chat(user, env)
    await type_and_send(user, 'Quick one')
    await user.should_see('rate limiting requests (429); try again in 7', retries=RETRIES)
    failed = replies()[-1]
    await user.should_see(marker=f'retry-{failed.id}')


async def test_answer_an_imported_conversation_that_ends_with_a_question(user: User, env) -> None:
    conv = conversations.create_conversation('Imported, unanswered')
    question = conversations.add_message(conv, 'user', 'Is this ever answered?')
    env['server'].enqueue(Script(text='Yes, now it is.'))
    await open_chat(user, env, f'/chat/{conv.id}')
    await user.should_see(marker=f'answer-{question.id}', retries=RETRIES)
    user.find(marker=f'answer-{question.id}').click()
    await user.should_see('Yes, now it is.', retries=RETRIES)
    assert replies()[-1].parent_id == question.id
    assert replies()[-1].model_id == env['openai_model'].id  # the model picked in the composer


async def test_a_reached_cap_refuses_before_storing_and_keeps_the_draft(user: User, env) -> None:
    prov = env['openai']
    with write_tx():
        ProviderSetting.update(monthly_cap=0.01).where(ProviderSetting.provider == prov.id).execute()
    conv = conversations.create_conversation('Earlier')
    conversations.add_message(conv, 'user', 'q')
    conversations.add_message(conv, 'assistant', 'a', model=env['openai_model'].id, cost=0.02)
    before = Message.select().count()
    await open_chat(user, env)
    await type_and_send(user, 'One more question')
    await user.should_see('monthly spending cap', retries=RETRIES)
    await user.should_see('Open settings', retries=RETRIES)
    assert Message.select().count() == before
    assert the(user, 'composer-text').value == 'One more question'


async def test_an_unsent_draft_survives_a_reload(user: User, env) -> None:
    env['server'].enqueue(Script(text='Got it.'))
    await open_chat(user, env)
    box = user.find(marker='composer-text')
    box.type('A long question I have not sent yet').trigger('update:modelValue')  # what typing sends
    await user.open('/chat')  # a reload, or the phone's browser coming back
    await user.should_see(marker='composer-text', retries=RETRIES)
    assert the(user, 'composer-text').value == 'A long question I have not sent yet'
    the(user, 'model-select').set_value(env['openai_model'].id)
    user.find(marker='send').click()
    await user.should_see('Got it.', retries=RETRIES)
    await user.open('/chat')
    await user.should_see(marker='composer-text', retries=RETRIES)
    assert the(user, 'composer-text').value == ''  # sent: nothing left behind


async def test_no_key_is_explained_with_a_link_to_the_settings(user: User, env) -> None:
    """A provider with no key and no address of its own is off: its models are not offered, and with no
    provider set up at all, sending says what to do and links to the settings."""
    for kind in ('openai', 'anthropic'):
        keys.clear_provider_key(env[kind])
        with write_tx():
            ProviderSetting.update(base_url=None).where(ProviderSetting.provider == env[kind].id).execute()
    await user.open('/chat')
    await user.should_see(marker='composer-text', retries=RETRIES)
    assert the(user, 'model-select').options == {}
    await type_and_send(user, 'Hi')
    await user.should_see(
        'No model provider is set up yet: add an API key or a server address in Settings → Providers.',
        retries=RETRIES,
    )
    await user.should_see('Open settings')
    assert Message.select().count() == 0


async def test_save_as_output_and_auto_save(user: User, env) -> None:
    env['server'].enqueue(Script(text='Worth keeping.'), Script(text='Kept automatically.'))
    await open_chat(user, env)
    await type_and_send(user, 'Say something')
    await user.should_see('Worth keeping.', retries=RETRIES)
    await until(lambda: not chat.running_replies())
    reply = replies()[-1]
    await user.should_see(marker=f'save-{reply.id}', retries=RETRIES)
    user.find(marker=f'save-{reply.id}').click()
    await user.should_see('Saved as an output', retries=RETRIES)
    out = Output.get(Output.message == reply.id)
    assert out.body == 'Worth keeping.' and out.conversation_id == reply.conversation_id
    await user.should_see(marker=f'output-link-{reply.id}', retries=RETRIES)
    the(user, 'auto-save').set_value(True)
    await until(lambda: chat.auto_save_enabled())
    await type_and_send(user, 'And another')
    await user.should_see('Kept automatically.', retries=RETRIES)
    await until(lambda: Output.select().count() == 2)


async def test_continue_an_imported_conversation_from_a_message(user: User, env) -> None:
    conv = conversations.create_conversation('Imported chat')
    q1 = conversations.add_message(conv, 'user', 'Old question')
    a1 = conversations.add_message(conv, 'assistant', 'Old answer')
    conversations.add_message(conv, 'user', 'Later question')
    conversations.add_message(conv, 'assistant', 'Later answer')
    env['server'].enqueue(Script(text='A fresh answer.'))
    await open_chat(user, env, f'/chat/{conv.id}?from={a1.id}')
    await user.should_see('Old answer', retries=RETRIES)
    await user.should_not_see('Later answer')
    await user.should_see('starts a new branch', retries=RETRIES)
    await type_and_send(user, 'A different follow-up')
    await user.should_see('A fresh answer.', retries=RETRIES)
    follow_up = Message.get(Message.content == 'A different follow-up')
    assert follow_up.parent_id == a1.id and follow_up.conversation_id == conv.id
    sent = env['server'].chat_requests()[-1].body['messages']
    assert [m['content'] for m in sent] == ['Old question', 'Old answer', 'A different follow-up']
    assert q1.id in conversations.path_ids(follow_up.id)


async def test_a_prompt_version_fills_the_composer_through_its_form(user: User, env) -> None:
    prompt = prompts.create_prompt('Summarise', 'Summarise {{topic}} in one line.')
    version = prompts.current_version(prompt.id)
    env['server'].enqueue(Script(text='A one-line summary.'))
    await open_chat(user, env, f'/chat?prompt_version={version.id}')
    await user.should_see(marker='var-topic', retries=RETRIES)
    the(user, 'var-topic').set_value('SQLite')
    user.find(marker='send-to-chat').click()
    await until(lambda: the(user, 'composer-text').value == 'Summarise SQLite in one line.')
    user.find(marker='send').click()
    await user.should_see('A one-line summary.', retries=RETRIES)
    sent = Message.get(Message.content == 'Summarise SQLite in one line.')
    assert sent.prompt_version_id == version.id


async def test_an_agent_answers_with_its_system_prompt_and_model(user: User, env) -> None:
    from app.data import agents

    agent = agents.create_agent('Pirate', 'Answer like a pirate.', model=env['anthropic_model'].id)
    v1 = agents.current_version(agent.id)
    agents.new_version(agent.id, system_prompt='Answer like a very polite pirate.')
    env['server'].enqueue(Script(text='Arr, hello.'), Script(text='Arr, good day to you.'))
    await open_chat(user, env)
    the(user, 'agent-select').set_value(agent.id)
    await until(lambda: the(user, 'model-select').value == env['anthropic_model'].id)
    await type_and_send(user, 'Greet me')
    await user.should_see('Arr, hello.', retries=RETRIES)
    request = env['server'].chat_requests()[-1]
    assert request.protocol == 'anthropic' and request.body['system'] == 'Answer like a very polite pirate.'
    assert replies()[-1].agent_version_id == agents.current_version(agent.id).id
    await until(lambda: not chat.running_replies())
    the(user, 'version-select').set_value(v1.id)  # an older version on purpose
    await type_and_send(user, 'Again')
    await user.should_see('Arr, good day to you.', retries=RETRIES)
    assert env['server'].chat_requests()[-1].body['system'] == 'Answer like a pirate.'
    assert replies()[-1].agent_version_id == v1.id


async def test_a_prompt_sent_from_its_page_arrives_filled_in(user: User, env) -> None:
    prompt = prompts.create_prompt('Translate', 'Translate {{text}} into French.')
    version = prompts.current_version(prompt.id)
    await open_chat(user, env, f'/chat?prompt_version={version.id}&text=Translate%20cheese%20into%20French.')
    await user.should_see('Translate · v1', retries=RETRIES)
    assert the(user, 'composer-text').value == 'Translate cheese into French.'
    await user.should_not_see(marker='var-text')  # already filled: no form


async def test_two_chats_stream_at_once(create_user: Callable[[], User], env) -> None:
    env['server'].default = Script(text=LONG_REPLY, delay=0.03)
    first, second = create_user(), create_user()
    await open_chat(first, env)
    await open_chat(second, env)
    await type_and_send(first, 'First chat')
    await type_and_send(second, 'Second chat')
    await first.should_see('word1', retries=RETRIES)
    await second.should_see('word1', retries=RETRIES)
    assert len(chat.running_replies()) == 2
    await first.should_see('THE-END', retries=RETRIES)
    await second.should_see('THE-END', retries=RETRIES)
    assert env['server'].max_active_streams == 2
    assert Conversation.select().count() == 2


async def test_a_second_tab_sees_the_reply_stream_and_cannot_send(
    create_user: Callable[[], User], env
) -> None:
    env['server'].enqueue(Script(text=LONG_REPLY, delay=0.05))
    first = create_user()
    await open_chat(first, env)
    await type_and_send(first, 'Shared question')
    await first.should_see('word1', retries=RETRIES)
    conv_id = chat.running_replies()[0].conversation_id
    second = create_user()
    await second.open(f'/chat/{conv_id}')  # a reload / another device re-attaches to the running reply
    await second.should_see('word1', retries=RETRIES)
    assert not the(second, 'send').enabled
    await second.should_see('THE-END', retries=RETRIES)
    await until(lambda: the(second, 'send').enabled)


# --------------------------------------------------------------------------- Settings → Providers


async def open_provider(user: User, provider_id: int) -> None:
    """Settings → Providers, then the provider's Edit (or Set up): its form is built when opened."""
    await user.open('/settings?tab=providers')
    await user.should_see(marker=f'edit-{provider_id}', retries=RETRIES)
    user.find(marker=f'edit-{provider_id}').click()
    await user.should_see(marker=f'key-input-{provider_id}', retries=RETRIES)


def _db_bytes(db_path: Path) -> bytes:
    data = b''
    for suffix in ('', '-wal', '-shm'):
        path = Path(str(db_path) + suffix)
        if path.exists():
            data += path.read_bytes()
    return data


async def test_key_set_and_clear_never_reach_the_database(user: User, env, db_path: Path) -> None:
    prov = env['openai']
    keys.clear_provider_key(prov)
    secret = 'sk-page-test-9f8e7d6c5b4a39281706'
    await open_provider(user, prov.id)
    the(user, f'key-input-{prov.id}').set_value(secret)
    user.find(marker=f'key-save-{prov.id}').click()
    await user.should_see('sk-…1706 (stored)', retries=RETRIES)
    assert the(user, f'key-input-{prov.id}').value == ''
    assert keys.provider_key(prov)[0] == secret
    assert secret.encode() not in _db_bytes(db_path)
    assert secret in keys.key_file_path().read_text()
    for element in user.current_layout.descendants():  # nothing on the page holds the key any more
        assert secret not in str(element._props) and secret not in str(getattr(element, 'text', ''))
    user.find(marker=f'key-clear-{prov.id}').click()
    await user.should_see(marker=f'key-display-{prov.id}', retries=RETRIES)
    await until(lambda: keys.provider_key(prov)[0] is None)
    assert secret not in keys.key_file_path().read_text()
    assert secret.encode() not in _db_bytes(db_path)


async def test_provider_settings_cap_and_spend(user: User, env) -> None:
    prov = env['openai']
    conv = conversations.create_conversation('Spend')
    conversations.add_message(conv, 'assistant', 'a', model=env['openai_model'].id, cost=1.5)
    await open_provider(user, prov.id)
    await user.should_see(marker=f'cap-{prov.id}', retries=RETRIES)
    cap = the(user, f'cap-{prov.id}')
    cap.set_value('2')
    user.find(marker=f'cap-{prov.id}').trigger('blur')  # what the browser sends when the field is left
    await user.should_see('This month: $1.50 of $2.00', retries=RETRIES)
    assert ProviderSetting.get(ProviderSetting.provider == prov.id).monthly_cap == 2.0
    cap = the(user, f'cap-{prov.id}')
    cap.set_value('lots')
    user.find(marker=f'cap-{prov.id}').trigger('blur')
    await user.should_see('is not an amount in USD', retries=RETRIES)
    assert ProviderSetting.get(ProviderSetting.provider == prov.id).monthly_cap == 2.0


async def test_test_connection_and_fetch_models(user: User, env) -> None:
    prov = env['openai']
    await open_provider(user, prov.id)
    await user.should_see(marker=f'test-{prov.id}', retries=RETRIES)
    user.find(marker=f'test-{prov.id}').click()
    await user.should_see('Connected to OpenAI: 3 models available.', retries=RETRIES)
    user.find(marker=f'fetch-{prov.id}').click()
    await user.should_see(marker='model-fake-large', retries=RETRIES)
    assert not the(user, 'model-fake-chat').enabled  # already in the table
    the(user, 'model-fake-large').set_value(True)
    user.find(marker='add-models').click()
    await user.should_see('Added 1 model', retries=RETRIES)
    from app.data.models import LlmModel

    assert LlmModel.get_or_none((LlmModel.provider == prov.id) & (LlmModel.name == 'fake-large'))


async def test_test_connection_shows_a_wrong_key_in_one_sentence(user: User, env) -> None:
    env['server'].valid_keys = {'sk-the-right-one'}
    prov = env['openai']
    await open_provider(user, prov.id)
    await user.should_see(marker=f'test-{prov.id}', retries=RETRIES)
    user.find(marker=f'test-{prov.id}').click()
    await user.should_see(marker=f'status-{prov.id}', retries=RETRIES)
    status = the(user, f'status-{prov.id}').text
    assert 'rejected' in status and 'Traceback' not in status
    user.find(marker=f'fold-{prov.id}').click()  # folded again, its line still says how the test went
    await user.should_see(marker=f'summary-{prov.id}', retries=RETRIES)
    assert the(user, f'status-{prov.id}').text == status


def test_page_modules_put_providers_after_settings() -> None:
    from app.pages import PAGE_MODULES

    assert PAGE_MODULES.index('app.pages.providers') > PAGE_MODULES.index('app.pages.settings')


# --------------------------------------------------------------------------- a phone on the LAN


@pytest.fixture
def lan_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('OUTPUTHUB_LAN', '1')  # before the app starts: it reads this once


async def test_a_phone_without_permission_cannot_open_a_secret_chat(lan_mode, user: User, env) -> None:
    import httpx
    from nicegui import core

    from app import auth
    from app.data import entities
    from app.data.models import SensitivityLevel

    secret = SensitivityLevel.get(SensitivityLevel.name == 'Secret').id
    hidden = conversations.create_conversation('Private chat about the merger')
    conversations.add_message(hidden, 'user', 'merger details')
    entities.update_item('conversation', hidden.id, sensitivity=secret)
    shown = conversations.create_conversation('Weekend plans')
    conversations.add_message(shown, 'user', 'hiking or cycling?')
    await user.open(f'/chat/{hidden.id}')  # the desktop sees it, with its badge
    await user.should_see('merger details')
    assert [e for e in user.find('Secret').elements if 'oh-secret' in e.classes]

    auth.set_password('correct horse battery')
    transport = httpx.ASGITransport(app=core.app, client=('192.168.1.50', 50123))
    async with httpx.AsyncClient(
        transport=transport, base_url='http://192.168.1.10:8080', headers={'Accept': 'text/html'}
    ) as phone:
        login = await phone.post('/login', data={'password': 'correct horse battery', 'device': 'Phone'})
        assert login.status_code == 303
        page = await phone.get(f'/chat/{hidden.id}')
        assert page.status_code == 200
        assert 'does not exist' in page.text and 'merger' not in page.text
        listing = await phone.get(f'/chat/{shown.id}')
        assert 'hiking or cycling?' in listing.text and 'merger' not in listing.text


async def test_base_url_default_model_and_turning_a_provider_off(user: User, env) -> None:
    local = next(p for p in Provider.select() if p.name == 'Local')
    await user.open('/settings?tab=providers')
    await user.should_see(marker=f'setup-{local.id}', retries=RETRIES)  # not set up yet: one line
    await user.should_not_see(marker=f'base-url-{local.id}')
    user.find(marker=f'setup-{local.id}').click()
    await user.should_see(marker=f'base-url-{local.id}', retries=RETRIES)
    the(user, f'base-url-{local.id}').set_value('localhost:1234')
    user.find(marker=f'base-url-{local.id}').trigger('blur')
    await user.should_see('is not a web address')
    the(user, f'base-url-{local.id}').set_value('http://localhost:1234/v1')
    user.find(marker=f'base-url-{local.id}').trigger('blur')
    await until(lambda: _setting(local.id).base_url == 'http://localhost:1234/v1')
    await user.should_see(marker=f'default-model-{local.id}', retries=RETRIES)
    the(user, f'default-model-{local.id}').set_value('llama3.1:8b')
    await until(lambda: _setting(local.id).default_model == 'llama3.1:8b')
    prov = env['openai']
    the(user, f'enabled-{prov.id}').set_value(False)
    await until(lambda: _setting(prov.id).enabled is False)
    with pytest.raises(UserError, match='turned off'):
        chat.provider_config(prov)


def _setting(provider_id: int) -> ProviderSetting:
    return ProviderSetting.get_or_none(ProviderSetting.provider == provider_id) or ProviderSetting()


async def test_a_long_thread_shows_the_latest_messages_first(user: User, env) -> None:
    from app.components.chat_thread import SHOWN_MESSAGES

    conv = conversations.create_conversation('A very long import')
    for i in range(SHOWN_MESSAGES + 10):
        conversations.add_message(conv, 'user' if i % 2 == 0 else 'assistant', f'turn number {i:03d}')
    await user.open(f'/chat/{conv.id}')
    await user.should_see(f'turn number {SHOWN_MESSAGES + 9:03d}', retries=RETRIES)
    await user.should_not_see('turn number 000')
    user.find(marker='show-earlier').click()
    await user.should_see('turn number 000')


async def test_an_agent_page_link_preselects_the_agent_and_its_version(user: User, db_path) -> None:
    from app.data import agents, lookups

    dbmod.connect(db_path)
    model = lookups.find_model('gpt-4o')
    keys.save_provider_key(
        model.provider, 'sk-test-fake-key-000000'
    )  # OpenAI is set up: its models are offered
    agent = agents.create_agent('Reviewer', 'Review code.', model=model)
    v2 = agents.new_version(agent.id, system_prompt='Review code carefully.')
    await user.open(f'/chat?agent={agent.id}&agent_version={v2.id}')
    agent_select = user.find(marker='agent-select').elements.pop()
    version_select = user.find(marker='version-select').elements.pop()
    model_select = user.find(marker='model-select').elements.pop()
    assert agent_select.value == agent.id
    assert version_select.value == v2.id
    assert model_select.value == model.id
