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


def local(dt: datetime | str | None) -> datetime | None:
    """A stored time in this computer's time zone. Stored times are naive UTC (``models.utcnow``); an
    aware value (or ISO text with an offset or ``Z``) is converted from its own zone."""
    if dt is None:
        return None
    if isinstance(dt, str):
        try:
            dt = datetime.fromisoformat(dt.strip().replace('Z', '+00:00'))
        except ValueError:
            return None
    if not isinstance(dt, datetime):
        return None
    return dt.replace(tzinfo=UTC).astimezone() if dt.tzinfo is None else dt.astimezone()


def date_time(dt: datetime | None) -> str:
    value = local(dt)
    return value.strftime('%Y-%m-%d %H:%M') if value else ''


def day(dt: datetime | None) -> str:
    value = local(dt)
    return value.strftime('%Y-%m-%d') if value else ''


def ago(dt: datetime | str | None, now: datetime | None = None) -> str:
    """ "just now", "8 minutes ago", "3 hours ago", "yesterday", "4 days ago", or the date when older than a
    week. Both sides are compared as aware UTC instants, so the computer's time zone never shifts it;
    ``now`` may be naive (UTC, like stored times) or aware. A time ahead of this clock (another device's
    clock, an import) is shown as a date and time rather than as "just now"."""
    value = local(dt)
    if value is None:
        return ''
    current = local(now) or datetime.now(UTC)
    seconds = (current - value).total_seconds()
    if seconds < -60:
        return value.strftime('%Y-%m-%d %H:%M')
    if seconds < 45:
        return 'just now'
    if seconds < 3600:
        return f'{plural(max(1, int(seconds // 60)), "minute")} ago'
    if seconds < 86400:
        return f'{plural(int(seconds // 3600), "hour")} ago'
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
