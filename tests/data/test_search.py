"""Keyword, semantic, hybrid and similar: query syntax, ranking, snippets, filters, trash."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from app.data import agents, embeddings, entities, lookups, relations, search, vectors
from app.data.search import SearchFilters, fts_query
from app.errors import NotFound, ValidationError

from .search_helpers import capture, chat, found, use_hashing_model

HOSTILE = [
    '"unbalanced',
    'a AND',
    'AND',
    'OR b',
    'a OR',
    'NOT',
    'a NOT',
    '-word',
    '-',
    '--',
    '*',
    '**a',
    'a**',
    '!!!',
    '?',
    '(',
    ')',
    '(a OR b',
    'a) b(',
    '""',
    '"',
    '"""',
    'col:value',
    'title:',
    ':',
    '^start',
    'NEAR(a b)',
    'a + b',
    "it's",
    'x' * 5000,
    ' '.join(['word'] * 500),
    '\x00\x01',
    'émoji 🚀 ünïcode',
    '\ufdd0marker\ufdd1',
    '<script>alert(1)</script>',
    'half emoji \ud83d here',
    "'; DROP TABLE output; --",
]


@pytest.mark.parametrize('text', HOSTILE)
def test_user_text_never_raises_in_any_mode(db, text):
    use_hashing_model()
    capture('Some body about words and things', title='A title')
    for mode in search.MODES:
        assert isinstance(search.search(text, mode=mode), list)
    for fn in (search.keyword_search, search.semantic_search, search.hybrid_search):
        assert isinstance(fn(text), list)


@pytest.mark.parametrize(
    'text, expected',
    [
        ('router config', '"router" AND "config"'),
        ('"exact phrase" here', '"exact phrase" AND "here"'),
        ('conf*', '"conf"*'),
        ('router -cisco', '("router") NOT "cisco"'),
        ('router NOT cisco', '("router") NOT "cisco"'),
        ('router -"cisco ios"', '("router") NOT "cisco ios"'),
        ('tea OR coffee cake', '("tea" OR "coffee") AND "cake"'),
        ('a AND b', '"a" AND "b"'),
        ('"unbalanced quote', '"unbalanced" AND "quote"'),
        ('dangling OR', '"dangling"'),
        ('-only -exclusions', None),
        ('* ? !!', None),
        ('say "hi""', '"say" AND "hi"'),
        ('c++', '"c++"'),
        ('a"b', '"a" AND "b"'),
        ('0\x00', '"0"'),  # a NUL would end the FTS5 string early
    ],
)
def test_fts_query_keeps_well_formed_syntax_and_neutralises_the_rest(text, expected):
    assert fts_query(text) == expected


def test_phrase_prefix_exclusion_and_or_work(db):
    a = capture('Configure the home router with a strong password.', title='Home router')
    b = capture('The Cisco router needs a firmware update.', title='Office router')
    c = capture('Tea and cake at four.', title='Afternoon')
    assert found('router') == {('output', a), ('output', b)}
    assert found('"strong password"') == {('output', a)}
    assert found('"password strong"') == set()
    assert found('confi*') == {('output', a)}
    assert found('router -cisco') == {('output', a)}
    assert found('cake OR firmware') == {('output', b), ('output', c)}
    assert found('routers') == {('output', a), ('output', b)}  # stemming


def test_titles_rank_above_bodies(db):
    body_only = capture(
        'A long note that mentions a compass once among many other words here.', title='Hiking'
    )
    in_title = capture('Notes about navigation in the hills and other words here.', title='Compass basics')
    hits = search.keyword_search('compass')
    assert [h.id for h in hits] == [in_title, body_only]
    assert hits[0].score > hits[1].score > 0


def test_snippets_mark_matches_and_escape_user_html(db):
    capture('Intro text. <img src=x onerror=alert(1)> then the keyword lighthouse appears.', title='T')
    (hit,) = search.keyword_search('lighthouse')
    assert '<img src=x onerror=alert(1)>' in hit.snippet  # plain text, as stored
    ((start, end),) = hit.highlights
    assert hit.snippet[start:end] == 'lighthouse'
    assert '<img' not in hit.snippet_html and '&lt;img src=x onerror=alert(1)&gt;' in hit.snippet_html
    assert hit.snippet_html.count('<mark>') == 1 and '<mark>lighthouse</mark>' in hit.snippet_html
    d = hit.to_dict()
    assert {'kind', 'id', 'title', 'snippet', 'score', 'url', 'highlights', 'snippet_html'} <= set(d)


def test_a_match_in_the_title_only_shows_the_start_of_the_body(db):
    from app.data import prompts

    capture('Take the wheel off and patch the tube.', title='Fixing a flat tyre')
    prompts.create_prompt('Tyre checklist', 'List the tools for {{bike}}')
    hits = {h.kind: h for h in search.keyword_search('tyre')}
    assert hits['output'].snippet == 'Take the wheel off and patch the tube.'
    assert hits['output'].highlights == ()
    assert hits['prompt'].snippet == 'List the tools for {{bike}}'
    cid, _ = chat('Tyre chat', 'hello')
    (conv,) = search.keyword_search('tyre', filters=SearchFilters(kinds=['conversation']))
    assert conv.snippet == 'Tyre chat' and conv.highlights == ((0, 4),)  # no summary: the title


def test_long_snippets_are_cut_around_the_match(db):
    body = ' '.join(['filler'] * 400) + ' needle ' + ' '.join(['padding'] * 400)
    capture(body, title='Haystack')
    (hit,) = search.keyword_search('needle')
    assert len(hit.snippet) <= search.SNIPPET_CHARS + 1
    assert 'needle' in hit.snippet and hit.snippet.startswith('…')


def test_keyword_search_of_a_very_common_word_is_bounded_but_still_ranked(db):
    for i in range(30):
        capture(f'common word item {i}', title=f'Item {i}')
    special = capture('common common common', title='Common')
    hits = search.keyword_search('common', limit=5, candidates=10)
    assert len(hits) == 5
    assert hits[0].id == special  # the newest 10 matches are ranked; the best of them first


# --------------------------------------------------------------------------- semantic, hybrid


def test_semantic_finds_by_shared_words_after_indexing_and_collapses_chunks(db):
    use_hashing_model()
    long_body = ' '.join(f'sentence {i} about gardening soil compost' for i in range(200))
    long_body += ' the final part is about submarine sonar depth'
    oid = capture(long_body, title='Garden log')
    other = capture('Recipes for soup and bread', title='Kitchen')
    embeddings.index_pending()
    chunks = db.execute_sql('SELECT count(*) FROM embed_chunk WHERE owner_id = ?', (oid,)).fetchone()[0]
    assert chunks > 3
    hits = search.semantic_search('submarine sonar depth', limit=10)
    assert [h.id for h in hits if h.kind == 'output'].count(oid) == 1
    assert hits[0].id == oid and 'sonar' in hits[0].snippet  # the snippet is the matching chunk
    assert {h.id for h in hits} >= {oid, other}


def test_edits_re_embed_and_searches_see_them(db):
    use_hashing_model()
    oid = capture('volcano lava eruption magma', title='Geology')
    embeddings.index_pending()
    assert search.semantic_search('volcano lava', limit=1)[0].id == oid
    entities.update_item('output', oid, body='penguin iceberg antarctic krill')
    report = embeddings.index_pending()
    assert report.embedded == 1
    assert search.semantic_search('penguin krill', limit=1)[0].id == oid
    hit = search.semantic_search('volcano lava', limit=1)[0]
    assert hit.score < 0.5  # the old vectors are gone, in the database and in memory
    entities.update_item('output', oid, notes='notes only')
    assert embeddings.pending_count() == 0  # notes are not embedded: nothing queued


def test_unchanged_text_is_not_embedded_again(db):
    use_hashing_model()
    oid = capture('unchanging text', title='Same')
    embeddings.index_pending()
    db.execute_sql("INSERT INTO embed_queue (owner_kind, owner_id) VALUES ('output', ?)", (oid,))
    report = embeddings.index_pending()
    assert (report.processed, report.embedded, report.skipped) == (1, 0, 1)


def test_deleted_items_lose_their_vectors(db):
    use_hashing_model()
    oid = capture('temporary vectors', title='Temp')
    cid, (mid,) = chat('Temp chat', 'temporary message vectors')
    embeddings.index_pending()
    entities.trash('output', [oid])
    entities.delete_forever('output', [oid])
    entities.trash('conversation', [cid])
    entities.delete_forever('conversation', [cid])
    report = embeddings.index_pending()
    assert report.processed == 2
    assert db.execute_sql('SELECT count(*) FROM embed_chunk').fetchone()[0] == 0
    assert db.execute_sql('SELECT count(*) FROM embed_vec').fetchone()[0] == 0
    assert db.execute_sql('SELECT count(*) FROM embed_owner').fetchone()[0] == 0


def test_trashed_items_never_appear_in_any_mode(db):
    use_hashing_model()
    live = capture('aurora borealis night sky', title='Aurora live')
    gone = capture('aurora borealis night sky photos', title='Aurora trashed')
    cid, (mid,) = chat('Aurora chat', 'aurora borealis night sky trip')
    embeddings.index_pending()
    entities.trash('output', [gone])
    entities.trash('conversation', [cid])
    for mode in search.MODES:
        assert found('aurora borealis', mode) == {('output', live)}, mode
    assert {(h.kind, h.id) for h in search.similar('output', live)} == set()


def test_hybrid_fuses_both_lists(db):
    use_hashing_model()
    both = capture('quantum entanglement explained simply', title='Quantum')
    kw_only = capture('entanglement of headphone cables', title='Cables')
    embeddings.index_pending()
    hits = search.hybrid_search('quantum entanglement', limit=5)
    assert hits[0].id == both and hits[0].matched == 'both'
    assert kw_only in [h.id for h in hits]
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:], strict=False))
    assert hits[0].highlights  # the keyword snippet, with its highlights, is kept


def test_semantic_covers_outputs_and_messages_only(db):
    use_hashing_model()
    from app.data import prompts

    prompts.create_prompt('orchid care', 'orchid watering schedule')
    assert search.semantic_search('orchid watering', filters=SearchFilters(kinds=['prompt'])) == []
    assert found('orchid', 'hybrid') == {('prompt', 1)}  # hybrid still has the keyword side


def test_unknown_mode_and_kind_are_clear_errors(db):
    with pytest.raises(ValidationError, match='mode'):
        search.search('x', mode='fuzzy')
    with pytest.raises(ValidationError, match='agent'):
        search.search('x', filters=SearchFilters(kinds=['agent']))


# --------------------------------------------------------------------------- filters


def test_a_filtered_semantic_query_still_returns_k_hits(db):
    """300 near neighbours that fail the filter must not crowd out the 6 that pass it."""
    use_hashing_model()
    rare = lookups.get_or_create('tag', 'rare')
    for i in range(300):
        capture(f'mountain river forest trail number {i}', title=f'Hike {i}')
    wanted = [
        capture(f'spreadsheet invoice ledger {i}', title=f'Accounts {i}', tags=[rare.id]) for i in range(6)
    ]
    embeddings.index_pending()
    hits = search.semantic_search(
        'mountain river forest trail', limit=5, filters=SearchFilters(tags=[rare.id])
    )
    assert len(hits) == 5 and {h.id for h in hits} <= set(wanted)
    hits = search.semantic_search('mountain river', limit=10, filters=SearchFilters(tags=[rare.id]))
    assert {h.id for h in hits} == set(wanted)  # fewer exist than asked: all of them


def _dated(oid: int, when: datetime) -> None:
    from app.data.models import Output

    Output.update(created_at=when).where(Output.id == oid).execute()


@pytest.mark.parametrize('mode', search.MODES)
def test_every_filter_applies_in_every_mode(db, mode):
    use_hashing_model()
    tag_a = lookups.get_or_create('tag', 'a').id
    tag_b = lookups.get_or_create('tag', 'b').id
    coll = lookups.get_or_create('collection', 'Work').id
    cat = lookups.get_or_create('category', 'Coding').id
    secret = lookups.find_by_name('sensitivity', 'Secret').id
    gpt = lookups.find_or_create_model('gpt-4o').id
    agent = agents.create_agent('Reviewer', 'You review code.')
    plain = capture('topic zebra stripes', title='Plain')
    tagged = capture(
        'topic zebra stripes', title='Tagged', tags=[tag_a, tag_b], collections=[coll], category=cat
    )
    one_tag = capture('topic zebra stripes', title='One tag', tags=[tag_a])
    rated = capture('topic zebra stripes', title='Rated', rating=5, favourite=True, model=gpt)
    by_agent = capture('topic zebra stripes', title='Agent', agent_id=agent.id)
    sensitive = capture('topic zebra stripes', title='Secret', sensitivity_id=secret)
    old = capture('topic zebra stripes', title='Old')
    _dated(old, datetime(2020, 5, 17, 12))
    cid, (mid,) = chat('Zebra chat', 'topic zebra stripes')
    relations.add_tags('conversation', [cid], [tag_a])  # a message carries its conversation's tags
    embeddings.index_pending()

    def ids(**f):
        return found('topic zebra stripes', mode, **f)

    outputs = {('output', x) for x in (plain, tagged, one_tag, rated, by_agent, sensitive, old)}
    assert ids(kinds=['output']) == outputs
    assert ids(tags=[tag_a, tag_b]) == {('output', tagged)}  # all tags
    assert ids(tags=[tag_a]) == {('output', tagged), ('output', one_tag), ('message', mid)}
    assert ids(collections=[coll]) == {('output', tagged)}
    assert ids(categories=[cat]) == {('output', tagged)}
    assert ids(models=[gpt]) == {('output', rated)}
    assert ids(agents=[agent.id]) == {('output', by_agent)}
    assert ids(rating_min=4) == {('output', rated)}
    assert ids(favourite=True) == {('output', rated)}
    assert ids(sensitivities=[secret]) == {('output', sensitive)}
    assert ('output', sensitive) not in ids(exclude_restricted=True)
    assert ids(date_to=date(2020, 5, 17)) == {('output', old)}  # the whole day is included
    assert ('output', old) not in ids(date_from=date(2020, 5, 18))
    assert ids(date_from=date.today() - timedelta(days=1), kinds=['message']) == {('message', mid)}


def test_filters_a_kind_cannot_satisfy_leave_it_out(db):
    from app.data import prompts

    gpt = lookups.find_or_create_model('gpt-4o').id
    prompts.create_prompt('Zebra prompt', 'zebra')
    assert found('zebra') == {('prompt', 1)}
    assert found('zebra', models=[gpt]) == set()


# --------------------------------------------------------------------------- similar


def test_similar_finds_neighbours_but_not_itself_or_its_source(db):
    use_hashing_model()
    cid, (question, answer) = chat(
        'Espresso', 'how to pull an espresso shot', 'grind fine, tamp, 25 seconds espresso shot'
    )
    src = capture(
        'grind fine, tamp, 25 seconds espresso shot', title='Espresso', message_id=answer, conversation_id=cid
    )
    near = capture('espresso shot timing and grind size', title='Espresso notes')
    far = capture('tax return deadlines', title='Taxes')
    embeddings.index_pending()
    hits = search.similar('output', src, limit=10)
    keys = [(h.kind, h.id) for h in hits]
    assert ('output', src) not in keys and ('message', answer) not in keys
    assert keys.index(('output', near)) < keys.index(('output', far))
    only_outputs = search.similar('output', src, filters=SearchFilters(kinds=['output']))
    assert {h.kind for h in only_outputs} == {'output'}
    from_message = search.similar('message', answer)
    assert ('output', src) not in {(h.kind, h.id) for h in from_message}


def test_similar_embeds_an_item_that_is_not_indexed_yet(db):
    use_hashing_model()
    near = capture('glacier ice melting climate', title='Glacier')
    embeddings.index_pending()
    fresh = capture('glacier ice melting fast', title='New')  # queued, not embedded
    assert search.similar('output', fresh, limit=1)[0].id == near


def test_similar_needs_an_existing_output_or_message(db):
    with pytest.raises(NotFound):
        search.similar('output', 999)
    with pytest.raises(NotFound):
        search.similar('message', 999)
    with pytest.raises(ValidationError):
        search.similar('prompt', 1)


# --------------------------------------------------------------------------- the model setting


def test_switching_model_re_embeds_everything_with_the_new_dimension(db):
    use_hashing_model()
    oid = capture('hydrangea pruning in spring', title='Garden')
    embeddings.index_pending()
    assert vectors.index_for().dim == 384
    embeddings.set_model('builtin:hashing-64')
    assert embeddings.needs_rebuild()
    assert search.index_status()['complete'] is False
    report = embeddings.index_pending()
    assert report.rebuilt and report.embedded == 1 and report.model == 'builtin:hashing-64'
    assert embeddings.index_state()['dim'] == 64 and not embeddings.needs_rebuild()
    assert vectors.index_for().dim == 64
    assert search.semantic_search('hydrangea pruning', limit=1)[0].id == oid


def test_the_default_model_has_one_name(db):
    for alias in ('', None, 'default', 'sentence-transformers/all-MiniLM-L6-v2', 'ALL-MiniLM-L6-v2'):
        assert embeddings.canonical_model_name(alias) == embeddings.DEFAULT_MODEL
    assert embeddings.model_setting() == embeddings.DEFAULT_MODEL
    assert not embeddings.needs_rebuild()  # a new database is indexed for the default model


def test_the_optional_float16_mirror_finds_the_same(db, monkeypatch):
    use_hashing_model()
    words = ['amber', 'basalt', 'cedar', 'delta', 'ember', 'fjord', 'granite', 'harbor', 'iris', 'juniper']
    for i, w in enumerate(words):
        capture(' '.join(words[: i + 1]) + f' {w} {w}', title=f'Doc {i}')
    embeddings.index_pending()
    small = [(h.id, h.score) for h in search.semantic_search('juniper iris harbor', limit=5)]
    vectors.forget()
    monkeypatch.setattr(vectors, 'FLOAT16', True)  # OUTPUTHUB_VECTOR_FLOAT16=1
    monkeypatch.setattr(vectors, 'FLOAT16_MIN_ROWS', 0)
    large = [(h.id, h.score) for h in search.semantic_search('juniper iris harbor', limit=5)]
    assert type(vectors.index_for()._mat).__module__.startswith('torch')
    assert [i for i, _ in large] == [i for i, _ in small]
    assert all(abs(a - b) < 2e-3 for (_, a), (_, b) in zip(large, small, strict=True))


def test_beyond_the_memory_budget_sign_bits_and_exact_rescoring_find_the_same(db, monkeypatch):
    use_hashing_model()
    words = ['amber', 'basalt', 'cedar', 'delta', 'ember', 'fjord', 'granite', 'harbor', 'iris', 'juniper']
    for i, w in enumerate(words):
        capture(' '.join(words[: i + 1]) + f' {w} {w}', title=f'Doc {i}')
    embeddings.index_pending()
    exact = [(h.id, h.score) for h in search.semantic_search('juniper iris harbor', limit=5)]
    vectors.forget()
    monkeypatch.setattr(vectors, 'MEMORY_BUDGET_MB', 0)  # what a million-message library uses
    tagged = lookups.get_or_create('tag', 'odd').id
    relations.add_tags('output', [exact[0][0]], [tagged])
    bits = [(h.id, h.score) for h in search.semantic_search('juniper iris harbor', limit=5)]
    assert vectors.index_for()._bits
    assert bits == exact  # candidates are re-scored with the float32 vectors from sqlite-vec
    filtered = search.semantic_search('juniper', limit=5, filters=SearchFilters(tags=[tagged]))
    assert [h.id for h in filtered] == [exact[0][0]]
    later = capture('juniper juniper juniper iris harbor', title='Added later')
    embeddings.index_pending()
    assert search.semantic_search('juniper iris harbor', limit=1)[0].id == later


def test_hidden_tool_traffic_is_found_by_keyword_but_not_embedded(db):
    from app.data import conversations, search
    from app.data.db import current

    conv = conversations.create_conversation('Research')
    conversations.add_message(conv, 'user', 'What is the tallest tree?')
    tool = conversations.add_message(
        conv, 'tool', 'Quoted page: Hyperion, a coast redwood', hidden=True, author_name='browser'
    )
    hits = search.search('Hyperion', mode='keyword')
    assert [(h.kind, h.id) for h in hits] == [('message', tool.id)]
    queued = (
        current()
        .execute_sql(
            "SELECT count(*) FROM embed_queue WHERE owner_kind = 'message' AND owner_id = ?", (tool.id,)
        )
        .fetchone()[0]
    )
    assert queued == 0
