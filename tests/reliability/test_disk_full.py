"""A full disk: every failed write answers with one sentence and keeps nothing half-written, reading goes
on, and the log says so once a minute instead of a traceback per write.

The disk is made full for real, the way SQLite sees it: ``max_page_count`` caps the database file, so a
write that needs more pages fails with SQLITE_FULL ("database or disk is full") exactly as on a full disk.
"""

from __future__ import annotations

import logging

import httpx
import pytest
from nicegui import core, ui
from nicegui.testing import User

from app import errors
from app.data import db as dbmod
from app.data import outputs
from app.data.models import Output

BIG = 'a fairly long line of text that will not fit anymore\n' * 16_000  # ~850 KB


@pytest.fixture
def full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every connection the app opens can grow its file to ~1.6 MB and no further."""
    monkeypatch.setitem(dbmod.PRAGMAS, 'max_page_count', 400)
    monkeypatch.setattr(errors, '_disk_full_logged', [float('-inf')])


def test_a_write_that_does_not_fit_is_rolled_back_with_one_sentence(full_disk, db) -> None:
    outputs.capture_output(outputs.CaptureData(body='small and kept', title='Kept'))
    with pytest.raises(errors.DiskFull, match='The disk is full; nothing was saved'):
        outputs.capture_output(outputs.CaptureData(body=BIG, title='Too big', tags=['t1', 't2']))
    assert [o.title for o in Output.select()] == ['Kept']


async def test_the_api_answers_507_with_a_sentence_and_logs_one_line(
    full_disk, user: User, caplog: pytest.LogCaptureFixture
) -> None:
    await user.open('/')
    transport = httpx.ASGITransport(app=core.app, raise_app_exceptions=False)
    caplog.set_level(logging.INFO)
    async with httpx.AsyncClient(transport=transport, base_url='http://127.0.0.1:8080') as desktop:
        for i in range(3):
            response = await desktop.post('/api/v1/captures', json={'body': f'{i} {BIG}', 'tags': ['x']})
            assert response.status_code == 507, response.text
            assert response.json() == {'detail': errors.DISK_FULL}
        small = await desktop.post('/api/v1/captures', json={'body': 'still fits'})
        assert small.status_code in (200, 201)
    assert [o.body for o in Output.select()] == ['still fits']
    full = [r for r in caplog.records if 'disk is full' in r.getMessage().lower()]
    assert len(full) == 1 and full[0].exc_info is None
    assert not [r for r in caplog.records if r.exc_info], 'no traceback in the log'


async def test_the_capture_form_says_the_disk_is_full_and_keeps_the_text(full_disk, user: User) -> None:
    await user.open('/capture')
    body = next(e for e in user.find(ui.textarea).elements if e.props.get('label') == 'Output (Markdown)')
    body.set_value(BIG)
    user.find(marker='save-capture').click()
    await user.should_see('The disk is full; nothing was saved')
    assert Output.select().count() == 0
    assert body.value == BIG  # what was typed is still there to save later
