"""Real browser: the search palette. Ctrl+K from inside a text field, results while typing, ↑/↓ and Enter
open a result, Esc closes, "See all results" opens the search page, and the palette fills a phone."""

from __future__ import annotations

import re

import pytest

from .conftest import _new_page, screenshot, wait_for_app

OPEN = "document.documentElement.classList.contains('oh-palette-open')"


@pytest.fixture
def app(start_app, tmp_path):
    from app.data import conversations, outputs
    from app.data import db as dbmod

    path = tmp_path / 'palette.db'
    dbmod.connect(path)
    for title in ('Postgres upkeep', 'Postgres backups', 'Postgres replication'):
        outputs.capture_output(
            outputs.CaptureData(title=title, body=f'## {title}\n\n**Notes** on `postgres`.')
        )
    outputs.capture_output(outputs.CaptureData(title='Autumn haiku', body='Maple leaves falling'))
    conv = conversations.create_conversation('Postgres questions')
    conversations.add_message(conv, 'user', 'Is postgres faster than mysql?')
    dbmod.close()
    return start_app(db_path=path)


def _status(page, text: str) -> None:
    page.locator('.oh-palette-status', has_text=text).wait_for(timeout=10_000)


def test_ctrl_k_from_a_field_typing_arrows_enter_and_esc(app, page) -> None:
    page.goto(app.url + '/capture')
    wait_for_app(page)
    field = page.get_by_label('Output (Markdown)').first
    field.click()
    field.type('half a thought')
    page.keyboard.press('Control+k')  # while typing in a field
    page.wait_for_function(OPEN)
    page.keyboard.type('postg')  # the keys right after Ctrl+K land in the palette
    _status(page, 'for “postg”')
    assert page.locator('.oh-palette-input input').input_value() == 'postg'
    assert field.input_value() == 'half a thought'
    groups = page.locator('.oh-palette-kw .oh-palette-group').all_inner_texts()
    assert [g.lower() for g in groups] == ['outputs', 'conversations']
    snippets = ' '.join(page.locator('.oh-palette-kw .oh-palette-snippet').all_inner_texts())
    assert '##' not in snippets and '**' not in snippets and '`' not in snippets
    screenshot(page, 'palette-desktop')

    items = page.locator('.oh-palette .oh-palette-item')
    assert 'oh-active' in items.nth(0).get_attribute('class')
    page.keyboard.press('ArrowDown')
    page.keyboard.press('ArrowDown')
    page.keyboard.press('ArrowUp')
    assert 'oh-active' in items.nth(1).get_attribute('class')
    target = items.nth(1).get_attribute('href')
    page.keyboard.press('Enter')
    page.wait_for_url(re.compile(re.escape(target) + '$'))
    page.wait_for_function(f'!{OPEN}')

    page.keyboard.press('Control+k')
    page.wait_for_function(OPEN)
    assert page.locator('.oh-palette-input input').evaluate('el => el === document.activeElement')
    page.keyboard.press('Escape')
    page.wait_for_function(f'!{OPEN}')
    assert not page.locator('.oh-palette-card').is_visible()


def test_header_box_opens_the_palette_and_see_all_results(app, page) -> None:
    page.goto(app.url + '/outputs')
    wait_for_app(page)
    page.keyboard.press('/')  # "/" opens it too
    page.wait_for_function(OPEN)
    page.keyboard.press('Escape')
    page.wait_for_function(f'!{OPEN}')
    page.locator('.oh-search input').click()
    page.wait_for_function(OPEN)
    page.keyboard.type('haiku')
    _status(page, '1 match for “haiku”')
    assert 'Autumn haiku' in page.locator('.oh-palette-kw').inner_text()
    page.get_by_text('See all results for “haiku”').click()
    page.wait_for_url(re.compile(r'/search\?q=haiku$'))
    page.get_by_text('1 result, best first').wait_for()


def test_the_palette_fills_a_phone_screen(app, browser) -> None:
    context, phone = _new_page(
        browser, viewport={'width': 390, 'height': 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    try:
        phone.goto(app.url + '/')
        wait_for_app(phone)
        phone.locator('.oh-search input').tap()
        phone.wait_for_function(OPEN)
        phone.keyboard.type('postgres')
        _status(phone, 'for “postgres”')
        box = phone.locator('.oh-palette-card').bounding_box()
        assert box['x'] <= 1 and box['y'] <= 1 and box['width'] >= 389 and box['height'] >= 843, box
        hint = phone.locator('.oh-palette-keys').first
        assert not hint.is_visible()  # no keyboard hints on a touch screen
        screenshot(phone, 'palette-phone')
        phone.get_by_role('button', name='Close search').tap()  # no Esc key on a phone
        phone.wait_for_function(f'!{OPEN}')
        phone.locator('.oh-search input').tap()
        phone.wait_for_function(OPEN)
        phone.locator('.oh-palette-kw .oh-palette-item').first.tap()
        phone.wait_for_url(re.compile(r'/outputs/\d+$|/conversations/\d+'))
        phone.wait_for_function(f'!{OPEN}')
    finally:
        context.close()
