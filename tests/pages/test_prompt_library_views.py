"""The prompt library shows the prompts the person saved; prompt texts that came with captures and chat
questions wait in "From captures and chats", one click away from the library, with their outputs."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing import User
from nicegui.testing.user_interaction import UserInteraction

from app.data import db as dbmod
from app.data import outputs, prompts
from app.data.models import Output, Prompt
from app.pages.prompts import SAVE_EVENT


@pytest.fixture
def mixed(db_path):
    dbmod.connect(db_path)
    mine = prompts.create_prompt('Email writer', 'Write a short email to {{name}}.')
    out = outputs.capture_output(
        outputs.CaptureData(title='Memo summary', body='Three lines.', prompt='Summarise the memo for me')
    )
    captured = Prompt.get(Prompt.title == 'Summarise the memo for me')
    return mine, captured, out


async def see(user: User, target: str | None = None, **kwargs) -> None:
    await user.should_see(target, retries=50, **kwargs)


def rows(user: User) -> str:
    return ''.join(e.content for e in user.find(kind=ui.html).elements)


async def test_library_shows_only_saved_prompts(user: User, mixed) -> None:
    await user.open('/prompts')
    await see(user, 'Email writer')
    await see(user, 'From captures and chats (1)')  # the other view, one click away
    assert 'Summarise the memo for me' not in rows(user)


async def test_save_to_library_from_captures_and_chats_keeps_the_outputs(user: User, mixed) -> None:
    mine, captured, out = mixed
    await user.open('/prompts')
    await see(user, 'From captures and chats (1)')
    user.find(marker='quick-From').click()
    await see(user, marker='from-captures')
    await see(user, 'Summarise the memo for me')
    html = rows(user)
    assert f'data-oh-row-event="oh-save-prompt" data-oh-row-id="{captured.id}"' in html
    assert 'Email writer' not in html
    # a click on the row's button reaches the server as a page-wide event (see components/row_actions)
    assert SAVE_EVENT == 'oh-save-prompt'
    UserInteraction(user, {user.client.layout}, None).trigger('ohSavePrompt', captured.id)
    await see(user, '“Summarise the memo for me” is in your library now')
    assert Prompt.get_by_id(captured.id).saved
    await user.open('/prompts')
    await see(user, 'Summarise the memo for me')
    await user.open(f'/prompts/{captured.id}')
    user.find(marker='outputs-v1').click()  # the output it produced, under its version
    await see(user, 'Memo summary')
    assert Output.get_by_id(out.id).prompt_version_id == captured.current_version_id


async def test_a_captured_prompt_page_offers_save_to_library(user: User, mixed) -> None:
    _, captured, _ = mixed
    await user.open(f'/prompts/{captured.id}')
    await see(user, marker='unsaved-banner')
    user.find(marker='save-to-library').click()
    await see(user, '“Summarise the memo for me” is in your library now')
    await user.should_not_see(marker='unsaved-banner', retries=50)
    assert Prompt.get_by_id(captured.id).saved
