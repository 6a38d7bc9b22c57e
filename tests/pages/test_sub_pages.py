"""The one shell of a tab (issue 15 part 1): pages switch inside it without a new page, each URL still
opens its page, query strings reach the page shown, the title follows, and a page's own timers and
page-wide listeners go when it is left."""

from __future__ import annotations

import asyncio

from nicegui import Client, ui
from nicegui.testing import User

from app.data import db as dbmod
from app.data import lookups, outputs
from tests.waits import until


def _timers(client: Client) -> list[ui.timer]:
    return [e for e in client.elements.values() if isinstance(e, ui.timer)]


def _copy_listeners(client: Client) -> int:
    """The prompts page's page-wide ``oh-copy-prompt`` listeners (NiceGUI stores the name camel-cased)."""
    return sum(
        li.type in ('oh-copy-prompt', 'ohCopyPrompt') for li in client.layout._event_listeners.values()
    )


async def _go(user: User, path: str) -> None:
    """What a click on an in-app link does: a sub page switch in the open tab."""
    user.navigate.to(path)
    await until(lambda: user.client.sub_pages_router.current_path == path, what=f'switch to {path}')


async def test_switching_pages_keeps_the_tab_and_its_header(user: User, db_path) -> None:
    dbmod.connect(db_path)
    out = outputs.capture_output(
        outputs.CaptureData(body='# Sourdough starter\nFeed it daily', tags=['bread'])
    )
    client = await user.open('/')
    header = next(e for e in client.elements.values() if isinstance(e, ui.header))
    await _go(user, '/outputs')
    await user.should_see('Sourdough starter')
    await _go(user, f'/outputs/{out.id}')
    await user.should_see('Feed it daily')
    assert user.client is client  # no new page was loaded
    assert not header.is_deleted  # the header was built once and stays
    assert client.title == 'Output · Output Hub'  # the title follows the page shown
    assert sum(isinstance(e, ui.header) for e in client.elements.values()) == 1
    await _go(user, '/settings')
    await user.should_see('This database')
    assert client.title == 'Settings · Output Hub'


async def test_query_strings_reach_the_page_shown(user: User, db_path) -> None:
    dbmod.connect(db_path)
    outputs.capture_output(outputs.CaptureData(body='Vacuum the SQLite database weekly', tags=['ops']))
    outputs.capture_output(outputs.CaptureData(body='A poem about autumn leaves'))
    ops = lookups.find_by_name('tag', 'ops')
    await user.open('/')
    # the phone's share target, switched to inside the tab: the form is filled from the sub page's query
    await _go(
        user, '/capture?text=Shared+from+the+phone&title=Shared+title&url=https%3A%2F%2Fexample.com%2Fa'
    )
    body = next(e for e in user.find(ui.textarea).elements if e.props.get('label') == 'Output (Markdown)')
    assert body.value == 'Shared from the phone'
    await _go(user, '/search?q=vacuum&mode=keyword')
    await user.should_see('Vacuum the SQLite database weekly')
    await user.should_not_see('A poem about autumn leaves')
    await _go(user, f'/outputs?tags={ops.id}')
    await user.should_see('Vacuum the SQLite database weekly')
    await user.should_not_see('A poem about autumn leaves')


async def test_a_deep_link_opens_its_page_with_its_query(user: User, db_path) -> None:
    dbmod.connect(db_path)
    outputs.capture_output(outputs.CaptureData(body='Vacuum the SQLite database weekly'))
    await user.open('/search?q=vacuum&mode=keyword')
    await user.should_see('Vacuum the SQLite database weekly')
    assert user.client.title.startswith('Search')


async def test_a_malformed_address_inside_the_tab_says_not_found(user: User) -> None:
    await user.open('/')
    await _go(user, '/outputs/abc')
    await user.should_see(marker='page-not-found')
    await _go(user, '/no/such/page')
    await user.should_see(marker='page-not-found')


async def test_leaving_a_page_stops_its_timer(user: User) -> None:
    client = await user.open('/')
    before = set(_timers(client))
    await _go(user, '/chat')
    await user.should_see(marker='new-chat')
    chat_timers: list = []
    for _ in range(200):  # the timer starts once the page has loaded its lists, after the sidebar shows
        chat_timers = [t for t in _timers(client) if t not in before]
        if chat_timers:
            break
        await asyncio.sleep(0.025)
    assert chat_timers and all(t.active for t in chat_timers)  # the chat page polls running replies
    await _go(user, '/outputs')
    await user.should_see('Capture')
    assert all(t.is_deleted for t in chat_timers)
    assert not [t for t in _timers(client) if t in chat_timers]


async def test_leaving_a_page_removes_its_page_wide_listeners(user: User) -> None:
    client = await user.open('/')
    before = set(client.layout._event_listeners)
    await _go(user, '/prompts')
    await until(
        lambda: _copy_listeners(client) == 1,
        what='the prompts page listens for copy clicks',
    )
    await _go(user, '/outputs')
    await until(lambda: set(client.layout._event_listeners) == before, what='its listener removed')
    # Going back and forth does not pile them up: one listener while the page is shown.
    for _ in range(3):
        await _go(user, '/prompts')
        await _go(user, '/outputs')
    await _go(user, '/prompts')
    await until(
        lambda: _copy_listeners(client) == 1,
        what='one copy listener',
    )


async def test_the_drawer_does_not_ask_the_browser_whether_it_is_open(user: User) -> None:
    """A drawer with ``value=None`` makes NiceGUI ask the browser at every (re)connect and wait 1 s for
    the answer: "JavaScript did not respond within 1.0 s" in the log of a busy machine (issue 16)."""
    client = await user.open('/')
    drawer = next(e for e in client.elements.values() if isinstance(e, ui.left_drawer))
    assert drawer.value is not None
    assert drawer.props.get('show-if-above')  # Quasar still opens it on a wide screen by itself
