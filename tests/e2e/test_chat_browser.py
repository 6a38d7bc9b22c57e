"""Real browser: the chat page sends a message to the fake model server and shows the reply as it streams."""

from __future__ import annotations

from app.data import db as dbmod
from app.data import settings_store
from app.data.models import Message
from tests.llm.fake_llm_server import FakeLLMServer, Script, point_providers_at

from .conftest import screenshot, wait_for_app

REPLY = 'Streaming **works**: ' + ' '.join(f'piece{i}' for i in range(40)) + ' FINISHED.'


def test_send_a_message_and_watch_the_reply_stream(start_app, page, tmp_path) -> None:
    with FakeLLMServer(default=Script(text=REPLY, delay=0.08)) as server:
        db = tmp_path / 'chat.db'
        dbmod.connect(db)
        env = point_providers_at(server, key=None)  # the key comes from the app's environment instead
        settings_store.put('chat.last_model', env['openai_model'].id)  # the model picker remembers it
        dbmod.close()

        app = start_app(db_path=db, env={'OPENAI_API_KEY': 'sk-e2e-fake-key-0000000000'})
        page.goto(app.url + '/chat')
        wait_for_app(page)
        box = page.locator('.q-page-container .q-textarea textarea')  # not the quick-capture dialog's
        box.fill('Does streaming work in a real browser?')
        page.get_by_role('button', name='Send').click()

        page.get_by_text('piece1', exact=False).first.wait_for(timeout=60_000)
        shown = page.locator('.oh-md').last.inner_text()
        assert 'FINISHED.' not in shown  # text arrived in pieces, before the reply was done
        assert page.get_by_role('button', name='Stop').is_visible()
        page.get_by_text('FINISHED.', exact=False).first.wait_for(timeout=60_000)
        page.locator('strong', has_text='works').first.wait_for()  # rendered as Markdown
        page.get_by_role('button', name='Send').wait_for()
        assert page.url.rstrip('/').split('/')[-2] == 'chat'  # /chat/{new conversation id}
        screenshot(page, 'desktop-chat')
        assert not page.recorder.remote_requests
        assert server.chat_requests()[-1].api_key == 'sk-e2e-fake-key-0000000000'

    dbmod.connect(db)
    try:
        reply = Message.select().where(Message.role == 'assistant').get()
        assert reply.status == 'complete' and reply.content == REPLY and reply.output_tokens
    finally:
        dbmod.close()


def test_phone_shows_the_conversation_list_as_a_drawer(start_app, phone_page, tmp_path) -> None:
    db = tmp_path / 'phone-chat.db'
    dbmod.connect(db)
    from app.data import conversations

    conv = conversations.create_conversation('Packing list for Lisbon')
    conversations.add_message(conv, 'user', 'What should I pack?')
    conversations.add_message(conv, 'assistant', 'Light layers and good shoes.')
    dbmod.close()
    app = start_app(db_path=db)
    page = phone_page
    page.goto(f'{app.url}/chat/{conv.id}')
    wait_for_app(page)
    page.get_by_text('Light layers and good shoes.').wait_for()
    assert not page.get_by_role('button', name='New chat').first.is_visible()  # no sidebar on a phone
    page.get_by_role('button', name='Conversations').click()
    page.locator('.q-dialog').get_by_text('Packing list for Lisbon').wait_for()
    screenshot(page, 'phone-chat-drawer')
    page.keyboard.press('Escape')
    page.locator('.q-dialog').wait_for(state='hidden')
    page.get_by_role('button', name='Send').wait_for()
    screenshot(page, 'phone-chat')
    width = page.evaluate('document.documentElement.scrollWidth')
    assert width <= 360, f'the chat page scrolls sideways on a phone ({width}px)'
