"""Gemini through Google Takeout ("My Activity → Gemini Apps", ``MyActivity.json``): one entry per prompt.

An entry is ``{header: "Gemini Apps", title: "Prompted <prompt>", time, safeHtmlItem[{html}], subtitles,
attachedFiles, …}`` (older exports: ``details[{name: Request|Response, value}]`` or ``userInteractions``,
and a ``titleUrl`` naming the conversation). The 2026 entries carry no conversation id: entries are put
in time order and grouped into conversations where more than ``GAP`` passes between two prompts (the
import report says so); with a ``titleUrl`` the conversation it names is used instead. The reply HTML
becomes Markdown (html-to-markdown), with scripts, styles, embedded objects, event handlers and script links
removed first. No model is recorded.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
from datetime import datetime, timedelta
from typing import Any

from .base import ImportReport, ParsedConversation, ParsedMessage, from_iso, text_of
from .inputs import JsonDoc, iter_items

GAP = timedelta(minutes=30)
GROUPING_NOTE = (
    'Gemini Takeout entries carry no conversation id: prompts less than 30 minutes apart were grouped '
    'into one conversation.'
)
_DROP_TAGS = frozenset(
    (
        'script',
        'style',
        'iframe',
        'object',
        'embed',
        'noscript',
        'template',
        'form',
        'link',
        'meta',
        'svg',
        'math',
    )
)
_SAFE_URL = re.compile(r'^(https?:|mailto:|#|/)', re.IGNORECASE)
# a "<" that does not open or close a tag without a single attribute (a comment, a tag with attributes, …)
_NOT_BARE = re.compile(r'<(?!/?[a-zA-Z][a-zA-Z0-9]*>)')
_BARE_UNSAFE = re.compile('</?(?:' + '|'.join([*sorted(_DROP_TAGS), 'img']) + ')>', re.IGNORECASE)
_BLANK_LINES = re.compile(r'\n{3,}')


def _needs_cleaning(html: str) -> bool:
    """Whether the sanitiser has anything to look at: false only when every tag is a bare ``<p>`` / ``</p>``
    (no attribute at all) that it keeps. Anything else — an attribute, a comment, a tag it drops, an ``<img>``,
    a stray ``<`` — takes the full walk, so skipping it can never let something through."""
    return bool(_NOT_BARE.search(html) or _BARE_UNSAFE.search(html))


def _clean(soup: Any) -> None:
    """Removes what could run or load: dropped tags (with all they hold), event handlers, inline styles,
    URLs other than http(s)/mailto/relative, images left without a source."""
    from bs4 import Tag

    stack = [soup]
    while stack:
        for child in list(stack.pop().contents):
            if not isinstance(child, Tag):
                continue
            if child.name in _DROP_TAGS:
                child.decompose()  # not walked into: nothing inside it survives
                continue
            attrs = child.attrs
            for attr in list(attrs):
                low = attr.lower()
                if (
                    low.startswith('on')
                    or low in ('style', 'srcdoc', 'formaction')
                    or low in ('href', 'src', 'action', 'xlink:href')
                    and not _SAFE_URL.match(str(attrs[attr]).strip())
                ):
                    del attrs[attr]
            if child.name == 'img' and not attrs.get('src'):
                child.decompose()
                continue
            stack.append(child)
    # the texts either side of a removed tag are joined, as parsing the cleaned HTML again would
    soup.smooth()


def html_to_markdown(html: str) -> str:
    """Readable, safe Markdown from a reply's HTML: nothing executable survives.

    html-to-markdown (a Rust converter) does the conversion: it is about nine times faster than
    BeautifulSoup with markdownify, which made half of a Takeout import. What it does not do is sanitise
    (a ``javascript:`` link comes out as a Markdown link), so HTML with anything to remove is parsed and
    cleaned with BeautifulSoup first and the cleaned tree converted.
    """
    if not html or '<' not in html:
        return html.strip()
    source = html
    if _needs_cleaning(html):
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(html, 'html.parser')
        _clean(soup)
        source = str(soup)
    from html_to_markdown import convert

    text = convert(source, _options()).content
    if not text.strip():
        # nesting thousands of tags deep is cut off by the converter: keep the words at least
        from bs4 import BeautifulSoup

        text = BeautifulSoup(source, 'html.parser').get_text('\n')
    return (_BLANK_LINES.sub('\n\n', text) if '\n\n\n' in text else text).strip()


@functools.cache
def _options() -> Any:
    from html_to_markdown import ConversionOptions

    # as markdownify wrote it before: * and _ in the text escaped, no page metadata, links as written
    return ConversionOptions(
        heading_style='atx',
        bullets='-',
        escape_asterisks=True,
        escape_underscores=True,
        extract_metadata=False,
        autolinks=False,
    )


def _prompt(entry: dict[str, Any]) -> tuple[str, bool]:
    """(the person's text, whether it was a prompt at all)."""
    for d in entry.get('details') or []:
        if isinstance(d, dict) and d.get('name') == 'Request':
            return text_of(d.get('value')), True
    title = text_of(entry.get('title'))
    if title.startswith('Prompted '):
        return title[len('Prompted ') :], True
    return title, False


def _reply(entry: dict[str, Any]) -> str:
    parts = []
    for item in entry.get('safeHtmlItem') or []:
        if isinstance(item, dict):
            parts.append(html_to_markdown(text_of(item.get('html'))))
    for d in entry.get('details') or []:
        if isinstance(d, dict) and d.get('name') == 'Response':
            parts.append(html_to_markdown(text_of(d.get('value'))))
    for ui in entry.get('userInteractions') or []:
        inner = ui.get('userInteraction') if isinstance(ui, dict) else None
        if isinstance(inner, dict):
            resp = inner.get('response')
            with contextlib.suppress(ValueError):
                resp = json.loads(resp) if isinstance(resp, str) else resp
            parts.append(text_of(resp) if isinstance(resp, str) else json.dumps(resp, ensure_ascii=False))
    notes = [
        text_of(s.get('name')) for s in entry.get('subtitles') or [] if isinstance(s, dict) and s.get('name')
    ]
    files = [f for f in entry.get('attachedFiles') or [] if isinstance(f, str)]
    extra = '\n'.join([*(f'[{n.strip()}]' for n in notes), *(f'[Attachment: {f}]' for f in files)])
    return '\n\n'.join(p for p in (*parts, extra) if p)


def _conversation_id(entry: dict[str, Any]) -> str | None:
    url = text_of(entry.get('titleUrl'))
    m = re.search(r'/app/(?:c/)?([0-9a-zA-Z_]+)$', url)
    return m.group(1) if m else None


def convert_group(
    key: str, entries: list[tuple[datetime | None, int, dict]], report: ImportReport
) -> ParsedConversation:
    messages: list[ParsedMessage] = []
    parent = None
    for when, i, e in entries:
        stamp = when.isoformat() if when else f'#{i}'
        text, prompted = _prompt(e)
        q = ParsedMessage(f'{stamp}:q', parent, 'user', text, created_at=when, raw=e)
        if not prompted:
            q.role, q.hidden, q.content_type = 'system', True, 'activity'  # "Used an Assistant feature", …
        a = ParsedMessage(f'{stamp}:a', q.external_id, 'assistant', _reply(e), created_at=when)
        messages.append(q)
        parent = q.external_id
        if a.content:
            messages.append(a)
            parent = a.external_id
    return ParsedConversation(external_id=key, title='', messages=messages, active_leaf=parent)


def items(doc: JsonDoc, report: ImportReport):
    """Groups of entries, oldest first: ``(label, build)`` per conversation."""
    rows = []
    for i, e in enumerate(iter_items(doc)):
        if isinstance(e, dict):
            rows.append((from_iso(e.get('time')), i, e))
    rows.sort(key=lambda r: (r[0] is None, r[0] or datetime.min, -r[1]))
    by_id: dict[str, list] = {}
    groups: list[list] = []
    last: datetime | None = None
    for row in rows:
        cid = _conversation_id(row[2])
        if cid:
            by_id.setdefault(cid, []).append(row)
            continue
        if not groups or last is None or row[0] is None or row[0] - last > GAP:
            groups.append([])
        groups[-1].append(row)
        last = row[0] or last
    if groups:
        report.note(GROUPING_NOTE)
    for cid, group in by_id.items():
        yield f'conversation {cid}', lambda g=group, c=cid: convert_group(f'gemini-{c}', g, report)
    for group in groups:
        first = group[0][0]
        key = f'takeout-{first.isoformat() if first else group[0][1]}'
        yield f'conversation of {first or "?"}', lambda g=group, k=key: convert_group(k, g, report)
