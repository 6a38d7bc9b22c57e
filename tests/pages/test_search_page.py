"""The search page: modes, kinds, filters, grouped results with escaped snippets, find similar."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing import User

from app.data import conversations, lookups, outputs
from app.data import db as dbmod
from tests.waits import until


@pytest.fixture
def corpus(db_path):
    dbmod.connect(db_path)
    a = outputs.capture_output(
        outputs.CaptureData(body='Vacuum the SQLite database weekly <b>bold</b>', tags=['ops'])
    )
    b = outputs.capture_output(outputs.CaptureData(body='A poem about autumn leaves'))
    conv = conversations.create_conversation('Maintenance chat')
    conversations.add_message(conv, 'user', 'How often should I vacuum?')
    return a, b, conv


async def test_keyword_search_groups_results_and_escapes_snippets(user: User, corpus) -> None:
    a, b, conv = corpus
    await user.open('/search?q=vacuum&mode=keyword')
    await user.should_see('2 results, best first')
    # one heading and one block of hits per kind ('Outputs' alone would match the drawer's link)
    headings = [e.text for e in user.find(kind=ui.label).elements if 'font-semibold' in e.classes]
    assert 'Outputs' in headings and 'Messages' in headings
    blocks = [e.content for e in user.find(kind=ui.html).elements]
    output_block = next(b for b in blocks if f'/outputs/{a.id}' in b)
    message_block = next(b for b in blocks if f'/conversations/{conv.id}' in b)
    assert output_block != message_block
    assert '&lt;b&gt;' in output_block and '<b>' not in output_block  # user text is escaped in the snippet
    await user.should_not_see('A poem about autumn leaves')


async def test_kind_and_tag_filters(user: User, corpus) -> None:
    a, b, conv = corpus
    await user.open('/search?q=vacuum&mode=keyword&kind=message')
    await user.should_see('How often should I')
    await user.should_not_see('Vacuum the SQLite')
    tag = lookups.find_by_name('tag', 'ops')
    await user.open(f'/search?q=vacuum&mode=keyword&tags={tag.id}')
    await user.should_see('Tag: ops')
    await user.should_not_see('How often should I')


async def test_odd_query_text_never_breaks_the_page(user: User, corpus) -> None:
    for q in ['"unbalanced', 'a AND', '-', '*', '(((', 'NEAR(', 'vacuum OR']:
        await user.open(f'/search?q={q}&mode=keyword')
        # the page answers the query itself ('Search' alone is the drawer's link and the title)
        await until(lambda: _answered(user), what=f'an answer to {q!r}')


def _answered(user: User) -> bool:
    texts = [getattr(e, 'text', '') for e in user.find(kind=ui.label).elements]
    return any('best first' in t or t.startswith('Nothing found for') for t in texts)


async def test_header_search_box_and_empty_state(user: User, corpus) -> None:
    await user.open('/search')
    await user.should_see('Hybrid combines both')


async def test_similar_panel_without_indexer_says_so(user: User, corpus) -> None:
    a, b, conv = corpus
    await user.open(f'/outputs/{a.id}')
    await user.should_see('Similar outputs')
    await user.should_see('indexer is not running')


async def test_hybrid_says_when_nothing_matches_the_words(user: User, corpus) -> None:
    """Gibberish still has nearest neighbours by meaning: the page must not present them as matches."""
    from app.data import embeddings
    from tests.data.search_helpers import use_hashing_model

    use_hashing_model()
    embeddings.index_pending()
    await user.open('/search?q=zzzxqqnotfound&mode=hybrid')
    await user.should_see('No result contains “zzzxqqnotfound”', retries=50)
    await user.open('/search?q=vacuum&mode=hybrid')
    await user.should_see('results, best first', retries=50)
    await user.should_not_see(marker='meaning-only')


async def test_result_counts_and_match_labels_read_as_plain_english(user: User, corpus) -> None:
    await user.open('/search?q=autumn&mode=keyword')
    await user.should_see('1 result, best first')  # not "1 results"
    await user.should_see('matches your words')  # not the jargon "· words"
    await user.open('/search?q=vacuum&mode=keyword')
    await user.should_see('2 results, best first')
