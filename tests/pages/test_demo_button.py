"""Home's welcome card offers the demo profile as a button on this computer (it starts the demo child
through ``app.services.demo_profile`` and opens it in a new tab), one sentence and no shell command on a
LAN device, and nothing in the demo profile itself. The service is faked here; tests/test_demo_profile.py
starts the real child."""

from __future__ import annotations

import threading

import pytest
from nicegui.testing import User

from app.errors import UserError
from app.pages import home
from app.services import demo_profile
from tests.waits import until

DEMO_URL = 'http://127.0.0.1:54321'


@pytest.fixture
def fake_start(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The service's start, recorded: the thread it ran on and the address it returns."""
    calls: list[str] = []

    def start() -> str:
        calls.append(threading.current_thread().name)
        return DEMO_URL

    monkeypatch.setattr(demo_profile, 'launch', start)
    return calls


@pytest.fixture
def navigations(user: User, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, bool]]:
    opened: list[tuple[str, bool]] = []
    monkeypatch.setattr(user.navigate, 'to', lambda target, new_tab=False: opened.append((target, new_tab)))
    return opened


async def test_this_computer_opens_the_demo_from_the_welcome_card(
    user: User, fake_start: list[str], navigations: list[tuple[str, bool]]
) -> None:
    await user.open('/')
    await user.should_see('Welcome to Output Hub')
    await user.should_see(marker='open-demo')
    await user.should_not_see(marker='demo-elsewhere')
    user.find(marker='open-demo').click()
    await until(lambda: navigations, what='the demo tab being opened')
    assert navigations == [(DEMO_URL, True)]
    assert len(fake_start) == 1 and fake_start[0] != threading.main_thread().name  # off the event loop
    await user.should_see(marker='demo-link')  # in case the browser blocked the new tab
    link = user.find(marker='demo-link').elements.pop()
    assert link.props['href'] == DEMO_URL


async def test_a_demo_that_does_not_start_is_one_sentence(
    user: User, monkeypatch: pytest.MonkeyPatch, navigations: list[tuple[str, bool]]
) -> None:
    def start() -> str:
        raise UserError('The demo profile did not start within 60 seconds; its log is demo.log.')

    monkeypatch.setattr(demo_profile, 'launch', start)
    await user.open('/')
    user.find(marker='open-demo').click()
    await user.should_see('The demo profile did not start within 60 seconds; its log is demo.log.')
    assert navigations == []
    button = user.find(marker='open-demo').elements.pop()
    assert not button.props.get('loading')


async def test_a_phone_is_told_where_the_demo_opens_without_a_command(as_phone: User) -> None:
    await as_phone.open('/')
    await as_phone.should_see('Welcome to Output Hub')
    await as_phone.should_see(home.DEMO_ELSEWHERE)
    await as_phone.should_not_see(marker='open-demo')
    await as_phone.should_not_see('outputhub --demo')


@pytest.fixture
def demo_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('OUTPUTHUB_DEMO', '1')


async def test_the_demo_profile_offers_no_demo(demo_env: None, user: User) -> None:
    await user.open('/')
    await user.should_see('DEMO')
    await user.should_not_see(marker='open-demo')
    await user.should_not_see(home.DEMO_ELSEWHERE)
