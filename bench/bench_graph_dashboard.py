"""Benchmark the graph and the dashboard on a big library and print the figures (not a test).

    .venv/bin/python bench/bench_graph_dashboard.py --db /tmp/big.db
    .venv/bin/python bench/bench_graph_dashboard.py --db /tmp/big.db --recount --http
    .venv/bin/python bench/bench_graph_dashboard.py --demo --http --browser   # the demo library

An empty or missing ``--db`` is first filled with ``app.data.demo.seed`` (default 100,000 outputs and
100,000 conversations of ~10 messages: ~1M messages; about 12 minutes on 2 cores). Every figure is
the median of ``--repeat`` runs, as wall time and this process's CPU time (the CPU figure does not
grow when other programs load the machine). Writes made to measure incremental refreshes are rolled
back; only migrations change the file. ``--recount`` also times the one-off full recount (first start
after the upgrade, or after a large import). ``--http`` starts the app on the database and times
complete page responses (the server has built every element, data included); ``--browser`` then
times Debian's Chromium until every chart has drawn, until the graph's nodes stop moving, the frame
rate while zooming the graph, and the settings tabs until the page stops changing. ``--demo`` uses the
demo library (``outputhub --demo``: 500 outputs, a 692-item graph) instead of a big seeded one.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.data import dashboard, graph, outputs  # noqa: E402
from app.data import db as dbmod  # noqa: E402
from app.data.models import Conversation, Output, Tag  # noqa: E402
from bench.browser import CHROMIUM, free_port, launch_chromium, start_app, wait_up  # noqa: E402


def measure(fn: Callable[[], object], repeat: int) -> tuple[float, float, object]:
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return statistics.median(walls), statistics.median(cpus), result


def line(label: str, wall: float, cpu: float, extra: str = '') -> None:
    print(f'  {label:<48} {wall * 1000:8.0f} ms wall {cpu * 1000:8.0f} ms cpu  {extra}')


def seed_if_empty(path: Path, n_outputs: int, n_conversations: int) -> None:
    dbmod.connect(path)
    if Output.select().exists():
        return
    from app.data import demo

    print(f'seeding {n_outputs:,} outputs and {n_conversations:,} conversations into {path} …', flush=True)
    started = time.perf_counter()
    counts = demo.seed(outputs=n_outputs, conversations=n_conversations)
    print(f'  seeded in {time.perf_counter() - started:.0f} s: {counts["messages"]:,} messages')


def bench_data(repeat: int, recount: bool) -> None:
    database = dbmod.current()
    n_out = Output.select().where(Output.deleted_at.is_null()).count()
    n_msg = database.execute_sql('SELECT max(rowid) FROM message').fetchone()[0] or 0
    print(
        f'library: {n_out:,} live outputs, ~{n_msg:,} messages, {Conversation.select().count():,} conversations'
    )

    if recount:
        print('one-off full recount (first start after the upgrade, or a large import):')
        with dbmod.write_tx():
            database.execute_sql("INSERT OR IGNORE INTO graph_dirty (kind, id) VALUES ('*', 0)")
            database.execute_sql("INSERT OR IGNORE INTO stat_dirty_day (day) VALUES ('*')")
        wall, cpu, _ = measure(graph.refresh_degrees, 1)
        line('graph degrees, every item', wall, cpu)
        wall, cpu, _ = measure(dashboard.refresh_stats, 1)
        line('dashboard per-day totals, every day', wall, cpu)
    else:
        graph.refresh_degrees()
        dashboard.refresh_stats()

    print('dashboard (everything the page shows):')
    today = date.today()
    for label, start in (
        ('all time', None),
        ('last 12 months', today - timedelta(days=365)),
        ('last 4 weeks', today - timedelta(days=28)),
    ):
        wall, cpu, d = measure(lambda start=start: dashboard.dashboard(start), repeat)
        line(
            label,
            wall,
            cpu,
            f'{d.totals["outputs"]:,} captures, {d.totals["messages"]:,} messages, {len(d.weeks)} weeks',
        )

    tag_id = database.execute_sql(
        "SELECT id FROM graph_degree WHERE kind = 'tag' ORDER BY degree DESC LIMIT 1"
    ).fetchone()[0]
    output_id = database.execute_sql(
        "SELECT id FROM graph_degree WHERE kind = 'output' ORDER BY degree DESC LIMIT 1"
    ).fetchone()[0]
    big_tag = Tag.get_by_id(tag_id)
    print('graph:')
    for label, fn in (
        ('most connected, 2,000 nodes', lambda: graph.most_connected(limit=2000)),
        ('most connected, 500 nodes', lambda: graph.most_connected(limit=500)),
        (f'around the biggest tag ({big_tag.name}), 2,000 nodes', lambda: graph.neighbourhood('tag', tag_id)),
        ('around an output, depth 2, 2,000 nodes', lambda: graph.neighbourhood('output', output_id, depth=2)),
        ('output page panel (depth 1, 60 nodes)', lambda: graph.neighbourhood('output', output_id, limit=60)),
        ('find "sql"', lambda: graph.find_items('sql')),
        ('find a name nobody has', lambda: graph.find_items('zzqqxx')),
    ):
        wall, cpu, g = measure(fn, repeat)
        extra = (
            f'{len(g.nodes):,} nodes, {len(g.edges):,} edges{" (truncated)" if g.truncated else ""}'
            if isinstance(g, graph.Graph)
            else f'{len(g)} found'
        )
        line(label, wall, cpu, extra)
    present = [n.key for n in graph.neighbourhood('output', output_id, limit=500).nodes]
    wall, cpu, g = measure(lambda: graph.expand('tag', tag_id, present, limit=2000), repeat)
    line('double-click: expand the biggest tag in a 500-node graph', wall, cpu, f'{len(g.nodes):,} nodes')

    print('after one new capture (tagged, with a prompt) and a chat reply — rolled back:')
    with database.atomic() as tx:
        conv = Conversation.select().where(Conversation.deleted_at.is_null()).first()
        outputs.capture_output(
            outputs.CaptureData(body=f'bench {time.time()}', tags=[big_tag.name], prompt='bench prompt')
        )
        from app.data import conversations

        conversations.add_message(
            conv, 'assistant', 'bench reply', input_tokens=10, output_tokens=20, cost=0.001
        )
        wall, cpu, _ = measure(lambda: dashboard.dashboard(), 1)
        line('dashboard, all time (recounts today only)', wall, cpu)
        wall, cpu, g = measure(lambda: graph.most_connected(limit=2000), 1)
        line('graph, most connected (recounts the marked items)', wall, cpu)
        tx.rollback()


def process_cpu(pid: int) -> float:
    """CPU seconds a process has used so far (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def bench_http(path: Path, repeat: int, browser: bool = False) -> None:
    import httpx

    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ('PYTEST_CURRENT_TEST', 'NICEGUI_USER_SIMULATION')}
    env.setdefault('OUTPUTHUB_INDEXER', '0')
    dbmod.close()
    process = start_app(path, port, env, cwd=str(ROOT), stderr=subprocess.STDOUT)
    url = f'http://127.0.0.1:{port}'
    try:
        wait_up(url + '/', process, timeout=180)
        dbmod.connect(path)
        output_id = (
            dbmod.current()
            .execute_sql("SELECT id FROM graph_degree WHERE kind = 'output' ORDER BY degree DESC LIMIT 1")
            .fetchone()[0]
        )
        print('complete page responses (server side; the browser then draws the charts):')
        for label, page in (
            ('/dashboard', '/dashboard'),
            ('/dashboard, last 12 months', f'/dashboard?date_from={date.today() - timedelta(days=365)}'),
            ('/graph (opens on the best-connected 200)', '/graph'),
            ('/graph?limit=2000', '/graph?limit=2000'),
            ('/graph?limit=500', '/graph?limit=500'),
            (f'/outputs/{output_id} (with its connections panel)', f'/outputs/{output_id}'),
        ):
            times, cpus = [], []
            size = 0
            for _ in range(repeat):
                started, cpu = time.perf_counter(), process_cpu(process.pid)
                response = httpx.get(url + page, timeout=60)
                times.append(time.perf_counter() - started)
                cpus.append(process_cpu(process.pid) - cpu)
                size = len(response.content)
                assert response.status_code == 200, response.status_code
            print(
                f'  GET {label:<44} {statistics.median(times) * 1000:8.0f} ms wall '
                f'{statistics.median(cpus) * 1000:8.0f} ms server cpu  {size / 1024:,.0f} kB'
            )
        if browser:
            bench_browser(url, repeat)
    finally:
        process.terminate()
        process.wait(timeout=30)


FRAMES_JS = """(ms) => new Promise((resolve) => {
    let frames = 0, worst = 0, last = performance.now();
    const start = last;
    function tick(now) {
        frames++; worst = Math.max(worst, now - last); last = now;
        if (now - start < ms) requestAnimationFrame(tick); else resolve([frames / (ms / 1000), worst]);
    }
    requestAnimationFrame(tick);
})"""

DRAWN_JS = """(selector) => [...document.querySelectorAll(selector + ' canvas')].every((c) => {
    if (!c.width) return false;
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 16) if (d[i]) return true;
    return false;
}) && document.querySelectorAll(selector + ' canvas').length > 0"""


def bench_browser(url: str, repeat: int) -> None:
    """Open the pages in Debian's Chromium: time until every chart has drawn, and the frame rate
    while zooming a graph in and out."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        print('  (no /usr/bin/chromium: browser figures skipped)')
        return
    args = [
        '--no-sandbox',
        '--headless',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
    ]
    print('in Chromium (navigation start until every chart has drawn pixels):')
    with sync_playwright() as pw:
        browser = launch_chromium(pw, args, headless=True)
        page = browser.new_page(viewport={'width': 1440, 'height': 900})
        times = []
        for _ in range(max(1, repeat // 2)):
            started = time.perf_counter()
            page.goto(url + '/trash')  # a light page: what any page costs before its own content
            page.wait_for_selector('.nicegui-content', state='visible')
            times.append(time.perf_counter() - started)
        print(
            f'  {"baseline: a light page (/trash) until mounted":<48} {statistics.median(times) * 1000:8.0f} ms'
        )
        for label, path, selector in (
            ('/dashboard, all charts', '/dashboard', '.nicegui-echart'),
            ('/graph (opens on the best-connected 200)', '/graph', '.oh-graph'),
            ('/graph?limit=500', '/graph?limit=500', '.oh-graph'),
            ('/graph?limit=2000', '/graph?limit=2000', '.oh-graph'),
        ):
            times, settles, counts = [], [], []
            for _ in range(max(1, repeat // 2)):
                started = time.perf_counter()
                page.goto(url + path)
                page.wait_for_function(DRAWN_JS, arg=selector, timeout=60_000, polling=50)
                times.append(time.perf_counter() - started)
                if path.startswith('/graph'):
                    counts.append(page.evaluate(NODES_JS, selector)[0])
                    settles.append(settled_after(page, selector, started))
            print(f'  {label + " (first draw)":<48} {statistics.median(times) * 1000:8.0f} ms')
            if path.startswith('/graph'):
                print(
                    f'  {"  until the nodes stop moving":<48} {statistics.median(settles) * 1000:8.0f} ms'
                    f'  ({statistics.median(counts):,.0f} nodes)'
                )
                box = page.locator(selector).bounding_box()
                page.mouse.move(box['x'] + box['width'] / 2, box['y'] + box['height'] / 2)
                handle = page.evaluate_handle(f'({FRAMES_JS})(3000)')
                for _ in range(12):  # zoom in and out while frames are counted: each step redraws everything
                    page.mouse.wheel(0, -240)
                    page.wait_for_timeout(120)
                    page.mouse.wheel(0, 240)
                    page.wait_for_timeout(120)
                fps, worst = handle.json_value()
                print(f'  {"  zooming in and out":<48} {fps:8.0f} frames/s, slowest frame {worst:.0f} ms')
        for label, path in (
            ('/settings (General)', '/settings'),
            ('/settings?tab=providers', '/settings?tab=providers'),
            ('/settings?tab=backup', '/settings?tab=backup'),
        ):
            times = []
            for _ in range(max(1, repeat // 2)):
                page.goto(url + path)
                page.wait_for_selector('.nicegui-content', state='visible')
                times.append(page.evaluate(SETTLE_JS) / 1000)  # ms since navigation start
            print(f'  {label + " until it stops changing":<48} {statistics.median(times) * 1000:8.0f} ms')
        browser.close()


# The nodes' positions on screen (their count first), to see when a force layout has come to rest.
NODES_JS = """(selector) => {
    const chart = getElement(document.querySelector(selector)).chart;
    const data = chart.getModel().getSeriesByIndex(0).getData();
    const xy = [];
    for (let i = 0; i < data.count(); i++) xy.push(...chart.convertToPixel({seriesIndex: 0}, data.getItemLayout(i)));
    return [data.count(), xy];
}"""

# Resolves with the time (ms since navigation start) of the page's last DOM change, once nothing
# changed for a second.
SETTLE_JS = """() => new Promise((resolve) => {
    let last = performance.now();
    const watch = new MutationObserver(() => { last = performance.now(); });
    watch.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
    const check = () => {
        if (performance.now() - last > 1000) { watch.disconnect(); resolve(last); } else setTimeout(check, 100);
    };
    setTimeout(check, 100);
})"""


def settled_after(page, selector: str, started: float, timeout: float = 60) -> float:
    """Seconds from ``started`` until no node moved more than half a pixel for 0.5 s."""
    last, still_since = None, None
    while time.perf_counter() - started < timeout:
        _, xy = page.evaluate(NODES_JS, selector)
        now = time.perf_counter()
        if (
            last is not None
            and len(xy) == len(last)
            and max(map(lambda a, b: abs(a - b), xy, last), default=0) < 0.5
        ):
            still_since = still_since or now
            if now - still_since >= 0.5:
                return still_since - started
        else:
            still_since = None
        last = xy
        page.wait_for_timeout(100)
    return timeout


DEFAULT_DB = Path('/tmp/outputhub-bench-graph.db')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--db', type=Path, default=DEFAULT_DB)
    parser.add_argument('--outputs', type=int, default=100_000)
    parser.add_argument('--conversations', type=int, default=100_000)
    parser.add_argument('--repeat', type=int, default=5)
    parser.add_argument('--recount', action='store_true', help='also time the one-off full recount')
    parser.add_argument('--http', action='store_true', help='also time page responses from a running app')
    parser.add_argument('--browser', action='store_true', help='with --http: also time drawing in Chromium')
    parser.add_argument('--demo', action='store_true', help='the demo library (outputhub --demo) at --db')
    args = parser.parse_args()
    started = time.perf_counter()
    if args.demo:
        from app.data import demo

        if args.db == DEFAULT_DB:
            args.db = Path('/tmp/outputhub-bench-demo.db')
        demo.ensure_demo_database(args.db)
    else:
        seed_if_empty(args.db, args.outputs, args.conversations)
    print(
        f'opened (and migrated) in {time.perf_counter() - started:.1f} s; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores'
    )
    bench_data(args.repeat, args.recount)
    if args.http:
        bench_http(args.db, args.repeat, browser=args.browser)


if __name__ == '__main__':
    main()
