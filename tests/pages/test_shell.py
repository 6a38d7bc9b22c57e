"""The app shell and home page, through NiceGUI's simulated user."""

from __future__ import annotations

import pytest
from nicegui.testing import User

from app.data import db as dbmod
from app.data import outputs


async def test_home_first_run_shows_the_empty_state(user: User) -> None:
    await user.open('/')
    await user.should_see('Welcome to Output Hub')
    await user.should_see('outputhub --demo')
    await user.should_see('outputhub.db')  # which database is open


async def test_home_lists_recent_and_favourite_outputs(user: User, db_path) -> None:
    dbmod.connect(db_path)
    outputs.capture_output(
        outputs.CaptureData(body='# Quarterly plan\nDetails', favourite=True, tags=['planning'])
    )
    outputs.capture_output(outputs.CaptureData(body='Regex cheat sheet'))
    await user.open('/')
    await user.should_see('Quarterly plan')
    await user.should_see('Regex cheat sheet')
    await user.should_see('2 outputs')
    await user.should_not_see('Welcome to Output Hub')


async def test_every_drawer_entry_opens_a_page(user: User) -> None:
    from app.pages import nav

    await user.open('/')
    items = nav.items()
    assert items and items[0].path == '/'
    for item in items:
        await user.open(item.path)  # raises if the route does not exist
        await user.should_see(item.label)


@pytest.fixture
def demo_env(monkeypatch):
    monkeypatch.setenv('OUTPUTHUB_DEMO', '1')


async def test_demo_profile_is_visible(demo_env, user: User) -> None:
    await user.open('/')
    await user.should_see('DEMO')


async def test_settings_general_tab(user: User) -> None:
    await user.open('/settings')
    await user.should_see('This database')
    await user.should_see('outputhub.db')
    await user.should_see('this computer only')


async def test_the_shortcuts_dialog_is_built_at_its_first_use(user: User) -> None:
    from nicegui import ui

    def built() -> bool:
        return any(
            isinstance(e, ui.label) and e.text == 'Keyboard shortcuts' for e in user.client.elements.values()
        )

    await user.open('/')
    await user.should_see('Shortcuts  ?')
    assert not built()  # not with every tab: a deep link's first paint does not wait for it
    user.find('Shortcuts  ?').click()
    await user.should_see('Keyboard shortcuts')
    await user.should_see('Search as you type')
    user.find('Close').click()
    user.find('Shortcuts  ?').click()  # opened again: the same dialog, not a second one
    await user.should_see('Keyboard shortcuts')
    labels = [
        e for e in user.client.elements.values() if isinstance(e, ui.label) and e.text == 'Keyboard shortcuts'
    ]
    assert len(labels) == 1
