"""Real browser: quick capture from anywhere (issue 15 parts 2 and 3, issue 16's Home counts and Add tags
tooltip). `c`, the header + and Ctrl/⌘+Shift+V open the capture form as a dialog over the page with the
cursor in Output; Ctrl+Enter saves from every field; the tag box never loses a tag."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from .conftest import screenshot, wait_for_app
from .test_capture_flow import capture_via_cli

OUTPUT_IN_DIALOG = "document.activeElement && !!document.activeElement.closest('.oh-qc .oh-capture-body')"


def rows(db: Path, sql: str, *args: object) -> list[tuple]:
    with sqlite3.connect(f'file:{db}?mode=ro', uri=True) as conn:
        return conn.execute(sql, args).fetchall()


def tags_of(db: Path, body: str) -> list[str]:
    return sorted(
        name
        for (name,) in rows(
            db,
            'SELECT t.name FROM output o JOIN output_tag ot ON ot.output_id = o.id '
            'JOIN tag t ON t.id = ot.tag_id WHERE o.body = ? AND o.deleted_at IS NULL',
            body,
        )
    )


def open_home(page, url: str) -> None:
    page.goto(url + '/')
    wait_for_app(page)
    # the dialog's form is built once the page is idle: wait for it like a person would not notice
    page.wait_for_selector('.oh-qc .oh-capture-body textarea', state='attached', timeout=15_000)


def dialog_visible(page) -> bool:
    return page.locator('.oh-qc').is_visible()


def test_c_opens_the_dialog_over_home_and_saving_updates_home_without_a_reload(start_app, page) -> None:
    app = start_app()
    open_home(page, app.url)
    page.get_by_text('Nothing captured yet.').wait_for()
    page.evaluate('window.__same_page = 1')  # gone if the page reloads
    page.locator('body').click(position={'x': 600, 'y': 20})
    page.keyboard.press('c')
    page.wait_for_function(OUTPUT_IN_DIALOG)
    assert dialog_visible(page)
    assert page.url.rstrip('/') == app.url, 'c navigated away instead of opening the dialog'
    page.keyboard.type('# Dialog capture\n\nSaved from the dialog over Home.')
    page.keyboard.press('Control+Enter')
    page.get_by_text('Captured “Dialog capture”').wait_for()
    toast = page.locator('.q-card[role=status]')
    assert toast.get_by_role('button', name='Open').is_visible()
    assert toast.get_by_role('button', name='Undo').is_visible()
    page.wait_for_function("!document.documentElement.classList.contains('oh-qc-is-open')")
    assert not dialog_visible(page)
    # Home beneath shows it: counts and the recent list, welcome card gone, no reload
    page.get_by_text('1 output', exact=True).wait_for()
    page.locator('.q-page-container').get_by_role('link', name='Dialog capture').wait_for()
    assert page.get_by_text('Nothing captured yet.').count() == 0
    assert page.get_by_text('Welcome to Output Hub').count() == 0
    assert page.evaluate('window.__same_page') == 1
    screenshot(page, 'quick-capture-home-after')
    # Undo takes it back out, and Home follows again
    toast.get_by_role('button', name='Undo').click()
    page.get_by_text('0 outputs', exact=True).wait_for()
    assert rows(app.db_path, 'SELECT count(*) FROM output WHERE deleted_at IS NULL') == [(0,)]


def test_the_header_plus_opens_the_dialog_and_an_outputs_list_shows_the_new_item(start_app, page) -> None:
    app = start_app()
    page.goto(app.url + '/outputs')
    wait_for_app(page)
    page.wait_for_selector('.oh-qc .oh-capture-body textarea', state='attached', timeout=15_000)
    page.get_by_role('button', name='Capture', exact=True).first.click()
    page.wait_for_function(OUTPUT_IN_DIALOG)
    page.keyboard.type('Listed without a reload')
    page.keyboard.press('Control+Enter')
    page.get_by_text('Captured “Listed without a reload”').wait_for()
    page.locator('.q-page-container').get_by_role('link', name='Listed without a reload').wait_for()
    assert page.url.endswith('/outputs')


def test_esc_closes_and_c_on_the_capture_page_focuses_its_own_form(start_app, page) -> None:
    app = start_app()
    open_home(page, app.url)
    page.locator('body').click(position={'x': 600, 'y': 20})
    page.keyboard.press('c')
    page.wait_for_function(OUTPUT_IN_DIALOG)
    page.keyboard.press('Escape')
    page.wait_for_function("!document.documentElement.classList.contains('oh-qc-is-open')")
    # the share target and /capture stay a page; `c` there puts the cursor in that page's form
    page.goto(app.url + '/capture?text=Shared%20from%20the%20phone&title=Shared')
    wait_for_app(page)
    assert page.get_by_label('Output (Markdown)').first.input_value() == 'Shared from the phone'
    page.locator('body').click(position={'x': 600, 'y': 20})
    page.keyboard.press('c')
    page.wait_for_function("document.activeElement && !!document.activeElement.closest('.oh-capture-here')")
    assert not dialog_visible(page)


@pytest.mark.parametrize('granted', [True, False], ids=['clipboard-api', 'browser-paste'])
def test_ctrl_shift_v_while_typing_in_another_field_opens_the_dialog_and_pastes(
    start_app, browser, granted: bool
) -> None:
    app = start_app()
    context = browser.new_context(
        viewport={'width': 1280, 'height': 860},
        permissions=['clipboard-read', 'clipboard-write'] if granted else [],
    )
    page = context.new_page()
    try:
        page.goto(app.url + '/outputs')
        wait_for_app(page)
        page.wait_for_selector('.oh-qc .oh-capture-body textarea', state='attached', timeout=15_000)
        if not granted:  # no permission to read it: the browser's own paste has to land in Output
            context.grant_permissions(['clipboard-write'])
        page.evaluate("navigator.clipboard.writeText('Copied from ChatGPT: use WAL mode')")
        if not granted:
            context.clear_permissions()
        search = page.get_by_placeholder('Filter outputs by title')
        search.click()
        search.type('half-typed filter')
        page.keyboard.press('Control+Shift+V')
        page.wait_for_function(OUTPUT_IN_DIALOG)
        area = page.locator('.oh-qc .oh-capture-body textarea')
        page.wait_for_function(
            "document.querySelector('.oh-qc .oh-capture-body textarea').value.includes('use WAL mode')",
            timeout=5000,
        )
        assert area.input_value() == 'Copied from ChatGPT: use WAL mode'
        assert search.input_value() == 'half-typed filter'
        page.keyboard.press('Control+Enter')
        page.get_by_text('Captured “Copied from ChatGPT: use WAL mode”').wait_for()
    finally:
        context.close()


def test_ctrl_enter_saves_from_every_field_of_the_dialog(start_app, page, tmp_path) -> None:
    db = tmp_path / 'fields.db'
    capture_via_cli(db, 'Seed output', '--tag', 'postgres', '--model', 'gpt-4o')
    app = start_app(db_path=db)
    open_home(page, app.url)
    dialog = page.locator('.oh-qc')
    page.locator('body').click(position={'x': 600, 'y': 20})
    page.keyboard.press('c')
    page.wait_for_function(OUTPUT_IN_DIALOG)
    dialog.get_by_text('More: rating').click()  # the fields folded under "More" (they stay unfolded)

    def field(label: str):
        return dialog.get_by_label(label, exact=True)

    fields = {
        'Prompt (optional)': lambda f: f.click(),
        'Output (Markdown)': lambda f: f.click(),
        'Title': lambda f: f.click(),
        'Model': lambda f: (f.click(), page.keyboard.type('claude-x')),  # typed, never chosen
        'Agent': lambda f: f.click(),
        'Collection': lambda f: (f.click(), page.keyboard.type('Reading list')),
        'Tags': lambda f: (f.click(), page.keyboard.type('typed-tag')),
        'Category': lambda f: f.click(),
        'Accuracy': lambda f: f.click(),  # a plain combo box, its menu open
        'Sensitivity': lambda f: f.click(),
        'Notes': lambda f: f.click(),
        'Source URL': lambda f: f.click(),
    }
    for label, focus in fields.items():
        if not dialog_visible(page):
            # opened again with the header's Capture button: this test is about saving from each field
            # (the `c` key is the other tests'), and a key pressed while the focus settles after the
            # close could go to the page instead
            page.get_by_role('button', name='Capture', exact=True).first.click()
            page.wait_for_function("document.documentElement.classList.contains('oh-qc-is-open')")
        body = f'Saved with Ctrl+Enter from {label}'
        field('Output (Markdown)').fill(body)
        focus(field(label))
        page.keyboard.press('Control+Enter')
        page.get_by_text(f'Captured “{body}”').wait_for(timeout=5000)
        page.wait_for_function("!document.documentElement.classList.contains('oh-qc-is-open')")
        assert rows(app.db_path, 'SELECT count(*) FROM output WHERE body = ?', body) == [(1,)], label
    model = rows(
        app.db_path,
        'SELECT m.name FROM output o JOIN llm_model m ON m.id = o.model_id WHERE o.body = ?',
        'Saved with Ctrl+Enter from Model',
    )
    assert model == [('claude-x',)], 'the model typed in the combo box was saved'
    assert 'typed-tag' in tags_of(app.db_path, 'Saved with Ctrl+Enter from Tags')


def test_tag_entry_never_loses_a_tag(start_app, page, tmp_path) -> None:
    db = tmp_path / 'tags.db'
    capture_via_cli(db, 'Seed output', '--tag', 'postgres', '--tag', 'python')
    app = start_app(db_path=db)
    page.goto(app.url + '/capture')
    wait_for_app(page)
    form = page.locator('.q-page-container')
    form.get_by_label('Output (Markdown)').fill('Tags typed the way that lost them')
    box = form.get_by_label(re.compile('^Tags'))
    box.click()
    chips = form.locator('.q-chip')

    def chip_names() -> list[str]:
        return [c.strip() for c in chips.all_inner_texts()]

    page.keyboard.type('postgres')
    page.keyboard.press('Enter')
    page.wait_for_function("document.querySelectorAll('.q-page-container .q-chip').length === 1")
    # `post` + Enter with `postgres` chosen adds `post`, it does not toggle `postgres` off
    page.keyboard.type('post')
    page.keyboard.press('Enter')
    page.wait_for_function("document.querySelectorAll('.q-page-container .q-chip').length === 2")
    assert [n.replace('cancel', '').strip() for n in chip_names()] == ['postgres', 'post']
    page.keyboard.type('postgres')  # the same again: still one chip
    page.keyboard.press('Enter')
    page.keyboard.type('pyth')
    page.keyboard.press('Enter')
    page.wait_for_function("document.querySelectorAll('.q-page-container .q-chip').length === 3")
    # Backspace in the empty box removes the last chip, visibly
    page.keyboard.press('Backspace')
    page.wait_for_function("document.querySelectorAll('.q-page-container .q-chip').length === 2")
    # fast typing straight into Ctrl+Enter: the typed tag is saved too
    page.keyboard.type('typed-fast', delay=0)
    page.keyboard.press('Control+Enter')
    page.get_by_text('Captured “Tags typed the way that lost them”').wait_for()
    assert tags_of(app.db_path, 'Tags typed the way that lost them') == ['post', 'postgres', 'typed-fast']


def test_the_dialog_at_phone_size_keeps_a_tag_typed_without_enter(start_app, browser, tmp_path) -> None:
    db = tmp_path / 'phone.db'
    capture_via_cli(db, 'Seed output', '--tag', 'mobile')
    app = start_app(db_path=db)
    context = browser.new_context(
        viewport={'width': 390, 'height': 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    try:
        open_home(page, app.url)
        page.get_by_role('button', name='Capture', exact=True).first.tap()
        page.wait_for_function("document.documentElement.classList.contains('oh-qc-is-open')")
        card = page.locator('.oh-qc-card').bounding_box()
        assert card['width'] >= 380 and card['x'] <= 5, f'the dialog does not use the phone screen: {card}'
        width = page.evaluate('document.documentElement.scrollWidth')
        assert width <= 390 + 1, f'the dialog scrolls sideways on a phone ({width}px wide)'
        dialog = page.locator('.oh-qc')
        dialog.get_by_label('Output (Markdown)').fill('Captured on the phone')
        dialog.get_by_label('Tags', exact=True).tap()
        page.keyboard.type('phone-tag')  # no Enter on a phone keyboard: the next tap is Save
        screenshot(page, 'quick-capture-phone')
        dialog.get_by_role('button', name='Save', exact=True).tap()
        page.get_by_text('Captured “Captured on the phone”').wait_for()
        assert tags_of(app.db_path, 'Captured on the phone') == ['phone-tag']
    finally:
        context.close()


def test_the_add_tags_tooltip_does_not_cover_the_box_it_opens(start_app, page, tmp_path) -> None:
    """The output page's relations are one line each until opened; the Add tags button's hint is the
    browser's own tooltip (``title``), which the click dismisses — no tooltip element stays over the box."""
    db = tmp_path / 'tooltip.db'
    capture_via_cli(db, 'An output to tag')
    app = start_app(db_path=db)
    page.goto(app.url + '/outputs/1')
    wait_for_app(page)
    button = page.locator('.nicegui-sub-pages').get_by_role('button', name='Add tags')
    assert button.get_attribute('title') == 'Add tags'  # hovering says what it does
    button.hover()
    button.click()
    box = page.get_by_placeholder('Search tags or type a new name')
    box.wait_for()
    page.wait_for_timeout(600)  # a Quasar tooltip shows after its delay
    b = box.bounding_box()
    for tip in page.locator('.q-tooltip').all():
        if not tip.is_visible():
            continue
        a = tip.bounding_box()
        overlap = not (
            a['x'] + a['width'] <= b['x']
            or b['x'] + b['width'] <= a['x']
            or a['y'] + a['height'] <= b['y']
            or b['y'] + b['height'] <= a['y']
        )
        assert not overlap, f'the tooltip {a} covers the tag box {b}'
