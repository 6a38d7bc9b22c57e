"""One message of a conversation thread — who, model, time, status, tokens and cost, the branch switcher
at a fork, an actions menu and the Markdown body — shared by the conversation page and the chat page."""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable

from nicegui import ui

from ..data.conversations import ThreadMessage
from ..data.models import Message
from . import fmt
from .design import kind_color
from .markdown_view import markdown_view, render_markdown

LONG_MESSAGE = 4000  # characters; longer messages start collapsed
ROLE_LABEL = {'user': 'You', 'assistant': 'Assistant', 'system': 'System', 'tool': 'Tool'}

# Rendering a growing reply costs more as it grows; never spend more than ~1/4 of the time on it.
STREAM_MIN_INTERVAL = 0.15  # seconds between re-renders of a streaming reply
STREAM_RENDER_SHARE = 4


def cost_text(cost: float | None, used_tokens: bool) -> str:
    """A reply's cost: "$0.0021"; "cost unknown" when tokens were used but the model has no prices;
    "free" for a model whose prices are set to 0 — never a misleading "$0"."""
    if cost is None:
        return 'cost unknown' if used_tokens else ''
    if cost == 0:
        return 'free' if used_tokens else ''
    return fmt.money(cost)


def usage_text(m: Message) -> str:
    """ "120 in · 340 out · $0.0021" — whatever of it is known."""
    parts = []
    if m.input_tokens:
        parts.append(f'{fmt.tokens(m.input_tokens)} in')
    if m.output_tokens:
        parts.append(f'{fmt.tokens(m.output_tokens)} out')
    cost = cost_text(m.cost, bool(m.input_tokens or m.output_tokens))
    if cost:
        parts.append(cost)
    return ' · '.join(parts)


async def _call(fn: Callable[..., object], *args: object) -> None:
    result = fn(*args)
    if inspect.isawaitable(result):
        await result


def branch_switcher(tm: ThreadMessage, on_switch: Callable[[int], object]) -> None:
    """ "‹ 2 / 3 ›" — shows the sibling branch before or after this message."""
    index, count = tm.sibling_index, tm.sibling_count
    with ui.row().classes('items-center gap-0 no-wrap').props('aria-label="Branches"'):
        prev_btn = ui.button(
            icon='chevron_left', on_click=lambda: _call(on_switch, tm.sibling_ids[index - 1])
        ).props('flat round dense size=sm aria-label="Previous branch"')
        ui.label(f'{index + 1} / {count}').classes('text-xs').mark('branch-position')
        next_btn = ui.button(
            icon='chevron_right', on_click=lambda: _call(on_switch, tm.sibling_ids[index + 1])
        ).props('flat round dense size=sm aria-label="Next branch"')
        if index == 0:
            prev_btn.disable()
        if index >= count - 1:
            next_btn.disable()
        prev_btn.mark('branch-prev')
        next_btn.mark('branch-next')


class MessageView:
    """Build one message card in the current container.

    ``menu(m)`` adds ``ui.menu_item``s to the message's actions menu; ``footer(m)`` builds anything
    below the text (the chat page's action buttons, an error with a retry). A streaming reply is
    shown with ``streaming=True`` and updated with ``set_text`` (throttled; the caller may call it
    as often as it likes).
    """

    def __init__(
        self,
        tm: ThreadMessage,
        *,
        on_switch: Callable[[int], object] | None = None,
        menu: Callable[[Message], None] | None = None,
        footer: Callable[[Message], None] | None = None,
        focused: bool = False,
        compact: bool = False,
        streaming: bool = False,
    ) -> None:
        m = tm.message
        self.message = m
        self.streaming = streaming
        self._shown = ''
        self._last_render = 0.0
        self._render_cost = 0.0
        user = m.role == 'user'
        self.card = ui.element('div').classes(
            'w-full rounded-lg px-4 py-3 '
            + (
                'bg-slate-100 dark:bg-slate-800 '
                if user
                else 'border border-slate-200 dark:border-slate-700 '
            )
            + ('ring-2 ring-amber-400 ' if focused else '')
        )
        self.card.props['id'] = f'm{m.id}'
        with self.card:
            with ui.row().classes('w-full items-center gap-2 text-xs oh-muted'):
                ui.element('span').classes('oh-kind-dot').style(
                    f'background: {kind_color("message" if not user else "conversation")}'
                )
                who = m.author_name if m.role == 'tool' and m.author_name else ROLE_LABEL.get(m.role, m.role)
                model = getattr(m, 'model', None) if m.model_id else None
                ui.label(who + (f' · {model.label}' if (model and not user) else '')).classes('font-medium')
                ui.label(fmt.date_time(m.created_at))
                if streaming:
                    ui.spinner('dots', size='1.2em').props('aria-label="Writing"')
                elif m.status != 'complete':
                    ui.badge('incomplete' if m.status == 'incomplete' else m.status, color='orange')
                usage = usage_text(m)
                if usage:
                    ui.label(usage).mark(f'usage-{m.id}')
                ui.space()
                if on_switch is not None and tm.sibling_count > 1:
                    branch_switcher(tm, on_switch)
                if menu is not None:
                    actions = ui.button(icon='more_horiz').props('flat round dense size=sm')
                    actions.props['aria-label'] = f'Message {m.id} actions'
                    with actions:
                        with ui.menu():
                            menu(m)
            self.body = ui.column().classes('w-full gap-0')
            with self.body:
                self._render_static(m.content or '', compact)
            if footer is not None:
                footer(m)

    def _render_static(self, text: str, compact: bool) -> None:
        if self.streaming:
            self.html = markdown_view(text)
            self._shown = text
            if not text:
                self.html.set_content('<p class="oh-muted">…</p>')
        elif not text.strip():
            ui.label('(empty)').classes('oh-muted text-sm')
        elif len(text) > LONG_MESSAGE and not compact:
            markdown_view(text[: LONG_MESSAGE // 2] + '\n\n…')
            with ui.expansion('Show the whole message').classes('w-full').props('dense'):
                markdown_view(text)
        else:
            markdown_view(text, classes='text-sm' if compact else '')

    def set_text(self, text: str, *, force: bool = False) -> bool:
        """Show the text a streaming reply has so far; skipped (False) when it is too soon to re-render."""
        if not self.streaming or text == self._shown:
            return False
        now = time.monotonic()
        wait = max(STREAM_MIN_INTERVAL, self._render_cost * STREAM_RENDER_SHARE)
        if not force and now - self._last_render < wait:
            return False
        # Uncached: each partial text is rendered once, and would only push finished texts out of the cache.
        html = render_markdown.__wrapped__(text)
        self._render_cost = time.monotonic() - now
        self._last_render = time.monotonic()
        self.html.set_content(html)
        self._shown = text
        return True
