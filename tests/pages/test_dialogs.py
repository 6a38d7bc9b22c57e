"""A question asked through a dialog whose tab closes before the answer: no error in the log."""

from __future__ import annotations

import asyncio

from nicegui import ui
from nicegui.testing import User

from app.components import dialogs
from tests.waits import until


async def test_a_dialog_whose_tab_closed_is_not_deleted_twice(user: User, caplog) -> None:
    await user.open('/')
    with user.client:
        with ui.dialog() as dialog, ui.card():
            ui.label('Really?')
        dialog.open()
        asking = asyncio.create_task(dialogs.answer(dialog))
    await user.should_see('Really?')
    user.client.delete()  # what NiceGUI does once a closed tab's socket does not come back
    await until(asking.done, what='the question to end')
    assert asking.result() is None
    assert asking.exception() is None
    assert [r.getMessage() for r in caplog.records if r.levelname == 'ERROR'] == []
