"""The version timeline and compare view of a prompt or an agent: every version with what it produced
(outputs, average rating, messages), make current, restore, and two versions side by side (text diff and
their outputs)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from types import ModuleType

from nicegui import run, ui

from ..data import agents, prompts, versioning
from ..data.versioning import AgentDiff, VersionStats
from ..errors import UserError
from . import diff_view, fmt, toast
from .items import item_row

TIMELINE_ROWS = 20  # versions listed before "Show all"


def data_module(kind: str) -> ModuleType:
    """prompts and agents offer the same version functions (set_current, restore_version, diff_versions)."""
    return prompts if kind == 'prompt' else agents


def stars(avg: float | None) -> str:
    return f'★ {avg:.1f}' if avg is not None else 'not rated'


def stats_line(s: VersionStats) -> str:
    parts = [fmt.plural(s.outputs, 'output')]
    if s.outputs:
        parts.append(f'avg {stars(s.avg_rating)}' + (f' ({s.rated} rated)' if s.rated else ''))
    parts.append(fmt.plural(s.messages, 'message'))
    return ' · '.join(parts)


class VersionHistory:
    """Built inside a detail page. ``on_changed(number)`` re-renders the page showing that version
    (None = the current one) after a make-current or restore."""

    def __init__(
        self,
        kind: str,
        owner_id: int,
        stats: list[VersionStats],
        selected: int,
        base_url: str,
        on_changed: Callable[[int | None], Awaitable[None]],
    ) -> None:
        self.kind = kind
        self.owner_id = owner_id
        self.stats = stats
        self.selected = selected
        self.base_url = base_url
        self.on_changed = on_changed
        # Compare the shown version with the one before it; the first version with the one after it.
        numbers = [s.version.number for s in stats]  # newest first
        older = [n for n in numbers if n < selected]
        newer = [n for n in numbers if n > selected]
        if older:
            self.old_number, self.new_number = older[0], selected
        else:
            self.old_number, self.new_number = selected, (newer[-1] if newer else selected)
        self._syncing = False
        self._first_comparison = None
        self._timeline()
        if len(stats) > 1:
            self._compare_card()

    async def show(self) -> None:
        """Load the first comparison (call once after constructing)."""
        if self._first_comparison is not None:
            await self._first_comparison

    # ------------------------------------------------------------------ timeline
    def _timeline(self) -> None:
        with ui.card().classes('w-full gap-2').props('flat bordered'):
            with ui.row().classes('items-center gap-2'):
                ui.icon('history').classes('oh-muted')
                ui.label('Versions').classes('font-semibold')
                ui.label(f'{len(self.stats)}').classes('text-sm oh-muted')
            rows = ui.column().classes('w-full gap-2')
            self._rows(rows, show_all=len(self.stats) <= TIMELINE_ROWS)

    def _rows(self, container: ui.column, *, show_all: bool) -> None:
        container.clear()
        # A long history shows its newest versions (and the one on screen) until asked for all.
        shown = [
            s
            for i, s in enumerate(self.stats)
            if show_all or i < TIMELINE_ROWS or s.version.number == self.selected or s.is_current
        ]
        with container:
            for s in shown:
                self._version_row(s)
            if len(shown) < len(self.stats):
                ui.button(
                    f'Show all {len(self.stats)} versions',
                    icon='expand_more',
                    on_click=lambda: self._rows(container, show_all=True),
                ).props('flat dense no-caps').mark('all-versions')

    def _version_row(self, s: VersionStats) -> None:
        v = s.version
        n = v.number
        with ui.column().classes('w-full gap-0 border-t border-slate-100 dark:border-slate-800 pt-2'):
            with ui.row().classes('w-full items-center gap-2 flex-wrap'):
                link = ui.link(f'v{n}', f'{self.base_url}?v={n}').classes('oh-link font-mono font-semibold')
                link.mark(f'view-v{n}')
                if n == self.selected:
                    link.classes('underline')
                if s.is_current:
                    ui.badge('current', color='primary').props('outline')
                ui.label(fmt.ago(v.created_at)).classes('text-sm oh-muted').tooltip(
                    fmt.date_time(v.created_at)
                )
                ui.label(stats_line(s)).classes('text-sm oh-muted')
                ui.space()
                previous = [x.version.number for x in self.stats if x.version.number < n]
                if previous:
                    ui.button(
                        'Diff', icon='difference', on_click=lambda p=previous[0], n=n: self.compare(p, n)
                    ).props('flat dense no-caps size=sm').tooltip(f'Compare v{previous[0]} with v{n}').mark(
                        f'diff-v{n}'
                    )
                if not s.is_current:
                    ui.button(
                        'Make current', icon='check_circle', on_click=lambda n=n: self.make_current(n)
                    ).props('flat dense no-caps size=sm').tooltip(
                        'Use this version from now on (adds no version)'
                    ).mark(f'make-current-v{n}')
                    ui.button('Restore', icon='restore', on_click=lambda n=n: self.restore(n)).props(
                        'flat dense no-caps size=sm'
                    ).tooltip('Save a new version with this content').mark(f'restore-v{n}')
            if v.note:
                ui.label(v.note).classes('text-sm italic')
            if s.outputs:
                ui.button(
                    f'Its {fmt.plural(s.outputs, "output")}',
                    icon='expand_more',
                    on_click=lambda vid=v.id: self._toggle_outputs(box, vid),
                ).props('flat dense no-caps size=sm').classes('self-start').mark(f'outputs-v{n}')
                box = ui.column().classes('w-full gap-0 pl-4')

    async def _toggle_outputs(self, box: ui.column, version_id: int) -> None:
        if list(box):
            box.clear()
            return
        try:
            page = await run.io_bound(versioning.version_outputs, self.kind, version_id, per_page=25)
        except UserError as exc:
            toast.error(str(exc))
            return
        with box:
            for o in page.items:
                item_row('output', o, meta=_output_meta(o), show_tags=False)
            if page.total > len(page.items):
                ui.label(f'…and {page.total - len(page.items):,} more').classes('text-sm oh-muted')

    async def make_current(self, number: int) -> None:
        try:
            await run.io_bound(data_module(self.kind).set_current, self.owner_id, number)
        except UserError as exc:
            toast.error(str(exc))
            return
        toast.toast(f'v{number} is now the current version')
        await self.on_changed(None)

    async def restore(self, number: int) -> None:
        module = data_module(self.kind)
        try:
            before = await run.io_bound(module.current_version, self.owner_id)
            version = await run.io_bound(module.restore_version, self.owner_id, number)
        except UserError as exc:
            toast.error(str(exc))
            return
        if before is not None and version.id == before.id:
            toast.toast(f'The current version already matches v{number}; nothing to restore', kind='info')
        else:
            toast.toast(f'Restored v{number} as v{version.number}')
        await self.on_changed(None)

    # ------------------------------------------------------------------ compare
    def _compare_card(self) -> None:
        options = {
            s.version.number: f'v{s.version.number}' + (' (current)' if s.is_current else '')
            for s in self.stats
        }
        with ui.card().classes('w-full gap-3').props('flat bordered') as self.compare_card:
            with ui.row().classes('items-center gap-2 flex-wrap'):
                ui.icon('difference').classes('oh-muted')
                ui.label('Compare versions').classes('font-semibold')
                ui.space()
                self.old_select = (
                    ui.select(options, value=self.old_number, label='From')
                    .props('dense outlined')
                    .classes('w-36')
                    .mark('compare-from')
                )
                ui.icon('arrow_forward').classes('oh-muted')
                self.new_select = (
                    ui.select(options, value=self.new_number, label='To')
                    .props('dense outlined')
                    .classes('w-36')
                    .mark('compare-to')
                )
            self.old_select.on_value_change(lambda e: self._picked(old=e.value))
            self.new_select.on_value_change(lambda e: self._picked(new=e.value))
            self._first_comparison = self.comparison()

    def _picked(self, old: int | None = None, new: int | None = None) -> None:
        if old is not None:
            self.old_number = old
        if new is not None:
            self.new_number = new
        if not self._syncing:
            self.comparison.refresh()

    async def compare(self, old: int, new: int) -> None:
        """Show ``old`` → ``new`` in the compare card (the timeline's "Diff" buttons)."""
        self._syncing = True
        try:
            self.old_select.set_value(old)
            self.new_select.set_value(new)
        finally:
            self._syncing = False
        self.old_number, self.new_number = old, new
        await self.comparison.refresh()
        ui.run_javascript(
            f'document.getElementById({json.dumps(f"c{self.compare_card.id}")})?.scrollIntoView({{behavior: "smooth"}})'
        )

    @ui.refreshable_method
    async def comparison(self) -> None:
        old, new = self.old_number, self.new_number
        module = data_module(self.kind)
        try:
            diff = await run.io_bound(module.diff_versions, self.owner_id, old, new)
            cmp = await run.io_bound(versioning.compare_outputs, self.kind, self.stats, old, new)
        except UserError as exc:
            toast.error(str(exc))
            return
        old_label, new_label = f'v{old}', f'v{new}'
        if isinstance(diff, AgentDiff):
            if diff.changed_fields:
                diff_view.settings_diff(diff, old_label, new_label)
            else:
                ui.label('Same model and parameters.').classes('text-sm oh-muted')
            ui.label('System prompt').classes('text-sm font-medium')
            diff_view.text_diff(diff.system_prompt, old_label, new_label)
        else:
            diff_view.text_diff(diff, old_label, new_label)
        ui.label('Their outputs').classes('text-sm font-medium mt-2')
        with ui.grid().classes('w-full gap-3 grid-cols-1 md:grid-cols-2'):
            for label, s, items in (
                (old_label, cmp.old, cmp.old_outputs),
                (new_label, cmp.new, cmp.new_outputs),
            ):
                with ui.column().classes('gap-1 min-w-0').mark(f'compare-outputs-{label}'):
                    ui.label(f'{label}: {stats_line(s)}').classes('text-xs font-medium oh-muted')
                    if not items:
                        ui.label('No outputs yet.').classes('text-sm oh-muted')
                    for o in items:
                        item_row('output', o, meta=_output_meta(o), show_tags=False)
                        excerpt = ' '.join((o.body or '').split())
                        if excerpt and excerpt != o.title:  # a one-line output is its own title
                            ui.label(excerpt[:220] + ('…' if len(excerpt) > 220 else '')).classes(
                                'text-xs oh-muted pl-8 line-clamp-3'
                            )


def _output_meta(o) -> str:
    parts = ['★' * o.rating if o.rating else 'not rated']
    model = getattr(o, 'llm_model', None)
    if model is not None:
        parts.append(model.label)
    parts.append(fmt.ago(o.created_at))
    return ' · '.join(parts)
