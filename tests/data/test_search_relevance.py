"""Relevance against the real embedded model (all-MiniLM-L6-v2), loaded once per test session.

Paraphrases defeat keyword search; semantic search finds them; hybrid does at least as well as the
better of the two on the whole labelled set (paraphrases plus exact identifiers).
"""

from __future__ import annotations

import pytest

from app.data import embeddings, search
from app.errors import ValidationError

from . import relevance_set as labelled
from .search_helpers import capture, chat


@pytest.fixture(scope='session')
def real_model() -> embeddings.Embedder:
    model = embeddings.get_embedder(embeddings.DEFAULT_MODEL)
    model.load()  # the ~10 s import happens once for the whole session
    return model


def reciprocal_rank(hits: list[search.SearchHit], target: tuple[str, int]) -> float:
    for rank, hit in enumerate(hits, start=1):
        if (hit.kind, hit.id) == target:
            return 1.0 / rank
    return 0.0


def test_semantic_finds_paraphrases_keyword_misses_and_hybrid_is_best(db, real_model):
    targets = {key: ('output', capture(body, title=title)) for key, (title, body) in labelled.ITEMS.items()}
    _, (_, answer) = chat(*labelled.CHAT)
    targets['chat'] = ('message', answer)
    for title, body in labelled.DISTRACTORS:
        capture(body, title=title)
    assert embeddings.index_pending().embedded == len(labelled.ITEMS) + len(labelled.DISTRACTORS) + 2

    def scores(queries):
        out = {}
        for mode in search.MODES:
            rr = [reciprocal_rank(search.search(q, mode=mode, limit=5), targets[key]) for q, key in queries]
            out[mode] = {'mrr': sum(rr) / len(rr), 'hit3': sum(r >= 1 / 3 for r in rr) / len(rr)}
        return out

    para = scores(labelled.PARAPHRASES)
    assert para['keyword']['hit3'] <= 0.2, para
    assert para['semantic']['hit3'] >= 0.8, para
    assert para['hybrid']['hit3'] >= 0.8, para

    exact = scores(labelled.EXACT)
    assert exact['keyword']['hit3'] == 1.0, exact

    everything = scores(labelled.PARAPHRASES + labelled.EXACT)
    for metric in ('mrr', 'hit3'):
        best_single = max(everything['keyword'][metric], everything['semantic'][metric])
        assert everything['hybrid'][metric] >= best_single, everything


def test_long_texts_are_chunked_to_fit_the_model(real_model):
    text = ' '.join(f'Paragraph {i} talks about subject number {i} in some detail.' for i in range(300))
    chunks = real_model.chunks(text)
    assert len(chunks) > 5
    for chunk in chunks:
        assert len(real_model.token_spans(chunk.text)) <= real_model.max_tokens  # fits 256 with [CLS]/[SEP]
        assert text[chunk.start : chunk.end] == chunk.text
    assert all(b.start < a.end for a, b in zip(chunks, chunks[1:], strict=False))  # they overlap
    assert chunks[-1].end == len(text)


def test_a_model_that_is_not_available_offline_is_refused(db, real_model):
    with pytest.raises(ValidationError, match='Cannot load the embedding model'):
        embeddings.set_model('/no/such/model-folder')
    assert embeddings.model_setting() == embeddings.DEFAULT_MODEL
