"""Who may do what, defined once: *this computer* (the trusted desktop on the loopback address, or the app
when it is not on the LAN at all) administers, and so does a paired device this computer made an
administrator; any other *device* or an API *token* only uses the library, within its own rights (read or
write, Secret items or not). Only this computer itself makes or unmakes administrators.

Administering means: devices and API tokens, provider settings and keys, the LAN password, sensitivity
levels (and the other lookups that decide what is hidden or spent: retention plans, providers, models),
backups and restores, and retention. Services guard their administrative entry points with
``require_admin``; pages hide the controls with ``is_admin``. No NiceGUI here.
"""

from __future__ import annotations

from typing import Any, Protocol

from .data import sensitivity
from .errors import PermissionDenied

READ_ONLY = 'This token is read-only; create a read-write token to {what}.'

ADMIN_NOTE = 'Administered from this computer.'
ADMIN_HINT = (
    'Devices, API tokens, providers and keys, the password, sensitivity levels, backups and retention are '
    'administered from the computer running Output Hub.'
)
# Lookup kinds whose rows decide what is hidden (sensitivity), deleted (retention) or spent, and where keys
# go (providers, models and their prices): editing them is administration.
ADMIN_LOOKUPS = frozenset({'sensitivity', 'retention', 'provider', 'model'})


class HasKind(Protocol):
    kind: str


def is_admin(principal: HasKind | Any) -> bool:
    """True for this computer (``auth.LOCAL``) and for a device it made an administrator."""
    kind = getattr(principal, 'kind', None)
    return kind == 'local' or (kind == 'device' and bool(getattr(principal, 'admin', False)))


def is_this_computer(principal: HasKind | Any) -> bool:
    return getattr(principal, 'kind', None) == 'local'


def require_this_computer(principal: HasKind | Any, what: str) -> None:
    """Refuse to anyone but this computer itself, administrator devices included (who administers)."""
    if not is_this_computer(principal):
        raise PermissionDenied(f'Only the computer running Output Hub itself can {what}.')


def require_admin(principal: HasKind | Any, what: str) -> None:
    """Refuse an administrative action (``what``: "create API tokens") to anyone but this computer."""
    if not is_admin(principal):
        raise PermissionDenied(f'Only the computer running Output Hub can {what}.')


def is_own_device(principal: HasKind | Any, device_id: int) -> bool:
    return getattr(principal, 'kind', None) == 'device' and getattr(principal, 'device_id', None) == device_id


def require_write(principal: Any, what: str = 'capture') -> None:
    """Refuse a change to a read-only principal (an API token made read-only): REST API and MCP alike."""
    if not getattr(principal, 'can_write', True):
        if getattr(principal, 'kind', None) == 'token':
            raise PermissionDenied(READ_ONLY.format(what=what))
        raise PermissionDenied(f'This connection to Output Hub is read-only; it cannot {what}.')


def hides(principal: Any, sensitivity_id: int | None) -> bool:
    """True when ``principal`` may not see an item at this sensitivity level (a device or token without
    Secret access and a restricted level, read now): it must act as if the item did not exist."""
    if getattr(principal, 'allow_restricted', True) or sensitivity_id is None:
        return False
    return sensitivity_id in sensitivity.restricted_level_ids()
