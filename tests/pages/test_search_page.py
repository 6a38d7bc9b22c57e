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
    assert 'Outputs' in headings and 'Conversations' in headings  # a message shows as its conversation
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
    await user.should_see(marker='panel-later')
    await user.should_not_see('Similar outputs')  # below the relations: built when scrolled to
    user.find(marker='panel-later').trigger('visibility', True)  # Quasar's QIntersection: on screen
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


@pytest.fixture
def repeated(db_path):
    """A library where one conversation matches 'vacuum' by its title and three messages, and one output
    by several chunks: the search page listed the conversation four times."""
    from tests.data.search_helpers import use_hashing_model

    dbmod.connect(db_path)
    conv = conversations.create_conversation('Vacuum schedule')
    for text in (
        'How often should I vacuum the database?',
        'Vacuum it weekly; a VACUUM after bulk deletes returns the space.',
        'Does vacuum lock the tables?',
    ):
        conversations.add_message(conv, 'user', text)
    long_body = ' '.join(f'Paragraph {i} says vacuum the database after step {i}.' for i in range(200))
    out = outputs.capture_output(outputs.CaptureData(body=long_body, title='Vacuum runbook'))
    use_hashing_model()
    return conv, out


def _links(user: User, prefix: str) -> int:
    return sum(e.content.count(f'href="{prefix}') for e in user.find(kind=ui.html).elements)


@pytest.mark.parametrize('mode', ['keyword', 'hybrid'])
async def test_each_item_is_one_row_with_its_best_snippet(user: User, repeated, mode: str) -> None:
    conv, out = repeated
    await user.open(f'/search?q=vacuum&mode={mode}')
    await user.should_see('2 results, best first', retries=50)
    assert _links(user, f'/conversations/{conv.id}') == 1
    assert _links(user, f'/outputs/{out.id}') == 1
    rows = [e.content for e in user.find(kind=ui.html).elements if f'/conversations/{conv.id}' in e.content]
    assert '<mark>' in rows[0]  # the snippet shows the words that matched, not just the title
    if mode == 'hybrid':  # found by words and by meaning: one row, both labels
        await user.should_see('matches your words, similar in meaning')


async def test_no_close_matches_by_meaning_for_a_made_up_code(user: User, corpus, monkeypatch) -> None:
    """Below the model's floor a neighbour by meaning is no match (the stand-in model gets a floor here)."""
    from app.data import search
    from tests.data.search_helpers import HASHING, use_hashing_model

    use_hashing_model()
    monkeypatch.setitem(search.MEANING_FLOORS, HASHING, 0.2)
    await user.open('/search?q=ERR_ZX_4471_QQ&mode=hybrid')
    await user.should_see('Nothing found for “ERR_ZX_4471_QQ”', retries=50)
    await user.should_see(marker='no-meaning')
    await user.should_not_see(marker='meaning-only')
