"""Hostile search text: whatever a user types, FTS5 accepts the query and search returns a list."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.data import search
from tests.data.search_helpers import capture

# Characters that mean something to FTS5 or to our parser, mixed with words and any unicode.
SYNTAX = st.sampled_from(
    ['"', '-', '*', '(', ')', ':', '^', '+', ' AND ', ' OR ', ' NOT ', 'NEAR', ' ', '\\']
)
TEXT = st.lists(
    st.one_of(SYNTAX, st.sampled_from(['router', 'tea', 'x']), st.text(max_size=6)), max_size=12
).map(''.join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=TEXT)
def test_any_text_makes_a_query_fts5_accepts(db, text):
    expr = search.fts_query(text)
    if expr is not None:
        for table in ('output_fts', 'message_fts', 'prompt_fts', 'conversation_fts'):
            db.execute_sql(f'SELECT count(*) FROM {table} WHERE {table} MATCH ?', (expr,)).fetchone()
    assert isinstance(search.keyword_search(text), list)


def test_well_formed_syntax_still_narrows_results(db):
    a = capture('router firmware update', title='A')
    b = capture('router password reset', title='B')
    assert {h.id for h in search.keyword_search('router -"password reset"')} == {a}
    assert {h.id for h in search.keyword_search('"router firmware" OR password')} == {a, b}
