"""The diff view: two versions side by side (old left, new right), removed words struck through in red,
added words in green. Version text is untrusted (an LLM may have written it): every run is escaped
before it becomes HTML, and the browser-side sanitizer stays on."""

from __future__ import annotations

import html

from nicegui import ui

from ..data.versioning import AgentDiff, DiffRun, TextDiff
from . import fmt

# Translucent colours read on light and dark backgrounds alike.
_DEL = 'background: rgba(239, 68, 68, 0.22); text-decoration: line-through; text-decoration-thickness: 1px'
_INS = 'background: rgba(34, 197, 94, 0.25); text-decoration: none'
_BOX = 'white-space: pre-wrap; overflow-wrap: anywhere'


def runs_html(runs: list[DiffRun]) -> str:
    """Escaped HTML for one side of a diff."""
    out = []
    for run in runs:
        text = html.escape(run.text)
        if run.op == 'delete':
            out.append(f'<del class="oh-diff-del" style="{_DEL}">{text}</del>')
        elif run.op == 'insert':
            out.append(f'<ins class="oh-diff-ins" style="{_INS}">{text}</ins>')
        else:
            out.append(text)
    return ''.join(out)


def _pane(label: str, runs: list[DiffRun], marker: str) -> None:
    with ui.column().classes('gap-1 min-w-0'):
        ui.label(label).classes('text-xs font-medium oh-muted')
        ui.html(runs_html(runs), sanitize=True).classes(
            'w-full text-sm font-mono p-3 rounded border border-slate-200 dark:border-slate-700'
        ).style(_BOX).mark(marker)


def summary(diff: TextDiff) -> str:
    if not diff.changed:
        return 'No differences in the text.'
    return f'+{fmt.plural(diff.added_words, "word")}, −{fmt.plural(diff.removed_words, "word")}'


def text_diff(diff: TextDiff, old_label: str, new_label: str) -> None:
    """Old and new text side by side (stacked on a phone)."""
    ui.label(summary(diff)).classes('text-sm oh-muted')
    with ui.grid().classes('w-full gap-3 grid-cols-1 md:grid-cols-2'):
        _pane(old_label, diff.left(), 'diff-old')
        _pane(new_label, diff.right(), 'diff-new')


def settings_diff(diff: AgentDiff, old_label: str, new_label: str) -> None:
    """An agent's settings in a small table; changed rows highlighted."""
    with ui.element('div').classes('w-full overflow-x-auto'):
        with ui.grid(columns=3).classes('gap-x-4 gap-y-1 text-sm items-center min-w-[28rem]'):
            for head in ('Setting', old_label, new_label):
                ui.label(head).classes('text-xs font-medium oh-muted')
            for change in diff.fields:
                style = 'font-weight: 600' if change.changed else ''
                ui.label(change.name).classes('font-mono').style(style)
                ui.label(_show(change.old)).classes('font-mono break-all').style(
                    _DEL if change.changed else ''
                )
                ui.label(_show(change.new)).classes('font-mono break-all').style(
                    _INS if change.changed else ''
                )


def _show(value: object) -> str:
    return '—' if value is None else str(value)
