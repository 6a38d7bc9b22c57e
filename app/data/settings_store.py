"""Small app settings kept in the database (UI preferences, sticky capture fields, feature options).

State lives in SQLite rather than cookies: the native window forgets cookies on every launch.
"""

from __future__ import annotations

from typing import Any

from .db import write_tx
from .models import AppSetting, utcnow


def get(key: str, default: Any = None) -> Any:
    row = AppSetting.get_or_none(AppSetting.key == key)
    return default if row is None or row.value is None else row.value


def put(key: str, value: Any) -> None:
    with write_tx():
        AppSetting.insert(key=key, value=value, updated_at=utcnow()).on_conflict_replace().execute()


def delete(key: str) -> None:
    with write_tx():
        AppSetting.delete().where(AppSetting.key == key).execute()
