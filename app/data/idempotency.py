"""``Idempotency-Key`` for captures: the same key from the same principal stores once, a replay gets the
first answer. The key row is written in the capture's own transaction (``BEGIN IMMEDIATE``), so a crash
between the two cannot leave an output without its key (a resend would store it twice) or a key without
its output; two resends at once queue on the write lock and the second finds the first one's row."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..errors import ValidationError
from .db import current, write_tx
from .models import utcnow

KEEP_DAYS = 7
MAX_KEY_LENGTH = 200


class KeyReused(ValidationError):
    """The key was used before for a different request (HTTP 422)."""


@dataclass
class Outcome:
    response: dict[str, Any]
    replayed: bool  # True: the first request's answer, nothing was written


def principal_key(kind: str, device_id: int | None = None, token_id: int | None = None) -> str:
    """Keys are per principal: a device, a token or this computer."""
    if kind == 'device' and device_id is not None:
        return f'device:{device_id}'
    if kind == 'token' and token_id is not None:
        return f'token:{token_id}'
    return kind


def check_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise ValidationError(
            f'The Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters.'
        )
    return key


def request_hash(*parts: str | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode('utf-8') if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, 'big') + data)
    return digest.hexdigest()


def run_once(
    principal: str, key: str, fingerprint: str, make: Callable[[], tuple[int | None, dict[str, Any]]]
) -> Outcome:
    """``make()`` (which writes and returns ``(output_id, response)``) once per principal and key."""
    key = check_key(key)
    with write_tx():
        db = current()
        row = db.execute_sql(
            'SELECT request_hash, response FROM idempotency_key WHERE principal = ? AND key = ?',
            (principal, key),
        ).fetchone()
        if row is not None:
            if row[0] != fingerprint:
                raise KeyReused(
                    'This Idempotency-Key was already used for a different capture; send a new key.'
                )
            return Outcome(json.loads(row[1]), replayed=True)
        output_id, response = make()
        db.execute_sql(
            'INSERT INTO idempotency_key (principal, key, request_hash, output_id, response, created_at) '
            'VALUES (?, ?, ?, ?, ?, ?)',
            (principal, key, fingerprint, output_id, json.dumps(response), _stamp(utcnow())),
        )
    return Outcome(response, replayed=False)


def purge_expired(now: datetime | None = None, keep_days: int = KEEP_DAYS) -> int:
    """Forget keys older than ``keep_days`` (housekeeping, daily)."""
    cutoff = (now or utcnow()) - timedelta(days=keep_days)
    with write_tx():
        cursor = current().execute_sql('DELETE FROM idempotency_key WHERE created_at < ?', (_stamp(cutoff),))
        return cursor.rowcount or 0


def _stamp(value: datetime) -> str:
    return value.isoformat(sep=' ')


def count(principal: str | None = None) -> int:
    if principal is None:
        return current().execute_sql('SELECT COUNT(*) FROM idempotency_key').fetchone()[0]
    sql = 'SELECT COUNT(*) FROM idempotency_key WHERE principal = ?'
    return current().execute_sql(sql, (principal,)).fetchone()[0]
