"""On a detail page: the item's retention plan, its "keep" switch, and what they add up to (which plan
applies — its own, its category's or a collection's — and when it would go to the trash)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from nicegui import run, ui

from ..data import entities, retention
from ..errors import UserError
from . import fmt, pickers, toast


def _explain(kind: str, item_id: int, item: Any = None) -> str:
    item = item if item is not None else entities.get_item(kind, item_id)
    plan = retention.effective_plan(kind, item_id)
    if plan is None:
        return 'No retention plan applies: kept until you delete it.'
    if plan.days is None:
        return f'{plan.label}: kept forever.'
    if item.keep or item.favourite:
        why = 'marked keep' if item.keep else 'a favourite'
        return f'{plan.label}: never purged while it is {why}.'
    when = fmt.day(item.updated_at + timedelta(days=plan.days))
    return f'{plan.label}: goes to the trash on {when} unless it changes before.'


def retention_controls(kind: str, item_id: int, *, item: Any = None, plan: Any = pickers.UNREAD) -> None:
    """Plan picker, keep switch and the effective plan in one line (refreshed as either changes).
    ``item`` and its own ``plan`` (a RetentionPlan or None): what the page read already, for the first build."""
    first = {'item': item}

    @ui.refreshable
    def status() -> None:
        try:
            text = _explain(kind, item_id, first.pop('item', None))
        except UserError as exc:
            text = str(exc)
        ui.label(text).classes('text-xs oh-muted').mark('retention-status')

    pickers.field_picker(
        kind, item_id, 'retention', 'retention', 'Retention plan', on_change=status.refresh, current=plan
    )
    keep = bool((item if item is not None else entities.get_item(kind, item_id)).keep)

    async def set_keep(value: bool) -> None:
        try:
            await run.io_bound(entities.update_item, kind, item_id, keep=bool(value))
        except UserError as exc:
            toast.error(str(exc))
        status.refresh()

    ui.switch('Keep (never purged)', value=keep, on_change=lambda e: set_keep(e.value)).props('dense').mark(
        'keep-switch'
    ).tooltip('A kept item stays whatever its retention plan says')
    status()
