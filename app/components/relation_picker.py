"""The one relation picker: linked items as chips (each a link, × to unlink) and a "+" that searches,
picks or creates inline. Used for tags, collections, related outputs, prompt/agent versions, everything."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from nicegui import run, ui

from ..errors import UserError
from . import toast
from .design import SECTION_LABEL, kind_color, kind_icon, row_color


@dataclass(frozen=True)
class Option:
    id: int
    label: str
    url: str | None = None
    color: str | None = None
    hint: str = ''


_COMPACT: ContextVar[bool] = ContextVar('compact_pickers', default=False)
_COMPACT_ROW = 'flex flex-row flex-wrap items-center gap-1 w-full min-h-[2rem]'
_COMPACT_LABEL = f'{SECTION_LABEL} inline-flex items-center gap-1 mr-1'
_FULL_COLUMN = 'nicegui-column w-full gap-1'


@contextmanager
def compact_pickers() -> Iterator[None]:
    """Pickers made inside start compact (``RelationPicker(compact=None)``): a page showing many of them
    (an output has ten) builds one line of chips each and the editing widgets only for the one opened."""
    token = _COMPACT.set(True)
    try:
        yield
    finally:
        _COMPACT.reset(token)


class RelationPicker:
    """Chips + inline search. ``load`` returns what is linked now; ``search(text)`` candidates;
    ``add`` / ``remove`` change the link; ``create(name)`` makes a new row (optional).

    ``compact`` (default: inside :func:`compact_pickers`) shows the section read-only first: one row
    with its label, the chips (links) and an add/change button. That button (the same marker and
    label as the full picker's) turns the section into the full picker with its search box open, so
    editing stays one click; chips get their × once it is open."""

    def __init__(
        self,
        label: str,
        kind: str,
        *,
        load: Callable[[], list[Option]],
        search: Callable[[str], list[Option]],
        add: Callable[[Option], object],
        remove: Callable[[Option], object] | None = None,
        create: Callable[[str], Option] | None = None,
        single: bool = False,
        empty_text: str = 'None',
        on_change: Callable[[], object] | None = None,
        compact: bool | None = None,
        initial: list[Option] | None = None,
    ) -> None:
        self.label = label
        self.kind = kind
        self._load = load
        self._search = search
        self._add = add
        self._remove = remove
        self._create = create
        self.single = single
        self.empty_text = empty_text
        self.on_change = on_change
        self.items: list[Option] = []
        # What ``load`` would return now, when the page has it already (read with the item): the first
        # build uses it instead of asking the database again; every later refresh calls ``load``.
        self._initial = initial
        self.compact = _COMPACT.get() if compact is None else compact
        self.container = ui.element('div').classes(_COMPACT_ROW if self.compact else _FULL_COLUMN)
        self.chips: ui.row | None = None
        self.editor: ui.column | None = None
        if self.compact:
            self._build_compact()
        else:
            self._build_full()
            self.refresh()

    # ------------------------------------------------------------------ chips
    def _load_items(self) -> list[Option]:
        if self._initial is not None:
            items, self._initial = self._initial, None
            return items
        try:
            return self._load()
        except UserError as exc:
            toast.error(str(exc))
            return []

    def _build_compact(self) -> None:
        """Read-only: one line of label, chips and the button that opens the full picker (3 elements + the
        chips, against 8 + the chips and a tooltip or two for the full picker)."""
        self.items = self._load_items()
        with self.container:
            # the icon and label are the app's own constants, never data: one element for both
            ui.html(
                f'<i class="q-icon notranslate material-icons text-base" aria-hidden="true" '
                f'style="color: {kind_color(self.kind)}">{kind_icon(self.kind)}</i>'
                f'<span>{html.escape(self.label)}</span>',
                sanitize=False,
            ).classes(_COMPACT_LABEL)
            self._chip_row(removable=False)

    def _build_full(self) -> None:
        self.compact = False
        self.container.classes(replace=_FULL_COLUMN)
        with self.container:
            with ui.row().classes('items-center gap-1 w-full'):
                ui.icon(kind_icon(self.kind)).style(f'color: {kind_color(self.kind)}').classes('text-base')
                ui.label(self.label).classes(SECTION_LABEL)
            self.chips = ui.row().classes('gap-1 items-center flex-wrap w-full')
            self.editor = ui.column().classes('w-full gap-0')

    def expand(self) -> None:
        """The full picker in place of the compact row, its search box open (the compact row's button)."""
        if self.compact:
            self.container.clear()
            self._build_full()
            self.refresh()
        self.open_editor()

    def refresh(self) -> None:
        if self.compact or self.chips is None:
            self.container.clear()
            self._build_compact()
            return
        self.items = self._load_items()
        self.chips.clear()
        with self.chips:
            self._chip_row(removable=self._remove is not None)

    def _chip_row(self, *, removable: bool) -> None:
        if not self.items:
            ui.label(self.empty_text).classes('text-sm oh-muted')
        for option in self.items:
            chip = ui.chip(
                option.label,
                removable=removable,
                on_click=(lambda o=option: ui.navigate.to(o.url)) if option.url else None,
            ).props('dense outline')
            if option.url:
                chip.props('clickable')
            chip.style(f'color: {row_color(option.color, kind_color(self.kind))}')
            chip.props['aria-label'] = f'{self.kind} {option.label}'
            if option.hint:
                if self.compact:
                    chip.props['title'] = option.hint  # the browser's own tooltip: no element to build
                else:
                    chip.tooltip(option.hint)
            if removable:
                chip.on('remove', lambda _=None, o=option: self._do_remove(o))
        verb = 'Change' if self.single and self.items else 'Add'
        add = ui.button(
            icon='add' if verb == 'Add' else 'edit',
            on_click=self.expand if self.compact else self.open_editor,
        )
        add.props('flat round dense size=sm')
        add.props['aria-label'] = f'{verb} {self.label.lower()}'
        add.mark(f'add-{self.kind}')
        if self.compact:
            add.props['title'] = f'{verb} {self.label.lower()}'
        else:
            with add:  # above the button, not below it: the search box it opens appears right under it
                ui.tooltip(f'{verb} {self.label.lower()}').props('anchor="top middle" self="bottom middle"')

    def _changed(self) -> None:
        self.refresh()
        if self.on_change is not None:
            self.on_change()

    async def _do_remove(self, option: Option) -> None:
        try:
            assert self._remove is not None
            await run.io_bound(self._remove, option)
        except UserError as exc:
            toast.error(str(exc))
        self._changed()

    # ------------------------------------------------------------------ editor
    def open_editor(self) -> None:
        if self.editor is None:  # compact: build the full picker first
            self.expand()
            return
        self.editor.clear()
        with self.editor:
            box = (
                ui.input(
                    placeholder=f'Search {self.label.lower()}'
                    + (' or type a new name' if self._create else '')
                )
                .props('dense outlined autofocus clearable')
                .classes('w-full max-w-md')
                .mark(f'picker-{self.kind}')
            )
            results = ui.column().classes(
                'w-full max-w-md gap-0 border rounded border-slate-200 dark:border-slate-700'
            )

        def show(text: str) -> None:
            results.clear()
            linked = {o.id for o in self.items}
            try:
                found = [o for o in self._search(text or '') if o.id not in linked][:8]
            except UserError as exc:
                toast.error(str(exc))
                found = []
            exact = any(o.label.lower() == (text or '').strip().lower() for o in found)
            with results:
                for option in found:
                    with (
                        ui.item(on_click=lambda o=option: self._pick(o))
                        .classes('w-full')
                        .props('dense clickable')
                        .mark(f'pick-{option.id}'),
                        ui.item_section(),
                    ):
                        ui.item_label(option.label)
                        if option.hint:
                            ui.item_label(option.hint).props('caption')
                if self._create and (text or '').strip() and not exact:
                    with (
                        ui.item(on_click=lambda: self._pick_new(box.value))
                        .props('dense clickable')
                        .mark('pick-new'),
                        ui.item_section(),
                    ):
                        ui.item_label(f'Create “{text.strip()}”').classes('text-primary')
                if not found and not (self._create and (text or '').strip()):
                    ui.label('Nothing found').classes('text-sm oh-muted px-3 py-1')
            self._first = found[0] if found else None

        async def enter() -> None:
            text = (box.value or '').strip()
            match = (
                next((o for o in self._search(text) if o.label.lower() == text.lower()), None)
                if text
                else None
            )
            if match is not None:
                await self._pick(match)
            elif self._create and text:
                await self._pick_new(text)
            elif self._first is not None:
                await self._pick(self._first)

        self._first = None
        box.on_value_change(lambda e: show(e.value))
        box.on('keydown.enter', enter)
        box.on('keydown.escape', self.close_editor)
        show('')

    def close_editor(self) -> None:
        if self.editor is not None:
            self.editor.clear()

    async def _pick(self, option: Option) -> None:
        try:
            await run.io_bound(self._add, option)  # links are written off the event loop
        except UserError as exc:
            toast.error(str(exc))
            return
        self.close_editor()
        self._changed()

    async def _pick_new(self, text: str) -> None:
        assert self._create is not None
        try:
            option = await run.io_bound(self._create, (text or '').strip())
        except UserError as exc:
            toast.error(str(exc))
            return
        await self._pick(option)
