"""The permission matrix (issue 14, item 3): every administrative action × every kind of principal,
asserted on the server — the use-case functions the pages call, with each principal, against a real
database, key store and fake provider. Only this computer and the devices it made administrators
administer; a device (with or without the right to see Secret items) and an API token (read or write) are
refused with one sentence, and nothing changes. Making a device an administrator is for this computer
itself alone. A device may still revoke itself (log out), nothing else."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from app import auth
from app.data import access, backup, lookups, retention
from app.data.models import Device, LlmModel, Provider, ProviderSetting, RetentionPlan, SensitivityLevel
from app.errors import PermissionDenied
from app.llm import keys
from app.roles import is_admin, is_this_computer
from app.services import access_admin, library_admin, provider_settings
from app.services import backups as backup_service
from tests.llm.fake_llm_server import FakeLLMServer

PASSWORD = 'correct horse battery'
_n = itertools.count(1)


def _unique(prefix: str) -> str:
    return f'{prefix} {next(_n)}'


@pytest.fixture
def world(db, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The principals (backed by real device and token rows), a gate for pairing, a fake provider."""
    monkeypatch.setattr(auth, '_gate', None)
    auth.install(FastAPI(), auth.Gate(lan=True))
    phone = access.create_device('Phone')
    trusted_phone = access.create_device('Trusted phone', allow_restricted=True)
    laptop = access.create_device('Laptop')
    access.set_device_admin(laptop.id, True)
    reader = access.create_token('reader', 'read').row
    writer = access.create_token('writer', 'write', allow_restricted=True).row
    principals = {
        'computer': auth.LOCAL,
        'device': auth.Principal('device', 'write', False, device_id=phone.id, name='Phone'),
        'device allowed restricted': auth.Principal(
            'device', 'write', True, device_id=trusted_phone.id, name='Trusted phone'
        ),
        'administrator device': auth.Principal(
            'device', 'write', False, device_id=laptop.id, name='Laptop', admin=True
        ),
        'read token': auth.Principal('token', 'read', False, token_id=reader.id, name='reader'),
        'write token': auth.Principal('token', 'write', True, token_id=writer.id, name='writer'),
    }
    server = FakeLLMServer().start()
    openai = Provider.get(Provider.kind == 'openai')
    ProviderSetting.get_or_create(provider=openai.id)
    ProviderSetting.update(base_url=server.openai_url).where(ProviderSetting.provider == openai.id).execute()
    keys.save_provider_key(openai, 'sk-matrix-secret-key-0001')
    yield {'principals': principals, 'server': server, 'openai': openai}
    server.stop()


def _level(restricted: bool = True) -> SensitivityLevel:
    return lookups.create('sensitivity', _unique('Level'), restricted=restricted, rank=5)


def _plan(days: int = 30) -> RetentionPlan:
    return lookups.create('retention', _unique('Plan'), days=days)


def _setting(pid: int) -> ProviderSetting:
    return ProviderSetting.get(ProviderSetting.provider == pid)


def _actions(w: dict[str, Any]) -> dict[str, Callable[[Any], Callable[[], bool]]]:
    """name -> act(principal) -> check(): the action, then whether it took effect."""
    openai: Provider = w['openai']
    server: FakeLLMServer = w['server']

    def device_action(fn: Callable[[Any, int], None], effect: Callable[[Device], bool]):
        def act(p: Any) -> Callable[[], bool]:
            target = access.create_device(_unique('Target'))
            fn(p, target.id)
            return lambda: effect(Device.get_by_id(target.id))

        return act

    def token_action(fn: Callable[[Any, int], None], effect: Callable[[Any], bool]):
        def act(p: Any) -> Callable[[], bool]:
            target = access.create_token(_unique('Script'), 'write').row
            fn(p, target.id)
            return lambda: effect(type(target).get_by_id(target.id))

        return act

    def level_action(fn: Callable[[Any, SensitivityLevel], None], effect: Callable[[int], bool]):
        def act(p: Any) -> Callable[[], bool]:
            level = _level()
            fn(p, level)
            return lambda: effect(level.id)

        return act

    def pair(p: Any) -> Callable[[], bool]:
        token = access_admin.pair_device(p, 'New phone', allow_restricted=True)
        return lambda: auth.current_gate().pairings.status(token) is not None

    def create_token(p: Any) -> Callable[[], bool]:
        name = _unique('Minted')
        access_admin.create_token(p, name, 'write', allow_restricted=True)
        return lambda: access.list_tokens()[0].name == name

    def password(p: Any) -> Callable[[], bool]:
        access_admin.set_lan_password(p, PASSWORD)
        return lambda: auth.check_password(PASSWORD)

    def save_key(p: Any) -> Callable[[], bool]:
        provider_settings.save_key(p, openai.id, 'sk-replaced-by-someone-9999')
        return lambda: keys.provider_key(openai)[0] == 'sk-replaced-by-someone-9999'

    def clear_key(p: Any) -> Callable[[], bool]:
        provider_settings.clear_key(p, openai.id)
        return lambda: keys.provider_key(openai)[0] is None

    def base_url(p: Any) -> Callable[[], bool]:
        provider_settings.update_provider(p, openai.id, base_url='http://127.0.0.1:9/v1')
        return lambda: _setting(openai.id).base_url == 'http://127.0.0.1:9/v1'

    def cap(p: Any) -> Callable[[], bool]:
        provider_settings.update_provider(p, openai.id, monthly_cap='1234')
        return lambda: _setting(openai.id).monthly_cap == 1234.0

    def turn_off(p: Any) -> Callable[[], bool]:
        provider_settings.update_provider(p, openai.id, enabled=False)
        return lambda: not _setting(openai.id).enabled

    def add_provider(p: Any) -> Callable[[], bool]:
        name = _unique('Server')
        provider_settings.create_provider(p, name, 'http://127.0.0.1:9/v1')
        return lambda: Provider.get_or_none(Provider.name == name) is not None

    def add_models(p: Any) -> Callable[[], bool]:
        name = _unique('model').replace(' ', '-')
        provider_settings.add_models(p, openai.id, [name])
        return lambda: LlmModel.get_or_none(LlmModel.name == name) is not None

    def provider_call(fn: Callable[[Any, int], Any]):
        def act(p: Any) -> Callable[[], bool]:
            before = len(server.requests)
            asyncio.run(fn(p, openai.id))
            return lambda: len(server.requests) > before

        return act

    def provider_lookup(p: Any) -> Callable[[], bool]:
        library_admin.update_fields(p, 'provider', openai.id, base_url='http://127.0.0.1:9/v1')
        return lambda: Provider.get_by_id(openai.id).base_url == 'http://127.0.0.1:9/v1'

    def model_price(p: Any) -> Callable[[], bool]:
        model = LlmModel.select().order_by(LlmModel.id).first()
        library_admin.update_fields(p, 'model', model.id, input_price=0.0, output_price=0.0)
        return lambda: LlmModel.get_by_id(model.id).input_price == 0.0

    def new_level(p: Any) -> Callable[[], bool]:
        name = _unique('Top secret')
        library_admin.create(p, 'sensitivity', name, restricted=True)
        return lambda: lookups.find_by_name('sensitivity', name) is not None

    def merge_levels(p: Any) -> Callable[[], bool]:
        secret, public = _level(True), _level(False)
        library_admin.merge(p, 'sensitivity', [secret.id], public.id)
        return lambda: SensitivityLevel.get_or_none(SensitivityLevel.id == secret.id) is None

    def plan_days(p: Any) -> Callable[[], bool]:
        plan = _plan(30)
        library_admin.update_fields(p, 'retention', plan.id, days=1)
        return lambda: RetentionPlan.get_by_id(plan.id).days == 1

    def set_plan(key: str):
        def act(p: Any) -> Callable[[], bool]:
            row, plan = lookups.create(key, _unique(key.title())), _plan(7)
            library_admin.set_plan(p, key, row.id, plan.id)
            return lambda: lookups.get(key, row.id).retention_id == plan.id

        return act

    def auto_purge(p: Any) -> Callable[[], bool]:
        on = not retention.settings().get('auto_purge', True)
        library_admin.set_auto_purge(p, on)
        return lambda: retention.settings()['auto_purge'] == on

    def preview(p: Any) -> Callable[[], bool]:
        result = library_admin.preview_purge(p)
        return lambda: result is not None

    def purge(p: Any) -> Callable[[], bool]:
        before = len(retention.recent_runs(1000))
        library_admin.purge(p, None)
        return lambda: len(retention.recent_runs(1000)) > before

    def back_up(p: Any) -> Callable[[], bool]:
        for old in backup.list_backups(backup.default_backup_dir()):  # names have one-second resolution
            Path(old.path).unlink()
        backup_service.back_up_now(p, None)
        return lambda: len(backup.list_backups(backup.default_backup_dir())) > 0

    def restore(p: Any) -> Callable[[], bool]:
        file = backup.backup_database(
            Path(backup.default_backup_dir()) / f'{_unique("restore").replace(" ", "-")}.db'
        )
        marker = lookups.create('tag', _unique('after the backup'))
        backup_service.restore(p, Path(file.path))
        return lambda: lookups.find_by_name('tag', marker.name) is None

    def download_backup(p: Any) -> Callable[[], bool]:
        info = backup.backup_database(None)
        given = backup_service.backup_for_download(p, Path(info.path))
        return lambda: given == Path(info.path)

    def backup_settings(p: Any) -> Callable[[], bool]:
        backup_service.save_settings(p, {'keep_daily': 99})
        return lambda: backup_service.settings()['keep_daily'] == 99

    return {
        'pair a device': pair,
        'rename a device': device_action(
            lambda p, i: access_admin.rename_device(p, i, 'Renamed'), lambda d: d.name == 'Renamed'
        ),
        'let a device see restricted': device_action(
            lambda p, i: access_admin.set_device_restricted(p, i, True), lambda d: d.allow_restricted
        ),
        'make a device an administrator': device_action(
            lambda p, i: access_admin.set_device_admin(p, i, True), lambda d: d.is_admin
        ),
        'revoke another device': device_action(
            access_admin.revoke_device, lambda d: d.revoked_at is not None
        ),
        'create an API token': create_token,
        'revoke an API token': token_action(access_admin.revoke_token, lambda t: t.revoked_at is not None),
        'let a token see restricted': token_action(
            lambda p, i: access_admin.set_token_restricted(p, i, True), lambda t: t.allow_restricted
        ),
        'set the LAN password': password,
        'save a provider key': save_key,
        'clear a provider key': clear_key,
        "change a provider's base URL": base_url,
        'set a spending cap': cap,
        'turn a provider off': turn_off,
        'add a provider': add_provider,
        'test a connection': provider_call(provider_settings.test_connection),
        "fetch a provider's models": provider_call(provider_settings.fetch_models),
        'add models': add_models,
        "edit a provider's address (lookups)": provider_lookup,
        "edit a model's prices": model_price,
        'create a sensitivity level': new_level,
        "untick a level's restricted flag": level_action(
            lambda p, lv: library_admin.update_fields(p, 'sensitivity', lv.id, restricted=False),
            lambda i: not SensitivityLevel.get_by_id(i).restricted,
        ),
        'rename a sensitivity level': level_action(
            lambda p, lv: library_admin.rename(p, 'sensitivity', lv.id, lv.name + ' renamed'),
            lambda i: SensitivityLevel.get_by_id(i).name.endswith(' renamed'),
        ),
        'delete a sensitivity level': level_action(
            lambda p, lv: library_admin.delete(p, 'sensitivity', lv.id),
            lambda i: SensitivityLevel.get_or_none(SensitivityLevel.id == i) is None,
        ),
        'merge a Secret level into another': merge_levels,
        'edit a retention plan': plan_days,
        "set a category's plan": set_plan('category'),
        "set a collection's plan": set_plan('collection'),
        'turn automatic purging on or off': auto_purge,
        'preview a purge': preview,
        'purge now': purge,
        'back up now': back_up,
        'download a backup': download_backup,
        'change the backup settings': backup_settings,
        'restore a backup': restore,
    }


THIS_COMPUTER_ONLY = {'make a device an administrator'}  # who administers is decided here alone


def test_every_administrative_action_is_refused_to_all_but_this_computer(world, figure) -> None:
    principals = world['principals']
    actions = _actions(world)
    cells = refused = expected_refusals = 0
    wrong: list[str] = []
    for action, act in actions.items():
        for who, principal in principals.items():
            cells += 1
            allowed = is_this_computer(principal) if action in THIS_COMPUTER_ONLY else is_admin(principal)
            expected_refusals += not allowed
            try:
                took_effect = act(principal)()
            except PermissionDenied as exc:
                text = str(exc)
                assert text.startswith('Only the computer running Output Hub ') and text.endswith('.')
                refused += 1
                took_effect = None
            if allowed and not took_effect:
                wrong.append(f'{action} × {who}: refused or without effect')
            if not allowed and took_effect is not None:
                wrong.append(f'{action} × {who}: allowed (took effect: {took_effect})')
        if action in ('test a connection', "fetch a provider's models"):
            # the computer's own call reached the provider; nobody else's ever did (the key stayed home)
            assert all(r.api_key == 'sk-matrix-secret-key-0001' for r in world['server'].requests)
        if action == 'save a provider key':
            keys.save_provider_key(world['openai'], 'sk-matrix-secret-key-0001')  # the next rows need it
        if action == 'turn a provider off':
            provider_settings.update_provider(auth.LOCAL, world['openai'].id, enabled=True)
        if action == "change a provider's base URL":
            provider_settings.update_provider(
                auth.LOCAL, world['openai'].id, base_url=world['server'].openai_url
            )
            keys.save_provider_key(world['openai'], 'sk-matrix-secret-key-0001')
        if action == 'clear a provider key':
            keys.save_provider_key(world['openai'], 'sk-matrix-secret-key-0001')
    figure(
        f'permission matrix: {len(actions)} administrative actions × {len(principals)} principals = {cells} '
        f'cells checked, {refused}/{expected_refusals} refused as expected, {cells - refused} allowed '
        '(this computer, and an administrator device for all but making administrators)'
    )
    assert not wrong, '\n'.join(wrong)
    assert refused == expected_refusals


def test_a_device_may_revoke_itself_and_no_other(world) -> None:
    """Logging out ends a device's own session; revoking another is administration."""
    principals = world['principals']
    phone, trusted = principals['device'], principals['device allowed restricted']
    with pytest.raises(PermissionDenied):
        access_admin.revoke_device(phone, trusted.device_id)
    with pytest.raises(PermissionDenied):
        access_admin.revoke_device(principals['write token'], phone.device_id)
    assert access.active_device(trusted.device_id) is not None
    access_admin.revoke_device(phone, phone.device_id)
    assert access.active_device(phone.device_id) is None
