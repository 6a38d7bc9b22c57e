"""Small text helpers shared by capture, importers and exporters."""

from __future__ import annotations

import hashlib
import re

_MD_PREFIX = re.compile(r'^\s*(?:#{1,6}\s+|[-*+]\s+|>\s*|\d+[.)]\s+)')
_MD_INLINE = re.compile(r'[*_`~]+')


LIKE_ESCAPE = "ESCAPE '\\'"  # goes after ``LIKE ?`` with a ``like_contains`` pattern in raw SQL


def like_contains(text: str) -> str:
    """A LIKE pattern that finds ``text`` anywhere, literally (``_``, ``%``, ``\\`` are not wildcards), for raw
    SQL as ``col LIKE ? ESCAPE '\\'``; peewee queries use the field's own ``.contains(text)``."""
    return '%' + text.replace('\\', '\\\\').replace('%', '\\%').replace('_', '\\_') + '%'


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """``1 item``, ``2 items``, ``1,204 items`` (never "1 items")."""
    return f'{n:,} {singular if n == 1 else (plural_form or singular + "s")}'


def first_line_title(text: str, limit: int = 80) -> str:
    """A title from the first non-empty line, without Markdown markers, cut at a word boundary."""
    for line in (text or '').splitlines():
        line = line.strip()
        if not line or line.startswith('```'):
            continue
        line = _MD_INLINE.sub('', _MD_PREFIX.sub('', line)).strip()
        if not line:
            continue
        if len(line) <= limit:
            return line
        cut = line[:limit].rsplit(' ', 1)[0]
        return (cut if len(cut) > limit // 2 else line[:limit]).rstrip(' ,;:.') + '…'
    return 'Untitled'


def normalise_body(text: str) -> str:
    """The form two texts are compared in: unified newlines, no trailing spaces, no outer blank lines."""
    lines = (text or '').replace('\r\n', '\n').replace('\r', '\n').split('\n')
    return '\n'.join(line.rstrip() for line in lines).strip('\n')


def body_hash(text: str) -> str:
    return hashlib.sha256(normalise_body(text).encode('utf-8')).hexdigest()


# Markdown syntax a snippet should not show (headings, emphasis, code ticks, quotes, bullets, table pipes).
_MD_FENCE = re.compile(r'^[ \t]*(?:```|~~~)[^\n]*$', re.M)
_MD_RULE = re.compile(r'^[ \t]*\|?(?:[ \t]*:?-{3,}:?[ \t]*\|?)+[ \t]*$|^[ \t]*(?:[-*_][ \t]*){3,}$', re.M)
_MD_LINE_START = re.compile(
    r'^([ \t]*…?[ \t]*)(?:#{1,6}[ \t]+|(?:>[ \t]?)+|[-*+][ \t]+(?:\[[ xX]\][ \t]+)?|\d+[.)][ \t]+)', re.M
)
_MD_HEADING_TAIL = re.compile(r'[ \t]+#+[ \t]*$', re.M)
_MD_LINK = re.compile(r'!?\[([^\]\n]*)\]\((?:[^()\n]|\([^)\n]*\))*\)')
_MD_EMPHASIS = re.compile(
    r'\*{2,}|_{2,}|~~|`+|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])|(?<!\w)_(?=\S)|(?<=\S)_(?!\w)'
)
_MD_HTML_BREAK = re.compile(r'<br\s*/?>', re.I)


def _table_row(line: str) -> str:
    core = line.strip().strip('…').strip()
    if line.count('|') < 2 or not (core.startswith('|') or core.endswith('|')):
        return line
    cells = [c.strip() for c in line.split('|')]
    return ' · '.join(c for c in cells if c)


def markdown_to_plain(text: str) -> str:
    """Markdown as the plain text a snippet shows: no ``#`` headings, ``**``/``_`` emphasis, backticks,
    fences, quote and bullet markers, link syntax or table pipes (cells are joined by ' · ').

    Line structure is kept (callers collapse whitespace); characters that are not Markdown syntax,
    such as the private-use markers search puts around matches, pass through untouched.
    """
    if not text:
        return ''
    text = _MD_HTML_BREAK.sub(' ', text)
    text = _MD_FENCE.sub('', text)
    text = _MD_RULE.sub('', text)
    text = _MD_LINE_START.sub(r'\1', text)
    text = _MD_HEADING_TAIL.sub('', text)
    text = _MD_LINK.sub(r'\1', text)
    text = '\n'.join(_table_row(line) if '|' in line else line for line in text.split('\n'))
    return _MD_EMPHASIS.sub('', text)
