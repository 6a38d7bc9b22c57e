"""The prompt library and the prompt page through the simulated user: versions, diff, restore, the
variables form, provenance, relations and trash."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from nicegui import ui
from nicegui.testing import User
from nicegui.testing.user_interaction import UserInteraction

from app.data import db as dbmod
from app.data import entities, lookups, outputs, prompts
from app.data.models import Prompt
from app.pages import nav
from app.pages.prompts import COPY_EVENT
from tests.waits import until


@pytest.fixture
def library(db_path):
    dbmod.connect(db_path)
    email = prompts.create_prompt('Email writer', 'Write a short email to {{name}} about {{topic|the plan}}.')
    prompts.new_version(
        email.id, 'Write a friendly email to {{name}} about {{topic|the plan}}.', note='warmer'
    )
    poem = prompts.create_prompt('Poem', 'Write a poem about rain.')
    entities.update_item('prompt', poem.id, favourite=True)
    v1 = prompts.version_by_number(email.id, 1)
    v2 = prompts.version_by_number(email.id, 2)
    outputs.capture_output(
        outputs.CaptureData(body='Dear Sam, the plan is on.', prompt_version_id=v1.id, rating=2)
    )
    outputs.capture_output(outputs.CaptureData(body='Hi Sam! Great news.', prompt_version_id=v2.id, rating=5))
    outputs.capture_output(
        outputs.CaptureData(body='Hello Ann, lovely day.', prompt_version_id=v2.id, rating=4)
    )
    return email, poem


async def see(user: User, target: str | None = None, **kwargs) -> None:
    """should_see with patience: after a click the page reloads data in a worker thread (slow on a busy CI)."""
    await user.should_see(target, retries=50, **kwargs)


async def test_library_lists_prompts_with_quick_filters(user: User, library) -> None:
    email, poem = library
    await user.open('/prompts')
    await see(user, 'Email writer')
    await see(user, 'Poem')
    await see(user, 'v2')  # current version column
    user.find(marker='quick-Favourites').click()
    await see(user, 'Filters (1)')  # navigated to /prompts?favourite=1
    await see(user, 'Poem')
    await user.should_not_see('Email writer')
    await user.open('/prompts?sort=use_count')
    await see(user, 'Email writer')


async def test_library_copy_button_counts_a_use(user: User, library) -> None:
    email, _ = library
    await user.open('/prompts')
    await see(user, 'Email writer')
    rows = ''.join(e.content for e in user.find(kind=ui.html).elements)
    assert f'data-oh-row-event="oh-copy-prompt" data-oh-row-id="{email.id}"' in rows
    assert 'aria-label="Copy Email writer"' in rows
    before = Prompt.get_by_id(email.id).use_count
    # a click on the row's button reaches the server as a page-wide event (see components/row_actions)
    assert COPY_EVENT == 'oh-copy-prompt'  # NiceGUI keeps the listener under its camel-case name
    UserInteraction(user, {user.client.layout}, None).trigger('ohCopyPrompt', email.id)
    await see(user, 'Prompt copied')
    assert Prompt.get_by_id(email.id).use_count == before + 1


async def test_library_searches_inside_prompt_text(user: User, library) -> None:
    """'rain' is only in the poem's text: the hit's snippet marks it (the search box holds 'rain' itself,
    and the list below shows every title whatever the search finds)."""
    await user.open('/prompts?q=rain')
    await see(user, marker='prompt-text-search')

    def snippets() -> list[str]:
        return [e.content for e in user.find(kind=ui.html).elements if '<mark>' in e.content]

    await until(snippets, what='a snippet of the prompt text')
    assert snippets() == ['Write a poem about <mark>rain</mark>.']
    await user.open('/prompts?q=friendly')  # only in the email writer's second version
    await see(user, marker='prompt-text-search')
    await until(snippets, what='a snippet of the prompt text')
    assert all('rain' not in s for s in snippets()) and any('<mark>friendly</mark>' in s for s in snippets())


async def test_new_prompt_from_the_library(user: User, library) -> None:
    await user.open('/prompts')
    user.find(marker='new-prompt').click()
    await see(user, marker='new-prompt-body')
    user.find(marker='new-prompt-body').elements.pop().set_value('Explain {{concept}} to a child.')
    user.find(marker='create-prompt').click()
    await see(user, 'Version 1 of 1 (current)')  # the new prompt's page
    assert Prompt.select().where(Prompt.title == 'Explain {{concept}} to a child.').count() == 1


async def test_new_prompt_without_text_keeps_the_dialog_and_what_was_typed(user: User, library) -> None:
    await user.open('/prompts')
    user.find(marker='new-prompt').click()
    await see(user, marker='new-prompt-body')
    user.find('Title (optional: taken from the first line)').type('My careful title')
    user.find(marker='create-prompt').click()
    await see(user, 'A prompt needs some text.')
    body = user.find(marker='new-prompt-body').elements.pop()
    assert body.visible  # still open: fill in the text and create
    body.set_value('Summarise {{notes}}')
    user.find(marker='create-prompt').click()
    await see(user, 'Version 1 of 1 (current)')
    assert Prompt.select().where(Prompt.title == 'My careful title').count() == 1


async def test_prompt_page_shows_current_version_timeline_and_provenance(user: User, library) -> None:
    email, _ = library
    await user.open(f'/prompts/{email.id}')
    await see(user, 'Email writer')
    await see(user, 'Version 2 of 2 (current)')
    await see(user, 'warmer')  # the change note
    await see(user, '2 outputs · avg ★ 4.5 (2 rated)')
    await see(user, '1 output · avg ★ 2.0 (1 rated)')
    assert entities.get_item('prompt', email.id).last_viewed_at is not None
    # the compare view: text diff and outputs side by side
    old = user.find(marker='diff-old').elements.pop()
    new = user.find(marker='diff-new').elements.pop()
    assert '<del class="oh-diff-del"' in old.content and '>short</del>' in old.content
    assert '>friendly</ins>' in new.content and 'short' not in new.content
    await see(user, 'Dear Sam, the plan is on.')
    await see(user, 'Hi Sam! Great news.')


async def test_url_selects_a_version_and_restore_makes_a_new_one(user: User, library) -> None:
    email, _ = library
    await user.open(f'/prompts/{email.id}?v=1')
    await see(user, 'You are looking at v1; the current version is v2.')
    await see(user, 'Version 1 of 2')
    user.find(marker='banner-restore').click()
    await see(user, 'Restored v1 as v3')
    await see(user, 'Version 3 of 3 (current)')
    assert prompts.current_version(email.id).body == prompts.version_by_number(email.id, 1).body


async def test_make_an_older_version_current(user: User, library) -> None:
    email, _ = library
    await user.open(f'/prompts/{email.id}')
    user.find(marker='make-current-v1').click()
    await see(user, 'v1 is now the current version')
    await see(user, 'Version 1 of 2 (current)')
    assert prompts.current_version(email.id).number == 1
    assert len(prompts.versions(email.id)) == 2


async def test_editing_saves_a_new_version_with_a_note(user: User, library) -> None:
    email, _ = library
    await user.open(f'/prompts/{email.id}')
    user.find(marker='edit-prompt').click()
    await see(user, marker='edit-body')
    user.find(marker='edit-body').elements.pop().set_value('Write a formal letter to {{name}}.')
    user.find(marker='edit-note').elements.pop().set_value('formal')
    user.find(marker='save-version').click()
    await see(user, 'Saved as v3')
    await see(user, 'Version 3 of 3 (current)')
    v3 = prompts.current_version(email.id)
    assert (v3.number, v3.body, v3.note) == (3, 'Write a formal letter to {{name}}.', 'formal')


async def test_editing_without_a_change_adds_no_version(user: User, library) -> None:
    email, _ = library
    await user.open(f'/prompts/{email.id}')
    user.find(marker='edit-prompt').click()
    await see(user, marker='edit-body')
    user.find(marker='save-version').click()
    await see(user, 'No change')
    assert len(prompts.versions(email.id)) == 2


async def test_renaming_is_not_a_new_version(user: User, library) -> None:
    email, _ = library
    await user.open(f'/prompts/{email.id}')
    title = user.find(marker='prompt-title').elements.pop()
    title.set_value('Friendly emails')
    user.find(marker='prompt-title').trigger('blur')
    await see(user, 'Title saved')
    assert Prompt.get_by_id(email.id).title == 'Friendly emails'
    assert len(prompts.versions(email.id)) == 2


async def test_variables_form_fills_and_copies(user: User, library) -> None:
    email, _ = library
    await user.open(f'/prompts/{email.id}')
    preview = user.find(marker='filled-preview').elements.pop()
    assert preview.text == 'Write a friendly email to {{name}} about the plan.'
    user.find(marker='copy-filled').click()
    await see(user, 'Fill in name first')  # a required variable is empty: says so, copies nothing
    user.find(marker='var-name').elements.pop().set_value('Ann')
    assert preview.text == 'Write a friendly email to Ann about the plan.'
    before = Prompt.get_by_id(email.id).use_count
    user.find(marker='copy-filled').click()
    await see(user, 'Filled prompt copied')
    assert Prompt.get_by_id(email.id).use_count == before + 1
    if not nav.has('/chat'):
        await user.should_not_see(marker='send-to-chat')  # offered only when the chat page exists
        return
    user.find(marker='send-to-chat').click()
    await until(lambda: user.back_history[-1].startswith('/chat'), what='the chat page opening')
    url = urlsplit(user.back_history[-1])
    query = parse_qs(url.query)
    assert url.path == '/chat'
    assert query['prompt_version'] == [str(prompts.current_version(email.id).id)]
    assert query['text'] == ['Write a friendly email to Ann about the plan.']


async def test_malformed_template_shows_a_message_not_a_crash(user: User, db_path) -> None:
    dbmod.connect(db_path)
    p = prompts.create_prompt('Broken', 'Hello {{name and goodbye')
    await user.open(f'/prompts/{p.id}')
    await see(user, 'The variables form is unavailable.')
    await see(user, 'unclosed')


async def test_diff_escapes_user_text(user: User, db_path) -> None:
    dbmod.connect(db_path)
    p = prompts.create_prompt('XSS', 'Say <b>hi</b>')
    prompts.new_version(p.id, 'Say <img src=x onerror=alert(1)> hi')
    await user.open(f'/prompts/{p.id}')
    new = user.find(marker='diff-new').elements.pop()
    old = user.find(marker='diff-old').elements.pop()
    assert '<img' not in new.content and '<b>' not in old.content
    # only our own <ins>/<del> markup is HTML; the text itself comes back exactly once unescaped
    assert html.unescape(re.sub(r'<[^>]+>', '', new.content)) == 'Say <img src=x onerror=alert(1)> hi'
    assert html.unescape(re.sub(r'<[^>]+>', '', old.content)) == 'Say <b>hi</b>'


async def test_relations_and_trash_with_undo(user: User, library) -> None:
    email, _ = library
    lookups.get_or_create('tag', 'writing')
    await user.open(f'/prompts/{email.id}')
    await see(user, marker='add-tag')  # the page's own tag row ('Tags' alone is also the drawer's link)
    await see(user, 'Category')
    user.find(marker='delete-prompt').click()
    await see(user, 'This prompt is in the trash')
    assert entities.get_item('prompt', email.id).deleted_at is not None
    user.find('Undo').click()
    await see(user, 'Restored from the trash')
    assert entities.get_item('prompt', email.id).deleted_at is None


async def test_missing_prompt_and_version_say_so(user: User, library) -> None:
    email, _ = library
    await user.open('/prompts/999')
    await see(user, 'Prompt 999 does not exist.')
    await user.open(f'/prompts/{email.id}?v=9')
    await see(user, f'Prompt {email.id} has no version 9.')


async def test_a_long_history_shows_the_newest_versions_first(user: User, db_path) -> None:
    dbmod.connect(db_path)
    p = prompts.create_prompt('Busy', 'text 1')
    for i in range(2, 31):
        prompts.new_version(p.id, f'text {i}')
    await user.open(f'/prompts/{p.id}?v=2')
    await see(user, 'Version 2 of 30')
    await see(user, marker='view-v30')
    await see(user, marker='view-v2')  # the version on screen is always listed
    await user.should_not_see(marker='view-v5')
    user.find(marker='all-versions').click()
    await see(user, marker='view-v5')
