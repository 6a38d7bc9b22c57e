"""Quick capture through the simulated user: the dialog built once per tab, saving from it, Home and the
outputs list following without a reload, sticky fields per browser, the tag box's rules."""

from __future__ import annotations

import asyncio

import pytest
from nicegui import ui
from nicegui.testing import User
from nicegui.testing.user_interaction import UserInteraction

from app.components import quick_capture
from app.data import db as dbmod
from app.data import outputs, relations, settings_store
from app.data.models import Output
from app.services import library_events
from tests.waits import until


def _header_plus(user: User) -> UserInteraction:
    plus = [b for b in user.find(ui.button).elements if b.props.get('aria-label') == 'Capture']
    assert len(plus) == 1
    return UserInteraction(user, set(plus), None)


def _in_dialog(user: User, kind: type, label: str):
    root = user.find(marker='quick-capture').elements.pop()
    return next(e for e in root.descendants() if isinstance(e, kind) and e.props.get('label') == label)


def _dialog_save(user: User) -> UserInteraction:
    root = user.find(marker='quick-capture').elements.pop()
    save = [e for e in root.descendants() if 'save-capture' in e._markers]
    return UserInteraction(user, set(save), None)


@pytest.fixture
def seeded(db_path):
    dbmod.connect(db_path)
    outputs.capture_output(outputs.CaptureData(body='An older output', tags=['postgres'], model='gpt-4o'))


async def test_the_header_plus_opens_the_dialog_and_a_capture_shows_on_home_without_a_reload(
    user: User,
) -> None:
    await user.open('/')
    await user.should_see('Nothing captured yet.')
    await user.should_see('Welcome to Output Hub')
    _header_plus(user).click()
    await until(lambda: quick_capture.get(user.client).form is not None, what='the dialog form')
    _in_dialog(user, ui.textarea, 'Output (Markdown)').set_value('# From the dialog\n\nKept in a second.')
    _dialog_save(user).click()
    await user.should_see('Captured “From the dialog”')
    await user.should_see('1 output')
    await user.should_see('From the dialog')
    await user.should_not_see('Nothing captured yet.')
    await user.should_not_see('Welcome to Output Hub')
    assert Output.select().count() == 1
    # Undo in the toast takes it out again, and Home follows
    user.find('Undo').click()
    await user.should_see('Capture undone')
    await user.should_see('0 outputs')
    assert Output.select().where(Output.deleted_at.is_null()).count() == 0


async def test_the_dialog_is_built_once_per_tab(user: User) -> None:
    await user.open('/')
    first = quick_capture.get(user.client)
    assert first is not None
    with user.client:
        assert quick_capture.install(None) == first.open  # a second install in this tab: the same dialog
    _header_plus(user).click()
    _header_plus(user).click()
    await until(lambda: first.form is not None, what='the dialog form')
    assert len(user.find(marker='quick-capture').elements) == 1


async def test_sticky_fields_are_remembered_for_this_browser_not_for_everyone(
    user: User, create_user, seeded
) -> None:
    await user.open('/capture')
    await user.should_see(marker='save-capture')
    body = next(e for e in user.find(ui.textarea).elements if e.props.get('label') == 'Output (Markdown)')
    model = next(e for e in user.find(ui.select).elements if e.props.get('label') == 'Model')
    body.set_value('Sticky check')
    model.set_value('gpt-4o')
    user.find(marker='tag-input').type('postgres').trigger('keydown.enter')
    user.find(marker='save-capture').click()
    await user.should_see('Captured')
    assert settings_store.get('capture.sticky', None) is None, 'sticky fields went into the shared settings'
    # this browser: the next capture form starts with them, as chips that can be removed
    await user.open('/capture')
    await user.should_see(marker='save-capture')
    model = next(e for e in user.find(ui.select).elements if e.props.get('label') == 'Model')
    assert model.value == 'gpt-4o' and model.props.get('use-chips')
    assert [c.text for c in user.find(ui.chip).elements if c.text == 'postgres'] == ['postgres']
    # another browser: nothing remembered
    other = create_user()
    await other.open('/capture')
    await other.should_see(marker='save-capture')
    model = next(e for e in other.find(ui.select).elements if e.props.get('label') == 'Model')
    assert model.value is None
    await other.should_not_see('postgres', kind=ui.chip)


async def test_the_tag_box_adds_what_was_typed_and_never_drops_a_chip(user: User, seeded) -> None:
    await user.open('/capture')
    await user.should_see(marker='save-capture')
    box = user.find(marker='tag-input')
    box.type('postgres').trigger('keydown.enter')
    await user.should_see('postgres', kind=ui.chip)
    box.type('post').trigger('keydown.enter')  # a prefix of a chosen tag: added, postgres stays
    box.type('POSTGRES').trigger('keydown.enter')  # the same tag in another case: no second chip
    await user.should_see('post', kind=ui.chip)

    def chips() -> list[str]:
        return sorted(c.text for c in user.find(ui.chip).elements)

    assert chips() == ['post', 'postgres']
    box.trigger('keydown.backspace')  # in the empty box: the last chip goes
    await until(lambda: chips() == ['postgres'], what='the last chip to go')
    box.type('typed-only')  # never confirmed: the box loses focus
    box.trigger('blur')
    await until(lambda: chips() == ['postgres', 'typed-only'], what='the typed tag to become a chip')
    body = next(e for e in user.find(ui.textarea).elements if e.props.get('label') == 'Output (Markdown)')
    body.set_value('Tagged without losing one')
    box.type('at-save')  # typed, then Save straight away
    user.find(marker='save-capture').click()
    await user.should_see('Captured')
    out = Output.get(Output.body == 'Tagged without losing one')
    names = sorted(t.name for t in relations.tags_for('output', [out.id])[out.id])
    assert names == ['at-save', 'postgres', 'typed-only']


async def test_the_outputs_list_shows_a_capture_made_in_another_thread_and_stops_listening_when_left(
    user: User, seeded
) -> None:
    before = library_events.listener_count()
    await user.open('/outputs')
    await user.should_see('An older output')
    assert library_events.listener_count() > before

    def capture_elsewhere() -> None:  # e.g. an API route, in a worker thread
        out = outputs.capture_output(outputs.CaptureData(body='Captured elsewhere meanwhile'))
        library_events.emit('output', [out.id])

    await asyncio.to_thread(capture_elsewhere)
    await user.should_see('Captured elsewhere meanwhile')
    user.client.delete()  # the tab closes: its listeners go with it
    assert library_events.listener_count() == before


async def test_a_change_said_from_a_worker_thread_reaches_the_page_on_the_event_loop(user: User) -> None:
    import threading

    from app.components.live import on_library_change

    await user.open('/')
    seen: list[int] = []
    with user.client.layout:
        on_library_change(lambda _change: seen.append(threading.get_ident()))
    await asyncio.to_thread(library_events.emit, 'output', [1])
    await until(lambda: seen, what='the page to hear of the change')
    assert seen == [threading.get_ident()], 'the handler ran in the worker thread, not on the event loop'


async def test_home_shows_a_capture_sent_through_the_api_without_a_reload(user: User) -> None:
    import httpx
    from nicegui import core

    await user.open('/')
    await user.should_see('Welcome to Output Hub')
    transport = httpx.ASGITransport(app=core.app, client=('127.0.0.1', 50125))  # this computer
    async with httpx.AsyncClient(transport=transport, base_url='http://test') as client:
        response = await client.post('/api/v1/captures', json={'title': 'Sent by a shortcut', 'body': 'Hi'})
    assert response.status_code == 201, response.text
    await user.should_see('Sent by a shortcut')


async def test_the_outputs_lists_capture_button_opens_the_dialog_over_the_list(user: User) -> None:
    await user.open('/outputs')
    buttons = [b for b in user.find(ui.button).elements if b.text == 'Capture']
    assert len(buttons) == 1
    UserInteraction(user, set(buttons), None).click()
    await until(lambda: quick_capture.get(user.client).form is not None, what='the dialog form')
    _in_dialog(user, ui.textarea, 'Output (Markdown)').set_value('# Over the list\n\nStill on the list.')
    _dialog_save(user).click()
    await user.should_see('Captured “Over the list”')
    await user.should_see('Over the list')
    assert user.client.sub_pages_router.current_path.startswith('/outputs')


def test_a_redraw_listener_whose_event_loop_closed_stops_listening(monkeypatch) -> None:
    """An app that stopped leaves no listener behind that fails on every later change ("Event loop is
    closed" in the log of each capture after it)."""
    import asyncio
    from types import SimpleNamespace

    from app.components import live
    from app.services.library_events import Change

    loop = asyncio.new_event_loop()
    loop.close()
    monkeypatch.setattr(live.core, 'loop', loop)
    stopped: list[bool] = []
    listener = SimpleNamespace(_unsubscribe=lambda: stopped.append(True), _on_change=None)
    live._Listener._on_change(listener, Change('output', (1,), 'created'))  # type: ignore[arg-type]
    assert stopped == [True]
