"""Formatting for display: dates in local time, relative times, money, token counts, web links."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

from ..data.text import plural  # noqa: F401 - re-exported: one helper for pages and the command line


def web_url(url: str | None) -> bool:
    """True for an absolute http(s) URL with a host: the only kind of stored URL shown as a link
    (javascript:, data:, file: and relative ones are shown as text)."""
    try:
        parts = urlsplit((url or '').strip())
    except ValueError:
        return False
    return parts.scheme in ('http', 'https') and bool(parts.netloc)


def local(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    if isinstance(dt, str):
        try:
            dt = datetime.fromisoformat(dt)
        except ValueError:
            return None
    return dt.replace(tzinfo=UTC).astimezone() if dt.tzinfo is None else dt.astimezone()


def date_time(dt: datetime | None) -> str:
    value = local(dt)
    return value.strftime('%Y-%m-%d %H:%M') if value else ''


def day(dt: datetime | None) -> str:
    value = local(dt)
    return value.strftime('%Y-%m-%d') if value else ''


def ago(dt: datetime | None, now: datetime | None = None) -> str:
    """ "3 min ago", "yesterday", or a date for anything older than a week."""
    value = local(dt)
    if value is None:
        return ''
    now = now or datetime.now(UTC).astimezone()
    seconds = (now - value).total_seconds()
    if seconds < 45:
        return 'just now'
    if seconds < 3600:
        return f'{int(seconds // 60) or 1} min ago'
    if seconds < 86400:
        return f'{int(seconds // 3600)} h ago'
    if seconds < 2 * 86400:
        return 'yesterday'
    if seconds < 7 * 86400:
        return f'{int(seconds // 86400)} days ago'
    return value.strftime('%Y-%m-%d')


def money(value: float | None) -> str:
    if value is None:
        return ''
    if value == 0:
        return '$0'
    if value < 0.01:
        return f'${value:.4f}'
    return f'${value:,.2f}'


def tokens(value: int | None) -> str:
    if value is None:
        return ''
    if value >= 1_000_000:
        return f'{value / 1_000_000:.1f}M'
    if value >= 10_000:
        return f'{value / 1000:.0f}k'
    if value >= 1000:
        return f'{value / 1000:.1f}k'
    return str(value)
