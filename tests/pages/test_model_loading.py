"""The app never waits for the embedding model: it loads in the background at start-up (through the
indexer service's real loading path), pages answer meanwhile, and a search by meaning says the model is
still loading and shows the results by words; once loaded, meaning joins in."""

from __future__ import annotations

import threading
from pathlib import Path

from nicegui import ui
from nicegui.testing.user_simulation import user_simulation

from app.data import embeddings, settings_store
from tests.data.search_helpers import capture
from tests.waits import until

MAIN = Path(__file__).resolve().parent.parent.parent / 'main.py'


class SlowLoading(embeddings.HashingEmbedder):
    """A model whose load takes as long as the test wants (the real one takes ~10 s on a fresh start)."""

    def __init__(self) -> None:
        super().__init__(384)
        self.name = 'test:slow-loading-page'
        self.release = threading.Event()
        self._loaded = False

    @property
    def loaded(self) -> bool:
        return self._loaded

    def load(self) -> None:
        self.release.wait(30)
        self._loaded = True


def _labels(user) -> list[str]:
    return [getattr(e, 'text', '') for e in user.find(kind=ui.label).elements]


async def test_pages_and_search_answer_while_the_model_is_still_loading(db, monkeypatch) -> None:
    slow = SlowLoading()
    embeddings.use_embedder(slow)
    settings_store.put(embeddings.MODEL_SETTING, slow.name)
    embeddings.reset_index(slow)
    oid = capture('Vacuum the SQLite database weekly', title='Maintenance')
    embeddings.index_pending()  # embedded at an earlier run; this start-up has to load the model again
    monkeypatch.setenv('OUTPUTHUB_INDEXER', '1')
    try:
        async with user_simulation(main_file=MAIN) as user:
            await until(lambda: slow.background_loading, what='the model to start loading in the background')
            await user.open('/')
            await user.should_see('Your library:')
            await user.open('/search?q=vacuum+database')
            await user.should_see('still loading')  # says so …
            await user.should_see('1 result, best first')  # … and answers by words
            assert not slow.loaded
            html_blocks = [e.content for e in user.find(kind=ui.html).elements]
            assert any(f'/outputs/{oid}' in b and 'matches your words' in b for b in html_blocks)

            slow.release.set()
            await until(lambda: embeddings.is_ready(), what='the model to finish loading')
            await user.open('/search?q=vacuum+database')
            await user.should_see('1 result, best first')
            assert not any('still loading' in t for t in _labels(user))
            html_blocks = [e.content for e in user.find(kind=ui.html).elements]
            assert any('similar in meaning' in b for b in html_blocks)  # meaning joined in
    finally:
        slow.release.set()

