"""Search: one box, Keyword · Semantic · Hybrid, filters, results grouped by kind with highlighted
snippets; "find similar" from any output or message; the "Similar outputs" panel on output pages."""

from __future__ import annotations

import html
import logging
from urllib.parse import urlencode

from fastapi import Request
from nicegui import run, ui

from ..components import fmt, toast
from ..components.design import KIND_LABELS, kind_color, kind_icon
from ..components.filters import active_chips, filter_panel
from ..components.secret import check_visible, secret_badge_html, viewer_sees_restricted
from ..context import AppContext
from ..data import embeddings, entities, search, sensitivity
from ..data.listing import ListParams
from ..errors import UserError
from . import nav, shell
from .frame import frame

MODES = {'keyword': 'Keyword', 'semantic': 'Semantic', 'hybrid': 'Hybrid'}
KIND_ORDER = list(search.KINDS)
KIND_TITLES = {k: KIND_LABELS[k][1] for k in KIND_ORDER}
LIMIT = 40

log = logging.getLogger(__name__)


def search_url(
    q: str = '',
    mode: str = 'hybrid',
    kinds: list[str] | None = None,
    params: ListParams | None = None,
    similar: str = '',
) -> str:
    query: dict[str, str] = {}
    if q:
        query['q'] = q
    if mode != 'hybrid':
        query['mode'] = mode
    if kinds:
        query['kind'] = ','.join(kinds)
    if similar:
        query['similar'] = similar
    if params is not None:
        query.update(
            {k: v for k, v in params.to_query().items() if k not in ('sort', 'desc', 'page', 'per_page')}
        )
    return '/search' + (f'?{urlencode(query)}' if query else '')


ROW_ORDER = [
    k for k in search.QUICK_KINDS if k in KIND_ORDER
]  # one row per item: messages fold into conversations


def _hit_html(row: search.ItemHit, restricted: dict[tuple[str, int], int]) -> str:
    """One result row as escaped HTML (snippet_html escapes the text and marks matches)."""
    hit = row.hit
    title = html.escape(hit.title or f'{hit.kind} {hit.id}')
    role = (
        f'<span class="oh-muted">{html.escape(hit.role or "")}:</span> '
        if hit.kind == 'message' and hit.role
        else ''
    )
    when = html.escape(fmt.day(hit.created_at)) if hit.created_at else ''
    how = {
        'semantic': 'similar in meaning',
        'both': 'matches your words, similar in meaning',
        'keyword': 'matches your words',
    }.get(row.matched, '')
    if row.kind == 'conversation' and row.matches > 1:
        how += f' · {row.matches} matches in this conversation'
    return (
        f'<a class="oh-result oh-link block rounded px-2 py-2 hover:bg-slate-50 dark:hover:bg-slate-800 '
        f'focus:outline focus:outline-2" href="{html.escape(hit.url)}">'
        f'<div class="font-medium flex items-center gap-2">{title}'
        f'{secret_badge_html(restricted.get((row.kind, row.id)))}</div>'
        f'<div class="text-sm oh-clamp-3">{role}{hit.snippet_html}</div>'
        f'<div class="text-xs oh-muted">{when}{" · " if when and how else ""}{how}</div></a>'
    )


def _grouped(rows: list[search.ItemHit]) -> None:
    by_kind: dict[str, list[search.ItemHit]] = {}
    restricted = sensitivity.restricted_keys((r.kind, r.id) for r in rows)  # their Secret badges
    for row in rows:
        by_kind.setdefault(row.kind, []).append(row)
    with ui.column().classes('w-full gap-4').props('id=oh-results'):
        for kind in ROW_ORDER:
            group = by_kind.get(kind)
            if not group:
                continue
            with ui.column().classes('w-full gap-0'):
                with ui.row().classes('items-center gap-2'):
                    ui.icon(kind_icon(kind)).style(f'color: {kind_color(kind)}')
                    ui.label(KIND_TITLES[kind]).classes('font-semibold')
                    ui.label(str(len(group))).classes('oh-muted text-sm')
                ui.html(''.join(_hit_html(h, restricted) for h in group), sanitize=True).classes('w-full')


def _index_banner(ctx: AppContext, mode: str) -> None:
    if mode == 'keyword':
        return
    if ctx.indexer is not None and not embeddings.is_ready():  # loading since start-up: results by words
        with ui.row().classes('w-full items-center gap-3 p-2 rounded bg-sky-50 dark:bg-slate-800 text-sm'):
            ui.icon('hourglass_top').classes('text-sky-600')
            ui.label(str(embeddings.ModelNotReady(''))).mark('model-loading')
        return
    status = search.index_status()
    if status['complete']:
        return
    with ui.row().classes('w-full items-center gap-3 p-2 rounded bg-sky-50 dark:bg-slate-800 text-sm'):
        ui.icon('hourglass_top').classes('text-sky-600')
        waiting = status['pending']
        if status['wanted_model'] != status['model']:
            ui.label(
                f'The search index is being rebuilt for {status["wanted_model"]}; results by meaning are partial.'
            )
        else:
            ui.label(
                f'{fmt.plural(waiting, "item")} {"is" if waiting == 1 else "are"} still being indexed for search '
                'by meaning; their results will appear soon.'
            )
        if ctx.indexer is None:
            ui.label('(the background indexer is off: run `outputhub reindex`)').classes('oh-muted')


def register(ctx: AppContext) -> None:
    nav.add(nav.NavItem('Search', '/search', 'search', order=3, shortcut='/', group=''))

    @shell.page(ctx, '/search')
    async def search_page(request: Request) -> None:
        qp = request.query_params
        q = (qp.get('q') or '').strip()[:500]
        mode = qp.get('mode') if qp.get('mode') in MODES else 'hybrid'
        kinds = [k for k in (qp.get('kind') or '').split(',') if k in KIND_ORDER]
        similar_ref = qp.get('similar') or ''
        params = ListParams.from_query(qp)
        with frame(ctx, f'Search: {q}' if q else 'Search'):
            with ui.row().classes('w-full items-center gap-2 flex-wrap'):
                box = (
                    ui.input(placeholder='Search words or meaning…', value=q)
                    .props('outlined autofocus clearable aria-label="Search query"')
                    .classes('grow min-w-[14rem]')
                    .mark('search-box')
                )
                box.on(
                    'keydown.enter', lambda: ui.navigate.to(search_url(box.value or '', mode, kinds, params))
                )
                ui.toggle(MODES, value=mode).props('no-caps dense').on_value_change(
                    lambda e: ui.navigate.to(search_url(box.value or q, e.value, kinds, params, similar_ref))
                ).mark('search-mode')
            with ui.row().classes('w-full items-center gap-2 flex-wrap text-sm'):
                ui.label('In:').classes('oh-muted')
                for kind in KIND_ORDER:
                    on = kind in kinds

                    def toggle(kind: str = kind, on: bool = on) -> None:
                        chosen = [k for k in kinds if k != kind] if on else [*kinds, kind]
                        ui.navigate.to(search_url(q, mode, chosen, params, similar_ref))

                    chip = ui.chip(
                        KIND_TITLES[kind], icon=kind_icon(kind), selectable=True, selected=on, on_click=toggle
                    ).props('dense')
                    if not on:
                        chip.props('outline')
            active_chips(params, lambda p: ui.navigate.to(search_url(q, mode, kinds, p, similar_ref)))
            filter_panel(
                'output', params, lambda p: ui.navigate.to(search_url(q, mode, kinds, p, similar_ref))
            )
            filters = search.SearchFilters.from_list_params(params, kinds)
            filters.exclude_restricted = not viewer_sees_restricted()  # a LAN device without permission
            results = ui.column().classes('w-full')
            # Answer with the page first: a search by meaning may wait for the model to load (seconds).
            await ui.context.client.connected()
            with results:
                if similar_ref:
                    await _similar_results(similar_ref, filters)
                elif q:
                    _index_banner(ctx, mode)
                    spinner = ui.spinner(size='lg')
                    try:
                        hits = await run.io_bound(
                            search.search, q, mode=mode, filters=filters, limit=LIMIT * 2
                        )
                    except UserError as exc:
                        spinner.delete()
                        toast.error(str(exc))
                        return
                    spinner.delete()
                    rows = search.one_per_item(hits)[:LIMIT]  # an item hit several times is one row
                    if not rows:
                        ui.label(f'Nothing found for “{q}”.').classes('oh-muted')
                        if mode == 'keyword':
                            ui.link('Try searching by meaning', search_url(q, 'hybrid', kinds, params))
                    elif mode == 'hybrid' and all(r.matched == 'semantic' for r in rows):
                        # gibberish or a typo still has nearest neighbours: say these are not word matches
                        ui.label(
                            f'No result contains “{q}”; these are the closest in meaning, best first.'
                        ).classes('text-sm oh-muted').mark('meaning-only')
                        _grouped(rows)
                    else:
                        ui.label(f'{fmt.plural(len(rows), "result")}, best first').classes('text-sm oh-muted')
                        _grouped(rows)
                    if mode != 'keyword' and not any(r.matched != 'keyword' for r in rows):
                        # neighbours below the model's floor are not offered as matches (a made-up code)
                        ui.label('No close matches by meaning.').classes('text-sm oh-muted').mark(
                            'no-meaning'
                        )
                else:
                    ui.label(
                        'Keyword finds the words you type (quotes for a phrase, -word to exclude, word* for a prefix). '
                        'Semantic finds the meaning, even in other words. Hybrid combines both.'
                    ).classes('oh-muted text-sm')

    async def _similar_results(ref: str, filters: search.SearchFilters) -> None:
        kind, _, raw_id = ref.partition(':')
        if kind not in ('output', 'message') or not raw_id.isdigit():
            ui.label('“Find similar” works from an output or a message.').classes('oh-muted')
            return
        item_id = int(raw_id)
        title = f'{kind} {item_id}'
        if kind == 'output':
            try:
                item = entities.get_item('output', item_id)
                check_visible('output', item)
                title = entities.title_of(item)
            except UserError as exc:
                toast.error(str(exc))
                return
        with ui.row().classes('items-center gap-2'):
            ui.icon('manage_search')
            ui.label('Similar to').classes('oh-muted')
            ui.label(title).classes('font-medium')
        try:
            hits = await run.io_bound(search.similar, kind, item_id, filters=filters, limit=LIMIT)
        except UserError as exc:
            toast.error(str(exc))
            return
        if not hits:
            ui.label('Nothing similar yet.').classes('oh-muted')
        else:
            _grouped(search.one_per_item(hits))

    from . import outputs as output_pages

    if similar_panel not in output_pages.DETAIL_PANELS:
        output_pages.DETAIL_PANELS.append(similar_panel)


def similar_panel(panel_ctx: AppContext, output_id: int) -> None:
    with ui.card().classes('w-full gap-1').props('flat bordered'):
        with ui.row().classes('w-full items-center gap-2'):
            ui.icon('manage_search').style(f'color: {kind_color("output")}')
            ui.label('Similar outputs').classes('font-semibold')
            ui.space()
            ui.link('More', search_url(similar=f'output:{output_id}')).classes('text-sm')
        holder = ui.column().classes('w-full gap-0')
        with holder:
            ui.label('Looking…').classes('text-sm oh-muted')

    async def load() -> None:
        if panel_ctx.indexer is None:  # no background indexer: do not load the model inside a page view
            holder.clear()
            with holder:
                ui.label('Search by meaning is off (the indexer is not running).').classes('text-sm oh-muted')
            return
        try:
            hits = await run.io_bound(
                search.similar,
                'output',
                output_id,
                filters=search.SearchFilters(
                    kinds=['output'], exclude_restricted=not viewer_sees_restricted()
                ),
                limit=6,
            )
        except UserError:
            hits = []
        except Exception as exc:  # the model failed to load: say so in one line, keep the page
            log.warning('Similar outputs for %s failed: %s', output_id, exc)
            holder.clear()
            with holder:
                ui.label('Similar outputs are unavailable right now.').classes('text-sm oh-muted')
            return
        holder.clear()
        with holder:
            if not hits:
                ui.label('Nothing similar yet.').classes('text-sm oh-muted')
            for hit in hits:
                ui.link(hit.title or f'Output {hit.id}', hit.url).classes('oh-link text-sm truncate w-full')

    ui.timer(0.1, load, once=True)
