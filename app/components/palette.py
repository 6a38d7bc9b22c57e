"""The search palette (Ctrl/⌘+K, "/", or the header's search box): results while typing, grouped by kind,
↑/↓ and Enter to open one, Esc to close, "See all results" for the search page. Built once per tab by
``install(ctx)``.

Like quick capture, it is a plain overlay that stays in the page (hidden), not a q-dialog: Quasar mounts a
dialog's content only while it is shown, so the first keys typed after Ctrl+K would land nowhere.
``assets/palette.js`` shows it and puts the cursor in its box within the keystroke, and moves the
highlighted row; the rows are links, so opening one is an ordinary in-app navigation.

While typing, at most one search runs at a time: the first keystroke after a pause searches at once, the
keystrokes typed while it runs are answered by one search for the latest text, no sooner than
``DEBOUNCE_S`` after the previous one started. Answers arrive in order, so an older one never replaces a
newer one, and search by meaning runs only for the text still in the box. Results by meaning join when
the embedding model is ready; the palette never waits for it.
"""

from __future__ import annotations

import asyncio
import html
import time
from collections.abc import Callable
from urllib.parse import quote

from nicegui import Client, background_tasks, run, ui

from ..context import AppContext
from ..data import search
from ..errors import UserError
from .design import KIND_LABELS
from .per_tab import PerTab
from .secret import viewer_sees_restricted

DEBOUNCE_S = 0.15  # at most one search per this interval while typing
PER_KIND = 5
MEANING_ROWS = 5
MAX_QUERY = 500
PLACEHOLDER = 'Search outputs, conversations, prompts, agents, tags…'
_ICONS = {  # Material icon names as ligature text (the rows are plain HTML, not q-icons)
    'output': 'description',
    'conversation': 'forum',
    'prompt': 'edit_note',
    'agent': 'smart_toy',
    'tag': 'sell',
    'collection': 'folder',
}

_CSS = """
.oh-palette { position: fixed; inset: 0; z-index: 5100; display: none; align-items: flex-start;
  justify-content: center; padding: 10vh 2vw 2vh; }
html.oh-palette-open .oh-palette { display: flex; }
html.oh-palette-open { overflow: hidden; }
.oh-palette-backdrop { position: absolute; inset: 0; background: rgba(15, 23, 42, 0.45); }
.oh-palette-card { position: relative; width: min(96vw, 42rem); max-height: 76vh; display: flex;
  flex-direction: column; padding: 0; overflow: hidden; }
.oh-palette-bar { border-bottom: 1px solid rgba(148, 163, 184, 0.35); padding: 0.25rem 0.75rem; }
.oh-palette-input { flex: 1 1 auto; font-size: 1.05rem; }
.oh-palette-scroll { overflow-y: auto; flex: 1 1 auto; padding: 0.25rem 0.5rem 0.5rem; }
.oh-palette-status { font-size: 0.75rem; opacity: 0.7; padding: 0.35rem 0.5rem 0.1rem; }
.oh-palette-group { font-size: 0.72rem; font-weight: 600; text-transform: uppercase; letter-spacing: 0.04em;
  opacity: 0.65; padding: 0.6rem 0.5rem 0.2rem; }
.oh-palette-item { display: flex; gap: 0.6rem; align-items: flex-start; padding: 0.4rem 0.5rem;
  border-radius: 0.4rem; color: inherit; text-decoration: none; min-height: 44px; scroll-margin: 2.5rem; }
.oh-palette-item.oh-active { background: rgba(79, 70, 229, 0.12); outline: 1px solid rgba(79, 70, 229, 0.4); }
.oh-palette-item .material-icons { font-size: 20px; opacity: 0.6; margin-top: 1px; }
.oh-palette-text { min-width: 0; flex: 1 1 auto; }
.oh-palette-title { font-weight: 500; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.oh-palette-snippet { font-size: 0.8rem; opacity: 0.75; display: -webkit-box; -webkit-line-clamp: 2;
  -webkit-box-orient: vertical; overflow: hidden; }
.oh-palette-snippet mark { background: rgba(250, 204, 21, 0.45); color: inherit; border-radius: 2px; }
.oh-palette-how { font-size: 0.7rem; opacity: 0.6; white-space: nowrap; margin-left: auto; padding-left: 0.5rem; }
.oh-palette-note { font-size: 0.8rem; opacity: 0.7; padding: 0.5rem; }
.oh-palette-foot { border-top: 1px solid rgba(148, 163, 184, 0.35); padding: 0.25rem 0.5rem; }
.oh-palette-foot .oh-palette-item { min-height: 36px; align-items: center; }
.oh-palette-keys { font-size: 0.7rem; opacity: 0.6; }
@media (max-width: 599px) {
  .oh-palette { padding: 0; }
  .oh-palette-card { width: 100vw; max-height: none; height: 100dvh; border-radius: 0; }
}
"""

# weak: a closed tab's palette goes with its client
_installed: PerTab[Palette] = PerTab(lambda palette: not palette.root.is_deleted)


def search_page_url(query: str) -> str:
    """The search page for ``query`` ("See all results", Enter in the header box before)."""
    query = (query or '').strip()
    return f'/search?q={quote(query)}' if query else '/search'


def _row_html(row: search.ItemHit, how: str = '') -> str:
    hit = row.hit
    title = html.escape(row.title or KIND_LABELS.get(row.kind, (row.kind,))[0])
    role = f'{html.escape(hit.role)}: ' if hit.kind == 'message' and hit.role else ''
    snippet = (
        f'<div class="oh-palette-snippet">{role}{hit.snippet_html}</div>'
        if hit.snippet and hit.snippet != hit.title
        else ''
    )
    badge = f'<span class="oh-palette-how">{html.escape(how)}</span>' if how else ''
    return (
        f'<a class="oh-palette-item" href="{html.escape(row.url)}" role="option">'
        f'<span class="material-icons" aria-hidden="true">{_ICONS.get(row.kind, "search")}</span>'
        f'<span class="oh-palette-text"><div class="oh-palette-title">{title}</div>{snippet}</span>{badge}</a>'
    )


def results_html(
    query: str, groups: dict[str, list[search.ItemHit]], also: frozenset[tuple[str, int]] = frozenset()
) -> str:
    """The keyword part of the palette: a status line, then each kind's rows under its heading (those in
    ``also`` are similar in meaning too)."""
    query = (query or '').strip()
    if not query:
        return '<div class="oh-palette-status">Type to search by words and meaning.</div>'
    count = sum(len(rows) for rows in groups.values())
    shown = html.escape(query)
    if not count:
        return f'<div class="oh-palette-status">No matches for “{shown}”</div>'
    out = [
        f'<div class="oh-palette-status">{count} {"match" if count == 1 else "matches"} for “{shown}”</div>'
    ]
    for kind, rows in groups.items():
        out.append(f'<div class="oh-palette-group">{html.escape(KIND_LABELS[kind][1])}</div>')
        out.extend(_row_html(r, 'similar in meaning too' if (r.kind, r.id) in also else '') for r in rows)
    return ''.join(out)


def meaning_html(rows: list[search.ItemHit] | None, *, waiting: bool) -> str:
    """The part by meaning: its rows, "No close matches by meaning", or that the model is getting ready."""
    if rows is None:
        return (
            '<div class="oh-palette-note">Search by meaning is getting ready; these are matches by words.</div>'
            if waiting
            else ''
        )
    if not rows:
        return '<div class="oh-palette-note oh-palette-no-meaning">No close matches by meaning</div>'
    return '<div class="oh-palette-group">Similar in meaning</div>' + ''.join(
        _row_html(r, 'similar in meaning') for r in rows
    )


def footer_html(query: str) -> str:
    all_link = (
        f'<a class="oh-palette-item oh-palette-all" href="{html.escape(search_page_url(query))}" role="option">'
        '<span class="material-icons" aria-hidden="true">manage_search</span>'
        f'<span class="oh-palette-text">See all results{" for “" + html.escape(query.strip()) + "”" if query.strip() else ""}'
        '</span><span class="oh-palette-keys oh-kbd-hint">↑↓ move · Enter open · Esc close</span></a>'
    )
    return all_link


class Palette:
    """One tab's palette. ``open()`` shows it from Python; the browser opens it by itself (palette.js)."""

    def __init__(self, ctx: AppContext) -> None:
        self.ctx = ctx
        self.text = ''
        self._typed = 0  # bumped per change of the box: which text is the latest
        self._shown = 0  # the change whose keyword results are on screen
        self._last_start = 0.0
        self._worker: asyncio.Task | None = None
        self._meaning_worker: asyncio.Task | None = None
        self._meaning_next: tuple[int, str, dict[str, list[search.ItemHit]]] | None = None
        self.filters = search.SearchFilters(exclude_restricted=not viewer_sees_restricted())
        ui.add_css(_CSS)
        ui.add_head_html('<script src="/assets/palette.js" defer></script>')
        with ui.context.client.layout:
            with ui.element('div').classes('oh-palette').mark('palette') as self.root:
                self.root.props['role'] = 'dialog'
                self.root.props['aria-modal'] = 'true'
                self.root.props['aria-label'] = 'Search'
                ui.element('div').classes('oh-palette-backdrop')
                with ui.card().classes('oh-palette-card gap-0'):
                    with ui.row().classes('oh-palette-bar w-full items-center no-wrap gap-2'):
                        ui.icon('search').classes('oh-muted')
                        self.input = (
                            ui.input(placeholder=PLACEHOLDER, on_change=self._changed)
                            .props('borderless dense autocomplete=off spellcheck=false maxlength=500')
                            .classes('oh-palette-input')
                            .mark('palette-input')
                        )
                        self.input.props['aria-label'] = 'Search'
                        ui.label('Esc').classes('text-xs oh-muted font-mono oh-kbd-hint')
                        close = ui.button(icon='close').props('flat round dense').classes('oh-palette-close')
                        close.props['aria-label'] = 'Close search'
                        close.on('click', js_handler='() => window.ohPalette && window.ohPalette.close()')
                    with ui.element('div').classes('oh-palette-scroll w-full') as self.scroll:
                        self.scroll.props['role'] = 'listbox'
                        self.results = ui.html(results_html('', {}), sanitize=True).classes(
                            'w-full oh-palette-kw'
                        )
                        self.results.mark('palette-results')
                        self.meaning = ui.html('', sanitize=True).classes('w-full').mark('palette-meaning')
                    self.footer = ui.html(footer_html(''), sanitize=True).classes('oh-palette-foot w-full')
                    self.footer.mark('palette-all')

    # ------------------------------------------------------------------ typing

    def _changed(self, event) -> None:
        self.text = (event.value or '')[:MAX_QUERY]
        self.filters = search.SearchFilters(exclude_restricted=not viewer_sees_restricted())  # who asks now
        self._typed += 1
        if self._worker is None or self._worker.done():
            self._worker = background_tasks.create(self._answer(), name='palette search')

    async def _answer(self) -> None:
        """Search until the box holds what was last answered (one search in flight per tab)."""
        while self._shown != self._typed:
            wait = DEBOUNCE_S - (time.monotonic() - self._last_start)
            if wait > 0:
                await asyncio.sleep(wait)  # typing fast: one search for the latest text, not one per key
            typed, text = self._typed, self.text
            self._last_start = time.monotonic()
            if not text.strip():
                groups: dict[str, list[search.ItemHit]] = {}
            else:
                try:
                    groups = await run.io_bound(
                        search.quick_search, text, filters=self.filters, per_kind=PER_KIND
                    )
                except Exception as exc:  # never a traceback in the palette: say it in one line
                    self._show_error(exc)
                    self._shown = typed
                    continue
            if self.root.is_deleted:
                return
            self.results.set_content(results_html(text, groups))
            self.footer.set_content(footer_html(text))
            self.meaning.set_content('')
            self._shown = typed
            if text.strip() and typed == self._typed:  # nothing newer typed: add what is close in meaning
                self._meaning_next = (typed, text, groups)
                if self._meaning_worker is None or self._meaning_worker.done():
                    self._meaning_worker = background_tasks.create(self._meanings(), name='palette meaning')

    async def _meanings(self) -> None:
        """One search by meaning at a time per tab, for the latest text only: the first one after start-up
        may wait seconds for the vectors, and must not fill the thread pool the words' searches use."""
        while self._meaning_next is not None:
            typed, text, groups = self._meaning_next
            self._meaning_next = None
            if typed == self._typed:
                await self._meaning(typed, text, groups)

    async def _meaning(self, typed: int, text: str, groups: dict[str, list[search.ItemHit]]) -> None:
        shown = {(r.kind, r.id) for rows in groups.values() for r in rows}
        try:
            rows = await run.io_bound(
                search.meaning_matches, text, filters=self.filters, limit=MEANING_ROWS + len(shown)
            )
        except Exception:  # the model failed: the words' results stand on their own
            rows = None
        if typed != self._typed or typed != self._shown or self.root.is_deleted:
            return  # the box holds newer text by now
        if rows:  # matched by words and close in meaning: say so on their rows; list the others below
            also = frozenset((r.kind, r.id) for r in rows) & shown
            if also:
                self.results.set_content(results_html(text, groups, also))
            rows = [r for r in rows if (r.kind, r.id) not in shown][:MEANING_ROWS]
            self.meaning.set_content(meaning_html(rows, waiting=False) if rows else '')
        else:
            self.meaning.set_content(meaning_html(rows, waiting=self.ctx.indexer is not None))

    def _show_error(self, exc: Exception) -> None:
        message = str(exc) if isinstance(exc, UserError) else 'Search failed; try the search page.'
        self.results.set_content(f'<div class="oh-palette-note">{html.escape(message)}</div>')

    # ------------------------------------------------------------------ opening

    def open(self, text: str | None = None) -> None:
        """Show the palette (with ``text`` in the box, if given) and put the cursor in it."""
        if text is not None:
            self.input.set_value(text[:MAX_QUERY])
        ui.run_javascript('window.ohPalette && window.ohPalette.open()')

    def close(self) -> None:
        ui.run_javascript('window.ohPalette && window.ohPalette.close()')


def install(ctx: AppContext) -> Callable[..., None]:
    """Add the search palette to this tab (once; a second call returns the same) and return the function
    that opens it. The header's search box (``.oh-search``), Ctrl/⌘+K and "/" open it in the browser."""
    return _installed.install(lambda: Palette(ctx)).open


def get(client: Client | None = None) -> Palette | None:
    """This tab's palette, if installed."""
    return _installed.get(client)
