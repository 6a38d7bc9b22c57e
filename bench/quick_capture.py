"""Benchmark: quick capture in Chromium (issue 15 budgets: `c` -> capture dialog with the cursor in Output
<= 150 ms; Ctrl+Enter -> "Captured" toast <= 300 ms), next to a bare NiceGUI dialog measured in the same
run.

    .venv/bin/python -m bench.quick_capture [--outputs 3000] [--db PATH] [--repeat 15] [--json]

Seeds demo data into a temporary database (or tops up --db to --outputs), starts the app and a bare
NiceGUI page as subprocesses and drives both in Chromium (Playwright, /usr/bin/chromium) from Home.
Timed in the page itself, from the key's keydown (a capture-phase listener installed before the key) to
the first animation frame after:

- open: the dialog is shown and the cursor is in its Output field (the bare page: ``ui.keyboard`` ``c``
  -> ``dialog.open()`` on the server, a textarea with ``autofocus`` in the dialog);
- save: Ctrl+Enter in Output -> the "Captured" toast is in the page (the bare page: Ctrl+Enter ->
  ``ui.notify('Captured')`` on the server, no database).

Medians and p95 of ``--repeat`` runs (>= 10) after two warm-up rounds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import browser  # noqa: E402

BUDGET_OPEN_MS = 150.0
BUDGET_SAVE_MS = 300.0

BARE_APP = """
from nicegui import ui

@ui.page('/')
def index():
    with ui.dialog() as dialog, ui.card():
        area = ui.textarea('Output').props('autofocus').classes('bare-output w-96')
        area.on('keydown.ctrl.enter', lambda: ui.notify('Captured'))

    def key(e):
        if e.key == 'c' and e.action.keydown and not e.modifiers.ctrl and not dialog.value:
            dialog.open()

    ui.keyboard(on_key=key, ignore=['input', 'textarea'])
    ui.label('bare page')

ui.run(port=int(__import__('sys').argv[1]), show=False, reload=False, title='bare')
"""

# Armed before the key: its keydown starts the clock, the first frame after ``ready()`` holds stops it.
ARM = """(what) => {
    window.__t0 = null; window.__t1 = null;
    const ready = what === 'open'
        ? () => { const a = document.activeElement;
                  return !!a && a.tagName === 'TEXTAREA' && !!a.closest('.oh-qc .oh-capture-body, .q-dialog')
                      && a.getBoundingClientRect().width > 0; }
        : () => Array.from(document.querySelectorAll('.q-card[role=status], .q-notification'))
                  .some((el) => el.textContent.includes('Captured'));
    document.addEventListener('keydown', () => { if (window.__t0 === null) window.__t0 = performance.now(); },
        { capture: true, once: true });
    (function poll() {
        if (window.__t0 !== null && ready()) {
            requestAnimationFrame(() => { window.__t1 = performance.now(); });
            return;
        }
        setTimeout(poll, 1);
    })();
}"""


def _seed(path: Path, outputs: int) -> tuple[int, float]:
    from app.data import db as dbmod
    from app.data.models import Output

    seconds = browser.top_up(path, outputs, seed=13)
    n = Output.select().count()
    dbmod.close()
    return n, seconds


def _timed(page, what: str, key: str) -> float:
    page.evaluate(ARM, what)
    page.keyboard.press(key)
    page.wait_for_function('window.__t1 !== null', timeout=30_000)
    return page.evaluate('window.__t1 - window.__t0')


def _rounds(page, is_app: bool, repeat: int, tag: str) -> tuple[list[float], list[float]]:
    opens, saves = [], []
    for i in range(repeat):
        page.locator('body').click(position={'x': 640, 'y': 12})  # the page has the focus, no field
        opens.append(_timed(page, 'open', 'c'))
        page.keyboard.type(f'Bench capture {tag} {i} {time.time_ns()}: keep this answer.')
        saves.append(_timed(page, 'save', 'Control+Enter'))
        if is_app:
            page.wait_for_function("!document.documentElement.classList.contains('oh-qc-is-open')")
            page.locator('.q-card[role=status] button[aria-label=Dismiss]').first.click()
            page.wait_for_selector('.q-card[role=status]', state='detached')
        else:
            page.keyboard.press('Escape')
            page.wait_for_selector('.q-dialog', state='detached')
            page.locator('.q-notification').first.wait_for(state='detached', timeout=10_000)
    return opens, saves


def _stats(values: list[float]) -> dict:
    ordered = sorted(values)
    return {
        'p50_ms': round(statistics.median(ordered), 1),
        'p95_ms': round(browser.p95(ordered), 1),
        'n': len(ordered),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument('--outputs', type=int, default=3000)
    parser.add_argument('--db', type=Path, default=None, help='use this database (topped up to --outputs)')
    parser.add_argument('--repeat', type=int, default=15)
    parser.add_argument('--json', action='store_true')
    args = parser.parse_args(argv)
    repeat = max(10, args.repeat)

    tmp = Path(tempfile.mkdtemp(prefix='oh-bench-qc-'))
    path = args.db or tmp / 'bench.db'
    n, seed_s = _seed(path, args.outputs)

    from playwright.sync_api import sync_playwright

    results: dict[str, dict] = {}
    with browser.app_and_bare(path, tmp, BARE_APP) as (app_url, bare_url), sync_playwright() as pw:
        chromium = browser.launch_chromium(pw)
        for name, url, is_app in (('bare', bare_url, False), ('app', app_url, True)):
            page = chromium.new_page(viewport=browser.VIEWPORT)
            page.goto(url + '/')
            page.wait_for_load_state('networkidle')
            if is_app:  # the dialog's form is built once the page is idle after load
                page.wait_for_selector('.oh-qc .oh-capture-body textarea', state='attached', timeout=30_000)
            _rounds(page, is_app, 2, 'warm-up')
            opens, saves = _rounds(page, is_app, repeat, name)
            results[name] = {'open': _stats(opens), 'save': _stats(saves)}
            page.close()
        chromium.close()

    app, bare = results['app'], results['bare']
    result = {
        'outputs': n,
        'seed_s': round(seed_s, 1),
        'repeat': repeat,
        'open_dialog_p50_ms': app['open']['p50_ms'],
        'open_dialog_p95_ms': app['open']['p95_ms'],
        'bare_dialog_open_p50_ms': bare['open']['p50_ms'],
        'bare_dialog_open_p95_ms': bare['open']['p95_ms'],
        'save_to_toast_p50_ms': app['save']['p50_ms'],
        'save_to_toast_p95_ms': app['save']['p95_ms'],
        'bare_notify_p50_ms': bare['save']['p50_ms'],
        'bare_notify_p95_ms': bare['save']['p95_ms'],
        'budget_open_ms': BUDGET_OPEN_MS,
        'budget_save_ms': BUDGET_SAVE_MS,
        'budget_open_ok': app['open']['p50_ms'] <= BUDGET_OPEN_MS,
        'budget_save_ok': app['save']['p50_ms'] <= BUDGET_SAVE_MS,
    }
    browser.print_result(result, args.json)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
