"""Settings tabs for reaching the app from elsewhere: "Phone & devices" (LAN address, pairing QR code,
password, paired devices) and "API tokens" (create, list, revoke bearer tokens for the REST API)."""

from __future__ import annotations

import segno
from nicegui import run, ui

from .. import auth, lan, roles
from ..components import clipboard, fmt, toast
from ..components.secret import viewer
from ..context import AppContext
from ..data import access
from ..errors import UserError
from ..services import access_admin


def qr_data_uri(url: str) -> str:
    return segno.make(url, error='m').svg_data_uri(scale=6, border=2, dark='#0f172a', light='#ffffff')


def _card(title: str) -> ui.card:
    card = ui.card().classes('w-full gap-3').props('flat bordered')
    with card:
        ui.label(title).classes('font-semibold')
    return card


# --------------------------------------------------------------------------- phone & devices


def _status_card(ctx: AppContext, devices: _Box, urls: list[str]) -> None:
    s = ctx.settings
    with _card('Phone on the home network'):
        if not s.lan:
            ui.label('Output Hub is reachable from this computer only.').classes('text-sm')
            ui.markdown(
                'To use it from your phone on the same Wi-Fi, start it with `outputhub --lan` '
                '(add `--https` for a secure connection, which the Android share sheet needs). '
                'Every other device then has to log in or be paired here.'
            ).classes('text-sm oh-muted')
            return
        if urls:
            ui.label('Open this address on your phone (same Wi-Fi):').classes('text-sm')
            for url in urls:
                ui.label(url).classes('font-mono text-base break-all').mark('lan-url')
        else:
            ui.label('No network address found: is this computer connected to a network?').classes('text-sm')
        if s.https and lan.ca_certificate_path() is not None:
            ui.markdown(
                'HTTPS uses a certificate made on this computer. Install it on the phone once so the browser '
                'trusts it: open `/outputhub-ca.crt` on the phone (see the README, *Phone on the home network*).'
            ).classes('text-sm oh-muted')
        if not s.https:
            # Service workers need a secure context: without --https the phone has no offline capture or copy.
            ui.label(
                'Offline capture needs HTTPS: start with --https (and trust the certificate on the phone) '
                'to capture on the phone away from home and keep an offline copy there.'
            ).classes('text-sm oh-muted').mark('needs-https')
        if urls:
            ui.button(
                'Pair a phone', icon='qr_code_2', on_click=lambda: _pair_dialog(devices, urls[0])
            ).props('unelevated').mark('pair-phone')


def _pair_dialog(devices: _Box, base_url: str) -> None:
    gate = auth.current_gate()
    principal = viewer()
    with ui.dialog() as dialog, ui.card().classes('items-center gap-3 w-[22rem] max-w-[92vw]'):
        ui.label('Pair a phone').classes('text-lg font-semibold self-start')
        name = ui.input('Name for this phone', value='Phone').props('outlined dense').classes('w-full')
        allow = ui.checkbox('May see items marked restricted (Secret)')
        box = ui.column().classes('w-full items-center gap-2')

        def show() -> None:
            try:
                token = access_admin.pair_device(
                    principal, name.value or 'Phone', allow_restricted=bool(allow.value)
                )
            except UserError as exc:
                toast.error(str(exc))
                return
            url = f'{base_url}/pair?token={token}'
            box.clear()
            with box:
                ui.image(qr_data_uri(url)).classes('w-64 h-64').props('alt="Pairing QR code" no-spinner')
                ui.label('Scan with the phone camera. The code works once, for 5 minutes.').classes(
                    'text-sm oh-muted text-center'
                )
                link = ui.label(url).classes('text-xs font-mono break-all oh-muted')
                status = ui.label('').classes('text-sm font-semibold')

            def poll() -> None:
                item = gate.pairings.status(token)
                if item is not None and item.device_id and item.device_id > 0:
                    status.set_text(f'Paired: {item.name}')
                    link.set_visibility(False)
                    timer.cancel()
                    devices.refresh()

            timer = ui.timer(1.0, poll)

        with ui.row().classes('w-full justify-end gap-2'):
            ui.button('New code', on_click=show).props('flat no-caps')
            ui.button('Close', on_click=dialog.close).props('flat no-caps')
        show()
    dialog.open()


def _password_card(ctx: AppContext) -> None:
    principal = viewer()
    is_set = auth.password_is_set()
    with _card('Password'):
        ui.label(
            'A device that is not paired logs in with this password.'
            if is_set
            else 'No password yet: phones can only join by scanning a pairing QR code.'
        ).classes('text-sm oh-muted')
        if not roles.is_admin(principal):
            ui.label('The password can be changed on the computer running Output Hub.').classes('text-sm')
            return
        first = ui.input('New password', password=True, password_toggle_button=True).props(
            'outlined dense autocomplete=new-password'
        )
        second = ui.input('Repeat it', password=True).props('outlined dense autocomplete=new-password')

        async def save() -> None:
            if (first.value or '') != (second.value or ''):
                toast.error('The two passwords differ.')
                return
            try:
                await run.io_bound(access_admin.set_lan_password, principal, first.value or '')
            except UserError as exc:
                toast.error(str(exc))
                return
            first.set_value('')
            second.set_value('')
            ui.notify('Password saved', type='positive')

        ui.button('Change password' if is_set else 'Set password', on_click=save).props('outline').mark(
            'save-password'
        )


class _Box:
    """A container that re-renders itself (a page-local alternative to a module-level refreshable,
    whose targets would outlive the pages that made them)."""

    def __init__(self, render) -> None:
        self.render = render
        self.column = ui.column().classes('w-full gap-0')
        self.refresh()

    def refresh(self) -> None:
        if self.column.is_deleted:
            return
        self.column.clear()
        with self.column:
            self.render(self)


def _devices_list(box: _Box) -> None:
    principal = viewer()
    devices = access.list_devices()
    if not devices:
        ui.label('No devices yet.').classes('text-sm oh-muted')
        return
    for device in devices:
        revoked = device.revoked_at is not None
        with ui.row().classes(
            'w-full items-center gap-3 py-2 border-b border-slate-200 dark:border-slate-700'
        ):
            ui.icon('smartphone' if 'Android' in (device.user_agent or '') else 'devices').classes(
                'text-2xl ' + ('text-slate-400' if revoked else 'text-slate-600')
            )
            with ui.column().classes('gap-0 grow min-w-0'):
                with ui.row().classes('items-center gap-2'):
                    ui.label(device.name).classes(
                        'font-medium' + (' line-through oh-muted' if revoked else '')
                    )
                    if principal.device_id == device.id:
                        ui.badge('this device', color='primary')
                    if device.allow_restricted and not revoked:
                        ui.badge('sees restricted', color='orange')
                    if device.is_admin and not revoked:
                        ui.badge('administrator', color='purple')
                when = (
                    f'revoked {fmt.ago(device.revoked_at)}'
                    if revoked
                    else f'last used {fmt.ago(device.last_seen_at) or "never"}'
                )
                ui.label(f'{when} · paired {fmt.day(device.created_at)}').classes('text-xs oh-muted')
                if device.user_agent:
                    ui.label(device.user_agent).classes('text-xs oh-muted truncate max-w-full oh-hide-phone')
            if not revoked and roles.is_this_computer(principal):
                admin = ui.switch(
                    'Administers',
                    value=bool(device.is_admin),
                    on_change=lambda e, d=device: _set_admin(box, d.id, d.name, bool(e.value)),
                ).props('dense')
                admin.mark(f'admin-device-{device.id}')
                admin.tooltip('Let this device administer the app from its browser, as this computer does')
            if not revoked:
                revoke = ui.button(
                    'Revoke',
                    icon='block',
                    on_click=lambda _=None, d=device: _revoke_device(box, d.id, d.name),
                )
                revoke.props('flat dense no-caps color=negative').mark(f'revoke-device-{device.id}')
                revoke.props['aria-label'] = f'Revoke {device.name}'


async def _set_admin(box: _Box, device_id: int, name: str, admin: bool) -> None:
    try:
        await run.io_bound(access_admin.set_device_admin, viewer(), device_id, admin)
    except UserError as exc:
        toast.error(str(exc))
        return
    ui.notify(
        f'{name} administers the app now' if admin else f'{name} no longer administers', type='positive'
    )
    box.refresh()


async def _revoke_device(box: _Box, device_id: int, name: str) -> None:
    try:
        await run.io_bound(access_admin.revoke_device, viewer(), device_id)
    except UserError as exc:
        toast.error(str(exc))
        return
    ended = auth.current_gate().end_device_sessions(device_id)
    ui.notify(
        f'Revoked {name}' + (f' and closed {ended} open page{"s" if ended != 1 else ""}' if ended else ''),
        type='positive',
    )
    box.refresh()


async def _devices_section(ctx: AppContext) -> None:
    status = ui.column().classes('w-full gap-4')
    _password_card(ctx)
    with _card('Devices'):
        ui.label(
            'Phones and browsers that logged in or were paired. Revoking one logs it out at once.'
        ).classes('text-sm oh-muted')
        devices = _Box(_devices_list)
    with status:
        # Finding this computer's addresses can wait on name resolution: not on the event loop.
        urls = (
            await run.io_bound(lan.lan_urls, ctx.settings.port, https=ctx.settings.https)
            if ctx.settings.lan
            else []
        )
        _status_card(ctx, devices, urls)


def _this_device_section(ctx: AppContext) -> None:
    """What a device may do about access: see which device it is, and end its own session."""
    principal = viewer()
    with _card('This device'):
        ui.label(principal.name or 'This device').classes('text-sm font-medium').mark('this-device')
        ui.label(
            'May see items marked restricted (Secret).'
            if principal.allow_restricted
            else 'Items marked restricted (Secret) are hidden here.'
        ).classes('text-sm oh-muted')
        ui.button(
            'Log out this device',
            icon='logout',
            on_click=lambda: ui.run_javascript(
                "fetch('/logout', {method: 'POST'}).then(() => { window.location.href = '/login'; })"
            ),
        ).props('outline').mark('logout-device')


# --------------------------------------------------------------------------- API tokens


def _tokens_list(box: _Box) -> None:
    tokens = access.list_tokens()
    if not tokens:
        ui.label('No tokens yet.').classes('text-sm oh-muted')
        return
    for token in tokens:
        revoked = token.revoked_at is not None
        with ui.row().classes(
            'w-full items-center gap-3 py-2 border-b border-slate-200 dark:border-slate-700'
        ):
            ui.icon('key').classes('text-2xl ' + ('text-slate-400' if revoked else 'text-slate-600'))
            with ui.column().classes('gap-0 grow min-w-0'):
                with ui.row().classes('items-center gap-2'):
                    ui.label(token.name).classes(
                        'font-medium' + (' line-through oh-muted' if revoked else '')
                    )
                    ui.badge('read-write' if token.scope == 'write' else 'read-only', color='grey-7')
                    if token.allow_restricted and not revoked:
                        ui.badge('sees restricted', color='orange')
                when = (
                    f'revoked {fmt.ago(token.revoked_at)}'
                    if revoked
                    else f'last used {fmt.ago(token.last_used_at) or "never"}'
                )
                ui.label(f'{token.prefix}… · {when} · created {fmt.day(token.created_at)}').classes(
                    'text-xs oh-muted font-mono'
                )
            if not revoked:
                ui.button(
                    'Revoke', icon='block', on_click=lambda _=None, t=token: _revoke_token(box, t.id, t.name)
                ).props('flat dense no-caps color=negative').mark(f'revoke-token-{token.id}')


async def _revoke_token(box: _Box, token_id: int, name: str) -> None:
    try:
        await run.io_bound(access_admin.revoke_token, viewer(), token_id)
    except UserError as exc:
        toast.error(str(exc))
        return
    ui.notify(f'Revoked the token “{name}”', type='positive')
    box.refresh()


def _show_new_token(token: str) -> None:
    with ui.dialog() as dialog, ui.card().classes('gap-3 w-[28rem] max-w-[92vw]'):
        ui.label('Your new API token').classes('text-lg font-semibold')
        ui.label('Copy it now: it is shown only once (only a hash is kept).').classes('text-sm oh-muted')
        ui.label(token).classes(
            'font-mono text-sm break-all p-2 rounded bg-slate-100 dark:bg-slate-800'
        ).mark('new-token')
        with ui.row().classes('w-full justify-end gap-2'):
            ui.button(
                'Copy',
                icon='content_copy',
                on_click=lambda: clipboard.copy(token),
            ).props('flat no-caps')
            ui.button('Done', on_click=dialog.close).props('unelevated no-caps')
    dialog.open()


def _tokens_section(ctx: AppContext) -> None:
    principal = viewer()
    new_card = ui.column().classes('w-full gap-4')
    with _card('Tokens'):
        tokens = _Box(_tokens_list)
    with new_card, _card('New token'):
        ui.label(
            'For scripts and phone automations (an HTTP-shortcut app, Tasker, iOS Shortcuts): send it as '
            '“Authorization: Bearer <token>”.'
        ).classes('text-sm oh-muted')
        with ui.row().classes('w-full items-center gap-3 flex-wrap'):
            name = ui.input('Name', placeholder='e.g. Android share').props('outlined dense').classes('grow')
            scope = ui.toggle({'read': 'Read only', 'write': 'Read and write'}, value='write').props(
                'dense no-caps'
            )
        allow = ui.checkbox('May see items marked restricted (Secret)')

        async def create() -> None:
            try:
                new = await run.io_bound(
                    access_admin.create_token,
                    principal,
                    name.value or '',
                    scope.value,
                    allow_restricted=bool(allow.value),
                )
            except UserError as exc:
                toast.error(str(exc))
                return
            name.set_value('')
            tokens.refresh()
            _show_new_token(new.token)

        ui.button('Create token', icon='add', on_click=create).props('unelevated').mark('create-token')
    with _card('API documentation'):
        ui.markdown(
            'Interactive docs: [/docs](/docs). Capture from a script:\n\n'
            '```\ncurl -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \\\n'
            '  -d \'{"body": "the output", "tags": ["phone"]}\' '
            f'http://127.0.0.1:{ctx.settings.port}/api/v1/captures\n```'
        ).classes('oh-md text-sm w-full min-w-0 max-w-full')


def register(ctx: AppContext) -> None:
    # Imported here, not at the top: NiceGUI's test reset drops page modules from sys.modules, and a
    # module-level reference would keep adding tabs to a stale copy of the settings page.
    from . import settings

    settings.add_section(
        settings.Section(
            'devices', 'Phone & devices', 'smartphone', _devices_section, order=40, show_to=roles.is_admin
        )
    )
    settings.add_section(
        settings.Section('api', 'API tokens', 'key', _tokens_section, order=45, show_to=roles.is_admin)
    )
    settings.add_section(
        settings.Section(
            'device',
            'This device',
            'smartphone',
            _this_device_section,
            order=40,
            show_to=lambda p: getattr(p, 'kind', None) == 'device',
        )
    )
