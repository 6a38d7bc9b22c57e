"""Restoring a backup is one use-case in the backups service: it checks who asks, replaces the library,
and brings the running app up to date (cached restricted levels, the indexer) without a page's help."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from app import auth, config
from app.data import backup, embeddings, outputs, sensitivity
from app.data.models import SensitivityLevel
from app.errors import PermissionDenied
from app.services import backups as backup_service
from app.services.indexing import Indexer

from .data.search_helpers import use_hashing_model


def _wait_for(predicate, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_restore_forgets_cached_restricted_levels_at_once(db, tmp_path) -> None:
    info = backup.backup_database(tmp_path / 'before.db')  # "Secret" is restricted in it
    SensitivityLevel.update(restricted=False).execute()
    sensitivity.forget_cache()
    assert sensitivity.restricted_levels() == {}  # cached for a moment now
    backup_service.restore(auth.LOCAL, Path(info.path))
    assert [lv.name for lv in sensitivity.restricted_levels().values()] == ['Secret']


def test_restore_wakes_the_indexer_for_text_without_vectors(db, tmp_path) -> None:
    use_hashing_model()
    indexer = Indexer(poll_interval=60.0)  # without a wake-up it would not look for a minute
    indexer.start()
    try:
        assert _wait_for(lambda: indexer.progress().state == 'idle')
        outputs.capture_output(outputs.CaptureData(body='tide pools at dawn'))
        info = backup.backup_database(tmp_path / 'pending.db')  # holds the output, not yet embedded
        assert embeddings.pending_count() == 1
        backup_service.restore(auth.LOCAL, Path(info.path), indexer)
        assert _wait_for(lambda: embeddings.pending_count() == 0, 10)
    finally:
        assert indexer.stop()


def test_only_this_computer_restores(db, tmp_path) -> None:
    info = backup.backup_database(tmp_path / 'b.db')
    phone = auth.Principal('device', 'write', True, device_id=1, name='phone')
    with pytest.raises(PermissionDenied):
        backup_service.restore(phone, Path(info.path))


def test_on_off_switches_read_one_way(monkeypatch) -> None:
    for value, expected in (
        ('1', True),
        ('on', True),
        ('TRUE', True),
        (' yes ', True),
        ('0', False),
        ('off', False),
        ('False', False),
        ('no', False),
        ('', None),
        ('maybe', None),
    ):
        monkeypatch.setenv('OUTPUTHUB_SOMETHING', value)
        for default in (True, False):
            assert config.env_flag('OUTPUTHUB_SOMETHING', default) is (
                default if expected is None else expected
            )
    monkeypatch.delenv('OUTPUTHUB_SOMETHING')
    assert config.env_flag('OUTPUTHUB_SOMETHING', True) is True
    monkeypatch.setenv('OUTPUTHUB_TRUST_LOOPBACK', 'off')  # was read as "on" (only '0' counted)
    monkeypatch.setenv('OUTPUTHUB_LAN', 'true')  # was read as "off" (only '1' counted)
    settings = config.settings_from_env()
    assert settings.lan and not settings.trust_loopback
