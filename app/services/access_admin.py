"""Administering who may reach the app from elsewhere — paired devices, API tokens, the LAN password and
pairing codes — as use-cases that take the principal asking and refuse anyone but this computer
(a device may still revoke itself, i.e. log out). The data live in ``app.data.access``."""

from __future__ import annotations

import contextlib
from typing import Any

from .. import auth
from ..data import access
from ..roles import is_own_device, require_admin, require_this_computer


def pair_device(principal: Any, name: str, *, allow_restricted: bool = False) -> str:
    """A one-time pairing token for the QR code (the device it makes gets ``allow_restricted``)."""
    require_admin(principal, 'pair devices')
    return auth.current_gate().pairings.create(name, allow_restricted=bool(allow_restricted))


def rename_device(principal: Any, device_id: int, name: str) -> None:
    require_admin(principal, 'rename devices')
    access.rename_device(device_id, name)


def set_device_restricted(principal: Any, device_id: int, allow: bool) -> None:
    require_admin(principal, 'change what a device may see')
    access.set_device_restricted(device_id, allow)


def set_device_admin(principal: Any, device_id: int, admin: bool) -> None:
    """Make a device an administrator (or no longer): only this computer itself decides who administers.
    The device's open pages reload, so they show (or stop showing) the administration at once."""
    require_this_computer(principal, 'make a device an administrator')
    access.set_device_admin(device_id, admin)
    with contextlib.suppress(RuntimeError):  # no running app (the command line)
        auth.current_gate().end_device_sessions(device_id)


def revoke_device(principal: Any, device_id: int) -> None:
    """Revoke a device: this computer revokes any; a device only itself (that is logging out)."""
    if not is_own_device(principal, device_id):
        require_admin(principal, 'revoke other devices')
    access.revoke_device(device_id)


def create_token(
    principal: Any, name: str, scope: str = 'read', *, allow_restricted: bool = False
) -> access.NewToken:
    require_admin(principal, 'create API tokens')
    return access.create_token(name, scope, allow_restricted=allow_restricted)


def revoke_token(principal: Any, token_id: int) -> None:
    require_admin(principal, 'revoke API tokens')
    access.revoke_token(token_id)


def set_token_restricted(principal: Any, token_id: int, allow: bool) -> None:
    require_admin(principal, 'change what an API token may see')
    access.set_token_restricted(token_id, allow)


def set_lan_password(principal: Any, password: str) -> None:
    require_admin(principal, 'change the password')
    auth.set_password(password)
