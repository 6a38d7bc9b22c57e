"""The filter bar of every list: text box, active filters as removable chips, a panel to add filters.
The URL holds the filters, so a filtered list can be bookmarked and the back button works."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from urllib.parse import urlencode

from nicegui import ui

from ..data import agents as agents_data
from ..data import lookups
from ..data.listing import ListParams
from ..errors import UserError
from .design import SECTION_LABEL
from .relation_picker import Option, RelationPicker
from .secret import hide_restricted, visible

# filter field -> (lookup kind for names, picker label, picker kind for colour/icon, chip label)
_ID_FILTERS = {
    'tags': ('tag', 'Tags (all of)', 'tag', 'Tag'),
    'collections': ('collection', 'Collections', 'collection', 'Collection'),
    'categories': ('category', 'Categories', 'category', 'Category'),
    'models': ('model', 'Models', 'model', 'Model'),
    'agents': (None, 'Agents', 'agent', 'Agent'),
    'sensitivities': ('sensitivity', 'Sensitivity', 'sensitivity', 'Sensitivity'),
    'sources': ('source', 'Sources', 'source', 'Source'),
}

# which filters make sense for which kind of list
APPLICABLE = {
    'output': ['tags', 'collections', 'categories', 'models', 'agents', 'sensitivities', 'sources'],
    'conversation': ['tags', 'collections', 'categories', 'models', 'agents', 'sensitivities', 'sources'],
    'prompt': ['tags', 'collections', 'categories', 'sensitivities', 'sources'],
    'agent': ['tags', 'collections', 'categories', 'models', 'sensitivities', 'sources'],
}


def url_for(base_path: str, params: ListParams) -> str:
    query = params.to_query()
    return f'{base_path}?{urlencode(query)}' if query else base_path


def _name(field: str, row_id: int) -> str:
    key = _ID_FILTERS[field][0]
    try:
        if key is None:
            agent = agents_data.get_agent(row_id)
            return agent.name if visible([agent]) else f'#{row_id}'  # a device: no Secret agent's name
        row = lookups.get(key, row_id)
        return getattr(row, 'label', None) or row.name
    except UserError:
        return f'#{row_id} (gone)'


def _search(field: str, text: str) -> list[Option]:
    key = _ID_FILTERS[field][0]
    if key is None:
        from ..data import entities

        page = entities.list_items('agent', hide_restricted(ListParams(text=text, per_page=10)))
        return [Option(a.id, a.name) for a in page.items]
    return [Option(r.id, getattr(r, 'label', None) or r.name) for r in lookups.search(key, text)]


def active_chips(params: ListParams, go: Callable[[ListParams], None]) -> None:
    """One removable chip per active filter."""
    chips: list[tuple[str, ListParams]] = []
    for field, (_, _, _, chip_label) in _ID_FILTERS.items():
        for row_id in getattr(params, field):
            remaining = [i for i in getattr(params, field) if i != row_id]
            chips.append(
                (f'{chip_label}: {_name(field, row_id)}', replace(params, **{field: remaining}, page=1))
            )
    if params.rating_min:
        chips.append((f'Rating ≥ {params.rating_min}', replace(params, rating_min=None, page=1)))
    if params.favourite is not None:
        chips.append(
            ('Favourites' if params.favourite else 'Not favourites', replace(params, favourite=None, page=1))
        )
    if params.date_from:
        chips.append((f'From {params.date_from.isoformat()}', replace(params, date_from=None, page=1)))
    if params.date_to:
        chips.append((f'Until {params.date_to.isoformat()}', replace(params, date_to=None, page=1)))
    if params.text:
        chips.append((f'Title contains “{params.text}”', replace(params, text='', page=1)))
    if not chips:
        return
    with ui.row().classes('gap-1 items-center flex-wrap'):
        for text, without in chips:
            ui.chip(text, removable=True, color='primary', text_color='white').props('dense').on(
                'remove', lambda _=None, p=without: go(p)
            )
        ui.button('Clear all', on_click=lambda: go(ListParams(sort=params.sort, desc=params.desc))).props(
            'flat dense no-caps size=sm'
        )


def filter_panel(kind: str, params: ListParams, go: Callable[[ListParams], None]) -> ui.expansion:
    """An expandable panel with a picker per filter; "Apply" navigates to the filtered list.
    Its contents are built on first open: most visits never open it, and pickers are not free."""
    with ui.expansion('Filters', icon='filter_list').classes('w-full').props('dense') as panel:
        if params.active_filter_count:
            panel.text = f'Filters ({params.active_filter_count})'
        holder = ui.column().classes('w-full gap-2')

    def build() -> None:
        if holder.default_slot.children:
            return
        with holder:
            _filter_fields(kind, params, go)

    panel.on_value_change(lambda e: build() if e.value else None)
    return panel


def _filter_fields(kind: str, params: ListParams, go: Callable[[ListParams], None]) -> None:
    draft = copy.deepcopy(params)  # edits stay local until Apply
    with ui.grid().classes('w-full gap-4 grid-cols-1 md:grid-cols-3'):
        for field in APPLICABLE[kind]:
            _, label, picker_kind, _ = _ID_FILTERS[field]

            def make(field: str = field, label: str = label, picker_kind: str = picker_kind) -> None:
                RelationPicker(
                    label,
                    picker_kind,
                    load=lambda: [Option(i, _name(field, i)) for i in getattr(draft, field)],
                    search=lambda text: _search(field, text),
                    add=lambda o: getattr(draft, field).append(o.id),
                    remove=lambda o: setattr(draft, field, [i for i in getattr(draft, field) if i != o.id]),
                    empty_text='Any',
                )

            make()
        with ui.column().classes('gap-1'):
            ui.label('Rating at least').classes(SECTION_LABEL)
            ui.toggle({0: 'Any', 2: '2+', 3: '3+', 4: '4+', 5: '5'}, value=draft.rating_min or 0).props(
                'dense no-caps'
            ).on_value_change(lambda e: setattr(draft, 'rating_min', e.value or None))
        with ui.column().classes('gap-1'):
            ui.label('Favourites').classes(SECTION_LABEL)
            fav = {None: 'Any', True: 'Only', False: 'Exclude'}
            ui.toggle(
                {k if k is not None else 'any': v for k, v in fav.items()},
                value=draft.favourite if draft.favourite is not None else 'any',
            ).props('dense no-caps').on_value_change(
                lambda e: setattr(draft, 'favourite', None if e.value == 'any' else e.value)
            )
        with ui.column().classes('gap-1'):
            ui.label('Created between').classes(SECTION_LABEL)
            with ui.row().classes('gap-2 no-wrap'):
                start = (
                    ui.input('From', value=draft.date_from.isoformat() if draft.date_from else '')
                    .props('dense outlined type=date')
                    .classes('w-40')
                )
                end = (
                    ui.input('Until', value=draft.date_to.isoformat() if draft.date_to else '')
                    .props('dense outlined type=date')
                    .classes('w-40')
                )

    def apply() -> None:
        try:
            draft.date_from = date.fromisoformat(start.value) if start.value else None
            draft.date_to = date.fromisoformat(end.value) if end.value else None
        except ValueError:
            ui.notify('Dates look like 2025-01-31.', type='warning')
            return
        go(replace(draft, page=1))

    with ui.row().classes('w-full justify-end gap-2'):
        ui.button('Reset', on_click=lambda: go(ListParams(sort=params.sort, desc=params.desc))).props('flat')
        ui.button('Apply filters', icon='check', on_click=apply)
