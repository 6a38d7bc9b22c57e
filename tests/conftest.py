"""Shared fixtures: every test gets its own data directory and database file."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.data import db as dbmod


@pytest.fixture(scope='session', autouse=True)
def _one_model_export_per_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The bundled model's ONNX export (~5 s, app/data/embeddings.py) is made once per test session, in a
    folder of its own, instead of in every test's data dir (a fresh clone still exports it once, offline)."""
    from app.data import embeddings

    embeddings.MODEL_CACHE = tmp_path_factory.mktemp('model-cache')
    yield
    embeddings.MODEL_CACHE = None


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the user data dir and default database at a temporary folder (never the real one)."""
    data = tmp_path / 'data'
    data.mkdir()
    monkeypatch.setenv('OUTPUTHUB_DATA_DIR', str(data))
    monkeypatch.setenv('OUTPUTHUB_DB', str(data / 'outputhub.db'))
    monkeypatch.delenv('OUTPUTHUB_DEMO', raising=False)
    # No test loads the embedding model by accident (~10 s); a test that wants the indexer sets it to 1.
    monkeypatch.setenv('OUTPUTHUB_INDEXER', '0')
    # Nor posts webhooks from an app a page test started (tests/test_webhooks.py makes its own workers; a
    # test that wants the app's worker sets it to 1).
    monkeypatch.setenv('OUTPUTHUB_WEBHOOKS', '0')
    monkeypatch.delenv('OPENAI_API_KEY', raising=False)
    monkeypatch.delenv('ANTHROPIC_API_KEY', raising=False)
    monkeypatch.setenv('OUTPUTHUB_KEYSTORE', 'file')  # never touch a developer's real keyring
    monkeypatch.setenv('OUTPUTHUB_LLM_MAX_RETRIES', '0')
    # NiceGUI's user fixture talks to the app as http://test; a single-label name is refused otherwise.
    monkeypatch.setenv('OUTPUTHUB_ALLOWED_HOSTS', 'test')
    yield data
    dbmod.close()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return Path(os.environ['OUTPUTHUB_DB'])


@pytest.fixture
def db(db_path: Path) -> Iterator[dbmod.HubDatabase]:
    """A fresh, migrated database with default lookups, bound to the models."""
    database = dbmod.connect(db_path)
    yield database
    database.close()
