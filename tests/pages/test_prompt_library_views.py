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


async def test_row_buttons_refuse_a_secret_prompt_to_a_device_not_allowed_it(
    user: User, mixed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A row button's id comes from the browser: a paired phone without Secret access that sends the id of
    a Secret prompt gets neither its text nor a change, only the "does not exist" its page gives."""
    from app import auth
    from app.components import secret
    from app.data import entities
    from app.data.models import SensitivityLevel
    from app.pages.prompts import COPY_EVENT

    _, captured, _ = mixed
    level = SensitivityLevel.get(SensitivityLevel.restricted == True)  # noqa: E712
    entities.update_item('prompt', captured.id, sensitivity=level.id)
    uses = prompts.get_prompt(captured.id).use_count
    await user.open('/prompts')
    await see(user, 'Email writer')
    monkeypatch.setattr(
        secret, 'viewer', lambda: auth.Principal('device', allow_restricted=False, device_id=1)
    )
    copied: list[str] = []
    monkeypatch.setattr('app.pages.prompts.copy_text', lambda text, note: copied.append(text))
    events = UserInteraction(user, {user.client.layout}, None)
    assert COPY_EVENT == 'oh-copy-prompt'
    events.trigger('ohCopyPrompt', captured.id)
    await see(user, f'Prompt {captured.id} does not exist.')
    events.trigger('ohSavePrompt', captured.id)
    await user.should_not_see('is in your library now', retries=5)
    assert copied == []
    assert not Prompt.get_by_id(captured.id).saved
    assert prompts.get_prompt(captured.id).use_count == uses
