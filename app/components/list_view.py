"""The library list used for outputs, conversations, prompts and agents: server-side pages, sorting,
filters in the URL, a table on a desktop and cards on a phone, bulk selection and bulk actions."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from nicegui import run, ui
from nicegui.events import GenericEventArguments
from peewee import Model

from ..data import entities, lookups, relations
from ..data.listing import ListParams, Page
from ..errors import UserError
from . import fmt, toast
from .design import kind_color, kind_icon, kind_url, row_color
from .filters import active_chips, filter_panel, url_for
from .pagination import pager
from .pick import pick_option
from .relation_picker import Option
from .secret import hide_restricted, secret_badge_html

_CHECKBOX = 'oh-select flex-none w-4 h-4 m-0 cursor-pointer accent-indigo-600'


def _checkbox_html(key: int | str, checked: bool, label: str) -> str:
    """A native checkbox (one per row: an element each made a page of 25 rows ~50 elements heavier)."""
    return (
        f'<input type="checkbox" class="{_CHECKBOX}" data-oh-select="{_escape(key)}" '
        f'aria-label="{_escape(label)}"{" checked" if checked else ""}>'
    )


@dataclass(frozen=True)
class Column:
    label: str
    sort: str | None  # sort key, if sortable
    render: Callable[[Model], str]  # escaped HTML for the cell
    width: str = 'w-28'


# Rows are rendered as one escaped HTML block each: a NiceGUI element costs far more to build than a
# string, and a page of 25 rows x ~25 elements missed the 300 ms budget.
def _escape(text: object) -> str:
    return html.escape('' if text is None else str(text))


def _model(item: Model) -> str:
    m = getattr(item, 'llm_model', None)
    return f'<span class="text-sm truncate">{_escape(m.label)}</span>' if m else ''


def _rating(item: Model) -> str:
    if not item.rating:
        return ''
    return f'<span class="text-amber-500 text-sm" aria-label="{item.rating} stars">{"★" * item.rating}</span>'


def _date(field: str) -> Callable[[Model], str]:
    def render(item: Model) -> str:
        value = getattr(item, field)
        return f'<span class="text-sm oh-muted" title="{_escape(fmt.date_time(value))}">{_escape(fmt.ago(value))}</span>'

    return render


TAG_CHIPS_MAX = 8  # more than a list cell can ever show


def tag_chips_html(tags: list[Model], limit: int = TAG_CHIPS_MAX) -> str:
    """The tags as small chips on one line: as many as fit are shown (the line is one chip high and wraps,
    so a chip that does not fit moves to the hidden second line instead of being cut or counted as
    "+1"); hovering lists them all."""
    if not tags:
        return ''
    chips = ''.join(
        f'<a class="oh-chip" href="/tags/{t.id}" style="color: {_escape(row_color(t.color, kind_color("tag")))}">{_escape(t.name)}</a>'
        for t in tags[:limit]
    )
    names = _escape(', '.join(t.name for t in tags))
    return f'<span class="flex flex-wrap gap-1 items-center overflow-hidden oh-tag-line" title="{names}">{chips}</span>'


def _tags(item: Model) -> str:
    return tag_chips_html(item.tags)


def _version(item: Model) -> str:
    current = getattr(item, 'current', None)
    return f'<span class="text-sm oh-muted">v{current.number}</span>' if current else ''


def _count(field: str) -> Callable[[Model], str]:
    return lambda item: f'<span class="text-sm oh-muted">{getattr(item, field):,}</span>'


COLUMNS: dict[str, list[Column]] = {
    'output': [
        Column('Model', None, _model, 'w-36'),
        Column('Tags', None, _tags, 'w-48'),
        Column('Rating', 'rating', _rating, 'w-20'),
        Column('Captured', 'created_at', _date('created_at'), 'w-28'),
    ],
    'conversation': [
        Column('Messages', 'message_count', _count('message_count'), 'w-24'),
        Column('Model', None, _model, 'w-36'),
        Column('Tags', None, _tags, 'w-48'),
        Column('Updated', 'updated_at', _date('updated_at'), 'w-28'),
    ],
    'prompt': [
        Column('Version', None, _version, 'w-20'),
        Column('Used', 'use_count', _count('use_count'), 'w-16'),
        Column('Tags', None, _tags, 'w-48'),
        Column('Updated', 'updated_at', _date('updated_at'), 'w-28'),
    ],
    'agent': [
        Column('Version', None, _version, 'w-20'),
        Column('Tags', None, _tags, 'w-48'),
        Column('Updated', 'updated_at', _date('updated_at'), 'w-28'),
    ],
}

SORT_LABELS = {
    'created_at': 'Created',
    'updated_at': 'Updated',
    'title': 'Title',
    'name': 'Name',
    'rating': 'Rating',
    'last_viewed_at': 'Last viewed',
    'cost': 'Cost',
    'message_count': 'Messages',
    'use_count': 'Times used',
    'last_used_at': 'Last used',
    'deleted_at': 'Deleted',
}


def _creator(key: str) -> Callable[[str], Awaitable[Option]]:
    """What the pick dialog calls to create a tag or collection typed there (off the event loop)."""

    async def create(name: str) -> Option:
        row = await run.io_bound(lookups.get_or_create, key, name)
        return Option(row.id, name)

    return create


def _lookup_search(key: str) -> Callable[[str], list[Option]]:
    return lambda text: [Option(r.id, getattr(r, 'label', None) or r.name) for r in lookups.search(key, text)]


def _descending_first(sort: str) -> bool:
    """Names and titles start at A; dates, ratings and counts start with the newest / highest."""
    return sort not in ('title', 'name')


class EntityList:
    """A whole list page body for one kind of item: ``await EntityList(kind, params, path).show()``."""

    def __init__(self, kind: str, params: ListParams, base_path: str) -> None:
        self.kind = kind
        self.spec = entities.kind(kind)
        if params.sort and params.sort not in self.spec.sorts:
            params = replace(params, sort='')  # an old bookmark or a typo: the default order, not an error
        self.params = hide_restricted(params)  # a LAN device without permission never lists Secret items
        self.base_path = base_path
        self.selected: set[int] = set()
        self.page: Page | None = None
        self._build()

    # ------------------------------------------------------------------ navigation
    def go(self, params: ListParams) -> None:
        ui.navigate.to(url_for(self.base_path, params))

    def _text_changed(self, value: str | None) -> None:
        self.params = replace(self.params, text=(value or '').strip(), page=1)
        ui.navigate.history.replace(url_for(self.base_path, self.params))
        self.body.refresh()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        params = self.params
        with ui.row().classes('w-full items-center gap-2 flex-wrap'):
            text = (
                ui.input(placeholder=f'Filter {self.spec.plural} by title', value=params.text)
                .props('dense outlined clearable')
                .classes('grow min-w-[12rem]')
            )
            text.on(
                'update:model-value',
                lambda e: self._text_changed(e.args if isinstance(e.args, str) else ''),
                throttle=0.35,
                leading_events=False,
            )
            sorts = {
                key: SORT_LABELS.get(key, key)
                for key in self.spec.sorts
                if key != 'deleted_at' or params.trashed
            }
            current = params.sort or (self.spec.default_sort if not params.trashed else 'deleted_at')
            ui.select(sorts, value=current, label='Sort').props('dense outlined').classes(
                'w-40'
            ).on_value_change(
                lambda e: self.go(replace(self.params, sort=e.value, desc=_descending_first(e.value), page=1))
            )
            ui.button(
                icon='arrow_downward' if params.desc else 'arrow_upward',
                on_click=lambda: self.go(replace(self.params, desc=not self.params.desc)),
            ).props('flat round dense').tooltip('Descending' if params.desc else 'Ascending')
        active_chips(params, self.go)
        filter_panel(self.kind, params, self.go)
        self.bulk_bar = ui.row().classes('w-full items-center gap-1 flex-wrap')

    async def show(self) -> None:
        """Load and render the first page (call once after constructing)."""
        await self.body()

    @ui.refreshable_method
    async def body(self) -> None:
        try:
            page = await run.io_bound(entities.list_items, self.kind, self.params)
        except UserError as exc:
            toast.error(str(exc))
            return
        if page is None:  # the app is shutting down
            return
        self.page = page
        self.selected &= {i.id for i in page.items}
        self._render_bulk_bar()
        columns = COLUMNS[self.kind]
        with ui.column().classes('w-full gap-0').mark('list-rows') as rows:
            # One listener each for every row's star and checkbox (HTML in the rows, not elements). A click
            # on a star (data-oh-fav: the row's id) sends that id; a checkbox (data-oh-select: the row's id,
            # or "all" for the header's) sends [id, checked]. Clicks elsewhere send nothing.
            rows.on(
                'click',
                self._star_clicked,
                js_handler='(e) => { const b = e.target.closest("[data-oh-fav]");'
                ' if (b) { e.preventDefault(); emit(Number(b.dataset.ohFav)); } }',
            )
            rows.on(
                'change',
                self._select_changed,
                js_handler='(e) => { const c = e.target.closest("[data-oh-select]");'
                ' if (c) emit([c.dataset.ohSelect === "all" ? "all" : Number(c.dataset.ohSelect), c.checked]); }',
            )
            with ui.row().classes(
                'w-full items-center gap-3 no-wrap px-2 py-1 border-b oh-hide-phone text-xs oh-muted'
            ):
                all_on = bool(page.items) and self.selected >= {i.id for i in page.items}
                ui.html(_checkbox_html('all', all_on, 'Select all on this page'), sanitize=True).classes(
                    'flex items-center'
                )
                ui.label('Title' if self.kind != 'agent' else 'Name').classes('grow')
                for col in columns:
                    label = ui.label(col.label).classes(f'{col.width} flex-none')
                    if col.sort:
                        label.classes('cursor-pointer hover:underline').on(
                            'click', lambda _=None, key=col.sort: self._sort_by(key)
                        )
            if not page.items:
                with ui.column().classes('w-full items-center py-10 gap-2'):
                    ui.icon(kind_icon(self.kind)).classes('text-4xl oh-muted')
                    ui.label(
                        f'No {self.spec.plural} match these filters.'
                        if self.params.active_filter_count
                        else f'No {self.spec.plural} yet.'
                    ).classes('oh-muted')
            for item in page.items:
                self._row(item, columns)
        pager(page, lambda n: self.go(replace(self.params, page=n)))

    def _row(self, item: Model, columns: list[Column]) -> None:
        title = entities.title_of(item)
        meta = ' · '.join(
            x
            for x in (
                (item.llm_model.label if getattr(item, 'llm_model', None) else ''),
                fmt.ago(item.created_at),
            )
            if x
        )
        cells = ''.join(
            f'<div class="{col.width} flex-none oh-hide-phone overflow-hidden">{col.render(item)}</div>'
            for col in columns
        )
        star = (
            f'<button type="button" class="oh-fav flex-none bg-transparent border-0 p-0 m-0 leading-none" data-oh-fav="{item.id}" '
            f'aria-label="{"Remove from favourites" if item.favourite else "Mark as a favourite"}" '
            f'aria-pressed="{"true" if item.favourite else "false"}">'
            '<i class="q-icon notranslate material-icons cursor-pointer text-lg '
            f'{"text-amber" if item.favourite else "text-grey"}" aria-hidden="true">'
            f'{"star" if item.favourite else "star_border"}</i></button>'
        )
        body = (
            '<div class="flex items-start sm:items-center gap-3 w-full min-w-0 no-wrap px-2 py-2 border-b '
            'border-slate-100 dark:border-slate-800 hover:bg-slate-50 dark:hover:bg-slate-800/50">'
            f'{_checkbox_html(item.id, item.id in self.selected, f"Select {title}")}'
            f'{star}'
            # no-wrap: Quasar's .flex wraps, and a wrapping column is as wide as its widest line (no truncation).
            '<div class="grow min-w-0 flex flex-col no-wrap">'
            '<div class="flex items-center gap-2 min-w-0 no-wrap">'
            f'<a class="oh-link font-medium truncate min-w-0" href="{kind_url(self.kind, item.id)}">{_escape(title)}</a>'
            f'{secret_badge_html(item.sensitivity_id)}</div>'
            f'<span class="text-xs oh-muted oh-only-phone">{_escape(meta)}</span>'
            f'<span class="oh-only-phone">{tag_chips_html(item.tags)}</span>'
            f'</div>{cells}</div>'
        )
        ui.html(body, sanitize=True).classes('w-full min-w-0')

    # ------------------------------------------------------------------ selection
    def _select_changed(self, event: GenericEventArguments) -> None:
        """A checkbox of the list: "all" for the page, or a row's id (only a row of the page on screen)."""
        args = event.args
        if not isinstance(args, list) or len(args) != 2:
            return
        key, on = args[0], bool(args[1])
        if key == 'all':
            self._select_all(on)
        elif any(i.id == key for i in (self.page.items if self.page else [])):
            self._toggle(key, on)

    def _toggle(self, item_id: int, on: bool) -> None:
        (self.selected.add if on else self.selected.discard)(item_id)
        self._render_bulk_bar()

    def _select_all(self, on: bool) -> None:
        ids = {i.id for i in (self.page.items if self.page else [])}
        self.selected = self.selected | ids if on else self.selected - ids
        self.body.refresh()

    def _sort_by(self, key: str) -> None:
        same = (self.params.sort or self.spec.default_sort) == key
        self.go(
            replace(
                self.params, sort=key, desc=not self.params.desc if same else _descending_first(key), page=1
            )
        )

    async def _star_clicked(self, event: GenericEventArguments) -> None:
        """A row's star: the id it carries must be a row of the page on screen."""
        item = next((i for i in (self.page.items if self.page else []) if i.id == event.args), None)
        if item is not None:
            await self._favourite(item)

    async def _favourite(self, item: Model) -> None:
        try:
            await run.io_bound(entities.update_item, self.kind, item.id, favourite=not item.favourite)
        except UserError as exc:
            toast.error(str(exc))
        self.body.refresh()

    def _render_bulk_bar(self) -> None:
        self.bulk_bar.clear()
        if not self.selected:
            return
        n = len(self.selected)
        with self.bulk_bar:
            ui.label(f'{n} selected').classes('text-sm font-medium mr-2')
            if self.params.trashed:
                ui.button('Restore', icon='restore_from_trash', on_click=self._restore).props(
                    'flat dense no-caps'
                )
                ui.button('Delete forever', icon='delete_forever', on_click=self._delete_forever).props(
                    'flat dense no-caps color=negative'
                )
            else:
                ui.button('Add tag', icon='sell', on_click=self._add_tag).props('flat dense no-caps')
                ui.button('Remove tag', icon='label_off', on_click=self._remove_tag).props(
                    'flat dense no-caps'
                )
                ui.button('Move to collection', icon='drive_file_move', on_click=self._move).props(
                    'flat dense no-caps'
                )
                ui.button('Favourite', icon='star', on_click=lambda: self._set(favourite=True)).props(
                    'flat dense no-caps'
                )
                ui.button(
                    'Unfavourite', icon='star_border', on_click=lambda: self._set(favourite=False)
                ).props('flat dense no-caps')
                ui.button('Sensitivity', icon='shield', on_click=self._sensitivity).props(
                    'flat dense no-caps'
                )
                ui.button('Delete', icon='delete', on_click=self._trash).props(
                    'flat dense no-caps color=negative'
                )
            ui.button('Clear', on_click=self._clear).props('flat dense no-caps')

    def _clear(self) -> None:
        self.selected.clear()
        self.body.refresh()

    def _done(self, message: str, undo: Callable[[], object] | None = None) -> None:
        self.body.refresh()
        toast.toast(message, [('Undo', undo)] if undo else None)

    # ------------------------------------------------------------------ bulk actions
    async def _add_tag(self) -> None:
        option = await pick_option(
            f'Add a tag to {len(self.selected)} {self.spec.plural}',
            _lookup_search('tag'),
            create=_creator('tag'),
        )
        if option is None:
            return
        ids = sorted(self.selected)
        before = await run.io_bound(relations.tags_for, self.kind, ids)
        new = [i for i in ids if not any(t.id == option.id for t in before.get(i, []))]
        try:
            await run.io_bound(relations.add_tags, self.kind, ids, [option.id])
        except UserError as exc:
            toast.error(str(exc))
            return

        async def undo() -> None:
            await run.io_bound(relations.remove_tags, self.kind, new, [option.id])
            self.body.refresh()

        self._done(f'Tagged {len(ids)} with “{option.label}”', undo)

    async def _remove_tag(self) -> None:
        option = await pick_option(
            f'Remove a tag from {len(self.selected)} {self.spec.plural}', _lookup_search('tag')
        )
        if option is None:
            return
        ids = sorted(self.selected)
        before = await run.io_bound(relations.tags_for, self.kind, ids)
        had = [i for i in ids if any(t.id == option.id for t in before.get(i, []))]
        try:
            await run.io_bound(relations.remove_tags, self.kind, ids, [option.id])
        except UserError as exc:
            toast.error(str(exc))
            return

        async def undo() -> None:
            await run.io_bound(relations.add_tags, self.kind, had, [option.id])
            self.body.refresh()

        self._done(f'Removed “{option.label}” from {len(had)}', undo if had else None)

    async def _move(self) -> None:
        option = await pick_option(
            f'Move {len(self.selected)} {self.spec.plural} to a collection',
            _lookup_search('collection'),
            create=_creator('collection'),
        )
        if option is None:
            return
        try:
            await run.io_bound(relations.move_to_collection, self.kind, sorted(self.selected), option.id)
        except UserError as exc:
            toast.error(str(exc))
            return
        self._done(f'Moved {len(self.selected)} to “{option.label}”')

    async def _sensitivity(self) -> None:
        option = await pick_option('Set sensitivity', _lookup_search('sensitivity'))
        if option is not None:
            await self._set(sensitivity=option.id)

    async def _set(self, **values: object) -> None:
        ids = sorted(self.selected)
        try:
            n = await run.io_bound(entities.update_many, self.kind, ids, **values)
        except UserError as exc:
            toast.error(str(exc))
            return
        self._done(f'Updated {n} {self.spec.singular if n == 1 else self.spec.plural}')

    async def _trash(self) -> None:
        ids = sorted(self.selected)
        try:
            n = await run.io_bound(entities.trash, self.kind, ids)
        except UserError as exc:
            toast.error(str(exc))
            return
        self.selected.clear()

        async def undo() -> None:
            await run.io_bound(entities.restore, self.kind, ids)
            self.body.refresh()

        self._done(f'Moved {n} to the trash', undo)

    async def _restore(self) -> None:
        ids = sorted(self.selected)
        try:
            n = await run.io_bound(entities.restore, self.kind, ids)
        except UserError as exc:
            toast.error(str(exc))
            return
        self.selected.clear()
        self._done(f'Restored {n}')

    async def _delete_forever(self) -> None:
        ids = sorted(self.selected)
        with ui.dialog() as dialog, ui.card():
            ui.label(f'Delete {len(ids)} {self.spec.plural} forever? This cannot be undone.')
            with ui.row().classes('justify-end w-full'):
                ui.button('Cancel', on_click=lambda: dialog.submit(False)).props('flat')
                ui.button('Delete forever', on_click=lambda: dialog.submit(True)).props('color=negative')
        if await dialog:
            try:
                n = await run.io_bound(entities.delete_forever, self.kind, ids)
            except UserError as exc:
                toast.error(str(exc))
                return
            self.selected.clear()
            self._done(f'Deleted {n} forever')


def list_header(
    kind: str, title: str, count_hint: str = '', actions: Callable[[], None] | None = None
) -> None:
    with ui.row().classes('w-full items-center gap-3'):
        ui.icon(kind_icon(kind)).style(f'color: {kind_color(kind)}').classes('text-2xl')
        ui.label(title).classes('text-2xl font-semibold')
        if count_hint:
            ui.label(count_hint).classes('oh-muted')
        ui.space()
        if actions:
            actions()
