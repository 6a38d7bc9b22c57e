"""Who may reach the app from elsewhere: paired devices (phones) and REST API bearer tokens.

Only a SHA-256 hash of a token is stored (tokens are long random strings, so a fast hash is
enough); the plain token is shown once, when it is created. No NiceGUI here.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..errors import NotFound, ValidationError
from .db import write_tx
from .models import ApiToken, Device, utcnow

TOKEN_PREFIX = 'oh_'
SCOPES = ('read', 'write')
# last_used_at / last_seen_at are written at most this often per token or device (a phone polls often).
TOUCH_EVERY = timedelta(minutes=1)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode('utf-8')).hexdigest()


@dataclass(frozen=True)
class NewToken:
    """A token just made: ``token`` is the only time the plain value exists."""

    row: ApiToken
    token: str


def create_token(name: str, scope: str = 'read', *, allow_restricted: bool = False) -> NewToken:
    name = (name or '').strip()
    if not name:
        raise ValidationError('Give the token a name, e.g. the phone or script that will use it.')
    if scope not in SCOPES:
        raise ValidationError('A token is either read-only ("read") or read-write ("write").')
    token = TOKEN_PREFIX + secrets.token_urlsafe(30)
    with write_tx():
        row = ApiToken.create(
            name=name[:100],
            token_hash=token_hash(token),
            prefix=token[:8],
            scope=scope,
            allow_restricted=bool(allow_restricted),
        )
    return NewToken(row, token)


def list_tokens(*, include_revoked: bool = True) -> list[ApiToken]:
    q = ApiToken.select()
    if not include_revoked:
        q = q.where(ApiToken.revoked_at.is_null())
    return list(q.order_by(ApiToken.revoked_at.is_null(False), ApiToken.created_at.desc()))


def revoke_token(token_id: int) -> None:
    with write_tx():
        if ApiToken.get_or_none(ApiToken.id == token_id) is None:
            raise NotFound('That API token no longer exists.')
        ApiToken.update(revoked_at=utcnow()).where(
            (ApiToken.id == token_id) & ApiToken.revoked_at.is_null()
        ).execute()


def find_token(token: str) -> ApiToken | None:
    """The unrevoked token row for a presented bearer token, or None."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = ApiToken.get_or_none(ApiToken.token_hash == token_hash(token))
    if row is None or row.revoked_at is not None:
        return None
    return row


def touch_token(token_id: int, last_used_at: datetime | None) -> None:
    now = utcnow()
    if last_used_at is not None and now - last_used_at < TOUCH_EVERY:
        return
    with write_tx():
        ApiToken.update(last_used_at=now).where(ApiToken.id == token_id).execute()


# --------------------------------------------------------------------------- devices


def create_device(name: str, user_agent: str = '', *, allow_restricted: bool = False) -> Device:
    name = (name or '').strip() or 'Device'
    now = utcnow()
    with write_tx():
        return Device.create(
            name=name[:100],
            user_agent=(user_agent or '')[:500] or None,
            allow_restricted=bool(allow_restricted),
            last_seen_at=now,
        )


def list_devices(*, include_revoked: bool = True) -> list[Device]:
    q = Device.select()
    if not include_revoked:
        q = q.where(Device.revoked_at.is_null())
    return list(
        q.order_by(Device.revoked_at.is_null(False), Device.last_seen_at.desc(nulls='LAST'), Device.id.desc())
    )


def get_device(device_id: int) -> Device | None:
    return Device.get_or_none(Device.id == device_id)


def active_device(device_id: int) -> Device | None:
    """The device if it exists and is not revoked."""
    device = get_device(device_id)
    return device if device is not None and device.revoked_at is None else None


def revoke_device(device_id: int) -> None:
    with write_tx():
        if Device.get_or_none(Device.id == device_id) is None:
            raise NotFound('That device no longer exists.')
        Device.update(revoked_at=utcnow()).where(
            (Device.id == device_id) & Device.revoked_at.is_null()
        ).execute()


def rename_device(device_id: int, name: str) -> None:
    name = (name or '').strip()
    if not name:
        raise ValidationError('A device needs a name.')
    with write_tx():
        Device.update(name=name[:100], updated_at=utcnow()).where(Device.id == device_id).execute()


def set_device_restricted(device_id: int, allow: bool) -> None:
    with write_tx():
        Device.update(allow_restricted=bool(allow), updated_at=utcnow()).where(
            Device.id == device_id
        ).execute()


def set_device_admin(device_id: int, admin: bool) -> None:
    with write_tx():
        if Device.get_or_none(Device.id == device_id) is None:
            raise NotFound('That device no longer exists.')
        Device.update(is_admin=bool(admin), updated_at=utcnow()).where(Device.id == device_id).execute()


def set_token_restricted(token_id: int, allow: bool) -> None:
    with write_tx():
        ApiToken.update(allow_restricted=bool(allow), updated_at=utcnow()).where(
            ApiToken.id == token_id
        ).execute()


def touch_device(device_id: int, last_seen_at: datetime | None) -> None:
    now = utcnow()
    if last_seen_at is not None and now - last_seen_at < TOUCH_EVERY:
        return
    with write_tx():
        Device.update(last_seen_at=now).where(Device.id == device_id).execute()
