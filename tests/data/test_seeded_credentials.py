"""Seeded databases hold no usable credential: the seed is public code, so whatever it derives from its
random generator anyone can recompute. Older seeded databases get their seeded tokens and devices
revoked by a migration."""

from __future__ import annotations

import hashlib
from datetime import datetime

import pytest

from app.data import access, demo, migrations, outputs
from app.data import db as dbmod
from app.data.demo import small_tables as demo_small_tables
from app.data.models import ApiToken, Device


class _Recorder:
    """Stands in for ``hashlib`` where the demo hashes its example tokens (``demo.small_tables``): keeps
    every token the seed hashed, which is exactly what an attacker rerunning the public seed code would
    know."""

    def __init__(self) -> None:
        self.tokens: list[str] = []

    def sha256(self, data: bytes = b''):
        text = data.decode('utf-8', 'replace')
        if text.startswith(access.TOKEN_PREFIX):
            self.tokens.append(text)
        return hashlib.sha256(data)

    def __getattr__(self, name: str):
        return getattr(hashlib, name)


def test_tokens_a_seed_makes_cannot_be_used(db, monkeypatch: pytest.MonkeyPatch) -> None:
    recorder = _Recorder()
    monkeypatch.setattr(demo_small_tables, 'hashlib', recorder)
    counts = demo.seed(outputs=20)
    assert counts['api_tokens'] > 0 and recorder.tokens, 'the demo still shows example tokens'
    assert all(access.find_token(token) is None for token in recorder.tokens)
    # and no token anyone could present matches a stored hash
    assert all(not row.token_hash.isalnum() for row in ApiToken.select())


def test_devices_a_seed_makes_are_revoked(db) -> None:
    counts = demo.seed(outputs=20)
    assert counts['devices'] > 0
    assert [d.id for d in Device.select()] and all(
        access.active_device(d.id) is None for d in Device.select()
    )


def test_seeding_into_a_library_adds_no_tokens_or_devices(db) -> None:
    outputs.capture_output(outputs.CaptureData(body='my own note', title='Mine'))
    counts = demo.seed(outputs=10)
    assert counts['api_tokens'] == counts['devices'] == 0
    assert ApiToken.select().count() == Device.select().count() == 0


def test_the_migration_revokes_credentials_older_seeds_made(db_path) -> None:
    names = migrations.all_names()
    before = names[names.index('0007_revoke_seeded_credentials') - 1]
    raw = dbmod.open_database(db_path)
    migrations.upgrade(raw, target=before)
    seeded_token = 'oh_' + 'a' * 40
    mine_token = 'oh_' + 'b' * 40
    later_token = 'oh_' + 'c' * 40
    old = '2025-03-04 10:00:00'
    rows = [
        ('Tasker on Pixel', seeded_token, old),  # what an older seed made
        ('My script', mine_token, old),  # the user's own
        ('Browser clipper', later_token, '2026-11-20 08:00:00'),  # the user's own, after the seed date
    ]
    for name, token, created in rows:
        raw.execute_sql(
            'INSERT INTO api_token (name, token_hash, prefix, scope, allow_restricted, created_at, updated_at) '
            "VALUES (?, ?, ?, 'write', 1, ?, ?)",
            (name, hashlib.sha256(token.encode()).hexdigest(), token[:8], created, created),
        )
    for name, created in (('Pixel 8', old), ('My phone', old)):
        raw.execute_sql(
            'INSERT INTO device (name, allow_restricted, created_at, updated_at) VALUES (?, 1, ?, ?)',
            (name, created, created),
        )
    raw.close()

    dbmod.connect(db_path)
    assert access.find_token(seeded_token) is None
    assert access.find_token(mine_token) is not None
    assert access.find_token(later_token) is not None
    revoked = ApiToken.get(ApiToken.name == 'Tasker on Pixel')
    assert isinstance(revoked.revoked_at, datetime)
    devices = {d.name: d for d in Device.select()}
    assert access.active_device(devices['Pixel 8'].id) is None
    assert access.active_device(devices['My phone'].id) is not None
    dbmod.close()
