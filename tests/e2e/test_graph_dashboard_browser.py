"""Real browser: the graph and dashboard charts draw, a click on a node / bar navigates, a double-click
expands, and item names never run as code."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest

from app.data import db as dbmod
from app.data import lookups, outputs, relations

from .conftest import screenshot, wait_for_app, wait_for_drawn_canvas

HOSTILE = '<img src=x onerror="window.__xss = 1">'

# The position on the page of a data point, asked from the chart itself (no guessing at layouts).
POINT_JS = """([selector, seriesIndex, value]) => {
    const el = document.querySelector(selector);
    const chart = getElement(el).chart;
    const [x, y] = chart.convertToPixel({seriesIndex}, value);
    const box = el.getBoundingClientRect();
    return [box.left + x, box.top + y];
}"""

NODE_JS = """([selector, key]) => {
    const el = document.querySelector(selector);
    const chart = getElement(el).chart;
    const nodes = chart.getOption().series[0].data;
    const index = nodes.findIndex((n) => n.id === key);
    if (index < 0) return null;
    const layout = chart.getModel().getSeriesByIndex(0).getData().getItemLayout(index);
    const [x, y] = chart.convertToPixel({seriesIndex: 0}, layout);
    const box = el.getBoundingClientRect();
    return [box.left + x, box.top + y, nodes.length];
}"""


@pytest.fixture
def library(tmp_path):
    path = tmp_path / 'library.db'
    dbmod.connect(path)
    now = datetime.now() - timedelta(days=1)

    def capture(body: str, **kw):
        return outputs.capture_output(outputs.CaptureData(body=body, created_at=now, **kw))

    hub = capture(
        '# Hub output\ntext', tags=['python', 'sql'], model='gpt-4o', rating=4, prompt='Write a query'
    )
    second = capture(
        '# Second output\ntext',
        tags=['python'],
        model='gpt-4o',
        input_tokens=900,
        output_tokens=300,
        cost=0.02,
    )
    capture('# Third output\ntext', tags=['python', 'rust'], model='claude-sonnet-4-5')
    hostile = capture('body', title=HOSTILE, tags=['sql'])
    relations.link_outputs(hub.id, second.id)
    python = lookups.find_by_name('tag', 'python')
    dbmod.close()  # the app opens it
    return path, hub, second, hostile, python


def settled_node(page, selector: str, key: str) -> tuple[float, float]:
    """Where a node is once the force layout has (nearly) stopped moving it."""
    last = None
    for _ in range(60):
        point = page.evaluate(NODE_JS, [selector, key])
        assert point is not None, f'{key} is not drawn'
        if last and abs(point[0] - last[0]) < 0.5 and abs(point[1] - last[1]) < 0.5:
            return point[0], point[1]
        last = point
        page.wait_for_timeout(250)
    return last[0], last[1]


def test_graph_draws_opens_on_click_and_expands_on_double_click(start_app, page, library) -> None:
    path, hub, second, hostile, python = library
    app = start_app(db_path=path)

    page.goto(f'{app.url}/graph')
    wait_for_app(page)
    drawn = wait_for_drawn_canvas(page, '.oh-graph')
    assert drawn > 1000
    screenshot(page, 'graph-most-connected')

    # a hostile name is only text: show its tooltip, nothing runs
    x, y = settled_node(page, '.oh-graph', f'output:{hostile.id}')
    page.mouse.move(x, y)
    page.wait_for_timeout(500)
    assert page.evaluate('window.__xss') is None
    assert page.recorder.dialogs == []

    # double-click: the neighbours of an item join the graph; the page stays
    page.goto(f'{app.url}/graph?kind=output&id={second.id}')
    wait_for_app(page)
    wait_for_drawn_canvas(page, '.oh-graph')
    page.get_by_text('Around “Second output”: 3 items').wait_for()
    x, y = settled_node(page, '.oh-graph', f'tag:{python.id}')
    page.mouse.dblclick(x, y)
    page.get_by_text('Around “python”: 4 items').wait_for(timeout=15_000)  # + the third output
    page.wait_for_timeout(800)  # longer than the click delay: the double-click's clicks did not navigate
    assert '/graph' in page.url

    # click: the item's page opens
    x, y = settled_node(page, '.oh-graph', f'output:{hub.id}')
    page.mouse.click(x, y)
    page.wait_for_url(re.compile(rf'.*/outputs/{hub.id}$'), timeout=15_000)
    # the panels below the relations are built when scrolled to (lazy.when_visible)
    page.locator('.q-intersection').last.scroll_into_view_if_needed()
    page.locator('.q-intersection').first.scroll_into_view_if_needed()
    page.get_by_text('Connections').wait_for()
    wait_for_drawn_canvas(page, '.oh-graph-small')  # the neighbourhood panel on the output page
    screenshot(page, 'output-with-connections')
    assert page.recorder.remote_requests == []


def test_dashboard_draws_and_a_bar_opens_the_filtered_list(start_app, page, library) -> None:
    path, hub, second, hostile, python = library
    app = start_app(db_path=path)

    page.goto(f'{app.url}/dashboard')
    wait_for_app(page)
    for key in ('activity', 'tokens', 'models', 'providers', 'tags', 'sources', 'ratings'):
        assert wait_for_drawn_canvas(page, f'.oh-chart-{key}') > 200, key
    screenshot(page, 'dashboard')

    # the "Most used tags" chart: horizontal bars, most used (python, 3 captures) at the top
    categories = page.evaluate(
        "getElement(document.querySelector('.oh-chart-tags')).chart.getOption().yAxis[0].data"
    )
    index = categories.index('python')
    page.locator('.oh-chart-tags').scroll_into_view_if_needed()  # the mouse only reaches the viewport
    x, y = page.evaluate(POINT_JS, ['.oh-chart-tags', 0, [1.5, index]])
    page.mouse.click(x, y)
    page.wait_for_url(re.compile(rf'.*/outputs\?tags={python.id}$'), timeout=15_000)
    page.get_by_text('Tag: python').wait_for()
    assert page.get_by_text('Second output').count() >= 1
    assert page.recorder.remote_requests == []


ALL_NODES_JS = """(selector) => {
    const el = document.querySelector(selector);
    const chart = getElement(el).chart;
    const data = chart.getModel().getSeriesByIndex(0).getData();
    const xs = [];
    for (let i = 0; i < data.count(); i++) xs.push(chart.convertToPixel({seriesIndex: 0}, data.getItemLayout(i))[0]);
    return [Math.min(...xs), Math.max(...xs), el.getBoundingClientRect().width, data.count()];
}"""


# Each drawn dot's size on screen: its shape's box through every transform above it (the graph's view
# scales x and y separately when it is stretched to a box of another shape).
DOT_SIZES_JS = """(selector) => {
    const chart = getElement(document.querySelector(selector)).chart;
    const data = chart.getModel().getSeriesByIndex(0).getData();
    const sizes = [];
    for (let i = 0; i < data.count(); i++) {
        const symbol = data.getItemGraphicEl(i);
        const shape = symbol && symbol.childAt ? symbol.childAt(0) : symbol;
        if (!shape) continue;
        const box = shape.getBoundingRect();
        const m = shape.getComputedTransform() || [1, 0, 0, 1, 0, 0];
        sizes.push([box.width * Math.hypot(m[0], m[1]), box.height * Math.hypot(m[2], m[3])]);
    }
    return sizes;
}"""


@pytest.fixture
def phone(browser):
    """The phone size of the issue (390 x 844, touch)."""
    context = browser.new_context(
        viewport={'width': 390, 'height': 844}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    yield context.new_page()
    context.close()


def test_a_big_graph_opens_capped_with_round_dots_that_fit_a_phone(start_app, phone, tmp_path) -> None:
    """A big library opens on its best-connected 200, placed by the server; on a tall, narrow screen the
    graph fits and its dots stay round (a box stretched to the chart's four sides drew ovals)."""
    path = tmp_path / 'big-graph.db'
    dbmod.connect(path)
    for i in range(320):
        outputs.capture_output(
            outputs.CaptureData(body=f'Note {i}', tags=[f'topic-{i % 12}', f'team-{i % 5}'])
        )
    dbmod.close()
    app = start_app(db_path=path)
    phone.goto(f'{app.url}/graph')
    wait_for_app(phone)
    wait_for_drawn_canvas(phone, '.oh-graph')
    left, right, width, count = phone.evaluate(ALL_NODES_JS, '.oh-graph')
    assert count == 200  # the cap, not all 337 items
    assert left >= 0 and right <= width, (
        f'nodes from x={left:.0f} to {right:.0f} on a {width:.0f}px wide chart'
    )
    sizes = phone.evaluate(DOT_SIZES_JS, '.oh-graph')
    assert len(sizes) == count
    stretched = [(round(w, 1), round(h, 1)) for w, h in sizes if abs(w - h) > 0.5]
    assert stretched == [], f'{len(stretched)} oval dots, e.g. {stretched[:3]}'
    screenshot(phone, 'graph-phone')


# Every text ECharts drew (one entry per line), with its box in the chart's own pixels.
TEXTS_JS = """(selector) => {
    const el = document.querySelector(selector);
    const chart = getElement(el).chart;
    const texts = [];
    for (const d of chart.getZr().storage.getDisplayList(true)) {
        if (d.type !== 'tspan' || !d.style.text) continue;
        const r = d.getBoundingRect().clone();
        const m = d.getComputedTransform();
        if (m) r.applyTransform(m);
        texts.push({text: String(d.style.text), x: r.x, y: r.y, w: r.width, h: r.height});
    }
    return {width: el.clientWidth, height: el.clientHeight, texts};
}"""

# The page x of the plot area's right edge (where the value axis ends).
RIGHT_EDGE_JS = """(selector) => {
    const el = document.querySelector(selector);
    const rect = getElement(el).chart.getModel().getComponent('grid', 0).coordinateSystem.getRect();
    return el.getBoundingClientRect().left + rect.x + rect.width;
}"""

LONG_PROMPT = 'Write pytest tests for the importer of chat exports'


@pytest.fixture
def weeks_library(tmp_path):
    """Captures over 80 weeks (a long x-axis), tags of different sizes and a rated prompt with a long name."""
    path = tmp_path / 'weeks.db'
    dbmod.connect(path)
    start = datetime(2024, 11, 4, 10, 0)  # a Monday: the first week label is 2024-11-04
    for week in range(80):
        outputs.capture_output(
            outputs.CaptureData(
                body=f'Week {week} notes', created_at=start + timedelta(weeks=week), tags=['weekly']
            )
        )
    for i in range(3):
        outputs.capture_output(
            outputs.CaptureData(
                body=f'Test run {i}', created_at=start, tags=['testing'], prompt=LONG_PROMPT, rating=4
            )
        )
    outputs.capture_output(outputs.CaptureData(body='A lone one', created_at=start, tags=['rare']))
    rare = lookups.find_by_name('tag', 'rare')
    dbmod.close()
    return path, rare


def inside(chart: dict, t: dict) -> bool:
    return t['x'] >= -0.5 and t['x'] + t['w'] <= chart['width'] + 0.5


def test_dashboard_on_a_phone_shows_whole_labels_and_whole_rows_open(start_app, phone, weeks_library) -> None:
    path, rare = weeks_library
    app = start_app(db_path=path)
    phone.goto(f'{app.url}/dashboard')
    wait_for_app(phone)
    for key in ('activity', 'ratings', 'tags'):
        wait_for_drawn_canvas(phone, f'.oh-chart-{key}')
    screenshot(phone, 'dashboard-phone')

    # the week axis: every date drawn is complete and inside the chart (the first one was "!024-11-04")
    activity = phone.evaluate(TEXTS_JS, '.oh-chart-activity')
    dates = [t for t in activity['texts'] if re.fullmatch(r'\d{4}-\d\d-\d\d', t['text'])]
    assert dates and dates[0]['text'] == '2024-11-04'
    assert [t['text'] for t in dates if not inside(activity, t)] == []

    # row names wrap instead of being cut ("Write pytest tests · v…"), and every text is inside the chart
    for key in ('ratings', 'tags'):
        drawn = phone.evaluate(TEXTS_JS, f'.oh-chart-{key}')
        assert [
            t['text'] for t in drawn['texts'] if t['text'].endswith(('…', '...')) or not inside(drawn, t)
        ] == [], key
    ratings = ' '.join(t['text'] for t in phone.evaluate(TEXTS_JS, '.oh-chart-ratings')['texts'])
    for word in LONG_PROMPT.split():
        assert word in ratings

    # a click far to the right of a short bar, still on its row, opens the row's list
    categories = phone.evaluate(
        "getElement(document.querySelector('.oh-chart-tags')).chart.getOption().yAxis[0].data"
    )
    index = categories.index('rare')
    phone.locator('.oh-chart-tags').scroll_into_view_if_needed()
    _, y = phone.evaluate(POINT_JS, ['.oh-chart-tags', 0, [0, index]])
    x = phone.evaluate(RIGHT_EDGE_JS, '.oh-chart-tags') - 6  # just inside the plot's right edge
    phone.mouse.click(x, y)
    phone.wait_for_url(re.compile(rf'.*/outputs\?tags={rare.id}(&|$)'), timeout=15_000)
    phone.get_by_text('A lone one').wait_for()
