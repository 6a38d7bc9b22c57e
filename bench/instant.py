"""Benchmark: page switches inside the shell, in Chromium (issue 15 budgets, part 1).

    python -m bench.instant [--outputs 2000] [--runs 12] [--db PATH] [--indexer] [--json]

Seeds demo data into a temporary database (unless --db points at an already seeded file; use
``--outputs 100000`` for the issue's size), serves the app in a subprocess and drives it with Playwright
and /usr/bin/chromium. Each figure is from the click to the new page's content in the DOM plus one
animation frame (a MutationObserver in the page, so no polling delay):

- in-app clicks: drawer → outputs list, list → an output, output → one of its tags;
- a deep link opened in a new tab (an output's URL) → its content;
- the same two figures for a bare NiceGUI page (a header, a drawer and two ``ui.sub_pages`` pages)
  served in the same run, the floor the app is measured against;
- the weight of a deep-linked output, the outputs list and the bare page: DOM nodes and NiceGUI
  elements in the browser (figures that do not move with the machine's load).

``--indexer`` measures the same while the search indexer embeds the library's backlog with the real model
(its threads at low priority), the app up 45 s first.

Budgets: in-app click ≤ 300 ms p50, ≤ 600 ms p95; deep link ≤ 1.2 s p50.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import browser  # noqa: E402

BUDGET_CLICK_P50, BUDGET_CLICK_P95, BUDGET_DEEP_P50 = 300.0, 600.0, 1200.0
INDEXER_WARMUP_S = 45.0

# Click `click` (a selector), then resolve with the milliseconds until `done` (a selector) is in the
# sub page that replaced the one shown before (marked so a stale match does not count).
CLICK_TO_CONTENT = """
([click, done]) => new Promise((resolve, reject) => {
  const old = document.querySelector('.nicegui-sub-pages > *');
  if (old) old.setAttribute('data-bench-old', '1');
  const ready = () => !document.querySelector('[data-bench-old]') && document.querySelector(done);
  const target = document.querySelector(click);
  if (!target) { reject(new Error('nothing to click: ' + click)); return; }
  const t0 = performance.now();
  const finish = () => requestAnimationFrame(() => resolve(performance.now() - t0));
  const observer = new MutationObserver(() => { if (ready()) { observer.disconnect(); finish(); } });
  observer.observe(document.body, { childList: true, subtree: true });
  setTimeout(() => { observer.disconnect(); reject(new Error('timeout waiting for ' + done)); }, 30000);
  target.click();
})
"""

BARE_APP = textwrap.dedent(
    """
    import sys
    from nicegui import ui

    def page_a():
        ui.label('Page A').classes('bench-a')
        ui.link('to B', '/b').classes('bench-to-b')

    def page_b():
        ui.label('Page B').classes('bench-b')
        ui.link('to A', '/a').classes('bench-to-a')

    @ui.page('/')
    @ui.page('/{_:path}')
    def root():
        with ui.header():
            ui.label('Bare shell')
        with ui.left_drawer(value=True):
            ui.link('A', '/a')
            ui.link('B', '/b')
        ui.sub_pages({'/': page_a, '/a': page_a, '/b': page_b})

    ui.run(port=int(sys.argv[1]), show=False, reload=False, show_welcome_message=False)
    """
)


def _seed(path: Path, outputs: int) -> None:
    from app.data import db as dbmod
    from app.data import demo

    dbmod.connect(path)
    started = time.perf_counter()
    counts = demo.seed(outputs=outputs)
    dbmod.close()
    print(
        f'seeded {counts["outputs"]:,} outputs, {counts["messages"]:,} messages in '
        f'{time.perf_counter() - started:.0f} s',
        file=sys.stderr,
    )


def _env(data_dir: Path, indexer: bool = False) -> dict[str, str]:
    # the indexer is off unless asked: measure pages, not the embedding backlog
    env = browser.server_env(data_dir, OUTPUTHUB_HOUSEKEEPING='0', OUTPUTHUB_KEYSTORE='file')
    if indexer:  # pages while the backlog is embedded by the real model (its threads at low priority)
        env['OUTPUTHUB_INDEXER'] = '1'
    return env


def _stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {'p50': round(statistics.median(ordered)), 'p95': round(p95), 'n': len(ordered)}


# What the browser holds once a page is shown: its DOM nodes and NiceGUI's elements (each has an id
# "c<number>"). Unlike the times, these do not move with the machine's load.
WEIGHT = """() => ({
  dom_nodes: document.querySelectorAll('*').length,
  elements: Array.from(document.querySelectorAll('[id^="c"]')).filter((e) => /^c\\d+$/.test(e.id)).length,
})"""


def _deep_link(context, url: str, done: str, weights: dict | None = None, name: str = '') -> float:
    tab = context.new_page()
    started = time.perf_counter()
    tab.goto(url, wait_until='commit')
    tab.wait_for_selector(done, state='attached', timeout=60_000)
    elapsed = (time.perf_counter() - started) * 1000
    if weights is not None and name not in weights:
        weights[name] = tab.evaluate(WEIGHT)
    tab.close()
    return elapsed


def measure_app(browser, url: str, runs: int) -> dict[str, dict[str, float]]:
    context = browser.new_context(viewport={'width': 1440, 'height': 900})
    page = context.new_page()
    page.goto(url + '/outputs')
    page.wait_for_selector('.nicegui-sub-pages a.oh-link.font-medium[href^="/outputs/"]', timeout=60_000)
    rows = page.eval_on_selector_all(
        '.nicegui-sub-pages a.oh-link.font-medium[href^="/outputs/"]',
        'els => els.map(e => e.getAttribute("href"))',
    )
    figures: dict[str, list[float]] = {'drawer → outputs list': [], 'list → output': [], 'output → tag': []}
    deep: list[float] = []
    attempt = 0
    while len(figures['output → tag']) < runs and attempt < runs * 4:
        href = rows[attempt % len(rows)]
        attempt += 1
        if attempt > 1:
            figures['drawer → outputs list'].append(
                page.evaluate(
                    CLICK_TO_CONTENT,
                    [
                        '.q-drawer a[href="/outputs"]',
                        '.nicegui-sub-pages a.oh-link.font-medium[href^="/outputs/"]',
                    ],
                )
            )
        figures['list → output'].append(
            page.evaluate(
                CLICK_TO_CONTENT, [f'.nicegui-sub-pages a[href="{href}"]', '[aria-label="Copy as Markdown"]']
            )
        )
        if not page.query_selector('.nicegui-sub-pages [aria-label^="tag "]'):
            continue  # an output without tags: try the next row
        figures['output → tag'].append(
            page.evaluate(
                CLICK_TO_CONTENT,
                [
                    '.nicegui-sub-pages [aria-label^="tag "]',
                    '.nicegui-sub-pages textarea[placeholder="Description"]',
                ],
            )
        )
    weights: dict[str, dict[str, int]] = {}
    for n in range(runs):
        deep.append(
            _deep_link(
                context,
                url + rows[n % len(rows)],
                '[aria-label="Copy as Markdown"]',
                weights,
                'output (deep link)',
            )
        )
    _deep_link(
        context,
        url + '/outputs',
        '.nicegui-sub-pages a.oh-link.font-medium[href^="/outputs/"]',
        weights,
        'outputs list (deep link)',
    )
    context.close()
    out = {name: _stats(values) for name, values in figures.items()}
    out['deep link → output'] = _stats(deep)
    out['weights'] = weights
    return out


def measure_bare(browser, url: str, runs: int) -> dict[str, dict[str, float]]:
    context = browser.new_context(viewport={'width': 1440, 'height': 900})
    page = context.new_page()
    page.goto(url + '/a')
    page.wait_for_selector('.bench-a')
    clicks = []
    for n in range(runs * 2):
        to_b = n % 2 == 0
        clicks.append(
            page.evaluate(
                CLICK_TO_CONTENT,
                ['.bench-to-b', '.nicegui-sub-pages .bench-b']
                if to_b
                else ['.bench-to-a', '.nicegui-sub-pages .bench-a'],
            )
        )
    weights: dict[str, dict[str, int]] = {}
    deep = [_deep_link(context, url + '/b', '.bench-b', weights, 'bare page') for _ in range(runs)]
    context.close()
    return {
        'bare: click → sub page': _stats(clicks),
        'bare: deep link → content': _stats(deep),
        'weights': weights,
    }


def run(outputs: int, runs: int, db: Path | None, indexer: bool = False) -> dict:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        db_path = db or tmp_path / 'instant.db'
        if db is None or not db.exists():
            _seed(db_path, outputs)
        else:  # an already seeded file: say what it holds
            with sqlite3.connect(f'file:{db_path}?mode=ro', uri=True) as conn:
                outputs = conn.execute('SELECT count(*) FROM output WHERE deleted_at IS NULL').fetchone()[0]
        with (
            browser.app_and_bare(
                db_path,
                tmp_path,
                BARE_APP,
                bare_name='bare_shell.py',
                env=_env(tmp_path, indexer),
                stop_timeout=20,
                up_timeout=180,
                request_timeout=5,
            ) as (app_url, bare_url),
            sync_playwright() as pw,
        ):
            if indexer:
                time.sleep(INDEXER_WARMUP_S)  # the model exported and loaded, the backlog under way
            chromium = browser.launch_chromium(pw, headless=True)
            figures = measure_app(chromium, app_url, runs)
            bare = measure_bare(chromium, bare_url, runs)
            weights = {**figures.pop('weights'), **bare.pop('weights')}
            figures.update(bare)
            chromium.close()
    return {
        'outputs': outputs,
        'runs': runs,
        'indexer': indexer,
        'figures_ms': figures,
        'weights': weights,
        'budgets_ms': {
            'click_p50': BUDGET_CLICK_P50,
            'click_p95': BUDGET_CLICK_P95,
            'deep_p50': BUDGET_DEEP_P50,
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--outputs', type=int, default=2000, help='outputs to seed (default 2,000)')
    parser.add_argument('--runs', type=int, default=12, help='repetitions of each figure (at least 10)')
    parser.add_argument(
        '--db', type=Path, default=None, help='an already seeded database (or where to seed one)'
    )
    parser.add_argument(
        '--indexer',
        action='store_true',
        help=f'run the search indexer on the backlog (the real model), measuring after {INDEXER_WARMUP_S:.0f} s',
    )
    parser.add_argument('--json', action='store_true')
    args = parser.parse_args(argv)
    result = run(args.outputs, max(10, args.runs), args.db, args.indexer)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    busy = ', the indexer embedding the backlog' if result['indexer'] else ''
    print(f'Instant shell, {result["outputs"]:,} outputs{busy}, {result["runs"]} runs each (ms)')
    print(f'{"figure":<32}{"p50":>8}{"p95":>8}  budget')
    for name, s in result['figures_ms'].items():
        if name.startswith('bare'):
            budget = 'baseline'
        elif name.startswith('deep'):
            budget = f'p50 ≤ {BUDGET_DEEP_P50:.0f}' + (' ok' if s['p50'] <= BUDGET_DEEP_P50 else ' OVER')
        else:
            ok = s['p50'] <= BUDGET_CLICK_P50 and s['p95'] <= BUDGET_CLICK_P95
            budget = f'p50 ≤ {BUDGET_CLICK_P50:.0f}, p95 ≤ {BUDGET_CLICK_P95:.0f}' + (
                ' ok' if ok else ' OVER'
            )
        print(f'{name:<32}{s["p50"]:>8.0f}{s["p95"]:>8.0f}  {budget}')
    print(f'{"page weight":<32}{"DOM":>8}{"elems":>8}')
    for name, w in result['weights'].items():
        print(f'{name:<32}{w["dom_nodes"]:>8}{w["elements"]:>8}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
