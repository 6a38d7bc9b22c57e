"""The vector mirror's sign-bit pre-filter (large libraries): same results as the exact scan, kept in
step with the store, and a measured recall on a fixed seeded set."""

from __future__ import annotations

import numpy as np

from app.data import embeddings, entities, lookups, relations, search, vectors
from app.data.search import SearchFilters

from .search_helpers import capture, use_hashing_model

WORDS = ['amber', 'basalt', 'cedar', 'delta', 'ember', 'fjord', 'granite', 'harbor', 'iris', 'juniper']


def _library() -> list[int]:
    use_hashing_model()
    ids = [capture(' '.join(WORDS[: i + 1]) + f' {w} {w}', title=f'Doc {i}') for i, w in enumerate(WORDS)]
    embeddings.index_pending()
    return ids


def _spy(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = vectors.VectorIndex._candidates

    def counting(self, words, q, r, fit):
        calls.append(r)
        return real(self, words, q, r, fit)

    monkeypatch.setattr(vectors.VectorIndex, '_candidates', counting)
    return calls


def test_the_pre_filter_finds_what_the_exact_scan_finds_and_follows_the_store(db, monkeypatch):
    ids = _library()
    exact = [(h.id, h.score) for h in search.semantic_search('juniper iris harbor', limit=5)]
    vectors.forget()
    monkeypatch.setattr(vectors, 'PREFILTER_MIN_ROWS', 0)  # as a library of 20,000+ chunks is searched
    calls = _spy(monkeypatch)
    got = [(h.id, h.score) for h in search.semantic_search('juniper iris harbor', limit=5)]
    assert vectors.index_for().prefilter_recall == 1.0  # measured on load: every row is a candidate here
    assert len(calls) > vectors.CHECK_QUERIES, 'the sign-bit pre-filter was not used'
    assert [i for i, _ in got] == [i for i, _ in exact]
    assert all(abs(a - b) < 1e-5 for (_, a), (_, b) in zip(got, exact, strict=True))  # re-scored exactly
    assert not vectors.index_for()._bits  # a float mirror, searched through its sign bits

    # A filter narrower than the candidates is scored exactly on its own rows.
    tagged = lookups.get_or_create('tag', 'odd').id
    relations.add_tags('output', [ids[2]], [tagged])
    filtered = search.semantic_search('juniper', limit=5, filters=SearchFilters(tags=[tagged]))
    assert [h.id for h in filtered] == [ids[2]]

    # New rows get sign bits as they are loaded; a re-embedded output's old chunks never come back.
    later = capture('juniper juniper juniper iris harbor', title='Added later')
    embeddings.index_pending()
    assert search.semantic_search('juniper iris harbor', limit=1)[0].id == later
    entities.update_item('output', later, body='granite fjord basalt, nothing else')
    embeddings.index_pending()
    hits = search.semantic_search('juniper iris harbor', limit=12)
    assert later not in [h.id for h in hits[:3]]
    assert len({h.id for h in hits}) == len(hits)

    # Trashed and deleted-for-good outputs are not found.
    entities.trash('output', [exact[0][0]])
    assert exact[0][0] not in [h.id for h in search.semantic_search('juniper iris harbor', limit=12)]
    entities.trash('output', [exact[1][0]])
    entities.delete_forever('output', [exact[1][0]])
    embeddings.index_pending()
    assert exact[1][0] not in [h.id for h in search.semantic_search('juniper iris harbor', limit=12)]


def test_a_mirror_whose_sign_bits_do_not_find_the_neighbours_keeps_the_exact_scan(db, monkeypatch):
    _library()  # builtin:hashing vectors are sparse: their sign bits say little
    exact = [(h.id, h.score) for h in search.semantic_search('juniper iris harbor', limit=5)]
    vectors.forget()
    monkeypatch.setattr(vectors, 'PREFILTER_MIN_ROWS', 0)
    # Fewer candidates than rows, so the Hamming pass decides which rows are re-scored.
    monkeypatch.setattr(vectors, 'prefilter_candidates', lambda rows, wanted: min(rows, 6))
    got = [(h.id, h.score) for h in search.semantic_search('juniper iris harbor', limit=5)]
    assert vectors.index_for().prefilter_recall < vectors.PREFILTER_RECALL
    assert got == exact


def _clustered(rng: np.random.Generator, n: int, dim: int = 384) -> np.ndarray:
    """Unit vectors around 200 topics sharing a mean direction (like sentence embeddings, unlike noise)."""
    mean = rng.normal(0, 1, dim)
    topics = rng.normal(0, 1, (200, dim)) + 1.5 * mean
    mat = topics[rng.integers(0, 200, n)] + rng.normal(0, 1.1, (n, dim))
    return (mat / np.linalg.norm(mat, axis=1, keepdims=True)).astype(np.float32)


def test_recall_at_10_of_the_pre_filter_on_a_fixed_seeded_set(monkeypatch):
    rng = np.random.default_rng(18)
    n = 40_000
    mat = _clustered(rng, n + 40)
    data, queries = mat[:n], mat[n:]
    index = vectors.VectorIndex()
    index._reset(('test', 1, 384), 384)
    index._reserve(n, n)
    index._append(np.arange(1, n + 1), np.ones(n, np.int8), np.arange(1, n + 1), data)
    index._check_prefilter()  # what sync does once the mirror is large enough
    assert index.prefilter_recall >= vectors.PREFILTER_RECALL
    calls = _spy(monkeypatch)
    recalls = []
    for q in queries:
        want = set((np.argsort(-(data @ q))[:10] + 1).tolist())
        got = index.top(q, 30)  # what a 10-item search asks for
        recalls.append(len(want & set(got.chunk_ids[:10].tolist())) / 10)
    assert len(calls) == len(queries) and calls[0] < n // 10  # the pre-filter ran, on a few candidates
    assert np.mean(recalls) >= 0.97, np.mean(recalls)
