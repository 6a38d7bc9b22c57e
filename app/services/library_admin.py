"""Editing the lookups that administer the library — sensitivity levels (what is hidden), retention plans
and where they are set (what is purged), providers and models (where keys go, what is spent) — and
running retention, as use-cases that take the principal asking: this computer only (``app.roles``).
Other lookups (tags, collections, categories, accuracy, sources) are everyday use and pass through.
The lookup administration component and the Retention tab call these, never ``app.data`` directly."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from peewee import Model

from ..data import lookups, retention, sensitivity
from ..data.models import Provider, ProviderSetting
from ..roles import ADMIN_LOOKUPS, is_admin, require_admin

_WHAT = {
    'sensitivity': 'change sensitivity levels',
    'retention': 'change retention plans',
    'provider': 'change providers',
    'model': 'change models and prices',
}


def may_edit(principal: Any, key: str) -> bool:
    """Whether the lookup administration offers editing ``key`` rows to ``principal``."""
    return key not in ADMIN_LOOKUPS or is_admin(principal)


def _guard(principal: Any, key: str, fields: Iterable[str] = ()) -> None:
    if key in ADMIN_LOOKUPS:
        require_admin(principal, _WHAT[key])
    elif 'retention' in fields:  # a category's or collection's plan decides what gets purged
        require_admin(principal, 'set retention plans')


def _changed(key: str) -> None:
    if key == 'sensitivity':
        sensitivity.forget_cache()  # which levels are restricted is cached per process


def create(principal: Any, key: str, name: str, **fields: Any) -> Model:
    _guard(principal, key, fields)
    if key == 'provider' and fields.get('base_url'):
        from .provider_settings import check_base_url

        fields['base_url'] = check_base_url(fields['base_url'])
    row = lookups.create(key, name, **fields)
    _changed(key)
    return row


def rename(principal: Any, key: str, row_id: int, name: str) -> Model:
    _guard(principal, key)
    return lookups.rename(key, row_id, name)


def update_fields(principal: Any, key: str, row_id: int, **fields: Any) -> Model:
    _guard(principal, key, fields)
    if key != 'provider' or not ({'base_url', 'kind'} & set(fields)):
        row = lookups.update_fields(key, row_id, **fields)
        _changed(key)
        return row
    # A provider's own address: the same checks as Settings → Providers, and its stored key is forgotten
    # when the address moves to another host.
    from .provider_settings import check_base_url, effective_base_url, forget_key_if_moved

    if 'base_url' in fields:
        fields['base_url'] = check_base_url(fields['base_url'])
    prov = lookups.get('provider', row_id)
    old_url = effective_base_url(prov, ProviderSetting.get_or_none(ProviderSetting.provider == prov.id))
    row = lookups.update_fields(key, row_id, **fields)
    forget_key_if_moved(Provider.get_by_id(row_id), old_url)
    return row


def recolor(principal: Any, key: str, row_id: int, color: str | None) -> Model:
    _guard(principal, key)
    return lookups.recolor(key, row_id, color)


def merge(principal: Any, key: str, source_ids: Iterable[int], into_id: int) -> int:
    _guard(principal, key)  # merging Secret into Public would unhide every Secret item
    moved = lookups.merge(key, source_ids, into_id)
    _changed(key)
    return moved


def delete(principal: Any, key: str, row_id: int, *, reassign_to: int | None = None) -> None:
    _guard(principal, key)
    lookups.delete(key, row_id, reassign_to=reassign_to)
    _changed(key)


# --------------------------------------------------------------------------- retention


def set_plan(principal: Any, key: str, row_id: int, plan_id: int | None) -> Model:
    """Set (or clear) the retention plan of a category or collection."""
    return update_fields(principal, key, row_id, retention=plan_id)


def set_auto_purge(principal: Any, on: bool) -> None:
    require_admin(principal, 'turn automatic purging on or off')
    retention.set_auto_purge(on)


def preview_purge(principal: Any) -> retention.PurgePreview:
    require_admin(principal, 'preview a purge')
    return retention.preview()


def purge(principal: Any, only: Any = None) -> Any:
    """Move expired items to the trash now (``only``: the keys a preview showed)."""
    require_admin(principal, 'purge expired items')
    return retention.purge(trigger='manual', only=only)
