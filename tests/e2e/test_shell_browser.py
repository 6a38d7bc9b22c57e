"""The one shell in Chromium (issue 15 part 1, issue 16 drawer items): clicks switch pages without
reloading the tab, back and forward work, deep links open their page, the title follows, the drawer is
grouped with Settings in reach on a phone, and the drawer no longer makes NiceGUI wait for the browser
("JavaScript did not respond within 1.0 s")."""

from __future__ import annotations

import json

from app.data import db as dbmod
from app.data import lookups, outputs

from .conftest import screenshot, wait_for_app

NOT_RELOADED = 'window.ohShellMark === 42'  # a page load would forget it
CURRENT_NAV = "Array.from(document.querySelectorAll('.q-drawer a[aria-current=\"page\"]')).map(a => a.getAttribute('href'))"


def _wait_current(page, href: str) -> None:
    """The drawer marks exactly the entry of the page on screen."""
    page.wait_for_function(f'JSON.stringify({CURRENT_NAV}) === {json.dumps(json.dumps([href]))}')


def _seed(db_path) -> tuple[int, int]:
    dbmod.connect(db_path)
    out = outputs.capture_output(
        outputs.CaptureData(body='# Sourdough starter\nFeed it flour and water daily.', tags=['baking'])
    )
    outputs.capture_output(outputs.CaptureData(body='# Regex cheat sheet\nAnchors and groups.'))
    tag = lookups.find_by_name('tag', 'baking')
    dbmod.close()
    return out.id, tag.id


def test_clicks_switch_pages_in_the_tab_and_history_works(start_app, page, tmp_path) -> None:
    db_path = tmp_path / 'shell.db'
    output_id, tag_id = _seed(db_path)
    app = start_app(db_path=db_path)
    page.goto(app.url + '/')
    wait_for_app(page)
    _wait_current(page, '/')
    page.evaluate('window.ohShellMark = 42')

    page.locator('.q-drawer a[href="/outputs"]').click()  # the drawer is open beside the page on a desktop
    page.wait_for_url(app.url + '/outputs')
    page.wait_for_function("document.title.startsWith('Outputs')")
    page.locator('.nicegui-sub-pages').get_by_text('Regex cheat sheet').wait_for()
    assert page.evaluate(NOT_RELOADED)
    _wait_current(page, '/outputs')

    page.locator(f'a[href="/outputs/{output_id}"]').first.click()
    page.get_by_text('Feed it flour and water daily.').wait_for()
    # the address follows the new page's content by a message: waited for, not read at once
    page.wait_for_url(f'{app.url}/outputs/{output_id}', timeout=5000)
    page.wait_for_function("document.title.startsWith('Output ')")

    page.locator('[aria-label="tag baking"]').first.click()  # the output's tag chip
    page.wait_for_function("document.title.startsWith('Tag')")
    page.wait_for_url(f'{app.url}/tags/{tag_id}', timeout=5000)
    _wait_current(page, '/tags')  # a tag's page marks Tags

    page.go_back()
    page.get_by_text('Feed it flour and water daily.').wait_for()
    page.wait_for_function("document.title.startsWith('Output ')")
    page.go_back()
    page.wait_for_function("document.title.startsWith('Outputs')")
    assert page.url == app.url + '/outputs'
    _wait_current(page, '/outputs')  # Back moves the mark too
    page.go_forward()
    page.get_by_text('Feed it flour and water daily.').wait_for()
    assert page.evaluate(NOT_RELOADED), 'back/forward reloaded the tab'

    # A page that changes the address in place (a prompt's version: ui.navigate.history.push), then
    # Back: the page at the previous address is built again, not left as it was.
    page.evaluate("document.querySelector('.nicegui-sub-pages > *').setAttribute('data-before', '1')")
    page.evaluate("history.pushState({}, '', location.pathname + '?v=2')")
    page.go_back()
    page.wait_for_function("!document.querySelector('[data-before]')")
    page.get_by_text('Feed it flour and water daily.').wait_for()
    assert page.url == f'{app.url}/outputs/{output_id}'

    # g h (app.js) switches inside the shell too
    page.locator('body').press('g')
    page.locator('body').press('h')
    page.wait_for_function("document.title.startsWith('Home')")
    page.locator('.q-drawer a[href="/settings"]').click()
    page.get_by_text('This database').wait_for()
    assert page.evaluate(NOT_RELOADED)
    assert 'did not respond' not in app.log(), app.log()


def test_a_deep_link_in_a_new_tab_opens_its_page(start_app, browser, tmp_path) -> None:
    db_path = tmp_path / 'shell.db'
    output_id, _ = _seed(db_path)
    app = start_app(db_path=db_path)
    context = browser.new_context(viewport={'width': 1280, 'height': 860})
    tab = context.new_page()
    tab.goto(f'{app.url}/outputs/{output_id}')
    tab.get_by_text('Feed it flour and water daily.').wait_for()
    assert tab.title().startswith('Output ')
    tab.goto(f'{app.url}/capture?text=Shared+text&title=From+the+phone')
    wait_for_app(tab)
    body = tab.locator('.nicegui-sub-pages').get_by_label(
        'Output (Markdown)'
    )  # not the quick-capture dialog's
    assert body.input_value() == 'Shared text'
    tab.goto(f'{app.url}/no/such/page')
    assert 'not' in tab.content().lower()
    context.close()


def test_the_phone_drawer_is_grouped_with_settings_in_reach(start_app, browser, tmp_path) -> None:
    app = start_app()
    context = browser.new_context(
        viewport={'width': 390, 'height': 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    phone = context.new_page()
    phone.goto(app.url + '/')
    wait_for_app(phone)
    assert not phone.locator('.q-drawer a[href="/settings"]').is_visible()  # closed over the page
    phone.get_by_role('button', name='Menu').click()
    settings = phone.locator('.q-drawer a[href="/settings"]')
    settings.wait_for(state='visible')
    phone.wait_for_timeout(400)  # the drawer's slide-in animation
    box = settings.bounding_box()
    screenshot(phone, 'shell-phone-drawer')
    assert box is not None and box['y'] >= 0 and box['y'] + box['height'] <= 844, box
    scrolled = phone.evaluate("document.querySelector('.q-drawer .q-drawer__content').scrollTop")
    assert scrolled == 0
    headings = phone.locator('.q-drawer .oh-nav-group').all_inner_texts()
    assert [h.strip().lower() for h in headings] == ['library', 'work', 'insight', 'system']
    screenshot(phone, 'shell-phone-drawer')
    settings.click()
    phone.get_by_text('This database').wait_for()
    assert 'did not respond' not in app.log(), app.log()
    context.close()
