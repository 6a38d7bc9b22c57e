"""A logged-in phone is offered no administration (issue 14, item 3): no tabs for providers, devices, API
tokens or retention, no backups or restores, no editing of sensitivity levels — just what it may use and
one sentence saying the rest is administered from this computer. The desktop sees all of it.

The ``user`` fixture's page requests are sent through a client on the home network that logged in with
the password, so each page is built for a *device* principal, exactly as for a real phone."""

from __future__ import annotations

import httpx
from nicegui import core, ui
from nicegui.testing import User

from app import auth, roles

PASSWORD = 'correct horse battery'
ADMIN_TABS = {'providers', 'devices', 'api', 'retention'}


def _tabs(user: User) -> set[str]:
    return {e._props.get('name') for e in user.find(ui.tab).elements}


def _marked(user: User, marker: str) -> int:
    try:
        return len(user.find(marker=marker).elements)
    except AssertionError:
        return 0


async def test_the_desktop_is_offered_every_administrative_tab(lan_mode, user: User) -> None:
    transport = httpx.ASGITransport(app=core.app, client=('127.0.0.1', 50124))
    async with httpx.AsyncClient(transport=transport, base_url='http://127.0.0.1:8080') as desktop:
        user.http_client = desktop
        await user.open('/settings')
    assert _tabs(user) >= ADMIN_TABS
    await user.should_not_see(roles.ADMIN_HINT)


async def test_a_phone_sees_no_administrative_tab_or_control(as_phone: User) -> None:
    user = as_phone
    await user.open('/settings')
    tabs = _tabs(user)
    assert not tabs & ADMIN_TABS and {'general', 'device', 'backup'} <= tabs
    await user.should_see(roles.ADMIN_HINT)
    await user.open('/settings?tab=device')
    await user.should_see('Log out this device')
    await user.should_see('Items marked restricted (Secret) are hidden here.')
    for tab in ADMIN_TABS:  # typed by hand: the first tab the phone may use is shown instead
        await user.open(f'/settings?tab={tab}')
        await user.should_see('This database')
        for text in (
            'Test connection',
            'Fetch models',
            'Create token',
            'Pair a phone',
            'Purge now',
            'Save key',
            'Add an OpenAI-compatible server',  # providers are one line each until opened: the tab itself
        ):
            await user.should_not_see(text)
    await user.open('/settings?tab=backup')
    await user.should_see('Export')
    await user.should_see('Backups and restores are made on the computer running Output Hub.')
    assert _marked(user, 'backup-now') == 0 and _marked(user, 'auto-save') == 0
    await user.open('/lookups?tab=sensitivity')
    await user.should_see('Secret')
    await user.should_see('Sensitivity levels: administered from this computer.')
    assert _marked(user, 'new-sensitivity') == 0
    assert not any(m.startswith('actions-') for e in user.find(ui.button).elements for m in e._markers)
    await user.open('/lookups?tab=tag')  # everyday lookups stay the phone's to edit
    assert _marked(user, 'new-tag') == 1


async def test_a_device_this_computer_made_an_administrator_administers(as_phone: User) -> None:
    """The computer ticks *Administers* for a device (a laptop using an Output Hub on a home server); from
    then on that device is offered the administration — all but making administrators itself."""
    from app.data import access

    user = as_phone
    (phone,) = access.list_devices()
    await user.open('/settings?tab=devices')
    await user.should_not_see('Pair a phone')

    access.set_device_admin(phone.id, True)  # what the switch or `outputhub device admin ID` does
    await user.open('/settings')
    assert _tabs(user) >= ADMIN_TABS
    await user.should_not_see(roles.ADMIN_HINT)
    await user.open('/settings?tab=devices')
    await user.should_see('Pair a phone')
    await user.should_see('administrator')
    assert _marked(user, f'admin-device-{phone.id}') == 0  # only the computer itself makes administrators


async def test_the_computer_makes_a_device_an_administrator_with_a_switch(lan_mode, user: User) -> None:
    from app.data import access

    auth.set_password(PASSWORD)
    device = access.create_device('Laptop')
    transport = httpx.ASGITransport(app=core.app, client=('127.0.0.1', 50124))
    async with httpx.AsyncClient(transport=transport, base_url='http://127.0.0.1:8080') as desktop:
        user.http_client = desktop
        await user.open('/settings?tab=devices')
        await user.should_see('Laptop')
        switch = next(iter(user.find(marker=f'admin-device-{device.id}').elements))
        switch.set_value(True)
        await user.should_see('Laptop administers the app now')
    assert access.get_device(device.id).is_admin
