"""Settings → Import: the switch that keeps coding-agent sessions as they happen (this computer only), the
service that does it while the app runs (in a thread of its own: the page never waits for it), and the
Import page's list of what was found."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from nicegui.testing import User
from nicegui.testing.user_simulation import user_simulation

from app import auth
from app.components.session_watch_panel import SWITCH_LABEL
from app.data import db as dbmod
from app.data import session_watch
from app.data.models import Conversation
from app.errors import PermissionDenied
from app.services import session_watch as service
from tests.pages.test_writes_never_stall import ALLOWED, locked  # noqa: F401 - the fixture
from tests.waits import until

FIXTURES = Path(__file__).resolve().parent.parent / 'fixtures' / 'exports'
SHORT = FIXTURES / 'claude-code' / 'marot__spotter__short.jsonl'
SHORT_ID = '55604662-cf2a-4331-851a-ec234028f8ca'
TITLE = 'mix phx.server doesnt seem to start'
MAIN = Path(__file__).resolve().parent.parent.parent / 'main.py'


@pytest.fixture
def projects(tmp_path: Path, db_path: Path) -> Path:
    """A Claude Code projects folder with one session, named as the folder watched (switch still off)."""
    dbmod.connect(db_path)
    root = tmp_path / 'claude-projects'
    (root / '-home-me-spotter').mkdir(parents=True)
    shutil.copy(SHORT, root / '-home-me-spotter' / f'{SHORT_ID}.jsonl')
    session_watch.save_options(folders=[str(root)])
    return root


def _kept() -> bool:
    return Conversation.select().where(Conversation.external_id == SHORT_ID).exists()


async def test_the_switch_keeps_sessions_and_the_import_page_lists_them(user: User, projects: Path) -> None:
    await user.open('/settings?tab=import')
    await user.should_see(SWITCH_LABEL)
    await user.should_see('Off: sessions are imported only when')
    assert not _kept()
    user.find(marker='session-watch-enabled').click()
    await until(lambda: session_watch.options()['enabled'], what='the switch being saved')
    await until(_kept, timeout=20, what='the running app picking up the session')

    await user.open('/import')
    await user.should_see('Coding-agent sessions kept')
    await user.should_see(TITLE)  # the conversation the session became, linked
    await user.should_see('1 session file found.')
    await user.should_see(marker='session-found')


async def test_folders_are_saved_and_a_relative_one_is_refused(user: User, projects: Path) -> None:
    await user.open('/settings?tab=import')
    box = user.find(marker='session-watch-folders')
    box.clear().type('notes/sessions')
    user.find(marker='session-watch-save').click()
    await user.should_see('notes/sessions is not a full path', retries=100)
    assert session_watch.options()['folders'] == [str(projects)]
    box.clear().type(f'{projects}\n~/.codex/sessions')
    user.find(marker='session-watch-save').click()
    await until(
        lambda: session_watch.options()['folders'] == [str(projects), '~/.codex/sessions'], what='save'
    )


async def test_a_phone_sees_the_state_but_cannot_turn_it_on(as_phone: User, projects: Path) -> None:
    await as_phone.open('/settings?tab=import')
    await as_phone.should_see(marker='session-watch-local-only')
    await as_phone.should_not_see(marker='session-watch-enabled')
    device = auth.Principal(kind='device', device_id=1, admin=True)
    with pytest.raises(PermissionDenied):  # an administrator device neither: it reads this computer's files
        service.configure(device, None, enabled=True)
    assert not session_watch.options()['enabled']


async def test_turning_it_on_while_another_writer_holds_the_lock_never_stalls_the_page(
    user: User,
    projects: Path,
    locked,  # noqa: F811 - the fixture imported above
) -> None:
    await user.open('/settings?tab=import')
    await user.should_see(SWITCH_LABEL)

    async def switch_on() -> None:
        user.find(marker='session-watch-enabled').click()
        await until(lambda: session_watch.options()['enabled'], what='the switch being saved')

    worst = await locked(switch_on)
    assert worst < ALLOWED, f'the event loop stalled for {worst:.2f} s'
    await until(_kept, timeout=20, what='the session being kept')


def _threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == service.THREAD_NAME and t.is_alive()]


async def test_the_service_starts_and_stops_with_the_app(db) -> None:
    before = set(_threads())  # a watcher another test left running in this process is not this app's
    async with user_simulation(main_file=MAIN) as user:
        await user.open('/')
        mine = set(_threads()) - before
    assert len(mine) == 1, 'the app starts one session watcher'
    assert not any(t.is_alive() for t in mine), 'and stops it at shutdown'
