"""The graph and dashboard pages and the neighbourhood panel, through the simulated user."""

from __future__ import annotations

import asyncio
from datetime import datetime
from types import SimpleNamespace

import pytest
from nicegui import ui
from nicegui.testing import User

from app.components import graph_view
from app.data import conversations, lookups, outputs, relations
from app.data import db as dbmod
from tests.waits import until

HOSTILE = '<img src=x onerror="window.pwned=1">'


@pytest.fixture
def library(db_path):
    dbmod.connect(db_path)

    def capture(body: str, when: str, **kw):
        return outputs.capture_output(
            outputs.CaptureData(body=body, created_at=datetime.fromisoformat(when), **kw)
        )

    hub = capture(
        '# Hub output\ntext', '2025-03-03 10:00:00', tags=['python', 'sql'], model='gpt-4o', rating=4
    )
    second = capture('# Second output\ntext', '2025-03-04 10:00:00', tags=['python'], model='gpt-4o')
    later = capture('# Later output\ntext', '2025-04-07 10:00:00', tags=['sql'], model='claude-sonnet-4-5')
    hostile = capture('body', '2025-03-05 10:00:00', title=HOSTILE, tags=['python'])
    relations.link_outputs(hub.id, second.id)
    return SimpleNamespace(
        hub=hub,
        second=second,
        later=later,
        hostile=hostile,
        python=lookups.find_by_name('tag', 'python'),
        sql=lookups.find_by_name('tag', 'sql'),
    )


async def see(user: User, *args, **kwargs) -> None:
    """should_see with patience: these pages load their data after the page is shown (a fresh
    database starts with the one-off recount), and the machine may be busy."""
    await user.should_see(*args, retries=80, **kwargs)


def chart(user: User, marker: str) -> ui.echart:
    return next(iter(user.find(marker=marker).elements))


def node_ids(echart: ui.echart) -> set[str]:
    return {n['id'] for n in echart.options['series'][0]['data']}


def click_node(user: User, marker: str, key: str, event: str = 'componentClick') -> None:
    user.find(marker=marker).trigger(
        event, {'componentType': 'series', 'dataType': 'node', 'data': {'id': key, 'name': 'x'}}
    )


def click_bar(user: User, marker: str, series: int, series_name: str, name: str, index: int, value) -> None:
    """What ECharts sends when a bar is clicked."""
    user.find(marker=marker).trigger(
        'componentClick',
        {
            'componentType': 'series',
            'seriesType': 'bar',
            'seriesIndex': series,
            'seriesName': series_name,
            'name': name,
            'dataIndex': index,
            'data': value,
            'value': value,
        },
    )


def keys_starting_with_colon(value) -> list[str]:
    """Option keys NiceGUI would evaluate as JavaScript."""
    found = []
    if isinstance(value, dict):
        for k, v in value.items():
            if str(k).startswith(':'):
                found.append(k)
            found += keys_starting_with_colon(v)
    elif isinstance(value, list):
        for v in value:
            found += keys_starting_with_colon(v)
    return found


# --------------------------------------------------------------------------- graph


async def test_graph_shows_the_most_connected_items(user: User, library) -> None:
    await user.open('/graph')
    await see(user, 'The most connected items: 6 items')
    echart = chart(user, 'graph-chart')
    assert node_ids(echart) == {
        f'output:{library.hub.id}',
        f'output:{library.second.id}',
        f'output:{library.later.id}',
        f'output:{library.hostile.id}',
        f'tag:{library.python.id}',
        f'tag:{library.sql.id}',
    }
    series = echart.options['series'][0]
    assert series['type'] == 'graph' and series['layout'] == 'force'
    colours = {c['name']: c['itemStyle']['color'] for c in series['categories']}
    assert colours['Outputs'] == '#2563eb' and colours['Tags'] == '#d97706'  # design.KIND_COLORS
    sizes = {n['id']: n['symbolSize'] for n in series['data']}
    assert sizes[f'tag:{library.python.id}'] > sizes[f'output:{library.later.id}']  # size by degree


async def test_user_text_is_only_plain_data_in_the_chart(user: User, library) -> None:
    await user.open('/graph')
    await see(user, 'The most connected items')
    options = chart(user, 'graph-chart').options
    assert keys_starting_with_colon(options) == []
    assert options['tooltip']['renderMode'] == 'richText'  # drawn on the canvas, never parsed as HTML
    names = [n['name'] for n in options['series'][0]['data']]
    assert HOSTILE in names


async def test_clicking_a_node_opens_its_page(user: User, library) -> None:
    await user.open('/graph')
    await see(user, 'The most connected items')
    click_node(user, 'graph-chart', f'output:{library.later.id}')
    # it waits CLICK_DELAY for a possible double-click first
    await until(lambda: user.back_history[-1] == f'/outputs/{library.later.id}')
    await see(user, 'Later output')


async def test_double_click_expands_instead_of_opening(user: User, library) -> None:
    await user.open(f'/graph?kind=output&id={library.second.id}')
    await see(user, 'Around “Second output”: 3 items')
    assert node_ids(chart(user, 'graph-chart')) == {
        f'output:{library.second.id}',
        f'output:{library.hub.id}',
        f'tag:{library.python.id}',
    }
    click_node(user, 'graph-chart', f'output:{library.hub.id}')
    click_node(user, 'graph-chart', f'output:{library.hub.id}')
    click_node(user, 'graph-chart', f'output:{library.hub.id}', 'chart:dblclick')
    await see(user, 'Around “Hub output”: 4 items')
    assert f'tag:{library.sql.id}' in node_ids(chart(user, 'graph-chart'))
    await asyncio.sleep(graph_view.CLICK_DELAY + 0.2)
    assert user.back_history[-1].startswith('/graph')  # the clicks of the double-click did not navigate


async def test_kind_filter_from_the_url(user: User, library) -> None:
    await user.open('/graph?kinds=tag')
    await see(user, '2 items')
    assert node_ids(chart(user, 'graph-chart')) == {f'tag:{library.python.id}', f'tag:{library.sql.id}'}
    user.find(marker='kind-output').trigger('update:selected', True)
    await see(user, '6 items')
    assert user.back_history[-1] == '/graph?kinds=output%2Ctag'


async def test_search_focuses_a_drawn_node_or_starts_from_it(user: User, library) -> None:
    await user.open(f'/graph?kind=output&id={library.second.id}')
    await see(user, 'Around “Second output”')
    user.find(marker='graph-search').type('Later')
    await see(user, marker=f'found-output:{library.later.id}')
    user.find(marker=f'found-output:{library.later.id}').click()  # not drawn: the graph starts from it
    await see(user, 'Around “Later output”')
    assert user.back_history[-1] == f'/graph?kind=output&id={library.later.id}'


async def test_limit_says_when_the_graph_is_truncated(user: User, library) -> None:
    from app.pages import graph as graph_page

    graph_page.LIMITS.insert(0, 2)
    try:
        await user.open('/graph?limit=2')
        await see(user, 'the 2 best-connected; there is more')
        await see(user, marker='graph-more')
        user.find(marker='graph-more').click()  # "Show up to 100": the next limit
        await until(lambda: user.back_history[-1] == '/graph?limit=100')
        await see(user, 'The most connected items: 6 items')
    finally:
        graph_page.LIMITS.remove(2)


@pytest.fixture
def crowded_library(db_path):
    """More connected items than the graph opens with: 260 outputs on 8 tags."""
    dbmod.connect(db_path)
    for i in range(260):
        outputs.capture_output(outputs.CaptureData(body=f'Note {i}', tags=[f'topic-{i % 8}']))


async def test_the_graph_opens_on_the_best_connected_few_hundred(user: User, crowded_library) -> None:
    from app.pages import graph as graph_page

    await user.open('/graph')
    await see(user, 'The most connected items: 200 items')
    await see(user, 'there is more')
    echart = chart(user, 'graph-chart')
    nodes = echart.options['series'][0]['data']
    assert len(nodes) == graph_page.DEFAULT_LIMIT == 200
    assert {n['id'].split(':')[0] for n in nodes} >= {'tag'}  # the hubs are in
    # placed on the server and drawn still: nothing for the browser to settle
    assert echart.options['series'][0]['layout'] == 'none' and echart.options['animation'] is False
    await see(user, 'Show up to 500')


async def test_the_tooltip_names_the_kind_and_names_show_when_zoomed_in(user: User, library) -> None:
    await user.open('/graph')
    await see(user, 'The most connected items')
    echart = chart(user, 'graph-chart')
    series = echart.options['series'][0]
    tips = {n['id']: n['tooltip']['formatter'] for n in series['data']}
    assert tips[f'tag:{library.python.id}'].startswith('Tag\n{b}')
    assert tips[f'output:{library.hub.id}'].startswith('Output\n{b}')
    # at first no names (they would cover each other), only on hover
    assert series['label']['show'] is False
    assert all('label' not in n for n in series['data'])
    assert series['emphasis']['label']['show'] is True
    marker = user.find(marker='graph-chart')
    marker.trigger('chart:graphroam', {'zoom': 1.5})
    assert series['label']['show'] is False
    marker.trigger('chart:graphroam', {'zoom': 1.5})  # 2.25 times: every name that fits
    await until(lambda: chart(user, 'graph-chart').options['series'][0]['label']['show'] is True)
    marker.trigger('chart:graphroam', {'dx': 5, 'dy': 5})  # a pan changes nothing
    marker.trigger('chart:graphroam', {'zoom': 0.5})
    await until(lambda: chart(user, 'graph-chart').options['series'][0]['label']['show'] is False)


async def test_graph_of_a_missing_item_says_so(user: User, library) -> None:
    await user.open('/graph?kind=output&id=999')
    await see(user, 'Output 999 does not exist.')


async def test_empty_graph_explains_itself(user: User, db_path) -> None:
    dbmod.connect(db_path)
    await user.open('/graph')
    await see(user, 'Nothing to draw yet')


async def test_output_page_shows_its_connections(user: User, library) -> None:
    await user.open(f'/outputs/{library.hub.id}')
    await see(user, marker='panel-later')
    await user.should_not_see('Connections')  # below the relations: built when scrolled to
    user.find(marker='panel-later').trigger('visibility', True)  # Quasar's QIntersection: on screen
    await see(user, 'Connections')
    await see(user, marker='neighbourhood-graph')
    small = chart(user, 'neighbourhood-graph')
    assert node_ids(small) == {
        f'output:{library.hub.id}',
        f'output:{library.second.id}',
        f'tag:{library.python.id}',
        f'tag:{library.sql.id}',
    }
    click_node(user, 'neighbourhood-graph', f'tag:{library.sql.id}')  # no double-click here: opens at once
    await until(lambda: user.back_history[-1] == f'/tags/{library.sql.id}')


# --------------------------------------------------------------------------- dashboard


async def test_dashboard_shows_totals_and_charts(user: User, library) -> None:
    outputs.capture_output(outputs.CaptureData(body='Rated', prompt='Write a query', rating=5))
    await user.open('/dashboard')
    await see(user, 'Captures and messages per week')
    assert next(iter(user.find(marker='total-captures').elements)).text == '5'
    for key in ('activity', 'models', 'providers', 'tags', 'sources', 'ratings'):
        await see(user, marker=f'chart-{key}')
    await see(user, 'No token counts or costs recorded in this period')  # none in this library
    await see(user, 'Nothing in this period.')  # no agents
    models = chart(user, 'chart-models')
    assert models.options['yAxis'][0]['data'] == ['Claude Sonnet 4.5', 'GPT-4o']  # most used at the top
    assert keys_starting_with_colon(models.options) == []


async def test_clicking_a_bar_opens_the_filtered_list(user: User, library) -> None:
    await user.open('/dashboard?date_from=2025-03-01&date_to=2025-03-31')
    await see(user, 'Most used tags')
    tags = chart(user, 'chart-tags')
    index = tags.options['yAxis'][0]['data'].index('python')
    click_bar(user, 'chart-tags', 0, 'Captures', 'python', index, 3)
    await until(
        lambda: (
            user.back_history[-1]
            == f'/outputs?tags={library.python.id}&date_from=2025-03-01&date_to=2025-03-31'
        )
    )
    await see(user, 'Tag: python')
    await see(user, 'Second output')
    await user.should_not_see('Later output')


async def test_a_click_anywhere_on_a_row_or_on_its_name_opens_the_row(user: User, library) -> None:
    from app.pages import dashboard as dashboard_page

    await user.open('/dashboard?date_from=2025-03-01&date_to=2025-03-31')
    await see(user, 'Most used tags')
    await see(user, 'Click a row to open the matching list.')
    tags = chart(user, 'chart-tags')
    rows = tags.options['yAxis'][0]['data']
    target = tags.options['series'][-1]
    # a transparent bar spans each whole row (to the axis end) on a hidden twin axis, under the real bars
    assert target['name'] == dashboard_page.ROW_SERIES and target['yAxisIndex'] == 1
    assert target['data'] == [tags.options['xAxis']['max']] * len(rows)
    assert target['barWidth'] == '100%' and target['tooltip'] == {'show': False}
    assert dashboard_page.ROW_SERIES not in tags.options['legend']['data']
    index = rows.index('sql')
    click_bar(user, 'chart-tags', len(tags.options['series']) - 1, 'row', 'sql', index, 1)
    expected = f'/outputs?tags={library.sql.id}&date_from=2025-03-01&date_to=2025-03-31'
    await until(lambda: user.back_history[-1] == expected)
    await see(user, 'Tag: sql')

    await user.open('/dashboard?date_from=2025-03-01&date_to=2025-03-31')
    await see(user, 'Most used tags')
    user.find(marker='chart-tags').trigger(
        'componentClick', {'componentType': 'yAxis', 'targetType': 'axisLabel', 'value': 'python'}
    )
    expected = f'/outputs?tags={library.python.id}&date_from=2025-03-01&date_to=2025-03-31'
    await until(lambda: user.back_history[-1] == expected)


async def test_clicking_a_source_bar_opens_what_came_from_there(user: User, library) -> None:
    chatgpt = lookups.get_or_create('source', 'ChatGPT export', kind='chatgpt')
    conversations.create_conversation(
        'Imported trip planning', source=chatgpt, created_at=datetime(2025, 3, 10, 9, 0)
    )
    conversations.create_conversation('Typed here', created_at=datetime(2025, 3, 11, 9, 0))
    await user.open('/dashboard?date_from=2025-03-01&date_to=2025-03-31')
    await see(user, 'Where things came from')
    sources = chart(user, 'chart-sources')
    index = sources.options['yAxis'][0]['data'].index('ChatGPT export')
    assert sources.options['series'][1]['data'][index] == 1  # one conversation, no captures
    click_bar(user, 'chart-sources', 1, 'Conversations', 'ChatGPT export', index, 1)
    await until(
        lambda: (
            user.back_history[-1]
            == f'/conversations?sources={chatgpt.id}&date_from=2025-03-01&date_to=2025-03-31'
        )
    )
    await see(user, 'Source: ChatGPT export')
    await see(user, 'Imported trip planning')
    await user.should_not_see('Typed here')


async def test_the_date_range_filters_every_chart(user: User, library) -> None:
    await user.open('/dashboard?date_from=2025-04-01&date_to=2025-04-30')
    await see(user, 'By model')
    assert next(iter(user.find(marker='total-captures').elements)).text == '1'
    assert chart(user, 'chart-models').options['yAxis'][0]['data'] == ['Claude Sonnet 4.5']
    assert chart(user, 'chart-tags').options['yAxis'][0]['data'] == ['sql']
    next(iter(user.find(marker='date-from').elements)).set_value('2025-03-01')
    user.find(marker='apply-range').click()
    await until(lambda: user.back_history[-1] == '/dashboard?date_from=2025-03-01&date_to=2025-04-30')
    await see(user, 'By model')
    assert next(iter(user.find(marker='total-captures').elements)).text == '4'


async def test_dashboard_says_when_a_period_is_empty_or_backwards(user: User, library) -> None:
    await user.open('/dashboard?date_from=2030-01-01&date_to=2030-02-01')
    await see(user, 'Nothing captured in this period')
    await user.open('/dashboard?date_from=2025-05-01&date_to=2025-04-01')
    await see(user, 'The start date is after the end date.')
    await user.open('/dashboard?date_from=garbage')  # a bad bookmark still opens
    await see(user, 'Captures and messages per week')


async def test_big_graphs_arrive_placed_and_expanding_keeps_the_places(
    user: User, library, monkeypatch
) -> None:
    """Past STATIC_FROM nodes the server places them (ECharts' own layout would freeze the page)."""
    monkeypatch.setattr(graph_view, 'STATIC_FROM', 3)
    await user.open(f'/graph?kind=output&id={library.second.id}')
    await see(user, 'Around “Second output”: 3 items')
    echart = chart(user, 'graph-chart')
    series = echart.options['series'][0]
    assert series['layout'] == 'none'
    before = {n['id']: (n['x'], n['y']) for n in series['data']}
    assert len(before) == 3
    user.find(marker='graph-chart').trigger(
        'chart:dblclick',
        {'componentType': 'series', 'dataType': 'node', 'data': {'id': f'output:{library.hub.id}'}},
    )
    await see(user, 'Around “Hub output”: 4 items')
    after = {n['id']: (n['x'], n['y']) for n in chart(user, 'graph-chart').options['series'][0]['data']}
    assert {k: after[k] for k in before} == before  # what was on screen did not move
