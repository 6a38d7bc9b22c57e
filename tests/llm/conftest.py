"""Fixtures for model-provider tests: a fake server on 127.0.0.1, fast SDK retries, a file key store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .fake_llm_server import FakeLLMServer, point_providers_at


@pytest.fixture(autouse=True)
def _llm_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # Never touch a developer's real keyring; keep 429/timeout tests quick.
    monkeypatch.setenv('OUTPUTHUB_KEYSTORE', 'file')
    monkeypatch.setenv('OUTPUTHUB_LLM_MAX_RETRIES', '0')
    monkeypatch.setenv('OUTPUTHUB_LLM_TIMEOUT', '5')


@pytest.fixture
def fake_llm() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


@pytest.fixture
def chat_env(db: Any, fake_llm: FakeLLMServer) -> dict[str, Any]:
    """A database whose OpenAI and Anthropic providers point at the fake server, with a stored key."""
    env = point_providers_at(fake_llm)
    env['server'] = fake_llm
    return env
