"""Real browser: prompt and agent pages render version diffs without running hostile text, the
variables form copies the filled prompt to the clipboard, the library's copy button works."""

from __future__ import annotations

from app.data import agents, prompts
from app.data import db as dbmod
from app.data.models import Prompt

from .conftest import screenshot, wait_for_app
from .test_capture_flow import XSS_PAYLOADS

HOSTILE = '\n\n'.join(XSS_PAYLOADS)


def seed(db_path) -> tuple[int, int, int]:
    dbmod.connect(db_path)
    try:
        hostile = prompts.create_prompt(
            'Hostile <img src=x onerror="window.__xss=20">', 'Intro.\n\n' + HOSTILE
        )
        prompts.new_version(
            hostile.id,
            'Preface.\n\n' + HOSTILE + '\n\n<svg onload="window.__xss=21">',
            note='<b onmouseover="window.__xss=22">note</b>',
        )
        email = prompts.create_prompt(
            'Email writer', 'Write a short email to {{name}} about {{topic|the plan}}.'
        )
        prompts.new_version(email.id, 'Write a friendly email to {{name}} about {{topic|the plan}}.')
        agent = agents.create_agent('Agent "><script>window.__xss=23</script>', HOSTILE, params={'x': '<b>'})
        agents.new_version(agent.id, system_prompt=HOSTILE + ' more', model='gpt-4o')
        return hostile.id, email.id, agent.id
    finally:
        dbmod.close()


def test_version_pages_execute_nothing_and_show_the_diff(start_app, page, phone_page, tmp_path) -> None:
    db_path = tmp_path / 'versions.db'
    hostile_id, _, agent_id = seed(db_path)
    app = start_app(db_path=db_path)
    for url, shot in (
        (f'/prompts/{hostile_id}', 'desktop-prompt-detail'),
        (f'/prompts/{hostile_id}?v=1', None),
        (f'/agents/{agent_id}', 'desktop-agent-detail'),
        ('/prompts', 'desktop-prompt-library'),
    ):
        page.goto(app.url + url)
        wait_for_app(page)
        page.wait_for_timeout(800)  # diffs load after the first paint
        if url.startswith(('/prompts/', '/agents/')):
            page.locator('ins.oh-diff-ins').first.wait_for()
            if url.startswith('/prompts/'):  # "Intro" became "Preface"
                assert page.locator('del.oh-diff-del').count() >= 1
        if shot:
            screenshot(page, shot)
        assert page.evaluate('window.__xss') is None, url
    assert page.recorder.dialogs == [] and page.recorder.remote_requests == []

    phone_page.goto(app.url + f'/prompts/{hostile_id}')
    wait_for_app(phone_page)
    phone_page.locator('ins.oh-diff-ins').first.wait_for()
    screenshot(phone_page, 'phone-prompt-detail')
    assert phone_page.evaluate('window.__xss') is None
    assert phone_page.recorder.remote_requests == []


def test_fill_in_copies_and_library_copy_counts(start_app, page, tmp_path) -> None:
    db_path = tmp_path / 'versions.db'
    _, email_id, _ = seed(db_path)
    app = start_app(db_path=db_path)
    page.context.grant_permissions(['clipboard-read', 'clipboard-write'], origin=app.url)

    page.goto(app.url + f'/prompts/{email_id}')
    wait_for_app(page)
    page.get_by_label('name', exact=True).fill('Ann')
    page.get_by_text('Write a friendly email to Ann about the plan.').wait_for()
    page.get_by_role('button', name='Copy filled text').click()
    page.get_by_text('Filled prompt copied').wait_for()
    assert page.evaluate('navigator.clipboard.readText()') == 'Write a friendly email to Ann about the plan.'

    page.goto(app.url + '/prompts')
    wait_for_app(page)
    page.locator(f'[data-oh-row-event="oh-copy-prompt"][data-oh-row-id="{email_id}"]').click()
    page.get_by_text('Prompt copied').wait_for()
    assert page.evaluate('navigator.clipboard.readText()').startswith('Write a friendly email')
    dbmod.connect(db_path)
    assert Prompt.get_by_id(email_id).use_count == 2  # the filled copy and the row copy
