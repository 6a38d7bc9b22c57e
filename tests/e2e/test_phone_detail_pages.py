"""Phone (390 x 844): detail pages' long titles wrap instead of being cut mid-word, the delete icon ends the
title row instead of sitting alone on a row, branch chevrons are touch-sized, and the chat composer stays
pinned to the bottom of the screen while a long conversation scrolls."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.data import conversations, outputs
from app.data import db as dbmod

from .conftest import _new_page, screenshot, wait_for_app

LONG_TITLE = (
    'Comparing three approaches to incremental database migrations in production systems without downtime'
)


@pytest.fixture
def phone(browser):
    context, pg = _new_page(
        browser, viewport={'width': 390, 'height': 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    yield pg
    context.close()


@pytest.fixture
def library(tmp_path: Path) -> dict:
    db = tmp_path / 'phone.db'
    dbmod.connect(db)
    out = outputs.capture_output(outputs.CaptureData(title=LONG_TITLE, body='Expand, migrate, contract.'))
    conv = conversations.create_conversation('Branches')
    question = conversations.add_message(conv, 'user', 'Name a colour')
    conversations.add_message(conv, 'assistant', 'Blue', parent=question.id)
    conversations.add_message(conv, 'assistant', 'Green', parent=question.id)
    long = conversations.create_conversation('A long chat')
    for i in range(30):
        conversations.add_message(
            long, 'user' if i % 2 == 0 else 'assistant', f'Message {i}\n\n' + 'text ' * 60
        )
    dbmod.close()
    return {'db': db, 'output': out.id, 'branches': conv.id, 'long': long.id}


def test_phone_detail_pages(start_app, phone, library) -> None:
    app = start_app(db_path=library['db'])
    page = phone

    # a long title wraps at word boundaries: taller than one line, nothing cut off to the side
    page.goto(f'{app.url}/outputs/{library["output"]}')
    wait_for_app(page)
    title = page.locator('[aria-label="Title"]').first
    title.wait_for()
    page.wait_for_function(
        'el => el.scrollHeight > 0 && el.clientHeight >= el.scrollHeight - 2', arg=title.element_handle()
    )
    box = title.bounding_box()
    line = title.evaluate('el => parseFloat(getComputedStyle(el).lineHeight)')
    assert box['height'] > 1.5 * line, (box, line)
    assert title.evaluate('el => el.scrollWidth <= el.clientWidth')
    assert box['x'] + box['width'] <= 390
    # the delete icon ends the title row
    delete = page.get_by_role('button', name='Delete')
    assert abs(delete.bounding_box()['y'] - box['y']) <= 8, (delete.bounding_box(), box)
    screenshot(page, 'phone-output-long-title')

    # branch chevrons are touch targets of at least 40 x 40 px
    page.goto(f'{app.url}/conversations/{library["branches"]}')
    wait_for_app(page)
    chevron = page.get_by_role('button', name='Previous branch').first
    chevron.wait_for()
    size = chevron.bounding_box()
    assert size['width'] >= 40 and size['height'] >= 40, size
    delete = page.get_by_role('button', name='Delete')
    title = page.locator('[aria-label="Title"]').first
    assert abs(delete.bounding_box()['y'] - title.bounding_box()['y']) <= 8

    # the chat composer stays at the bottom of the screen while a long conversation scrolls
    page.goto(f'{app.url}/chat/{library["long"]}')
    wait_for_app(page)
    composer = page.locator('.q-card', has=page.locator('textarea[aria-label="Message"]'))
    composer.wait_for()
    page.get_by_text('Message 29').first.wait_for()
    for y in (0, 1500, 10**6):
        page.evaluate('y => window.scrollTo(0, y)', y)
        page.wait_for_function(
            'y => Math.abs(window.scrollY - Math.min(y, document.documentElement.scrollHeight - window.innerHeight)) < 2',
            arg=y,
        )
        bottom = composer.evaluate('el => el.getBoundingClientRect().bottom')
        assert abs(bottom - 844) <= 1, (y, bottom)
    screenshot(page, 'phone-chat-composer-pinned')


def test_desktop_list_shows_the_tags_that_fit_and_the_composer_is_pinned(start_app, page, library) -> None:
    dbmod.connect(library['db'])
    outputs.capture_output(
        outputs.CaptureData(title='Tagged', body='Three short tags fit.', tags=['ai', 'sql', 'work'])
    )
    dbmod.close()
    app = start_app(db_path=library['db'])
    page.goto(f'{app.url}/outputs')
    wait_for_app(page)
    row = page.locator('.oh-tag-line:visible', has=page.locator('a', has_text='work')).first
    row.wait_for()
    cell = row.bounding_box()
    for name in ('ai', 'sql', 'work'):
        chip = row.locator('a', has_text=name).bounding_box()
        assert chip['y'] >= cell['y'] - 1 and chip['y'] + chip['height'] <= cell['y'] + cell['height'] + 1, (
            name
        )
    assert '+1' not in row.inner_text()

    page.goto(f'{app.url}/chat/{library["long"]}')
    wait_for_app(page)
    page.get_by_text('Message 29').first.wait_for()
    composer = page.locator('.q-card', has=page.locator('textarea[aria-label="Message"]'))
    height = page.viewport_size['height']
    for y in (0, 10**6):
        page.evaluate('y => window.scrollTo(0, y)', y)
        page.wait_for_function(
            'y => Math.abs(window.scrollY - Math.min(y, document.documentElement.scrollHeight - window.innerHeight)) < 2',
            arg=y,
        )
        assert abs(composer.evaluate('el => el.getBoundingClientRect().bottom') - height) <= 1, y


def test_save_to_library_from_a_row_in_the_browser(start_app, page, tmp_path) -> None:
    from app.data.models import Prompt

    db = tmp_path / 'prompts.db'
    dbmod.connect(db)
    outputs.capture_output(outputs.CaptureData(body='Three lines.', prompt='Summarise the memo for me'))
    dbmod.close()
    app = start_app(db_path=db)
    page.goto(f'{app.url}/prompts?unsaved=1')
    wait_for_app(page)
    page.get_by_role('button', name='Save Summarise the memo for me to the library').click()
    page.get_by_text('is in your library now').first.wait_for()
    page.get_by_role('button', name='Save Summarise the memo for me to the library').get_by_text(
        'Saved'
    ).wait_for()
    dbmod.connect(db)
    try:
        assert Prompt.get(Prompt.title == 'Summarise the memo for me').saved
    finally:
        dbmod.close()
