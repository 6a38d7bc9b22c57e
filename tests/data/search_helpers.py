"""Small builders shared by the search tests (plain functions: no fixtures hidden in a conftest)."""

from __future__ import annotations

from app.data import conversations, embeddings, outputs, search, settings_store

HASHING = 'builtin:hashing-384'


def use_hashing_model() -> None:
    """Index with the built-in bag-of-words embedder: deterministic, instant, no model load."""
    settings_store.put(embeddings.MODEL_SETTING, HASHING)
    embeddings.index_pending()


def capture(body: str, title: str = '', **fields) -> int:
    return outputs.capture_output(outputs.CaptureData(body=body, title=title, **fields)).id


def chat(title: str, *texts: str) -> tuple[int, list[int]]:
    """A conversation alternating user / assistant messages."""
    conv = conversations.create_conversation(title)
    ids = []
    for i, text in enumerate(texts):
        ids.append(conversations.add_message(conv, 'user' if i % 2 == 0 else 'assistant', text).id)
    return conv.id, ids


def found(query: str, mode: str = 'keyword', **filters) -> set[tuple[str, int]]:
    f = search.SearchFilters(**filters) if filters else None
    return {(h.kind, h.id) for h in search.search(query, mode=mode, filters=f, limit=50)}
