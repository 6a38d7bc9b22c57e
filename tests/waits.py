"""Waiting for what a user would see happen, instead of sleeping: writes run off the event loop, so a
test checks the database once the condition holds (or fails with the time it waited)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


async def until(condition: Callable[[], object], timeout: float = 8.0, what: str = 'the condition') -> None:
    """Return as soon as ``condition()`` is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f'{what} did not happen within {timeout:.0f} s')
        await asyncio.sleep(0.05)


def wait_until(condition: Callable[[], object], timeout: float = 10.0, what: str = 'the condition') -> None:
    """``until`` for tests outside the event loop (background threads, subprocesses)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f'{what} did not happen within {timeout:.0f} s')
        time.sleep(0.05)
