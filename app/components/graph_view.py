"""The relationship graph in ECharts: options from graph data, click to open an item, double-click to
expand it; and a small neighbourhood card any detail page can show.

A handful of nodes ECharts animates with its own force layout. Anything bigger arrives with positions
computed on the server (graph_layout.py) and is drawn once, still: ECharts' layout compares every pair
of nodes on every frame, so 700 nodes took 18 s to settle and 2,000 froze the page.

Names show on hover (with the neighbours' names) and, once zoomed in, wherever they do not overlap;
at the first view a crowd of names would only cover each other. The graph keeps its aspect ratio (a
box stretched to the chart's four sides drew every dot as an oval on a tall phone screen).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from nicegui import run, ui

from ..data import graph
from ..errors import UserError
from .design import KIND_COLORS, KIND_ICONS, KIND_LABELS, kind_url
from .graph_layout import layout
from .secret import graph_for_viewer, viewer_sees_restricted

CLICK_DELAY = 0.35  # seconds to wait for a second click before a click opens the item
STATIC_FROM = 40  # nodes from which the server places them (see the module docstring)
LABEL_ZOOM = 1.8  # zoomed in this far (or more), every name that fits is shown
SCALE_LIMIT = (0.2, 6.0)

Positions = dict[str, tuple[float, float]]

# Chart text in a grey that reads on light and dark backgrounds.
TEXT_COLOR = '#64748b'


def kind_plural(kind: str) -> str:
    return KIND_LABELS[kind][1]


def kind_label(kind: str) -> str:
    return KIND_LABELS[kind][0]


def node_size(degree: int, nodes: int = 0) -> float:
    if nodes > 500:  # crowded: smaller dots so the hubs do not cover their neighbours
        return round(4 + min(18.0, 1.6 * math.sqrt(max(0, degree))), 1)
    if nodes > 60:
        return round(6 + min(20.0, 2.2 * math.sqrt(max(0, degree))), 1)
    return round(8 + min(34.0, 3.2 * math.sqrt(max(0, degree))), 1)


def graph_url(kind: str | None = None, item_id: int | None = None, **params: object) -> str:
    query: dict[str, object] = {}
    if kind and item_id is not None:
        query.update(kind=kind, id=item_id)
    query.update({k: v for k, v in params.items() if v not in (None, '', [])})
    return '/graph' + (f'?{urlencode(query)}' if query else '')


def place(g: graph.Graph, previous: Positions | None = None) -> Positions | None:
    """Server-side positions for a big graph (None for a small one); nodes already on screen stay put.

    CPU work: call it off the event loop, together with the query that made ``g``.
    """
    if len(g.nodes) < STATIC_FROM:
        return None
    index = {n.key: i for i, n in enumerate(g.nodes)}
    edges = [(index[e.source], index[e.target]) for e in g.edges if e.source in index and e.target in index]
    pinned = {index[k]: xy for k, xy in (previous or {}).items() if k in index}
    # a few hundred nodes cost little: more steps untangle them better
    xy = layout(len(g.nodes), edges, pinned=pinned, iterations=120 if len(g.nodes) <= 600 else 40)
    return {n.key: (round(float(xy[i, 0]), 2), round(float(xy[i, 1]), 2)) for i, n in enumerate(g.nodes)}


def graph_options(g: graph.Graph, *, compact: bool = False, positions: Positions | None = None) -> dict:
    """ECharts options for ``g``. Every user text (item names) is a plain data value: nothing here is
    evaluated as JavaScript (no ``:`` keys, no formatter functions), and tooltips render on the canvas
    (``richText``), never as HTML."""
    kinds = list(graph.KINDS)
    labelled = {g.focus} if g.focus else set()
    if compact:  # the small panel cannot be zoomed much: its few best-connected names show
        labelled.update(n.key for n in sorted(g.nodes, key=lambda n: -n.degree)[:8])
    nodes = []
    for n in g.nodes:
        node: dict = {
            'id': n.key,
            'name': n.label,
            'value': n.degree,
            'category': kinds.index(n.kind),
            'symbolSize': node_size(n.degree, len(g.nodes)) * (0.8 if compact else 1),
            # the header names the kind ("Tag", "Output"); {b} and {c} are ECharts' template fields
            # for the node's name and value, filled in as text (no code runs)
            'tooltip': {'formatter': f'{kind_label(n.kind)}\n{{b}}\n{{c}} relations'},
        }
        if n.key in labelled:
            node['label'] = {'show': True}
        if n.key == g.focus:
            node['itemStyle'] = {'borderColor': '#111827', 'borderWidth': 3}
        if positions and n.key in positions:
            node['x'], node['y'] = positions[n.key]
        nodes.append(node)
    # links point at node indices: a 2,000-node graph has ~10,000 links, and keys would double the page
    index = {n.key: i for i, n in enumerate(g.nodes)}
    links = [
        {'source': index[e.source], 'target': index[e.target]}
        for e in g.edges
        if e.source in index and e.target in index
    ]
    placed = bool(positions)
    big = len(nodes) > 500
    return {
        'backgroundColor': 'transparent',
        'animation': not placed,  # placed graphs appear at once, nothing flies in
        'tooltip': {'show': True, 'renderMode': 'richText', 'confine': True},
        'legend': {
            'show': not compact,
            'data': [kind_plural(k) for k in kinds],
            'top': 0,
            'textStyle': {'color': TEXT_COLOR},
        },
        'series': [
            {
                'type': 'graph',
                'name': 'Relations',
                'layout': 'none' if placed else 'force',
                'roam': True,
                'draggable': not placed,
                'data': nodes,
                'links': links,
                'categories': [
                    {'name': kind_plural(k), 'itemStyle': {'color': KIND_COLORS[k]}} for k in kinds
                ],
                'label': {'show': False, 'position': 'right', 'color': TEXT_COLOR, 'fontSize': 11},
                'labelLayout': {'hideOverlap': True},
                'emphasis': {'focus': 'adjacency', 'label': {'show': True}},
                'lineStyle': {'color': 'source', 'opacity': 0.35, 'width': 1, 'curveness': 0},
                'force': {**_force(len(nodes), compact), 'friction': 0.6, 'layoutAnimation': True},
                # thousands of edges: thin lines, and no hover fading of 10,000 of them
                **({'emphasis': {'focus': 'none', 'label': {'show': True}}} if big else {}),
                'scaleLimit': {'min': SCALE_LIMIT[0], 'max': SCALE_LIMIT[1]},
                # No box: ECharts then fits the graph inside the chart keeping its aspect ratio (80 % of
                # the narrower side). A box on all four sides stretched it (oval dots on a phone); only
                # top/bottom fitted it to the height (it ran off both sides of a phone).
                'left': 'center',
                'top': 'middle',
            }
        ],
    }


def _force(n: int, compact: bool) -> dict:
    # few nodes spread out so names stay readable; thousands pack tighter so the graph fits the screen
    if compact:
        return {'repulsion': 140, 'edgeLength': [35, 75], 'gravity': 0.12}
    if n <= 30:
        return {'repulsion': 260, 'edgeLength': [60, 130], 'gravity': 0.1}
    if n <= 300:
        return {'repulsion': 90, 'edgeLength': [30, 90], 'gravity': 0.08}
    return {'repulsion': 35, 'edgeLength': [20, 60], 'gravity': 0.06}


def _node_key(args: dict) -> tuple[str, int] | None:
    """The clicked node from an ECharts event (validated: the browser could send anything)."""
    if not isinstance(args, dict) or args.get('dataType') != 'node':
        return None
    data = args.get('data')
    if not isinstance(data, dict):
        return None
    try:
        return graph.parse_key(str(data.get('id', '')))
    except UserError:
        return None


class GraphChart:
    """An ECharts graph: a click opens the item's page, a double-click calls ``on_expand``."""

    def __init__(
        self,
        g: graph.Graph,
        *,
        positions: Positions | None = None,
        compact: bool = False,
        on_expand: Callable[[str, int], Awaitable[None] | None] | None = None,
        classes: str = 'w-full h-[70vh]',
    ) -> None:
        self.graph = g
        self.positions = positions
        self.compact = compact
        self.on_expand = on_expand
        self._click_token: object | None = None
        self.zoom = 1.0  # ECharts' roam zoom, followed from its events (it sends each step's factor)
        self.chart = ui.echart(graph_options(g, compact=compact, positions=positions)).classes(classes)
        self.chart.classes('oh-graph-small' if compact else 'oh-graph')
        self.chart.on('componentClick', self._clicked, ['componentType', 'dataType', 'data'])
        self.chart.on('chart:dblclick', self._double_clicked, ['componentType', 'dataType', 'data'])
        if not compact:
            self.chart.on('chart:graphroam', self._roamed, ['zoom'])

    @property
    def labels_shown(self) -> bool:
        return bool(self.chart.options['series'][0]['label']['show'])

    def show(self, g: graph.Graph, positions: Positions | None = None) -> None:
        self.graph = g
        self.positions = positions
        fresh = graph_options(g, compact=self.compact, positions=positions)
        fresh['series'][0]['label']['show'] = self.labels_shown
        self.chart.options.clear()
        self.chart.options.update(fresh)
        self.chart.update()

    def _roamed(self, e) -> None:
        """Zoomed in far enough, every name that fits shows; zoomed back out, names show on hover only."""
        factor = e.args.get('zoom') if isinstance(e.args, dict) else None
        if not isinstance(factor, int | float) or not 0 < factor < 100:
            return  # a pan (no zoom), or nonsense from the browser
        self.zoom = min(SCALE_LIMIT[1], max(SCALE_LIMIT[0], self.zoom * factor))  # as ECharts clamps it
        wanted = self.zoom >= LABEL_ZOOM
        if wanted != self.labels_shown:
            self.chart.options['series'][0]['label']['show'] = wanted
            # only this one setting: resending the whole graph would cost a redraw of every node
            self.chart.run_chart_method('setOption', {'series': [{'label': {'show': wanted}}]})

    def index_of(self, key: str) -> int | None:
        return next((i for i, n in enumerate(self.graph.nodes) if n.key == key), None)

    def highlight(self, key: str) -> bool:
        """Emphasise one node and its neighbours and show its tooltip; False if it is not drawn."""
        index = self.index_of(key)
        if index is None:
            return False
        self.chart.run_chart_method('dispatchAction', {'type': 'downplay', 'seriesIndex': 0})
        self.chart.run_chart_method(
            'dispatchAction', {'type': 'highlight', 'seriesIndex': 0, 'dataIndex': index}
        )
        self.chart.run_chart_method(
            'dispatchAction', {'type': 'showTip', 'seriesIndex': 0, 'dataIndex': index}
        )
        return True

    async def _clicked(self, e) -> None:
        key = _node_key(e.args)
        if key is None:
            return
        token = object()
        self._click_token = token
        if self.on_expand is not None:  # give a double-click the chance to claim this click
            await asyncio.sleep(CLICK_DELAY)
        if self._click_token is token:
            ui.navigate.to(kind_url(*key))

    async def _double_clicked(self, e) -> None:
        key = _node_key(e.args)
        self._click_token = None
        if key is None or self.on_expand is None:
            return
        result = self.on_expand(*key)
        if asyncio.iscoroutine(result):
            await result


def legend_chips() -> None:
    """The kind colours as a small key (for places where the chart's own legend is hidden)."""
    with ui.row().classes('gap-3 items-center flex-wrap text-xs oh-muted'):
        for kind in graph.KINDS:
            with ui.row().classes('items-center gap-1 no-wrap'):
                ui.icon(KIND_ICONS[kind]).style(f'color: {KIND_COLORS[kind]}')
                ui.label(kind_plural(kind))


def neighbourhood_card(kind: str, item_id: int, *, limit: int = 60) -> ui.card:
    """A card with the item's direct connections as a small graph; for any detail page.

    Safe to call while a page is being built (also from synchronous code): the data loads off the
    event loop once the browser is connected.
    """
    with ui.card().classes('w-full gap-2').props('flat bordered') as card:
        with ui.row().classes('w-full items-center gap-2'):
            ui.icon('hub').classes('oh-muted')
            ui.label('Connections').classes('font-semibold')
            ui.space()
            ui.link('Open in graph', graph_url(kind, item_id)).classes('text-sm')
        body = ui.column().classes('w-full gap-1')
        with body:
            ui.label('Loading…').classes('text-sm oh-muted')

    hide = not viewer_sees_restricted()  # a LAN device without permission: no Secret items

    async def load() -> None:
        try:
            g = await run.io_bound(
                lambda: graph_for_viewer(graph.neighbourhood(kind, item_id, depth=1, limit=limit), hide)
            )
        except UserError as exc:
            body.clear()
            with body:
                ui.label(str(exc)).classes('text-sm oh-muted')
            return
        if g is None or body.is_deleted:  # shutting down, or the page is gone
            return
        body.clear()
        with body:
            if len(g.nodes) <= 1:
                ui.label('Nothing linked yet.').classes('text-sm oh-muted')
                return
            GraphChart(g, compact=True, classes='w-full h-64').chart.mark('neighbourhood-graph')
            legend_chips()
            if g.truncated:
                ui.label(f'Showing {len(g.nodes) - 1} of its connections.').classes('text-xs oh-muted')

    ui.timer(0, load, once=True)
    return card
