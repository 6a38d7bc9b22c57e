"""The native window's remembered size and its one-sentence errors (no window needed)."""

from __future__ import annotations

import asyncio
import importlib.util
from types import SimpleNamespace

import pytest

from app import desktop
from app.data import settings_store
from app.errors import UserError
from tests.waits import until


def test_a_resize_is_saved_once_the_user_stops_resizing(db) -> None:
    async def scenario() -> None:
        memory = desktop.WindowSizeMemory(delay=0.05)
        for width in (900, 950, 1000):  # a drag sends many events
            memory.on_resized(SimpleNamespace(args={'width': width, 'height': 700}))
        assert settings_store.get(desktop.SIZE_KEY) is None
        await until(lambda: settings_store.get(desktop.SIZE_KEY) is not None, what='the size being saved')

    asyncio.run(scenario())
    assert settings_store.get(desktop.SIZE_KEY) == [1000, 700]
    assert desktop.saved_size() == (1000, 700)


def test_closing_saves_a_pending_size_at_once(db) -> None:
    memory = desktop.WindowSizeMemory(delay=60)
    memory.pending = (1200, 800)
    memory.save_now()
    assert desktop.saved_size() == (1200, 800)


@pytest.mark.parametrize('stored', [None, 'junk', [10, 10], [1200], {'w': 3}])
def test_a_missing_or_odd_size_falls_back_to_the_default(db, stored) -> None:
    settings_store.put(desktop.SIZE_KEY, stored)
    assert desktop.saved_size() == desktop.DEFAULT_SIZE


def test_without_pywebview_the_error_says_what_to_install(monkeypatch) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, 'find_spec', lambda name: None if name == 'webview' else real(name))
    with pytest.raises(UserError, match=r'outputhub\[native\]'):
        desktop.check_available()
