"""Another writer holding SQLite's write lock (an import, a phone, a CLI script) never freezes the page:
bulk actions, the favourite star, title edits and opening an item write off the event loop, so every open
tab keeps answering while they wait for the lock."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from nicegui import ui
from nicegui.testing import User

from app.data import db as dbmod
from app.data import entities, outputs
from tests.waits import until

HOLD = 1.0  # seconds the other writer keeps the lock
ALLOWED = 0.6  # the worst gap between two ticks of the event loop; a write on the loop waits the whole HOLD


@pytest.fixture
def library(db_path: Path) -> list[int]:
    dbmod.connect(db_path)
    return [
        outputs.capture_output(outputs.CaptureData(body=f'Note number {i}', title=f'Note {i}')).id
        for i in range(3)
    ]


@pytest.fixture
async def locked(db_path: Path) -> AsyncIterator[Callable[[Callable[[], Awaitable[None]]], Awaitable[float]]]:
    """``await locked(action)``: run ``action`` while another connection holds the write lock; returns the
    longest the event loop went without running."""
    threads: list[threading.Thread] = []

    async def run(action: Callable[[], Awaitable[None]]) -> float:
        held = threading.Event()

        def hold() -> None:
            # the app's own SQLite library: two copies of SQLite in one process ignore each other's locks
            con = dbmod.sqlite3.connect(str(db_path), timeout=10)
            con.execute('BEGIN IMMEDIATE')
            held.set()
            time.sleep(HOLD)
            con.rollback()
            con.close()

        thread = threading.Thread(target=hold)
        threads.append(thread)
        thread.start()
        await asyncio.to_thread(held.wait)
        worst, last, running = 0.0, time.monotonic(), True

        async def tick() -> None:
            nonlocal worst, last
            while running:
                await asyncio.sleep(0.01)
                now = time.monotonic()
                worst, last = max(worst, now - last), now

        ticker = asyncio.create_task(tick())
        await asyncio.sleep(0)  # the ticker is running before the action starts
        try:
            await action()
            worst = max(worst, time.monotonic() - last)  # a stall at the very end counts too
        finally:
            running = False
            await ticker
        return worst

    yield run
    for thread in threads:
        thread.join()


async def test_a_bulk_action_waits_for_the_lock_without_freezing_the_page(
    user: User, library, locked
) -> None:
    await user.open('/outputs')
    await user.should_see('Note 1')
    rows = ''.join(e.content for e in user.find(ui.html).elements)
    assert f'data-oh-select="{library[1]}" aria-label="Select Note 1"' in rows  # the row's checkbox
    user.find(marker='list-rows').trigger('change', [library[1], True])  # what ticking it sends

    async def favourite() -> None:
        user.find('Favourite').click()
        await user.should_see('Updated 1 output', retries=40)

    worst = await locked(favourite)
    assert worst < ALLOWED, f'the event loop stalled for {worst:.2f} s'
    assert entities.get_item('output', library[1]).favourite


async def test_an_output_page_opens_and_saves_while_another_writer_holds_the_lock(
    user: User, library, locked
) -> None:
    async def open_and_star() -> None:
        await user.open(f'/outputs/{library[0]}')
        await user.should_see('Note number 0')
        user.find(marker='favourite').click()
        await until(lambda: entities.get_item('output', library[0]).favourite, what='the star being saved')

    worst = await locked(open_and_star)
    assert worst < ALLOWED, f'the event loop stalled for {worst:.2f} s'
    assert entities.get_item('output', library[0]).favourite


async def test_linking_a_tag_in_a_picker_waits_for_the_lock_without_freezing(
    user: User, library, locked
) -> None:
    from app.data import relations

    await user.open(f'/outputs/{library[2]}')
    await user.should_see('Note number 2')

    async def link() -> None:
        user.find(marker='add-tag').click()
        user.find(marker='picker-tag').type('waited')
        user.find(marker='picker-tag').trigger('keydown.enter')
        await until(
            lambda: (
                [t.name for t in relations.tags_for('output', [library[2]]).get(library[2], [])] == ['waited']
            ),
            what='the tag being linked',
        )

    worst = await locked(link)
    assert worst < ALLOWED, f'the event loop stalled for {worst:.2f} s'
