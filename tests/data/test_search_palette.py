"""Search as you type: plain-text snippets, grouped quick results with the last word as a prefix, one row
per item, and the relevance floor of search by meaning (with the bundled model on the labelled set)."""

from __future__ import annotations

import pytest

from app.data import agents, embeddings, lookups, search

from . import relevance_set as labelled
from .search_helpers import capture, chat, use_hashing_model

MARKDOWN = (
    '## Rotating the API keys\n\n'
    'Run **`rotate-keys --all`** first, then _restart_ the workers.\n\n'
    '| service | key age |\n|---|---:|\n| billing | 90 days |\n\n'
    '> Note: keys rotate nightly.\n'
)


def _syntax_free(text: str) -> None:
    for mark in ('##', '**', '`', '|', '> '):
        assert mark not in text, (mark, text)


def test_snippets_are_plain_text_by_words_and_by_meaning(db):
    oid = capture(MARKDOWN, title='Key rotation')
    use_hashing_model()
    for mode in search.MODES:
        hits = search.search('rotate keys billing', mode=mode, limit=5)
        hit = next(h for h in hits if (h.kind, h.id) == ('output', oid))
        _syntax_free(hit.snippet)
        assert 'billing' in hit.snippet and 'rotate-keys --all' in hit.snippet
    (row,) = search.quick_search('billing')['output']
    _syntax_free(row.hit.snippet)
    assert '<mark>billing</mark>' in row.hit.snippet_html


def test_quick_search_groups_kinds_and_finds_the_word_being_typed(db):
    out = capture('Tuning postgres autovacuum for large tables', title='Postgres tuning')
    conv, _ = chat('Postgres questions', 'Is postgres faster than mysql?', 'For this load postgres wins.')
    tag = lookups.get_or_create('tag', 'postgres')
    coll = lookups.get_or_create('collection', 'Postgres notes')
    agent = agents.create_agent('Postgres helper', 'You tune databases.')
    found = search.quick_search('postg')  # "postg" is not a word of any text: the prefix finds them
    assert list(found) == ['output', 'conversation', 'agent', 'tag', 'collection']
    assert [r.id for r in found['output']] == [out]
    assert [r.id for r in found['conversation']] == [conv]  # its title and two messages: one row
    assert found['conversation'][0].matches == 3
    assert [r.id for r in found['agent']] == [agent.id]
    assert [r.url for r in found['tag']] == [f'/tags/{tag.id}']
    assert [r.url for r in found['collection']] == [f'/collections/{coll.id}']
    assert search.quick_search('postgres ') == found  # a finished word: same items
    assert 'output' not in search.quick_search('p')  # one letter is not a word prefix yet (names still match)


def test_quick_search_caps_rows_per_kind(db):
    for i in range(12):
        capture(f'Kubernetes note {i}', title=f'Kubernetes {i}')
    assert len(search.quick_search('kube', per_kind=5)['output']) == 5


def test_one_row_per_item_keeps_the_best_snippet_and_every_label(db):
    conv, msgs = chat('Vacuum schedule', 'Vacuum weekly?', 'Vacuum nightly, and vacuum after bulk deletes.')
    use_hashing_model()
    hits = search.search('vacuum', mode='hybrid', limit=20)
    assert sum(1 for h in hits if search.item_key(h) == ('conversation', conv)) > 1  # the duplication
    rows = [r for r in search.one_per_item(hits) if (r.kind, r.id) == ('conversation', conv)]
    assert len(rows) == 1
    assert rows[0].matched == 'both' and rows[0].hit.highlights
    assert rows[0].url.startswith(f'/conversations/{conv}?m=')


@pytest.fixture(scope='module')
def bundled_model() -> embeddings.Embedder:
    model = embeddings.get_embedder(embeddings.DEFAULT_MODEL)
    model.load()  # once per test session (the relevance test shares the instance)
    return model


def test_the_meaning_floor_drops_a_made_up_code_but_keeps_real_matches(db, bundled_model):
    targets = {key: capture(body, title=title) for key, (title, body) in labelled.ITEMS.items()}
    for title, body in labelled.DISTRACTORS:
        capture(body, title=title)
    embeddings.index_pending()
    assert search.meaning_floor(embeddings.DEFAULT_MODEL) > 0
    assert search.semantic_search('ERR_ZX_4471_QQ', limit=10) == []
    assert [h.id for h in search.hybrid_search('ERR_ZX_4471_QQ', limit=10)] == []  # no word matches either
    assert search.meaning_matches('ERR_ZX_4471_QQ') == []
    for query, key in labelled.PARAPHRASES:
        if key in targets:  # the weakest real match of the set still counts (0.313 against a 0.305 floor)
            assert search.semantic_search(query, limit=3)[0].id == targets[key], query
    assert [r.id for r in search.meaning_matches('herb dying, pale foliage')][:1] == [targets['plants']]


def test_quick_search_for_a_device_leaves_secret_items_out(db):
    from app.data import entities
    from app.data.models import SensitivityLevel

    secret = SensitivityLevel.get(SensitivityLevel.name == 'Secret').id
    hidden = capture('salary bands for 2026', title='Salary bands', sensitivity_id=secret)
    shown = capture('salary survey summary', title='Salary survey')
    conv, _ = chat('Salary talk', 'my salary is private')
    entities.update_item('conversation', conv, sensitivity=secret)
    agent = agents.create_agent('Salary coach', 'You coach salary talks.')
    entities.update_item('agent', agent.id, sensitivity=secret)
    everyone = search.quick_search('salary')
    assert (
        {r.id for r in everyone['output']} == {hidden, shown}
        and everyone['conversation']
        and everyone['agent']
    )
    phone = search.quick_search('salary', filters=search.SearchFilters(exclude_restricted=True))
    assert list(phone) == ['output'] and [r.id for r in phone['output']] == [shown]


def test_the_prefix_index_migration_rebuilds_what_the_triggers_index(db):
    """Run 0010 again over a library with a trashed output, a hidden message and NULL notes: searching,
    restoring, editing and deleting afterwards keep the index right (a wrong 'delete' corrupts FTS5)."""
    import importlib

    from app.data import entities

    live = capture('zebracorn lives here', title='Zebracorn')
    gone = capture('zebracorn in the trash', title='Trashed zebracorn')
    entities.trash('output', [gone])
    conv, (msg,) = chat('Zebracorn chat', 'zebracorn question')
    db.execute_sql('UPDATE message SET hidden = 1 WHERE id = ?', (msg,))
    importlib.import_module('app.data.migrations.0010_fts_prefix_index').up(None, db)
    words = search.SearchFilters(kinds=['output', 'message'])
    assert {(h.kind, h.id) for h in search.keyword_search('zebrac*', filters=words)} == {
        ('output', live),
        ('message', msg),
    }
    entities.restore('output', [gone])
    entities.update_item('output', live, body='zebracorn moved')
    assert {
        h.id for h in search.keyword_search('zebracorn', filters=search.SearchFilters(kinds=['output']))
    } == {
        live,
        gone,
    }
    entities.trash('output', [live, gone])
    entities.delete_forever('output', [live, gone])
    assert list(search.quick_search('ze')) == ['conversation']  # "ze" is a prefix: the message is left
    for table in ('output_fts', 'message_fts'):  # every output is gone: its index must be empty too
        db.execute_sql(f"INSERT INTO {table}({table}, rank) VALUES('integrity-check', 1)")  # vs. the rows
    assert db.execute_sql('PRAGMA quick_check').fetchone() == ('ok',)
