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
