"""The search palette through NiceGUI's simulated user: results while typing, grouped by kind, one row
per item, plain-text snippets, search by meaning joining (or saying there is no close match)."""

from __future__ import annotations

import pytest
from nicegui.testing import User

from app.components import palette
from app.data import conversations, lookups, outputs, search
from app.data import db as dbmod
from tests.data.search_helpers import HASHING, use_hashing_model
from tests.waits import until


@pytest.fixture
def library(db_path):
    dbmod.connect(db_path)
    out = outputs.capture_output(
        outputs.CaptureData(
            title='Postgres upkeep',
            body='## Vacuum\n\n**Run** `VACUUM ANALYZE` weekly.\n\n| table | size |\n|---|---|',
        )
    )
    conv = conversations.create_conversation('Postgres questions')
    conversations.add_message(conv, 'user', 'Is postgres faster than mysql here?')
    conversations.add_message(conv, 'assistant', 'For this load **postgres** wins.')
    tag = lookups.get_or_create('tag', 'postgres')
    outputs.capture_output(outputs.CaptureData(body='A haiku about autumn leaves'))
    return out, conv, tag


def _html(user: User, marker: str) -> str:
    return user.find(marker=marker).elements.pop().content


async def _typed(user: User, text: str, expect: str) -> str:
    user.find(marker='palette-input').clear().type(text)
    await until(lambda: expect in _html(user, 'palette-results'), what=f'{expect!r} in the palette')
    return _html(user, 'palette-results')


async def test_results_while_typing_grouped_one_row_per_item(user: User, library) -> None:
    out, conv, tag = library
    await user.open('/outputs')
    shown = await _typed(user, 'postg', 'for “postg”')  # a word still being typed is a prefix
    assert shown.index('Outputs') < shown.index('Conversations') < shown.index('Tags')
    assert shown.count(f'href="/outputs/{out.id}"') == 1
    assert shown.count(f'/conversations/{conv.id}') == 1  # its title and two messages: one row
    assert f'href="/tags/{tag.id}"' in shown
    assert 'haiku' not in shown
    for syntax in ('##', '**', '`', '| table'):  # snippets are plain text
        assert syntax not in shown
    assert 'href="/search?q=postg"' in _html(user, 'palette-all')  # "See all results" opens the page


async def test_the_latest_text_wins(user: User, library) -> None:
    await user.open('/')
    box = user.find(marker='palette-input')
    for text in ('h', 'ha', 'hai', 'haik', 'xyz', 'haiku'):  # faster than the searches answer
        box.clear().type(text)
    shown = await _typed(user, 'haiku', 'for “haiku”')
    assert 'autumn' in shown
    await until(lambda: palette.get(user.client)._worker.done(), what='the palette to go idle')
    assert 'for “haiku”' in _html(user, 'palette-results')  # no older answer arrived after it


async def test_nothing_typed_and_nothing_found(user: User, library) -> None:
    await user.open('/')
    assert 'Type to search' in _html(user, 'palette-results')
    shown = await _typed(user, 'zzzqqq', 'No matches')
    assert 'No matches for “zzzqqq”' in shown


async def test_by_meaning_no_close_match_for_a_made_up_code(user: User, library, monkeypatch) -> None:
    use_hashing_model()
    monkeypatch.setitem(search.MEANING_FLOORS, HASHING, 0.2)  # the stand-in model gets a floor too
    await user.open('/')
    await _typed(user, 'ERR_ZX_4471_QQ', 'No matches')
    await until(
        lambda: 'No close matches by meaning' in _html(user, 'palette-meaning'), what='the meaning note'
    )
    await _typed(user, 'autumn leaves', 'for “autumn leaves”')
    await until(lambda: 'similar in meaning too' in _html(user, 'palette-results'), what='the meaning label')
    assert 'No close matches' not in _html(user, 'palette-meaning')
