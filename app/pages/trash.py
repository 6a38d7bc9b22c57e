"""The trash (/trash) across outputs, conversations, prompts and agents — restore, delete forever, empty —
and the Retention settings tab: which plans apply, a preview of what a purge would move to the trash,
the button that does it, and the log of purges."""

from __future__ import annotations

import html
from datetime import timedelta
from urllib.parse import urlencode

from fastapi import Request
from nicegui import run, ui

from .. import auth, roles
from ..components import dialogs, fmt, toast
from ..components.design import kind_color, kind_icon, kind_url
from ..components.pagination import pager
from ..components.secret import viewer_sees_restricted
from ..context import AppContext
from ..data import lookups, retention, trash
from ..data.models import utcnow
from ..errors import UserError
from ..services import library_admin
from . import nav, settings, shell
from .frame import frame

KIND_LABELS = {'output': 'Outputs', 'conversation': 'Conversations', 'prompt': 'Prompts', 'agent': 'Agents'}
PREVIEW_ROWS = 100


def trash_url(kind: str = '', text: str = '', page: int = 1) -> str:
    query = {k: v for k, v in (('kind', kind), ('q', text), ('page', str(page) if page > 1 else '')) if v}
    return '/trash' + (f'?{urlencode(query)}' if query else '')


def _days_left(item: trash.TrashItem) -> str:
    left = item.deleted_for_good_at - utcnow()
    if left <= timedelta(0):
        return 'deleted for good at the next clean-up'
    days = left.days
    return 'deleted for good within a day' if days < 1 else f'deleted for good in {fmt.plural(days, "day")}'


def _row_html(item: trash.TrashItem) -> str:
    title = html.escape(item.title or f'Untitled {item.kind}')
    when = html.escape(fmt.ago(item.deleted_at))
    exact = html.escape(fmt.date_time(item.deleted_at))
    return (
        # no-wrap: Quasar's .flex wraps, and a wrapping column grows to its widest line (no truncation on a phone).
        '<div class="flex flex-col min-w-0 no-wrap">'
        f'<a class="oh-link font-medium truncate min-w-0" href="{html.escape(item.url)}">{title}</a>'
        f'<span class="text-xs oh-muted"><span title="{exact}">trashed {when}</span> · '
        f'{html.escape(_days_left(item))}</span></div>'
    )


class TrashPage:
    """One page of the trash; every change re-renders the list in place."""

    def __init__(self, kind: str, text: str, page: int) -> None:
        self.kind = kind if kind in trash.KINDS else ''
        self.text = text
        self.page_no = page
        self.selected: set[tuple[str, int]] = set()
        self.shown_at = utcnow()  # "Empty trash" deletes what was there when the page was shown
        self.hide = not viewer_sees_restricted()  # a LAN device without permission: no Secret items

    async def show(self) -> None:
        with ui.row().classes('w-full items-center gap-3'):
            ui.icon('delete').classes('text-2xl oh-muted')
            ui.label('Trash').classes('text-2xl font-semibold')
            ui.space()
            ui.button('Empty trash', icon='delete_forever', on_click=self.empty).props(
                'outline color=negative no-caps'
            ).mark('empty-trash')
        ui.label(
            f'Deleted items stay here for {trash.TRASH_DAYS} days, then they are deleted for good. '
            'Retention purges put expired items here too.'
        ).classes('text-sm oh-muted')
        await self.body()

    @ui.refreshable_method
    async def body(self) -> None:
        try:
            counts = await run.io_bound(lambda: trash.counts(exclude_restricted=self.hide))
            page = await run.io_bound(
                lambda: trash.list_trash(
                    [self.kind] if self.kind else None,
                    text=self.text,
                    page=self.page_no,
                    exclude_restricted=self.hide,
                )
            )
        except UserError as exc:
            toast.error(str(exc))
            return
        self.page = page
        self.selected &= {(i.kind, i.id) for i in page.items}
        total = sum(counts.values())
        with ui.row().classes('w-full items-center gap-2 flex-wrap'):
            for key, label, n in [('', 'All', total), *((k, KIND_LABELS[k], counts[k]) for k in trash.KINDS)]:
                chip = (
                    ui.chip(
                        f'{label} {n:,}',
                        icon=kind_icon(key) if key else 'select_all',
                        selectable=True,
                        selected=self.kind == key,
                        on_click=lambda k=key: ui.navigate.to(trash_url(k, self.text)),
                    )
                    .props('dense')
                    .mark(f'trash-kind-{key or "all"}')
                )
                if self.kind != key:
                    chip.props('outline')
            ui.space()
            box = (
                ui.input(placeholder='Filter by title', value=self.text)
                .props('dense outlined clearable')
                .classes('w-60')
            )
            box.on('keydown.enter', lambda: ui.navigate.to(trash_url(self.kind, (box.value or '').strip())))
        self._bulk_bar()
        with ui.column().classes('w-full gap-0'):
            if not page.items:
                with ui.column().classes('w-full items-center py-10 gap-2'):
                    ui.icon('delete_outline').classes('text-4xl oh-muted')
                    ui.label('The trash is empty.' if not total else 'Nothing in the trash matches.').classes(
                        'oh-muted'
                    )
            for item in page.items:
                self._row(item)
        pager(page, lambda n: ui.navigate.to(trash_url(self.kind, self.text, n)))

    def _row(self, item: trash.TrashItem) -> None:
        key = (item.kind, item.id)
        with ui.row().classes(
            'w-full items-center gap-3 no-wrap px-2 py-2 border-b border-slate-100 dark:border-slate-800'
        ):
            select = ui.checkbox(value=key in self.selected).props('dense')
            select.props['aria-label'] = f'Select {item.title or item.kind}'
            select.on_value_change(lambda e, k=key: self._toggle(k, e.value))
            ui.icon(kind_icon(item.kind)).style(f'color: {kind_color(item.kind)}').classes('text-lg')
            ui.html(_row_html(item), sanitize=True).classes('grow min-w-0')
            ui.button(icon='restore_from_trash', on_click=lambda k=key: self.restore([k])).props(
                'flat round dense aria-label=Restore'
            ).tooltip('Restore').mark(f'restore-{item.kind}-{item.id}')
            ui.button(icon='delete_forever', on_click=lambda k=key: self.delete([k])).props(
                'flat round dense color=negative aria-label="Delete forever"'
            ).tooltip('Delete forever').mark(f'delete-{item.kind}-{item.id}')

    def _bulk_bar(self) -> None:
        with ui.row().classes('w-full items-center gap-1 flex-wrap'):
            ui.checkbox(
                'Select all on this page',
                value=bool(self.page.items) and self.selected >= {(i.kind, i.id) for i in self.page.items},
            ).props('dense').on_value_change(lambda e: self._select_all(e.value))
            if self.selected:
                ui.label(f'{len(self.selected)} selected').classes('text-sm font-medium mx-2')
                ui.button(
                    'Restore', icon='restore_from_trash', on_click=lambda: self.restore(sorted(self.selected))
                ).props('flat dense no-caps').mark('restore-selected')
                ui.button(
                    'Delete forever',
                    icon='delete_forever',
                    on_click=lambda: self.delete(sorted(self.selected)),
                ).props('flat dense no-caps color=negative').mark('delete-selected')

    def _toggle(self, key: tuple[str, int], on: bool) -> None:
        (self.selected.add if on else self.selected.discard)(key)
        self.body.refresh()

    def _select_all(self, on: bool) -> None:
        keys = {(i.kind, i.id) for i in self.page.items}
        self.selected = self.selected | keys if on else self.selected - keys
        self.body.refresh()

    async def restore(self, keys: list[tuple[str, int]]) -> None:
        try:
            n = await run.io_bound(trash.restore, keys)
        except UserError as exc:
            toast.error(str(exc))
            return
        self.selected -= set(keys)
        self.body.refresh()
        actions = [('Open', kind_url(*keys[0]))] if len(keys) == 1 else None
        toast.toast(f'Restored {fmt.plural(n, "item")}', actions)

    async def _confirm(self, message: str, button: str) -> bool:
        with ui.dialog() as dialog, ui.card().classes('w-[min(92vw,28rem)]'):
            ui.label(message)
            with ui.row().classes('justify-end w-full'):
                ui.button('Cancel', on_click=lambda: dialog.submit(False)).props('flat')
                ui.button(button, on_click=lambda: dialog.submit(True)).props('color=negative').mark(
                    'confirm'
                )
        result = bool(await dialogs.answer(dialog))
        return result

    async def delete(self, keys: list[tuple[str, int]]) -> None:
        if not await self._confirm(
            f'Delete {fmt.plural(len(keys), "item")} forever? This cannot be undone.', 'Delete forever'
        ):
            return
        try:
            n = await run.io_bound(trash.delete_forever, keys)
        except UserError as exc:
            toast.error(str(exc))
            return
        self.selected -= set(keys)
        self.body.refresh()
        toast.toast(f'Deleted {fmt.plural(n, "item")} forever')

    async def empty(self) -> None:
        total = sum((await run.io_bound(lambda: trash.counts(exclude_restricted=self.hide))).values())
        if not total:
            toast.toast('The trash is already empty', kind='info')
            return
        if not await self._confirm(
            f'Delete all {fmt.plural(total, "item")} in the trash forever? This cannot be undone.',
            'Empty trash',
        ):
            return
        try:
            deleted = await run.io_bound(
                lambda: trash.empty(before=self.shown_at, exclude_restricted=self.hide)
            )
        except UserError as exc:
            toast.error(str(exc))
            return
        self.selected.clear()
        self.body.refresh()
        toast.toast(f'Deleted {fmt.plural(sum(deleted.values()), "item")} forever')


# --------------------------------------------------------------------------- the Retention settings tab


def _plan_text(days: int | None) -> str:
    return 'forever' if days is None else fmt.plural(days, 'day')


class RetentionTab:
    """Plans and where they are set, automatic purging, the preview and the purge, the log."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.principal = auth.principal_of(ui.context.client.request)
        self.preview: retention.PurgePreview | None = None

    async def show(self) -> None:
        with ui.card().classes('w-full gap-2').props('flat bordered'):
            ui.label('How retention works').classes('font-semibold')
            ui.markdown(
                'An item follows **its own plan**; without one, **its category’s plan**; without that, the '
                '**longest plan of its collections** (“Keep forever” beats any number of days). An item '
                'expires when it has not changed for that many days. **Favourites and items marked keep are '
                'never purged.** A purge moves expired items to the trash, where they stay '
                f'{trash.TRASH_DAYS} days before they are deleted for good.'
            ).classes('text-sm')
            opts = retention.settings()
            status = self.ctx.housekeeping.status() if self.ctx.housekeeping is not None else None
            with ui.row().classes('items-center gap-3 flex-wrap'):
                ui.switch(
                    'Purge automatically every day while the app runs',
                    value=bool(opts.get('auto_purge', True)),
                    on_change=lambda e: self._set_auto(e.value),
                ).mark('auto-purge')
                if status and status['last_run_at']:
                    ui.label(
                        f'Last run {fmt.ago(status["last_run_at"])}: {status["last_purged"]} purged, '
                        f'{status["last_emptied"]} deleted from the trash.'
                    ).classes('text-sm oh-muted')
                if status and status['last_error']:
                    ui.label(f'Last run failed: {status["last_error"]}').classes('text-sm text-red-600')
        await self.plans()
        with ui.card().classes('w-full gap-2').props('flat bordered'):
            with ui.row().classes('w-full items-center gap-2'):
                ui.label('Purge now').classes('font-semibold')
                ui.space()
                ui.button('Preview', icon='visibility', on_click=self.show_preview).props(
                    'outline no-caps'
                ).mark('purge-preview')
            self.preview_box = ui.column().classes('w-full gap-1')
            with self.preview_box:
                ui.label('See what would go before anything moves.').classes('text-sm oh-muted')
        await self.runs()

    async def _set_auto(self, on: bool) -> None:
        try:
            await run.io_bound(library_admin.set_auto_purge, self.principal, bool(on))
        except UserError as exc:
            toast.error(str(exc))
            return
        toast.saved('Automatic purging on' if on else 'Automatic purging off')

    @ui.refreshable_method
    async def plans(self) -> None:
        usage = await run.io_bound(retention.plan_usage)
        with ui.card().classes('w-full gap-2').props('flat bordered'):
            with ui.row().classes('w-full items-center'):
                ui.label('Plans').classes('font-semibold')
                ui.space()
                ui.link('Edit plans', '/lookups?tab=retention').classes('text-sm')
            with ui.grid(columns='auto auto 1fr').classes('w-full gap-x-6 gap-y-1 text-sm items-baseline'):
                for head in ('Plan', 'Keeps', 'Set on'):
                    ui.label(head).classes('oh-muted text-xs')
                for u in usage:
                    ui.label(u['name']).classes('font-medium')
                    ui.label(_plan_text(u['days']))
                    where = [fmt.plural(u['items'], 'item')] if u['items'] else []
                    where += [f'category {n}' for n in u['categories']]
                    where += [f'collection {n}' for n in u['collections']]
                    ui.label(', '.join(where) or '—').classes('oh-muted')
            with ui.row().classes('w-full items-center gap-2 flex-wrap pt-2'):
                targets = await run.io_bound(_targets)
                target = (
                    ui.select(targets, label='Category or collection', with_input=True)
                    .props('dense outlined')
                    .classes('w-72')
                    .mark('plan-target')
                )
                plan_options = {0: 'No plan'} | {u['id']: u['name'] for u in usage}
                plan = (
                    ui.select(plan_options, label='Plan', value=0)
                    .props('dense outlined')
                    .classes('w-44')
                    .mark('plan-choice')
                )

                async def apply() -> None:
                    if not target.value:
                        toast.error('Choose a category or collection first.')
                        return
                    key, _, row_id = str(target.value).partition(':')
                    try:
                        await run.io_bound(
                            library_admin.set_plan,
                            self.principal,
                            key,
                            int(row_id),
                            int(plan.value or 0) or None,
                        )
                    except UserError as exc:
                        toast.error(str(exc))
                        return
                    toast.saved('Plan set')
                    self.plans.refresh()

                ui.button('Set plan', on_click=apply).props('outline no-caps').mark('set-plan')

    async def show_preview(self) -> None:
        try:
            self.preview = await run.io_bound(library_admin.preview_purge, self.principal)
        except UserError as exc:
            toast.error(str(exc))
            return
        p = self.preview
        self.preview_box.clear()
        with self.preview_box:
            if not p.total:
                ui.label('Nothing has expired: a purge now would move nothing.').classes('text-sm')
                if p.exempt:
                    ui.label(
                        f'{fmt.plural(len(p.exempt), "expired item")} stay because they are favourites or kept.'
                    ).classes('text-sm oh-muted')
                return
            kinds = ', '.join(fmt.plural(n, k) for k, n in p.by_kind().items() if n)
            ui.label(f'{fmt.plural(p.total, "item")} would move to the trash: {kinds}.').classes(
                'text-sm'
            ).mark('purge-summary')
            if p.exempt:
                ui.label(f'{fmt.plural(len(p.exempt), "expired item")} stay (favourites or kept).').classes(
                    'text-sm oh-muted'
                )
            rows = ''.join(
                '<div class="flex items-center gap-3 py-1 border-b border-slate-100 dark:border-slate-800">'
                f'<span class="text-xs oh-muted w-24 flex-none">{html.escape(c.kind)}</span>'
                f'<a class="oh-link grow truncate" href="{html.escape(kind_url(c.kind, c.id))}">'
                f'{html.escape(c.title or "Untitled")}</a>'
                f'<span class="text-xs oh-muted flex-none">{html.escape(c.plan.label)} · unchanged since '
                f'{html.escape(fmt.day(c.updated_at))}</span></div>'
                for c in p.items[:PREVIEW_ROWS]
            )
            ui.html(rows, sanitize=True).classes('w-full text-sm')
            if p.total > PREVIEW_ROWS:
                ui.label(f'… and {p.total - PREVIEW_ROWS:,} more.').classes('text-sm oh-muted')
            ui.button(
                f'Move {fmt.plural(p.total, "item")} to the trash', icon='auto_delete', on_click=self.purge
            ).props('color=negative no-caps').mark('purge-now')

    async def purge(self) -> None:
        if self.preview is None:
            return
        keys = self.preview.keys()
        try:
            result = await run.io_bound(library_admin.purge, self.principal, keys)
        except UserError as exc:
            toast.error(str(exc))
            return
        self.preview = None
        self.preview_box.clear()
        with self.preview_box:
            ui.label(f'Moved {fmt.plural(result.moved, "item")} to the trash.').classes('text-sm')
        toast.toast(f'Moved {fmt.plural(result.moved, "item")} to the trash', [('Open trash', '/trash')])
        self.runs.refresh()

    @ui.refreshable_method
    async def runs(self) -> None:
        recent = await run.io_bound(retention.recent_runs, 10)
        with ui.card().classes('w-full gap-1').props('flat bordered'):
            ui.label('Recent purges').classes('font-semibold')
            if not recent:
                ui.label('No purge has run yet.').classes('text-sm oh-muted')
            for r in recent:
                by_kind = (r.details or {}).get('by_kind', {})
                what = ', '.join(fmt.plural(n, k) for k, n in by_kind.items() if n) or 'nothing expired'
                ui.label(f'{fmt.date_time(r.created_at)} · {r.trigger} · {what}').classes('text-sm').mark(
                    'purge-run'
                )


def _targets() -> dict[str, str]:
    out = {f'category:{c.id}': f'Category: {c.name}' for c in lookups.search('category', limit=5000)}
    out |= {f'collection:{c.id}': f'Collection: {c.name}' for c in lookups.search('collection', limit=5000)}
    return out


def register(ctx: AppContext) -> None:
    nav.add(nav.NavItem('Trash', '/trash', 'delete', order=80, group='System'))
    settings.add_section(
        settings.Section(
            'retention',
            'Retention',
            'auto_delete',
            lambda c: RetentionTab(c).show(),
            order=60,
            show_to=roles.is_admin,
        )
    )

    @shell.page(ctx, '/trash')
    async def trash_page(request: Request) -> None:
        qp = request.query_params
        try:
            page_no = max(1, int(qp.get('page') or 1))
        except ValueError:
            page_no = 1
        with frame(ctx, 'Trash'):
            await TrashPage(qp.get('kind') or '', (qp.get('q') or '').strip()[:200], page_no).show()
