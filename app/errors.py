"""Errors a user can act on: shown as one sentence in the UI, CLI and API, never as a traceback."""

from __future__ import annotations

import errno
import logging
import threading
import time

DISK_FULL = 'The disk is full; nothing was saved. Free some space and try again.'
DISK_FULL_LOG_EVERY = 60.0  # seconds: a full disk fails every write; the log says so once a minute


class UserError(Exception):
    """Something the user asked for cannot be done; the message says what and what to do."""


class NotFound(UserError):
    """The item does not exist (or is in the trash when that matters)."""


class ValidationError(UserError):
    """Input is malformed or out of range."""


class PermissionDenied(UserError):
    """The one asking may not do this (an administrative action from a device or an API token)."""


class DiskFull(UserError):
    """A write failed because the disk (or SQLite's size limit) is full; the transaction was rolled back."""

    def __init__(self, message: str = DISK_FULL) -> None:
        super().__init__(message)


def is_disk_full(exc: BaseException | None) -> bool:
    """True for SQLite's SQLITE_FULL ("database or disk is full") and the OS's ENOSPC / EDQUOT, also when
    a later error (a failed rollback) stands in front of it."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, DiskFull):
            return True
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if type(exc).__name__ in ('OperationalError', 'DatabaseError') and 'disk is full' in str(exc).lower():
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


_disk_full_lock = threading.Lock()
_disk_full_logged = [float('-inf')]


def note_disk_full(log: logging.Logger | None = None) -> bool:
    """Log one line that the disk is full, at most once a minute (no traceback). True when it logged."""
    now = time.monotonic()
    with _disk_full_lock:
        if now - _disk_full_logged[0] < DISK_FULL_LOG_EVERY:
            return False
        _disk_full_logged[0] = now
    (log or logging.getLogger('app')).warning('The disk is full: writes fail until space is freed.')
    return True


class DiskFullLogFilter(logging.Filter):
    """Turns the traceback a full disk causes in a framework's log (every failed write logs one) into the
    once-a-minute line of ``note_disk_full``."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None or not is_disk_full(exc):
            return True
        note_disk_full()
        return False
