"""The dashboard (/dashboard): what you captured and chatted, with which models and providers, what it
cost, how prompt versions were rated, most used tags and agents, where things came from — for a date
range. A click on a bar or slice opens the matching filtered list."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from fastapi import Request
from nicegui import run, ui

from ..components import fmt
from ..components.design import KIND_COLORS
from ..components.graph_view import TEXT_COLOR
from ..components.secret import dashboard_for_viewer, viewer_sees_restricted
from ..context import AppContext
from ..data import dashboard
from ..data.listing import ListParams
from ..errors import UserError
from . import nav, shell
from .frame import frame

RECOUNT_TEXT = (
    'Counting everything once (the first visit after an upgrade or a big import); '
    'this can take a minute on a large library.'
)
PRESETS = [('4 weeks', 28), ('3 months', 91), ('12 months', 365), ('All time', 0)]
MESSAGE_COLOR = KIND_COLORS['message']
COST_COLOR = '#dc2626'
PALETTE = ['#2563eb', '#7c3aed', '#db2777', '#d97706', '#059669', '#0891b2', '#64748b', '#4f46e5', '#ca8a04']
# Horizontal bar charts: names wrap (never cut) in a column this wide (px, fits beside bars on a phone);
# each row is tall enough for the lines its longest name needs, so rows never overlap.
LABEL_WIDTH = 140
CHAR_PX, LINE_PX, ROW_PAD_PX, CHROME_PX = 6.6, 14, 10, 96
# The first and last week labels start and end at the chart's edges, not centred on them (the phone's
# first label was cut to "!024-11-04").
WEEK_LABELS = {
    'color': TEXT_COLOR,
    'alignMinLabel': 'left',
    'alignMaxLabel': 'right',
    'showMinLabel': True,  # ECharts 6 may drop the first label next to the other axis' names
}
ROW_SERIES = 'row'  # the transparent bar across each row that makes the whole row clickable


def list_url(path: str, params: ListParams) -> str:
    query = params.to_query()
    return path + (f'?{urlencode(query)}' if query else '')


@dataclass
class Chart:
    """ECharts options plus, for each series and data index, the list a click opens (None: no click).

    Names of models, tags, agents and prompts are plain data values; nothing is evaluated as
    JavaScript and tooltips render as canvas text (``richText``), never as HTML.
    """

    title: str
    options: dict
    urls: list[list[str | None]] = field(default_factory=list)
    note: str = ''
    rows: list[str] = field(default_factory=list)  # a horizontal bar chart's row names, top to bottom
    height: int | None = None  # px, for charts whose height follows their rows

    empty_text: str = 'Nothing in this period.'

    @property
    def has_values(self) -> bool:
        for series in self.options.get('series', []):
            if series.get('name') == ROW_SERIES:
                continue
            for item in series.get('data') or []:
                value = item.get('value') if isinstance(item, dict) else item
                if value:
                    return True
        return False

    def url(self, series: int, index: int) -> str | None:
        try:
            return self.urls[series][index]
        except (IndexError, TypeError):
            return None

    def row_url(self, name: str) -> str | None:
        """What a click on a row's name opens (the same as a click anywhere else on the row)."""
        categories = self.options['yAxis'][0]['data'] if self.rows else []
        if name not in categories:
            return None
        return self.url(len(self.urls) - 1, categories.index(name))


def _base(**extra: object) -> dict:
    options: dict = {
        'backgroundColor': 'transparent',
        'textStyle': {'color': TEXT_COLOR},
        'tooltip': {'trigger': 'axis', 'renderMode': 'richText', 'confine': True},
        # the legend stays one line (scrolling on a phone) and the axis names sit below it; room on the
        # right for the last value label ("120" was cut to "12")
        'grid': {'left': 8, 'right': 20, 'top': 48, 'bottom': 8, 'containLabel': True},
        'legend': {'type': 'scroll', 'top': 0, 'textStyle': {'color': TEXT_COLOR}},
    }
    options.update(extra)
    for series in options.get('series', []):
        if series.get('type') == 'bar':
            series.setdefault('barMaxWidth', 48)
    return options


def _bar(name: str, data: list, color: str, **extra: object) -> dict:
    """One bar series: its legend name, values and colour (``stack``, ``barMaxWidth``… as extras)."""
    return {'name': name, 'type': 'bar', 'data': data, 'itemStyle': {'color': color}, **extra}


def _range(period: dashboard.Period, **filters: object) -> ListParams:
    return ListParams(date_from=period.date_from, date_to=period.date_to, **filters)


def _nice_ceiling(value: float) -> float:
    """The smallest round number (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 times a power of ten) at or above ``value``."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(
        m * power for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if m * power >= value * (1 - 1e-9)
    )


def _row_extent(series: list[dict], row: int) -> float:
    """How far a row's bars reach: stacked series add up, side-by-side ones do not."""
    stacks: dict[object, float] = {}
    for i, s in enumerate(series):
        key = s.get('stack') or i
        stacks[key] = stacks.get(key, 0) + (s['data'][row] or 0)
    return max(stacks.values(), default=0)


def _row_height(labels: list[str]) -> int:
    longest = max((len(label) for label in labels), default=0)
    lines = max(1, math.ceil(longest * CHAR_PX / LABEL_WIDTH))
    return max(26, lines * LINE_PX + ROW_PAD_PX)


def _hbar(
    title: str,
    labels: list[str],
    series: list[dict],
    urls: list[list[str | None]],
    note: str = '',
    axis_max: float | None = None,
) -> Chart:
    # largest at the top: ECharts draws category axes bottom-up
    labels = labels[::-1]
    for s in series:
        s['data'] = s['data'][::-1]
    urls = [u[::-1] for u in urls]
    names = [s['name'] for s in series]
    for s in series:
        s.setdefault('barMaxWidth', 22)  # thin bars in tall rows (the whole row is the click target)
    top = axis_max or _nice_ceiling(max((_row_extent(series, r) for r in range(len(labels))), default=0))
    label = {
        'width': LABEL_WIDTH,
        'overflow': 'break',  # wrap at spaces: the whole name stays readable
        'lineHeight': LINE_PX,
        'color': TEXT_COLOR,
    }
    options = _base(
        xAxis={
            'type': 'value',
            'max': top,
            'splitLine': {'lineStyle': {'opacity': 0.3}},
            'axisLabel': {'hideOverlap': True, 'alignMaxLabel': 'right'},
        },
        yAxis=[
            # triggerEvent: a click on a row's name opens that row too
            {'type': 'category', 'data': labels, 'axisLabel': label, 'triggerEvent': True},
            # the row targets' twin axis: hidden, and taking no room (its names would count as labels)
            {
                'type': 'category',
                'data': labels,
                'show': False,
                'position': 'left',
                'axisLabel': {'show': False},
            },
        ],
        series=series,
    )
    # A transparent bar across each whole row, under the real bars: the row is the click target, not
    # only its thin bar. It opens what the row's first non-empty bar opens.
    row_urls = []
    for r in range(len(labels)):
        first = next((i for i, s in enumerate(series) if s['data'][r]), 0)
        row_urls.append(urls[first][r] if first < len(urls) else None)
    options['series'].append(
        {
            'name': ROW_SERIES,
            'type': 'bar',
            'yAxisIndex': 1,
            'data': [top] * len(labels),
            'barWidth': '100%',
            'itemStyle': {'color': 'rgba(0,0,0,0)'},
            'emphasis': {'disabled': True},
            'tooltip': {'show': False},
            'legendHoverLink': False,
            'z': 0,
        }
    )
    options['legend']['data'] = names  # not the row targets
    options['tooltip']['axisPointer'] = {'type': 'shadow'}
    height = max(288, CHROME_PX + _row_height(labels) * len(labels))
    return Chart(title, options, [*urls, row_urls], note, rows=labels, height=height)


def activity_chart(d: dashboard.Dashboard) -> Chart:
    weeks = [w.start.isoformat() for w in d.weeks]
    options = _base(
        xAxis={'type': 'category', 'data': weeks, 'axisLabel': WEEK_LABELS},
        yAxis=[
            {'type': 'value', 'name': 'Captures', 'splitLine': {'lineStyle': {'opacity': 0.3}}},
            {'type': 'value', 'name': 'Messages', 'splitLine': {'show': False}},
        ],
        series=[
            _bar('Captures', [w.outputs for w in d.weeks], KIND_COLORS['output'], barMaxWidth=48),
            {
                'name': 'Messages',
                'type': 'line',
                'yAxisIndex': 1,
                'data': [w.messages for w in d.weeks],
                'itemStyle': {'color': MESSAGE_COLOR},
                'symbolSize': 6,
            },
        ],
        dataZoom=[{'type': 'inside'}] if len(weeks) > 60 else [],
    )
    outputs = [list_url('/outputs', ListParams(date_from=w.start, date_to=w.end)) for w in d.weeks]
    conversations = [
        list_url('/conversations', ListParams(date_from=w.start, date_to=w.end)) for w in d.weeks
    ]
    return Chart(
        'Captures and messages per week', options, [outputs, conversations], 'Weeks start on Monday (UTC).'
    )


def tokens_chart(d: dashboard.Dashboard) -> Chart:
    weeks = [w.start.isoformat() for w in d.weeks]
    options = _base(
        xAxis={'type': 'category', 'data': weeks, 'axisLabel': WEEK_LABELS},
        yAxis=[
            {'type': 'value', 'name': 'Tokens', 'splitLine': {'lineStyle': {'opacity': 0.3}}},
            {'type': 'value', 'name': 'USD', 'splitLine': {'show': False}},
        ],
        series=[
            _bar('Input tokens', [w.input_tokens for w in d.weeks], '#93c5fd', stack='tokens'),
            _bar(
                'Output tokens',
                [w.output_tokens for w in d.weeks],
                KIND_COLORS['output'],
                stack='tokens',
                barMaxWidth=48,
            ),
            {
                'name': 'Cost (USD)',
                'type': 'line',
                'yAxisIndex': 1,
                'data': [round(w.cost, 4) for w in d.weeks],
                'itemStyle': {'color': COST_COLOR},
                'symbolSize': 6,
            },
        ],
        dataZoom=[{'type': 'inside'}] if len(weeks) > 60 else [],
    )
    week_urls = [list_url('/outputs', ListParams(date_from=w.start, date_to=w.end)) for w in d.weeks]
    chart = Chart(
        'Tokens and cost per week',
        options,
        [week_urls, week_urls, week_urls],
        'Messages plus captures made outside a conversation; a saved reply is counted once.',
    )
    chart.empty_text = 'No token counts or costs recorded in this period (imports rarely carry them).'
    return chart


def models_chart(d: dashboard.Dashboard, top: int = 12) -> Chart:
    models = d.models[:top]
    return _hbar(
        'By model',
        [m.label for m in models],
        [
            _bar('Captures', [m.outputs for m in models], KIND_COLORS['output']),
            _bar('Messages', [m.messages for m in models], MESSAGE_COLOR),
        ],
        [
            [list_url('/outputs', _range(d.period, models=[m.model_id])) for m in models],
            [list_url('/conversations', _range(d.period, models=[m.model_id])) for m in models],
        ],
        f'The {top} most used of {len(d.models)} models.' if len(d.models) > top else '',
    )


def providers_chart(d: dashboard.Dashboard) -> Chart:
    # a provider has the same colour in both rings
    colours = {p.provider_id: PALETTE[i % len(PALETTE)] for i, p in enumerate(d.providers)}

    def ring(name: str, attr: str, radius: list[str], path: str) -> tuple[dict, list[str | None]]:
        rows = [p for p in d.providers if getattr(p, attr)]
        series = {
            'name': name,
            'type': 'pie',
            'radius': radius,
            'data': [
                {'name': p.name, 'value': getattr(p, attr), 'itemStyle': {'color': colours[p.provider_id]}}
                for p in rows
            ],
            'label': {'show': attr == 'messages', 'color': TEXT_COLOR},
            'labelLine': {'show': attr == 'messages'},
        }
        return series, [list_url(path, _range(d.period, models=p.model_ids[:50])) for p in rows]

    if not any(p.messages for p in d.providers):  # captures only: one pie
        series, urls = ring('Captures', 'outputs', ['0%', '62%'], '/outputs')
        rings, all_urls, note = [series], [urls], ''
    else:
        inner, inner_urls = ring('Captures', 'outputs', ['0%', '38%'], '/outputs')
        outer, outer_urls = ring('Messages', 'messages', ['50%', '66%'], '/conversations')
        rings, all_urls, note = (
            [inner, outer],
            [inner_urls, outer_urls],
            'Inside: captures. Outside: messages.',
        )
    for series in rings:
        series['center'] = ['50%', '45%']
        series['label'] = {'show': False}
        series['labelLine'] = {'show': False}
    options = _base(series=rings)
    options['tooltip'] = {'trigger': 'item', 'renderMode': 'richText', 'confine': True}
    options['legend'] = {
        'type': 'scroll',
        'bottom': 0,
        'data': [p.name for p in d.providers],
        'textStyle': {'color': TEXT_COLOR},
    }
    return Chart('By provider', options, all_urls, note)


def ratings_chart(d: dashboard.Dashboard) -> Chart:
    rows = d.ratings
    chart = _hbar(
        'Ratings by prompt version',
        [f'{r.label} ({r.rated} rated)' for r in rows],
        [_bar('Average rating', [r.average for r in rows], KIND_COLORS['prompt'])],
        [[f'/prompts/{r.prompt_id}?v={r.number}' for r in rows]],
        'Average rating of the outputs each version produced; a click opens the prompt at that version.',
        axis_max=5,
    )
    chart.options['xAxis'].update(min=0)
    return chart


def tags_chart(d: dashboard.Dashboard) -> Chart:
    return _hbar(
        'Most used tags',
        [t.label for t in d.tags],
        [_bar('Captures', [t.outputs for t in d.tags], KIND_COLORS['tag'])],
        [[list_url('/outputs', _range(d.period, tags=[t.id])) for t in d.tags]],
    )


def agents_chart(d: dashboard.Dashboard) -> Chart:
    return _hbar(
        'Most used agents',
        [a.label for a in d.agents],
        [
            _bar('Captures', [a.outputs for a in d.agents], KIND_COLORS['agent']),
            _bar('Messages', [a.messages for a in d.agents], '#f9a8d4'),
        ],
        [
            [list_url('/outputs', _range(d.period, agents=[a.id])) for a in d.agents],
            [list_url('/conversations', _range(d.period, agents=[a.id])) for a in d.agents],
        ],
    )


def sources_chart(d: dashboard.Dashboard) -> Chart:
    return _hbar(
        'Where things came from',
        [s.name for s in d.sources],
        [
            _bar('Captures', [s.outputs for s in d.sources], KIND_COLORS['output'], stack='source'),
            _bar(
                'Conversations',
                [s.conversations for s in d.sources],
                KIND_COLORS['conversation'],
                stack='source',
            ),
        ],
        [
            [list_url('/outputs', _range(d.period, sources=[s.id])) for s in d.sources],
            [list_url('/conversations', _range(d.period, sources=[s.id])) for s in d.sources],
        ],
        'Manual captures, imports, chats and the API.',
    )


CHARTS = [
    ('activity', activity_chart, 'lg:col-span-2'),
    ('tokens', tokens_chart, 'lg:col-span-2'),
    ('models', models_chart, ''),
    ('providers', providers_chart, ''),
    ('ratings', ratings_chart, ''),
    ('tags', tags_chart, ''),
    ('agents', agents_chart, ''),
    ('sources', sources_chart, ''),
]


def _parse_date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _dashboard_url(date_from: date | None, date_to: date | None) -> str:
    query = {k: v.isoformat() for k, v in (('date_from', date_from), ('date_to', date_to)) if v}
    return '/dashboard' + (f'?{urlencode(query)}' if query else '')


def _chart_card(key: str, chart: Chart, span: str) -> None:
    clickable = any(u for series in chart.urls for u in series)
    with ui.card().classes(f'w-full gap-1 {span}').props('flat bordered'):
        ui.label(chart.title).classes('font-semibold')
        if not chart.has_values:
            ui.label(chart.empty_text).classes('text-sm oh-muted')
            return
        height = 'h-80' if span else 'h-72'
        echart = ui.echart(chart.options).classes(f'w-full {height} oh-chart-{key}').mark(f'chart-{key}')
        if chart.height:
            echart.style(f'height: {int(chart.height)}px')

        def open_list(e, chart=chart) -> None:
            url = chart.url(e.series_index, e.data_index)
            if url:
                ui.navigate.to(url)

        def open_row(e, chart=chart) -> None:
            args = e.args if isinstance(e.args, dict) else {}
            if args.get('componentType') != 'yAxis':
                return
            url = chart.row_url(str(args.get('value', '')))
            if url:
                ui.navigate.to(url)

        if clickable:
            echart.on_point_click(open_list)
            if chart.rows:
                echart.on('componentClick', open_row, ['componentType', 'value'])
        notes = [chart.note] if chart.note else []
        if clickable:
            notes.append(
                'Click a row to open the matching list.'
                if chart.rows
                else 'Click a bar or slice to open the matching list.'
            )
        if notes:
            ui.label(' '.join(notes)).classes('text-xs oh-muted')


def _range_bar(date_from: date | None, date_to: date | None) -> None:
    today = date.today()
    with ui.row().classes('w-full items-center gap-2 flex-wrap'):
        for label, days in PRESETS:
            start = today - timedelta(days=days) if days else None
            active = (
                (date_from == start and date_to is None) if days else (date_from is None and date_to is None)
            )
            preset = ui.button(label, on_click=lambda s=start: ui.navigate.to(_dashboard_url(s, None)))
            preset.props('no-caps dense').mark(f'preset-{label}')
            if active:
                preset.props('unelevated')
            else:
                preset.props('flat')
        ui.space()
        start_in = _date_input('From', date_from).mark('date-from')
        end_in = _date_input('To', date_to).mark('date-to')

        def apply() -> None:
            ui.navigate.to(_dashboard_url(_parse_date(start_in.value), _parse_date(end_in.value)))

        ui.button('Apply', on_click=apply).props('dense no-caps').mark('apply-range')


def _date_input(label: str, value: date | None) -> ui.input:
    with ui.input(label, value=value.isoformat() if value else '').props(
        'dense outlined clearable mask="####-##-##" style="width: 10rem"'
    ) as box:
        with ui.menu().props('no-parent-event') as menu:
            ui.date(mask='YYYY-MM-DD').bind_value(box).on_value_change(menu.close)
        with box.add_slot('append'):
            ui.icon('event').on('click', menu.open).classes('cursor-pointer')
    return box


def _totals(d: dashboard.Dashboard) -> None:
    t = d.totals
    with ui.row().classes('w-full gap-3 flex-wrap'):
        for label, value in (
            ('Captures', f'{int(t["outputs"]):,}'),
            ('Messages', f'{int(t["messages"]):,}'),
            ('Tokens', fmt.tokens(int(t['input_tokens'] + t['output_tokens'])) or '0'),
            ('Cost', fmt.money(t['cost']) or '$0'),
        ):
            with ui.card().classes('gap-0 px-4 py-2 min-w-[8rem]').props('flat bordered'):
                ui.label(label).classes('text-xs oh-muted')
                ui.label(value).classes('text-xl font-semibold').mark(f'total-{label.lower()}')


def register(ctx: AppContext) -> None:
    nav.add(nav.NavItem('Dashboard', '/dashboard', 'insights', order=61, group='Insight'))

    # a loaded 2-core machine can take a few seconds on 1M messages; NiceGUI's default gives up at 3
    @shell.page(ctx, '/dashboard', response_timeout=20)
    async def dashboard_page(request: Request) -> None:
        q = request.query_params
        date_from, date_to = _parse_date(q.get('date_from')), _parse_date(q.get('date_to'))
        with frame(ctx, 'Dashboard', wide=True):
            ui.label('Dashboard').classes('text-2xl font-semibold')
            _range_bar(date_from, date_to)
            status = ui.label('Loading…').classes('text-sm oh-muted')
            hide = not viewer_sees_restricted()  # a LAN device without permission: no Secret names
            if await run.io_bound(dashboard.needs_full_refresh):
                status.set_text(RECOUNT_TEXT)
                await ui.context.client.connected(timeout=60)  # show the page (and this line) first
            try:
                d = await run.io_bound(
                    lambda: dashboard_for_viewer(dashboard.dashboard(date_from, date_to), hide)
                )
            except UserError as exc:
                status.set_text(str(exc))
                return
            if d is None:  # the app is shutting down
                return
            status.delete()
            _totals(d)
            if d.empty:
                with ui.card().classes('w-full items-start gap-2 p-6').props('flat bordered'):
                    ui.label('Nothing captured in this period').classes('text-lg font-semibold')
                    ui.label(
                        'Pick another date range, or capture and import some conversations first.'
                    ).classes('oh-muted')
                return
            with ui.grid().classes('w-full gap-4 grid-cols-1 lg:grid-cols-2'):
                for key, build, span in CHARTS:
                    _chart_card(key, build(d), span)
