"""An output's page reads each relation once: OutputDetail has them all, and the pickers' first build
uses it instead of asking again (a deep link waited ~30 queries for ten pickers)."""

from __future__ import annotations

import logging

import pytest
from nicegui import helpers
from nicegui.testing import User

from app.components import framework
from app.data import db as dbmod
from app.data import lookups, outputs, prompts, relations


@pytest.fixture
def linked(db_path) -> int:
    dbmod.connect(db_path)
    other = outputs.capture_output(outputs.CaptureData(body='Another answer', title='Other'))
    out = outputs.capture_output(
        outputs.CaptureData(
            body='The answer', title='Linked answer', tags=['alpha', 'beta'], prompt='Explain WAL'
        )
    )
    relations.link_outputs(out.id, other.id)
    coll = lookups.get_or_create('collection', 'Reading')
    relations.add_to_collection('output', [out.id], coll.id)
    assert prompts.search_versions('Explain WAL')
    return out.id


async def test_opening_an_output_asks_for_each_relation_once(
    user: User, linked: int, caplog: pytest.LogCaptureFixture
) -> None:
    await user.open('/')
    await user.should_see('Linked answer')
    assert helpers.expects_arguments is framework.expects_arguments  # the pages installed the fix
    with caplog.at_level(logging.DEBUG, logger='peewee'):
        caplog.clear()
        await user.open(f'/outputs/{linked}')
        await user.should_see('The answer')
    # the page's queries only: a background service (its thread is named outputhub-…, e.g. the session
    # watcher reading its setting) may ask while the page opens
    queries = [
        r.getMessage()
        for r in caplog.records
        if r.name == 'peewee' and not r.threadName.startswith('outputhub-')
    ]
    repeated = {q for q in queries if queries.count(q) > 1}
    assert not repeated, f'asked more than once: {sorted(repeated)}'
    assert len(queries) <= 14, '\n'.join(queries)
