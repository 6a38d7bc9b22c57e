"""Import through the Import page in Chromium while measuring how responsive the app stays.

    .venv/bin/python -m bench.import_page [--conversations 2000] [--messages 20]

Starts the app on a fresh database, imports a generated ChatGPT export by path from /import, and prints
how long the import took, how often the progress text changed, and how long other pages took to load
(the event loop's responsiveness) while it ran, compared with the same pages at rest.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench.chatgpt_export_factory import write_export
from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, ROOT, app_env, free_port, wait_until_up

PAGES = ('/', '/conversations', '/settings')


def _latencies(url: str, stop: threading.Event, out: list[float]) -> None:
    with httpx.Client(timeout=60) as client:
        while not stop.is_set():
            for path in PAGES:
                started = time.perf_counter()
                client.get(url + path)
                out.append(time.perf_counter() - started)
            time.sleep(0.2)


def _summary(values: list[float]) -> str:
    if not values:
        return 'no samples'
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return f'median {statistics.median(values) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {values[-1] * 1000:.0f} ms (n={len(values)})'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--conversations', type=int, default=2000)
    parser.add_argument('--messages', type=int, default=20)
    parser.add_argument('--no-load', action='store_true', help='import without loading pages meanwhile')
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        export = tmp_path / 'conversations.json'
        counts = write_export(export, args.conversations, args.messages)
        print(
            f'export: {counts["conversations"]:,} conversations, {counts["messages"]:,} messages, '
            f'{counts["bytes"] / 1e6:.0f} MB'
        )
        data = tmp_path / 'data'
        data.mkdir()
        port = free_port()
        url = f'http://127.0.0.1:{port}'
        with open(tmp_path / 'app.log', 'w') as log:
            process = subprocess.Popen(
                [
                    sys.executable,
                    str(ROOT / 'main.py'),
                    '--db',
                    str(data / 'bench.db'),
                    '--port',
                    str(port),
                    '--no-browser',
                ],
                cwd=str(ROOT),
                env=app_env(data, {'OUTPUTHUB_AUTO_BACKUP': '0'}),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                wait_until_up(url + '/', process)
                idle: list[float] = []
                stop = threading.Event()
                sampler = threading.Thread(target=_latencies, args=(url, stop, idle))
                sampler.start()
                time.sleep(3)
                stop.set()
                sampler.join()

                with sync_playwright() as pw:
                    browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                    page = browser.new_page()
                    page.goto(url + '/import')
                    page.wait_for_selector('.nicegui-content')
                    page.get_by_placeholder('/home/you/Downloads/chatgpt-export.zip').fill(str(export))
                    busy: list[float] = []
                    stop = threading.Event()
                    sampler = threading.Thread(target=_latencies, args=(url, stop, busy))
                    started = time.perf_counter()
                    page.get_by_role('button', name='Import', exact=True).click()
                    if not args.no_load:
                        sampler.start()
                    texts: list[str] = []
                    while True:
                        if page.get_by_text('Imported conversations.json').count():
                            break
                        label = page.locator('.q-linear-progress').count() and page.evaluate(
                            "() => [...document.querySelectorAll('div')].map(d => d.textContent)"
                            ".find(t => / of [\\d,]+ conversations$/.test(t || '')) || ''"
                        )
                        if label and (not texts or texts[-1] != label):
                            texts.append(label)
                        if time.perf_counter() - started > 900:
                            raise SystemExit('the import did not finish within 15 minutes')
                        time.sleep(0.1)
                    seconds = time.perf_counter() - started
                    stop.set()
                    if not args.no_load:
                        sampler.join()
                    browser.close()
            finally:
                process.terminate()
                process.wait(30)
    print(f'import through the page: {seconds:.1f} s')
    print(
        f'progress text changed {len(texts)} times (first {texts[0] if texts else "-"!r}, '
        f'last {texts[-1] if texts else "-"!r})'
    )
    print(f'page loads at rest:        {_summary(idle)}')
    print(f'page loads while importing: {_summary(busy)}')


if __name__ == '__main__':
    main()
