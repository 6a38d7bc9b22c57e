"""Gemini through Google Takeout ("My Activity → Gemini Apps", ``MyActivity.json``): one entry per prompt.

An entry is ``{header: "Gemini Apps", title: "Prompted <prompt>", time, safeHtmlItem[{html}], subtitles,
attachedFiles, …}`` (older exports: ``details[{name: Request|Response, value}]`` or ``userInteractions``,
and a ``titleUrl`` naming the conversation). The 2026 entries carry no conversation id: entries are put
in time order and grouped into conversations where more than ``GAP`` passes between two prompts (the
import report says so); with a ``titleUrl`` the conversation it names is used instead. The reply HTML
becomes Markdown (markdownify), with scripts, styles, embedded objects, event handlers and script links
removed first. No model is recorded.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
from datetime import datetime, timedelta
from typing import Any

from .base import ImportReport, ParsedConversation, ParsedMessage, from_iso
from .inputs import JsonDoc, iter_items

GAP = timedelta(minutes=30)
GROUPING_NOTE = (
    'Gemini Takeout entries carry no conversation id: prompts less than 30 minutes apart were grouped '
    'into one conversation.'
)
_DROP_TAGS = ('script', 'style', 'iframe', 'object', 'embed', 'noscript', 'template', 'form', 'link', 'meta')
_SAFE_URL = re.compile(r'^(https?:|mailto:|#|/)', re.IGNORECASE)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ''


def html_to_markdown(html: str) -> str:
    """Readable, safe Markdown from a reply's HTML: nothing executable survives."""
    if not html or '<' not in html:
        return html.strip()
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, 'html.parser')
    # one walk over the tags (a Takeout import converts tens of thousands of replies)
    for tag in soup.find_all(True):
        if tag.decomposed:  # inside a tag removed before it
            continue
        if tag.name in _DROP_TAGS:
            tag.decompose()
            continue
        for attr in list(tag.attrs):
            value = tag.attrs[attr]
            if (
                attr.lower().startswith('on')
                or attr.lower() in ('style', 'srcdoc', 'formaction')
                or attr.lower() in ('href', 'src', 'action', 'xlink:href')
                and not _SAFE_URL.match(str(value).strip())
            ):
                del tag.attrs[attr]
        if tag.name == 'img' and not tag.get('src'):
            tag.decompose()
    # the cleaned tree itself, not its text parsed a second time (the parse is most of a Takeout import);
    # the texts either side of a removed tag are joined, as parsing the cleaned HTML again would
    soup.smooth()
    text = _converter().convert_soup(soup)
    return re.sub(r'\n{3,}', '\n\n', text).strip()


@functools.cache
def _converter() -> Any:
    from markdownify import MarkdownConverter

    return MarkdownConverter(heading_style='ATX', bullets='-')


def _prompt(entry: dict[str, Any]) -> tuple[str, bool]:
    """(the person's text, whether it was a prompt at all)."""
    for d in entry.get('details') or []:
        if isinstance(d, dict) and d.get('name') == 'Request':
            return _text(d.get('value')), True
    title = _text(entry.get('title'))
    if title.startswith('Prompted '):
        return title[len('Prompted ') :], True
    return title, False


def _reply(entry: dict[str, Any]) -> str:
    parts = []
    for item in entry.get('safeHtmlItem') or []:
        if isinstance(item, dict):
            parts.append(html_to_markdown(_text(item.get('html'))))
    for d in entry.get('details') or []:
        if isinstance(d, dict) and d.get('name') == 'Response':
            parts.append(html_to_markdown(_text(d.get('value'))))
    for ui in entry.get('userInteractions') or []:
        inner = ui.get('userInteraction') if isinstance(ui, dict) else None
        if isinstance(inner, dict):
            resp = inner.get('response')
            with contextlib.suppress(ValueError):
                resp = json.loads(resp) if isinstance(resp, str) else resp
            parts.append(_text(resp) if isinstance(resp, str) else json.dumps(resp, ensure_ascii=False))
    notes = [
        _text(s.get('name')) for s in entry.get('subtitles') or [] if isinstance(s, dict) and s.get('name')
    ]
    files = [f for f in entry.get('attachedFiles') or [] if isinstance(f, str)]
    extra = '\n'.join([*(f'[{n.strip()}]' for n in notes), *(f'[Attachment: {f}]' for f in files)])
    return '\n\n'.join(p for p in (*parts, extra) if p)


def _conversation_id(entry: dict[str, Any]) -> str | None:
    url = _text(entry.get('titleUrl'))
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
