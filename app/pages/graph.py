"""The relationship graph (/graph): start from one item or the most connected ones, expand, filter, find."""

from __future__ import annotations

from fastapi import Request
from nicegui import run, ui

from ..components import toast
from ..components.design import KIND_COLORS, KIND_ICONS
from ..components.graph_view import GraphChart, Positions, graph_url, kind_plural, neighbourhood_card, place
from ..components.secret import drop_restricted, graph_for_viewer, viewer_sees_restricted
from ..context import AppContext
from ..data import graph
from ..errors import UserError
from . import nav, shell
from .frame import frame

LIMITS = [100, 200, 500, 1000, 2000]
# The page opens on a readable neighbourhood: the best-connected 200 (the demo's 692 items drawn at
# once were a hairball); "Show more" and the limit menu widen it.
DEFAULT_LIMIT = 200
DEPTHS = [1, 2, 3]


def _int(raw: str | None, default: int | None, allowed: list[int] | None = None) -> int | None:
    try:
        value = int(raw) if raw not in (None, '') else default
    except ValueError:
        return default
    if allowed is not None and value not in allowed:
        return default
    return value


def _output_panel(ctx: AppContext, output_id: int) -> None:
    """Output pages show the output's connections (registered in outputs.DETAIL_PANELS)."""
    neighbourhood_card('output', output_id)


class GraphPage:
    """The state of one open graph page: its filters, the data on screen, the chart."""

    def __init__(self, request: Request) -> None:
        q = request.query_params
        self.kind = q.get('kind') or None
        self.item_id = _int(q.get('id'), None)
        if self.kind not in graph.KINDS or self.item_id is None:
            self.kind, self.item_id = None, None
        raw_kinds = [k for k in (q.get('kinds') or '').split(',') if k in graph.KINDS]
        self.kinds: list[str] = raw_kinds or list(graph.KINDS)
        self.depth = _int(q.get('depth'), 1, DEPTHS) or 1
        self.limit = _int(q.get('limit'), DEFAULT_LIMIT, LIMITS) or DEFAULT_LIMIT
        self.chart: GraphChart | None = None
        self.summary: ui.label | None = None
        self.more: ui.button | None = None
        self.hide = not viewer_sees_restricted()  # a LAN device without permission: no Secret items

    def url(self, **changes: object) -> str:
        values = {
            'kind': self.kind,
            'item_id': self.item_id,
            'kinds': ','.join(self.kinds) if set(self.kinds) != set(graph.KINDS) else None,
            'depth': self.depth if self.kind and self.depth != 1 else None,
            'limit': self.limit if self.limit != DEFAULT_LIMIT else None,
        }
        values.update(changes)
        kind, item_id = values.pop('kind'), values.pop('item_id')
        return graph_url(kind, item_id, **values)

    def load(self) -> tuple[graph.Graph, Positions | None]:
        """The graph and, for a big one, its node positions (both CPU work: runs off the event loop)."""
        if self.kind and self.item_id is not None:
            g = graph.neighbourhood(
                self.kind, self.item_id, depth=self.depth, kinds=self.kinds, limit=self.limit
            )
        else:
            g = graph.most_connected(self.kinds, limit=self.limit)
        g = graph_for_viewer(g, self.hide)
        return g, place(g)

    # ------------------------------------------------------------------ UI

    async def build(self) -> None:
        with ui.row().classes('w-full items-center gap-2 flex-wrap'):
            ui.label('Graph').classes('text-2xl font-semibold')
            ui.space()
            self._search_box()
        self._toolbar()
        with ui.row().classes('w-full items-center gap-2'):
            self.summary = ui.label('Loading the graph…').classes('text-sm oh-muted').mark('graph-summary')
            wider = next((n for n in LIMITS if n > self.limit), None)
            if wider is not None:
                self.more = (
                    ui.button(
                        f'Show up to {wider:,}',
                        icon='unfold_more',
                        on_click=lambda: ui.navigate.to(self.url(limit=wider)),
                    )
                    .props('flat dense no-caps')
                    .mark('graph-more')
                )
                self.more.visible = False  # until the graph turns out to be cut
        holder = ui.column().classes('w-full gap-1')
        if await run.io_bound(graph.needs_full_refresh):
            self.summary.set_text(
                'Counting every item’s connections once (the first visit after an upgrade or a big import); '
                'this can take a minute on a large library.'
            )
            await ui.context.client.connected(timeout=60)  # show the page (and this line) first
        try:
            loaded = await run.io_bound(self.load)
        except UserError as exc:
            self.summary.set_text(str(exc))
            ui.button(
                'Show the most connected items',
                on_click=lambda: ui.navigate.to(self.url(kind=None, item_id=None)),
            )
            return
        if loaded is None:  # the app is shutting down
            return
        g, positions = loaded
        with holder:
            if not g.nodes:
                self._empty()
                return
            self.chart = GraphChart(g, positions=positions, on_expand=self.expand)
            self.chart.chart.mark('graph-chart')
            ui.label(
                'Click an item to open it · double-click to show its connections · scroll to zoom, drag to move · '
                'click a legend entry to hide that kind · names show on hover and when zoomed in'
            ).classes('text-xs oh-muted')
        self._summarise(g)

    def _toolbar(self) -> None:
        with ui.row().classes('w-full items-center gap-2 flex-wrap'):
            for kind in graph.KINDS:
                on = kind in self.kinds
                chip = ui.chip(
                    kind_plural(kind),
                    icon=KIND_ICONS[kind],
                    selectable=True,
                    selected=on,
                    on_selection_change=lambda e, k=kind: self._toggle_kind(k, e.sender.selected),
                ).props('dense outline')
                # Quasar's colour props take palette names only; the kind colours are hex
                colour = KIND_COLORS[kind] if on else '#94a3b8'
                chip.style(f'color: {colour} !important; border-color: {colour}')
                chip.mark(f'kind-{kind}')
            ui.space()
            if self.kind:
                ui.select(
                    {d: f'Depth {d}' for d in DEPTHS},
                    value=self.depth,
                    on_change=lambda e: ui.navigate.to(self.url(depth=e.value)),
                ).props('dense outlined options-dense aria-label=Depth').classes('w-28')
            ui.select(
                {n: f'Up to {n:,}' for n in LIMITS},
                value=self.limit,
                on_change=lambda e: ui.navigate.to(self.url(limit=e.value)),
            ).props('dense outlined options-dense aria-label="Node limit"').classes('w-36')
            if self.kind:
                ui.button(
                    'Most connected',
                    icon='hub',
                    on_click=lambda: ui.navigate.to(self.url(kind=None, item_id=None, depth=None)),
                ).props('flat no-caps')

    def _toggle_kind(self, kind: str, selected: bool) -> None:
        kinds = set(self.kinds)
        if selected:
            kinds.add(kind)
        else:
            kinds.discard(kind)
        if not kinds:
            toast.error('Choose at least one kind of item to show.')
            ui.navigate.reload()
            return
        ordered = [k for k in graph.KINDS if k in kinds]
        ui.navigate.to(self.url(kinds=','.join(ordered) if len(ordered) < len(graph.KINDS) else None))

    def _search_box(self) -> None:
        with ui.column().classes('gap-0 relative'):
            box = (
                ui.input(placeholder='Find an item to focus')
                .props('dense outlined clearable debounce=250 aria-label="Find an item"')
                .classes('w-64 sm:w-80')
                .mark('graph-search')
            )
            results = ui.column().classes(
                'oh-surface absolute top-full right-0 z-10 w-80 gap-0 shadow rounded'
            )

        async def search() -> None:
            text = (box.value or '').strip()
            results.clear()
            if not text:
                return
            try:
                found = await run.io_bound(
                    lambda: drop_restricted(graph.find_items(text, self.kinds, limit=10), self.hide)
                )
            except UserError as exc:
                toast.error(str(exc))
                return
            with results:
                if not found:
                    ui.label('Nothing found').classes('text-sm oh-muted px-3 py-2')
                for item in found:
                    with (
                        ui.item(on_click=lambda f=item: self.focus(f.kind, f.id, results))
                        .props('dense clickable')
                        .classes('w-full')
                        .mark(f'found-{item.key}')
                    ):
                        with ui.item_section().props('avatar'):
                            ui.icon(KIND_ICONS[item.kind]).style(f'color: {KIND_COLORS[item.kind]}')
                        with ui.item_section():
                            ui.item_label(item.label)

        box.on_value_change(search)

    def focus(self, kind: str, item_id: int, results: ui.column) -> None:
        results.clear()
        key = graph.node_key(kind, item_id)
        if self.chart is not None and self.chart.highlight(key):
            return
        ui.navigate.to(self.url(kind=kind, item_id=item_id))

    async def expand(self, kind: str, item_id: int) -> None:
        if self.chart is None:
            return
        present = [n.key for n in self.chart.graph.nodes]
        previous = self.chart.positions

        def load() -> tuple[graph.Graph, Positions | None]:
            g = graph.expand(kind, item_id, present, kinds=self.kinds, limit=self.limit)
            g = graph_for_viewer(g, self.hide)
            return g, place(g, previous)

        try:
            loaded = await run.io_bound(load)
        except UserError as exc:
            toast.error(str(exc))
            return
        if loaded is None:
            return
        g, positions = loaded
        added = len(g.nodes) - len(present)
        self.chart.show(g, positions)
        self._summarise(g)
        if added <= 0 and not g.truncated:
            ui.notify('No more connections to show for that item.', timeout=2000)

    def _summarise(self, g: graph.Graph) -> None:
        if self.summary is None:
            return
        text = f'{len(g.nodes):,} items · {len(g.edges):,} relations'
        focus = g.node(g.focus) if g.focus else None
        if focus is not None:
            text = f'Around “{focus.label}”: ' + text
        else:
            text = 'The most connected items: ' + text
        if g.truncated:
            text += (
                f' — the {self.limit:,} best-connected; there is more. '
                'Narrow it with the kinds above, start from one item, or show more.'
            )
        self.summary.set_text(text)
        if self.more is not None:
            self.more.visible = g.truncated

    def _empty(self) -> None:
        if self.summary is not None:
            self.summary.set_text('')
        with ui.card().classes('w-full items-start gap-2 p-6').props('flat bordered'):
            ui.label('Nothing to draw yet').classes('text-lg font-semibold')
            ui.label(
                'The graph shows how your outputs, conversations, prompts and agents are linked through '
                'tags, collections and related outputs. Tag a few outputs or link related ones, and they appear here.'
            ).classes('oh-muted')
            if nav.has('/outputs'):
                ui.button('Go to outputs', on_click=lambda: ui.navigate.to('/outputs')).props('outline')


def register(ctx: AppContext) -> None:
    nav.add(nav.NavItem('Graph', '/graph', 'hub', order=60, group='Insight'))
    from . import outputs as outputs_pages

    if _output_panel not in outputs_pages.DETAIL_PANELS:
        outputs_pages.DETAIL_PANELS.append(_output_panel)

    # 2,000 nodes on a loaded 2-core machine can take a few seconds; NiceGUI's default gives up at 3
    @shell.page(ctx, '/graph', response_timeout=20)
    async def graph_page(request: Request) -> None:
        with frame(ctx, 'Graph', wide=True):
            await GraphPage(request).build()
