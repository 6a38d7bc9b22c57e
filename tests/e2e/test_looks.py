"""How the app looks in a real browser: the header follows dark mode (its title and search box stay
readable), and buttons and tabs are in normal case instead of Quasar's capitals."""

from __future__ import annotations

from .conftest import wait_for_app

CONTRAST = """(selector) => {
  const rgb = (s) => s.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
  const lum = ([r, g, b]) => {
    const f = (c) => { c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const header = document.querySelector('.q-header');
  const text = document.querySelector(selector);
  const bg = lum(rgb(getComputedStyle(header).backgroundColor));
  const fg = lum(rgb(getComputedStyle(text).color));
  return { bg, ratio: (Math.max(bg, fg) + 0.05) / (Math.min(bg, fg) + 0.05) };
}"""


def test_the_header_follows_dark_mode_and_stays_readable(start_app, browser, tmp_path) -> None:
    app = start_app()
    for scheme in ('dark', 'light'):
        context = browser.new_context(color_scheme=scheme, viewport={'width': 1280, 'height': 800})
        page = context.new_page()
        page.goto(app.url + '/')
        wait_for_app(page)
        page.wait_for_function(
            "document.body.classList.contains('body--dark') === " + str(scheme == 'dark').lower()
        )
        title = page.evaluate(CONTRAST, '.q-header .text-lg')
        assert (title['bg'] < 0.1) == (scheme == 'dark'), f'{scheme}: header luminance {title["bg"]:.2f}'
        assert title['ratio'] >= 4.5, f'{scheme}: the title has a contrast of {title["ratio"]:.1f}:1'
        page.screenshot(path=str(tmp_path / f'header-{scheme}.png'))
        context.close()


def test_buttons_and_tabs_are_in_normal_case(start_app, page) -> None:
    app = start_app()
    for path in ('/', '/settings'):
        page.goto(app.url + path)
        wait_for_app(page)
        shouting = page.evaluate(
            "[...document.querySelectorAll('.q-btn, .q-tab')]"
            ".filter(e => getComputedStyle(e).textTransform === 'uppercase').map(e => e.innerText)"
        )
        assert shouting == [], f'{path}: {shouting}'


def test_round_buttons_stay_round_and_finger_sized_on_a_phone(start_app, phone_page) -> None:
    app = start_app()
    phone_page.goto(app.url + '/')
    wait_for_app(phone_page)
    box = phone_page.get_by_role('button', name='Capture').first.bounding_box()
    assert box is not None
    assert box['width'] >= 44 and box['height'] >= 44, box
    assert abs(box['width'] - box['height']) < 1, f'an oval: {box}'


def test_keyboard_hints_are_shown_with_a_keyboard_and_hidden_on_a_touch_screen(
    start_app, page, phone_page
) -> None:
    app = start_app()
    for pg, visible in ((page, True), (phone_page, False)):
        pg.goto(app.url + '/')
        wait_for_app(pg)
        hints = pg.locator('.oh-kbd-hint')
        assert hints.count() >= 2  # the header's "/" and the capture form's Ctrl+Enter
        shown = [h.inner_text() for h in hints.all() if h.is_visible()]
        assert bool(shown) == visible, shown
        assert pg.get_by_placeholder('Search', exact=True).count() == 1
