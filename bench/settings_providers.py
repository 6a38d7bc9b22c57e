"""Benchmark: Settings → Providers against /trash, in Chromium, on the demo library.

    python -m bench.settings_providers [--runs 12] [--db PATH] [--json]

Seeds the demo library (what ``outputhub --demo`` opens: 500 outputs, 11 providers of which 6 are set
up) into a temporary database unless ``--db`` points at one, serves the app in a subprocess and opens
``/trash`` and ``/settings?tab=providers`` in turns in one Chromium tab. Two figures per page, each the
median (and p95) of ``--runs`` loads measured in the same run:

- *to content*: from ``goto`` until the page's last-built content is in the DOM (the trash's filter box;
  the providers tab's *Models and prices*, built after every provider);
- *until still*: milliseconds from navigation start to the last DOM change, once nothing changed for
  a second (what a user sees as "settled").

The figure to watch is the providers tab's *to content* as a multiple of /trash's (aim: ≤ 1.3×). The
DOM nodes under the page content are counted too (a noise-free size of what was built).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import browser  # noqa: E402

PAGES = {
    '/trash': 'input[placeholder="Filter by title"]',
    '/settings?tab=providers': 'text=Models and prices',
}

# The time (ms since navigation start) of the page's last DOM change, once nothing changed for a second.
SETTLE_JS = """() => new Promise((resolve) => {
    let last = performance.now();
    const watch = new MutationObserver(() => { last = performance.now(); });
    watch.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
    const check = () => {
        if (performance.now() - last > 1000) { watch.disconnect(); resolve(last); } else setTimeout(check, 100);
    };
    setTimeout(check, 100);
})"""

NODES_JS = "() => document.querySelectorAll('.nicegui-content *').length"


def _seed(path: Path) -> None:
    from app.data import db as dbmod
    from app.data import demo

    started = time.perf_counter()
    demo.ensure_demo_database(path)
    dbmod.close()
    print(f'seeded the demo library in {time.perf_counter() - started:.0f} s', file=sys.stderr)


def _stats(values: list[float]) -> dict[str, float]:
    return {'p50': round(statistics.median(values)), 'p95': round(browser.p95(values)), 'n': len(values)}


def measure(chromium, url: str, runs: int) -> dict[str, dict]:
    page = chromium.new_page(viewport={'width': 1440, 'height': 900})
    for path, done in PAGES.items():  # warm up: first loads compile templates and fill caches
        page.goto(url + path)
        page.wait_for_selector(done, state='attached', timeout=60_000)
    content: dict[str, list[float]] = {p: [] for p in PAGES}
    still: dict[str, list[float]] = {p: [] for p in PAGES}
    nodes: dict[str, int] = {}
    for _ in range(runs):
        for path, done in PAGES.items():  # in turns, so a busy moment of the machine hits both
            started = time.perf_counter()
            page.goto(url + path, wait_until='commit')
            page.wait_for_selector(done, state='attached', timeout=60_000)
            content[path].append((time.perf_counter() - started) * 1000)
            still[path].append(page.evaluate(SETTLE_JS))
            nodes[path] = page.evaluate(NODES_JS)
    page.close()
    return {
        path: {
            'to content': _stats(content[path]),
            'until still': _stats(still[path]),
            'dom nodes': nodes[path],
        }
        for path in PAGES
    }


def run(runs: int, db: Path | None) -> dict:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        db_path = db or tmp_path / 'demo.db'
        if db is None or not db.exists():
            _seed(db_path)
        env = browser.server_env(tmp_path, OUTPUTHUB_HOUSEKEEPING='0', OUTPUTHUB_KEYSTORE='file')
        port = browser.free_port()
        proc = browser.start_app(db_path, port, env)
        try:
            url = f'http://127.0.0.1:{port}'
            browser.wait_up(url + '/', proc, 180, 5)
            with sync_playwright() as pw:
                chromium = browser.launch_chromium(pw, headless=True)
                figures = measure(chromium, url, runs)
                chromium.close()
        finally:
            browser.stop([proc], 20)
    base = figures['/trash']['to content']['p50']
    ratio = figures['/settings?tab=providers']['to content']['p50'] / base if base else float('nan')
    return {'runs': runs, 'figures_ms': figures, 'providers_vs_trash': round(ratio, 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=12, help='loads of each page (at least 10)')
    parser.add_argument('--db', type=Path, default=None, help='a demo database (seeded there when missing)')
    parser.add_argument('--json', action='store_true')
    args = parser.parse_args(argv)
    result = run(max(10, args.runs), args.db)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    print(f'Settings → Providers vs /trash, demo library, {result["runs"]} loads each (ms)')
    print(f'{"page":<26}{"content p50":>12}{"p95":>7}{"still p50":>11}{"p95":>7}{"DOM nodes":>11}')
    for path, f in result['figures_ms'].items():
        c, s = f['to content'], f['until still']
        print(
            f'{path:<26}{c["p50"]:>12.0f}{c["p95"]:>7.0f}{s["p50"]:>11.0f}{s["p95"]:>7.0f}{f["dom nodes"]:>11}'
        )
    print(f'providers tab / trash (to content, p50): {result["providers_vs_trash"]}× (aim ≤ 1.3×)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
