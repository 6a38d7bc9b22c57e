"""One component administers every kind of lookup row: list with usage counts, create, rename,
recolour, edit details, merge (tags!) and delete — asking what to do with the row's users."""

from __future__ import annotations

from nicegui import run, ui

from .. import auth, roles
from ..data import lookups
from ..data.listing import Page
from ..errors import UserError
from ..services import library_admin
from . import dialogs, toast
from .design import row_color
from .pagination import pager
from .pick import pick_option
from .relation_picker import Option

# Extra fields per kind: (field, label, type) — type is 'text', 'int', 'float', 'bool' or 'textarea'.
EXTRA_FIELDS: dict[str, list[tuple[str, str, str]]] = {
    'tag': [('description', 'Description', 'textarea')],
    'collection': [('description', 'Description', 'textarea'), ('notes', 'Notes', 'textarea')],
    'category': [('description', 'Description', 'textarea')],
    'accuracy': [
        ('rank', 'Rank (higher = more trustworthy)', 'int'),
        ('description', 'Description', 'textarea'),
    ],
    'sensitivity': [
        ('rank', 'Rank (higher = more sensitive)', 'int'),
        (
            'restricted',
            'Restricted: hidden from other devices, API tokens and exports unless allowed',
            'bool',
        ),
        ('description', 'Description', 'textarea'),
    ],
    'retention': [
        ('days', 'Keep for this many days (empty = forever)', 'int'),
        ('description', 'Description', 'textarea'),
    ],
    'provider': [
        ('kind', 'Kind (openai, anthropic, openai_compatible, google, local)', 'text'),
        ('base_url', 'Base URL', 'text'),
    ],
    'model': [
        ('display_name', 'Display name', 'text'),
        ('input_price', 'Input price (USD per million tokens)', 'float'),
        ('output_price', 'Output price (USD per million tokens)', 'float'),
        ('context_window', 'Context window (tokens)', 'int'),
        ('is_active', 'Active', 'bool'),
    ],
    'source': [('kind', 'Kind', 'text'), ('description', 'Description', 'textarea')],
}

DETAIL_PAGES = {'tag': '/tags', 'collection': '/collections'}
# Where a row's users are listed (a filtered list) when it has no page of its own.
FILTERED_LISTS = {'category': 'categories', 'model': 'models', 'sensitivity': 'sensitivities'}


def row_url(key: str, row_id: int) -> str | None:
    if key in DETAIL_PAGES:
        return f'{DETAIL_PAGES[key]}/{row_id}'
    if key in FILTERED_LISTS:
        return f'/outputs?{FILTERED_LISTS[key]}={row_id}'
    return None


def _parse(kind: str, raw: object) -> object:
    if kind == 'bool':
        return bool(raw)
    text = '' if raw is None else str(raw).strip()
    if kind == 'int':
        return int(float(text)) if text else None
    if kind == 'float':
        return float(text) if text else None
    return text or None


class LookupAdmin:
    """Administer one kind of lookup: ``await LookupAdmin('tag').show()``."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.spec = lookups.kind(key)
        try:
            self.principal = auth.principal_of(ui.context.client.request)
        except (RuntimeError, AttributeError):
            self.principal = auth.LOCAL
        # Sensitivity levels, retention plans, providers and models are administered from this computer.
        self.editable = library_admin.may_edit(self.principal, key)
        self.text = ''
        self.sort = 'name'
        self.desc = False
        self.page_no = 1
        with ui.row().classes('w-full items-center gap-2 flex-wrap'):
            box = (
                ui.input(placeholder=f'Filter {self.spec.plural}')
                .props('dense outlined clearable')
                .classes('grow')
            )
            box.on(
                'update:model-value',
                lambda e: self._filter(e.args if isinstance(e.args, str) else ''),
                throttle=0.3,
                leading_events=False,
            )
            ui.select(
                {'name': 'Name', 'usage': 'Most used', 'created_at': 'Newest'}, value='name', label='Sort'
            ).props('dense outlined').classes('w-36').on_value_change(lambda e: self._sort(e.value))
            if self.editable and (self.spec.creatable or key in ('retention', 'accuracy', 'sensitivity')):
                ui.button(f'New {self.spec.singular}', icon='add', on_click=self._create).mark(f'new-{key}')
        if not self.editable:
            ui.label(f'{self.spec.plural.capitalize()}: {roles.ADMIN_NOTE.lower()}').classes(
                'text-sm oh-muted'
            ).mark('admin-note')

    async def show(self) -> None:
        await self.body()

    def _filter(self, text: str) -> None:
        self.text, self.page_no = (text or '').strip(), 1
        self.body.refresh()

    def _sort(self, sort: str) -> None:
        self.sort, self.desc = sort, sort in ('usage', 'created_at')
        self.body.refresh()

    def _goto(self, n: int) -> None:
        self.page_no = n
        self.body.refresh()

    @ui.refreshable_method
    async def body(self) -> None:
        page: Page = await run.io_bound(
            lookups.list_with_usage,
            self.key,
            text=self.text,
            page=self.page_no,
            per_page=50,
            sort=self.sort,
            desc=self.desc,
        )
        with ui.column().classes('w-full gap-0'):
            if not page.items:
                ui.label(f'No {self.spec.plural} yet.' if not self.text else 'Nothing matches.').classes(
                    'oh-muted py-6'
                )
            for item in page.items:
                self._row(item)
        pager(page, self._goto)

    def _row(self, item: lookups.LookupRow) -> None:
        row = item.row
        with ui.row().classes(
            'w-full items-center gap-3 no-wrap px-2 py-2 border-b border-slate-100 dark:border-slate-800'
        ):
            if self.spec.has_color:
                ui.element('span').classes('oh-kind-dot').style(
                    f'background: {row_color(row.color, "#cbd5e1")}'
                )
            url = row_url(self.key, row.id)
            label = getattr(row, 'label', None) or row.name
            with ui.column().classes('grow gap-0 min-w-0'):
                if url:
                    ui.link(label, url).classes('oh-link font-medium truncate')
                else:
                    ui.label(label).classes('font-medium truncate')
                extra = self._summary(row)
                if extra:
                    ui.label(extra).classes('text-xs oh-muted truncate')
            ui.label(f'{item.usage:,} uses').classes('text-sm oh-muted w-24 text-right flex-none')
            if not self.editable:
                return
            actions = ui.button(icon='more_vert').props('flat round dense').mark(f'actions-{row.id}')
            actions.props['aria-label'] = f'Actions for {label}'
            with actions:
                with ui.menu():
                    ui.menu_item('Rename', on_click=lambda r=row: self._rename(r)).mark(f'rename-{row.id}')
                    if self.spec.has_color:
                        ui.menu_item('Colour', on_click=lambda r=row: self._recolor(r))
                    if EXTRA_FIELDS.get(self.key):
                        ui.menu_item('Edit details', on_click=lambda r=row: self._edit(r))
                    ui.menu_item(
                        f'Merge into another {self.spec.singular}', on_click=lambda r=row: self._merge(r)
                    ).mark(f'merge-{row.id}')
                    ui.menu_item('Delete', on_click=lambda r=row, n=item.usage: self._delete(r, n)).mark(
                        f'delete-{row.id}'
                    )

    def _summary(self, row) -> str:
        if self.key == 'model':
            prices = f'${row.input_price or 0:g} / ${row.output_price or 0:g} per M tokens'
            return f'{row.name} · {prices}' if row.display_name else prices
        if self.key == 'retention':
            return 'forever' if row.days is None else f'{row.days} days'
        if self.key == 'sensitivity' and row.restricted:
            return 'restricted'
        return (getattr(row, 'description', None) or '')[:120]

    # ------------------------------------------------------------------ actions
    def _run(self, fn, *args, success: str, **kwargs) -> bool:
        try:
            fn(*args, **kwargs)
        except UserError as exc:
            toast.error(str(exc))
            return False
        toast.saved(success)
        self.body.refresh()
        return True

    async def _ask_text(self, title: str, value: str = '', label: str = 'Name') -> str | None:
        with ui.dialog() as dialog, ui.card().classes('w-[min(92vw,26rem)]'):
            ui.label(title).classes('text-lg font-semibold')
            box = ui.input(label, value=value).props('outlined autofocus').classes('w-full')

            def submit() -> None:
                if (box.value or '').strip():
                    dialog.submit(box.value)
                else:  # say so, and keep the dialog open
                    box.props.update({'error': True, 'error-message': f'Type a {label.lower()} first.'})

            box.on_value_change(lambda: box.props(remove='error'))
            box.on('keydown.enter', submit)
            with ui.row().classes('w-full justify-end'):
                ui.button('Cancel', on_click=lambda: dialog.submit(None)).props('flat')
                ui.button('Save', on_click=submit).mark('dialog-save')
        result = await dialogs.answer(dialog)
        return result

    async def _create(self) -> None:
        name = await self._ask_text(f'New {self.spec.singular}')
        if name:
            self._run(
                library_admin.create, self.principal, self.key, name, success=f'Created “{name.strip()}”'
            )

    async def _rename(self, row) -> None:
        name = await self._ask_text(f'Rename {self.spec.singular}', row.name)
        if name and name.strip() != row.name:
            self._run(library_admin.rename, self.principal, self.key, row.id, name, success='Renamed')

    async def _recolor(self, row) -> None:
        with ui.dialog() as dialog, ui.card():
            ui.label(f'Colour of “{row.name}”').classes('font-semibold')
            picker = ui.color_picker(on_pick=lambda e: dialog.submit(e.color))
            picker.open()
            ui.button('No colour', on_click=lambda: dialog.submit('')).props('flat')
        color = await dialogs.answer(dialog)
        if color is not None:
            self._run(
                library_admin.recolor, self.principal, self.key, row.id, color or None, success='Colour saved'
            )

    async def _edit(self, row) -> None:
        fields = EXTRA_FIELDS[self.key]
        inputs: dict[str, ui.element] = {}
        with ui.dialog() as dialog, ui.card().classes('w-[min(92vw,32rem)] gap-2'):
            ui.label(f'Edit “{row.name}”').classes('text-lg font-semibold')
            for name, label, kind in fields:
                value = getattr(row, name)
                if kind == 'bool':
                    inputs[name] = ui.checkbox(label, value=bool(value))
                elif kind == 'textarea':
                    inputs[name] = (
                        ui.textarea(label, value=value or '').props('outlined autogrow').classes('w-full')
                    )
                else:
                    inputs[name] = (
                        ui.input(label, value='' if value is None else str(value))
                        .props('outlined dense')
                        .classes('w-full')
                    )
            with ui.row().classes('w-full justify-end'):
                ui.button('Cancel', on_click=lambda: dialog.submit(False)).props('flat')
                ui.button('Save', on_click=lambda: dialog.submit(True)).mark('dialog-save')
        ok = await dialogs.answer(dialog)
        if not ok:
            return
        try:
            values = {name: _parse(kind, inputs[name].value) for name, _, kind in fields}
        except ValueError:
            toast.error('Numbers only in the number fields (use a dot for decimals).')
            return
        self._run(library_admin.update_fields, self.principal, self.key, row.id, success='Saved', **values)

    def _search_others(self, exclude: int):
        return lambda text: [
            Option(r.id, getattr(r, 'label', None) or r.name)
            for r in lookups.search(self.key, text)
            if r.id != exclude
        ]

    async def _merge(self, row) -> None:
        target = await pick_option(f'Merge “{row.name}” into…', self._search_others(row.id))
        if target is not None:
            self._run(
                library_admin.merge,
                self.principal,
                self.key,
                [row.id],
                target.id,
                success=f'Merged into “{target.label}”',
            )

    async def _delete(self, row, usage: int) -> None:
        if usage == 0:
            with ui.dialog() as dialog, ui.card():
                ui.label(f'Delete “{row.name}”?')
                with ui.row().classes('w-full justify-end'):
                    ui.button('Cancel', on_click=lambda: dialog.submit(False)).props('flat')
                    ui.button('Delete', on_click=lambda: dialog.submit(True)).props('color=negative').mark(
                        'dialog-delete'
                    )
            ok = await dialogs.answer(dialog)
            if ok:
                self._run(library_admin.delete, self.principal, self.key, row.id, success='Deleted')
            return
        counts = {k: v for k, v in lookups.usage(self.key, row.id).items() if v}
        used_by = ', '.join(f'{v:,} {k}' for k, v in counts.items())
        with ui.dialog() as dialog, ui.card().classes('max-w-md'):
            ui.label(f'“{row.name}” is in use').classes('text-lg font-semibold')
            ui.label(f'Used by {used_by}. What should happen to them?')
            with ui.column().classes('w-full gap-1'):
                ui.button(
                    f'Move them to another {self.spec.singular}', on_click=lambda: dialog.submit('move')
                ).props('flat no-caps').mark('delete-move')
                ui.button(
                    f'Remove the {self.spec.singular} from them and delete it',
                    on_click=lambda: dialog.submit('unlink'),
                ).props('flat no-caps color=negative').mark('delete-unlink')
                ui.button('Cancel', on_click=lambda: dialog.submit(None)).props('flat no-caps')
        choice = await dialogs.answer(dialog)
        if choice == 'unlink':
            self._run(library_admin.delete, self.principal, self.key, row.id, success='Deleted')
        elif choice == 'move':
            target = await pick_option(f'Move the users of “{row.name}” to…', self._search_others(row.id))
            if target is not None:
                self._run(
                    library_admin.delete,
                    self.principal,
                    self.key,
                    row.id,
                    reassign_to=target.id,
                    success=f'Moved to “{target.label}”',
                )
