"""Real browser at phone size against ``outputhub --lan``: log in, capture, find it; pair with the QR
link from a desktop browser this computer made an administrator, get revoked from it and land on the login
form at once; the home-screen manifest."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from .conftest import LAN_PASSWORD, ROOT, app_env, log_in, screenshot, start_lan_app, wait_for_app


def _no_sideways_scroll(page) -> None:
    width = page.evaluate('document.documentElement.scrollWidth')
    assert width <= 362, f'{page.url} scrolls sideways on a phone ({width}px wide)'


def test_phone_logs_in_captures_and_finds_it(start_app, phone_page) -> None:
    server = start_lan_app(start_app)
    page = phone_page
    page.goto(server.url + '/capture')
    page.wait_for_selector('input[name=password]')
    assert '/login?next=%2Fcapture' in page.url
    screenshot(page, 'phone-login')
    page.fill('input[name=password]', 'not the password')
    page.click('button[type=submit]')
    assert page.get_by_text('That password is not right.').is_visible()

    page.fill('input[name=password]', LAN_PASSWORD)
    page.fill('input[name=device]', 'Test phone')
    page.click('button[type=submit]')
    wait_for_app(page)
    assert page.url.endswith('/capture')  # back where the phone wanted to go
    _no_sideways_scroll(page)

    form = page.locator('.q-page-container')  # the page's form, not the quick-capture dialog's
    form.get_by_label('Output (Markdown)').fill('Pack the tent pegs before the kayak trip to Lofoten')
    form.get_by_label('Title', exact=True).fill('Lofoten packing list')
    save = page.get_by_role('button', name='Save')
    box = save.bounding_box()
    assert box is not None and box['height'] >= 40, f'the Save button is too small to tap: {box}'
    save.click()
    page.get_by_text('Captured “Lofoten packing list”').wait_for(timeout=15_000)
    screenshot(page, 'phone-captured')

    page.goto(server.url + '/outputs')
    wait_for_app(page)
    page.get_by_text('Lofoten packing list').first.wait_for(timeout=15_000)
    _no_sideways_scroll(page)

    page.goto(server.url + '/search?q=kayak%20Lofoten&mode=keyword')
    wait_for_app(page)
    page.get_by_text('Lofoten packing list').first.wait_for(timeout=15_000)
    _no_sideways_scroll(page)
    screenshot(page, 'phone-found')
    assert not page.recorder.remote_requests


def _cli(server, *argv: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / 'main.py'), *argv, '--db', str(server.db_path)],
        env=app_env(server.data_dir),
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.stdout


def test_pairing_then_revoking_ends_the_phone_session_at_once(start_app, page, phone_page) -> None:
    server = start_lan_app(start_app)
    desktop = page
    desktop.goto(server.url + '/settings?tab=devices')
    desktop.wait_for_selector('input[name=password]')
    desktop.fill('input[name=password]', LAN_PASSWORD)
    desktop.fill('input[name=device]', 'Desktop browser')
    desktop.click('button[type=submit]')
    wait_for_app(desktop)
    # On loopback with --no-trust-loopback this browser is a device like any other: it may not pair phones
    # until this computer (here its command line) makes it an administrator.
    assert desktop.get_by_role('button', name='Pair a phone').count() == 0
    devices = json.loads(_cli(server, 'device', 'list', '--json'))
    (mine,) = [d['id'] for d in devices if d['name'] == 'Desktop browser']
    _cli(server, 'device', 'admin', str(mine))
    desktop.goto(server.url + '/settings?tab=devices')
    wait_for_app(desktop)
    desktop.get_by_role('button', name='Pair a phone').click()
    desktop.get_by_text('Scan with the phone camera').wait_for()
    assert desktop.locator('img[src^="data:image/svg+xml"]').count() == 1  # the QR code
    link = desktop.get_by_text(re.compile(r'/pair\?token=')).inner_text()
    token = link.split('token=')[1].strip()
    screenshot(desktop, 'desktop-pairing-qr')

    phone = phone_page
    # The QR code carries the LAN address; the test phone reaches the same server on loopback.
    phone.goto(f'{server.url}/pair?token={token}')
    phone.get_by_role('button', name='Pair and open Output Hub').click()
    wait_for_app(phone)
    assert phone.url.rstrip('/') == server.url
    desktop.get_by_text('Paired: Phone').wait_for(timeout=10_000)

    # The used code does not work a second time.
    again = phone.context.browser.new_context()
    other = again.new_page()
    other.goto(f'{server.url}/pair?token={token}')
    assert other.get_by_text('expired or was already used').is_visible()
    again.close()

    phone.goto(server.url + '/outputs')
    wait_for_app(phone)
    desktop.keyboard.press('Escape')
    desktop.reload()
    wait_for_app(desktop)
    desktop.get_by_text('Phone', exact=True).wait_for()
    assert desktop.get_by_role('button', name='Revoke Desktop browser').count() == 1
    desktop.get_by_role('button', name='Revoke Phone', exact=True).click()
    desktop.get_by_text(re.compile(r'Revoked Phone')).wait_for(timeout=10_000)

    # The phone's open page is sent to the login form without anyone touching it.
    phone.wait_for_url(re.compile(r'/login\?next='), timeout=15_000)
    assert phone.locator('input[name=password]').is_visible()
    response = phone.request.get(server.url + '/api/v1/outputs')
    assert response.status == 401


def test_home_screen_manifest_and_share_target(start_app, phone_page) -> None:
    server = start_lan_app(start_app)
    manifest = phone_page.request.get(server.url + '/manifest.webmanifest')  # public: fetched without cookies
    assert manifest.status == 200
    data = manifest.json()
    assert data['display'] == 'standalone' and data['start_url'] == '/'
    sizes = {icon['sizes'] for icon in data['icons']}
    assert {'192x192', '512x512'} <= sizes
    for icon in data['icons']:
        assert phone_page.request.get(server.url + icon['src']).status == 200
    share = data['share_target']
    assert share['action'] == '/capture' and share['params'] == {
        'title': 'title',
        'text': 'text',
        'url': 'url',
    }

    page = phone_page
    log_in(page, server.url, next_path='/capture?title=Shared&text=An%20answer%20shared%20from%20Claude')
    form = page.locator('.q-page-container')  # the page's form, not the quick-capture dialog's
    assert form.get_by_label('Output (Markdown)').input_value() == 'An answer shared from Claude'
    assert form.get_by_label('Title', exact=True).input_value() == 'Shared'
    assert page.locator('link[rel=manifest]').count() == 1


def test_long_titles_and_links_do_not_widen_phone_pages(start_app, phone_page) -> None:
    import subprocess
    import sys

    from .conftest import ROOT, app_env

    server = start_app()
    long_title = 'A very long output title that keeps going well past the width of any phone screen ' * 2
    long_url = 'https://chatgpt.com/c/' + 'x' * 120
    for n in range(2):
        subprocess.run(
            [
                sys.executable,
                str(ROOT / 'main.py'),
                'capture',
                '--db',
                str(server.db_path),
                '--output',
                f'body {n}',
                '--title',
                f'{long_title}{n}',
                '--url',
                long_url,
                '--tag',
                'a-rather-long-tag-name',
            ],
            env=app_env(server.data_dir),
            check=True,
            capture_output=True,
            timeout=120,
        )
    page = phone_page
    for path, marker in (('/outputs', 'A very long output title'), ('/outputs/1', 'https://chatgpt.com/c/')):
        page.goto(server.url + path)
        wait_for_app(page)
        page.get_by_text(marker).first.wait_for()
        _no_sideways_scroll(page)
    page.goto(server.url + '/outputs')
    wait_for_app(page)
    page.get_by_role('checkbox', name=re.compile('^Select A very long')).first.click()
    page.get_by_role('button', name='Delete', exact=True).click()
    page.wait_for_timeout(500)
    page.goto(server.url + '/trash')
    wait_for_app(page)
    page.get_by_text('A very long output title').first.wait_for()
    _no_sideways_scroll(page)
