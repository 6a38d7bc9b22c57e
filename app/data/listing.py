"""Pagination, sorting and filters shared by every list (UI, CLI and API), and their URL form."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import date
from typing import Generic, TypeVar

from ..errors import ValidationError
from .db import MAX_ROW_ID, row_id

T = TypeVar('T')

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 200


@dataclass
class Page(Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page)) if self.per_page else 1

    @property
    def first_index(self) -> int:
        """1-based index of the first item on this page (0 when empty)."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last_index(self) -> int:
        return self.first_index + len(self.items) - 1 if self.items else 0


def clamp_page(page: int, per_page: int, total: int | None = None) -> tuple[int, int]:
    per_page = max(1, min(MAX_PER_PAGE, int(per_page or DEFAULT_PER_PAGE)))
    page = max(1, int(page or 1))
    if total is not None:
        page = min(page, max(1, math.ceil(total / per_page)))
    return page, per_page


@dataclass
class ListParams:
    """What a list shows: filters, sort and page. Every field survives a round trip through a URL."""

    text: str = ''
    tags: list[int] = field(default_factory=list)
    collections: list[int] = field(default_factory=list)
    categories: list[int] = field(default_factory=list)
    models: list[int] = field(default_factory=list)
    agents: list[int] = field(default_factory=list)
    sensitivities: list[int] = field(default_factory=list)
    sources: list[int] = field(default_factory=list)  # where items came from (capture, an import, chat …)
    rating_min: int | None = None
    favourite: bool | None = None
    date_from: date | None = None
    date_to: date | None = None
    trashed: bool = False
    # Prompts only: the ones that came with captures and chat questions instead of the library (saved ones).
    unsaved: bool = False
    sort: str = ''
    desc: bool = True
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    # Set by the server for LAN devices and API tokens not allowed to see restricted items; never from a URL.
    exclude_restricted: bool = False

    def with_(self, **changes: object) -> ListParams:
        return replace(self, **changes)

    @property
    def active_filter_count(self) -> int:
        defaults = ListParams()
        return sum(
            1
            for f in fields(self)
            if f.name not in ('sort', 'desc', 'page', 'per_page', 'exclude_restricted', 'unsaved')
            and getattr(self, f.name) != getattr(defaults, f.name)
        )

    def to_query(self) -> dict[str, str]:
        """Only the non-default values, as URL query parameters."""
        defaults = asdict(ListParams())
        out: dict[str, str] = {}
        for key, value in asdict(self).items():
            if value == defaults[key] or key == 'exclude_restricted':
                continue
            if isinstance(value, list):
                out[key] = ','.join(str(v) for v in value)
            elif isinstance(value, bool):
                out[key] = '1' if value else '0'
            elif isinstance(value, date):
                out[key] = value.isoformat()
            else:
                out[key] = str(value)
        return out

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> ListParams:
        """Parse URL query parameters; malformed values are ignored (a bad bookmark still opens the list)."""
        params = cls()
        for f in fields(cls):
            raw = query.get(f.name)
            if raw is None or raw == '':
                continue
            try:
                value = _parse(f.name, str(raw))
            except (TypeError, ValueError):
                continue
            setattr(params, f.name, value)
        params.page, params.per_page = clamp_page(params.page, params.per_page)
        if params.rating_min is not None and not 1 <= params.rating_min <= 5:
            params.rating_min = None
        return params


_LIST_FIELDS = {'tags', 'collections', 'categories', 'models', 'agents', 'sensitivities', 'sources'}
_BOOL_FIELDS = {'favourite', 'trashed', 'desc', 'unsaved'}
_INT_FIELDS = {'rating_min', 'page', 'per_page'}
_DATE_FIELDS = {'date_from', 'date_to'}


def _parse(name: str, raw: str) -> object:
    if name in _LIST_FIELDS:
        ids = [row_id(x) for x in raw.split(',') if x.strip()]
        if None in ids:
            raise ValueError(raw)
        return ids[:50]
    if name in _BOOL_FIELDS:
        if raw.lower() in ('1', 'true', 'yes'):
            return True
        if raw.lower() in ('0', 'false', 'no'):
            return False
        raise ValueError(raw)
    if name in _INT_FIELDS:
        value = int(raw)
        if abs(value) > MAX_ROW_ID:
            raise ValueError(raw)
        return value
    if name in _DATE_FIELDS:
        return date.fromisoformat(raw)
    if name in ('text', 'sort'):
        return raw[:200]
    raise ValueError(name)


def check_sort(sort: str, allowed: Mapping[str, object], default: str) -> str:
    if not sort:
        return default
    if sort not in allowed:
        raise ValidationError(f'Cannot sort by {sort!r}; choose one of {", ".join(allowed)}.')
    return sort
