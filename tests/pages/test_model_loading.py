"""The app never waits for the embedding model: it loads in the background at start-up (through the
indexer service's real loading path), pages answer meanwhile, and a search by meaning says the model is
still loading and shows the results by words; once loaded, meaning joins in."""

from __future__ import annotations

import threading
import time
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


class SlowHashing(embeddings.HashingEmbedder):
    """Takes a while per batch, as the real model does (~0.5 s for 16 long texts on one thread)."""

    def encode(self, texts):
        time.sleep(0.2)  # the model's own work, not a test waiting for something
        return super().encode(texts)


async def test_the_import_report_shows_the_backlog_and_the_time_left_while_it_indexes(
    db, monkeypatch, tmp_path
) -> None:
    from tests.data.export_builders import linear_conversation, write_json

    slow = SlowHashing(48)
    slow.name = 'test:slow-hashing-page'
    embeddings.use_embedder(slow)
    embeddings.set_model(slow.name, load=False)
    embeddings.reset_index(slow)
    export = write_json(
        tmp_path / 'conversations.json',
        [linear_conversation(f'c{i}', turns=10, title=f'Chat {i}') for i in range(12)],  # 240 messages
    )
    monkeypatch.setenv('OUTPUTHUB_INDEXER', '1')
    async with user_simulation(main_file=MAIN) as user:
        await user.open('/import')
        user.find(marker='import-path').clear().type(str(export))
        user.find(marker='import-path-go').click()
        await until(
            lambda: any(', less than a minute' in t and ' items left' in t for t in _labels(user)),
            timeout=20,
            what='the backlog with the time left',
        )
        shown = next(t for t in _labels(user) if ' items left' in t)
        left = int(shown.split(': ')[1].split(' items')[0].replace(',', ''))
        assert shown.startswith('Indexing for search by meaning: ') and 0 < left <= 240
