"""Settings → Phone & devices and API tokens, and the share-sheet prefill of the capture page."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing import User

from app import auth
from app.data import access
from app.data import db as dbmod


@pytest.fixture
def lan_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('OUTPUTHUB_LAN', '1')


async def test_without_lan_the_tab_says_how_to_reach_it_from_a_phone(user: User) -> None:
    await user.open('/settings?tab=devices')
    await user.should_see('reachable from this computer only')
    await user.should_not_see('Pair a phone')


async def test_pairing_shows_a_qr_code_with_a_one_time_link(lan_mode, user: User) -> None:
    await user.open('/settings?tab=devices')
    user.find(marker='pair-phone').click()
    await user.should_see('Scan with the phone camera')
    images = [e for e in user.find(ui.image).elements if str(e.source).startswith('data:image/svg+xml')]
    assert len(images) == 1
    link = next(
        e.text for e in user.find(ui.label).elements if '/pair?token=' in (getattr(e, 'text', '') or '')
    )
    token = link.split('token=')[1]
    assert auth.current_gate().pairings.status(token) is not None


async def test_setting_the_password_from_the_desktop(lan_mode, user: User) -> None:
    await user.open('/settings?tab=devices')
    inputs = list(user.find(ui.input).elements)
    new, repeat = [e for e in inputs if e.props.get('type') == 'password'][:2]
    new.set_value('short')
    repeat.set_value('short')
    user.find(marker='save-password').click()
    await user.should_see('at least 8 characters')
    assert not auth.password_is_set()
    new.set_value('a much better password')
    repeat.set_value('a much better password')
    user.find(marker='save-password').click()
    await user.should_see('Password saved', retries=50)
    assert auth.check_password('a much better password')


async def test_revoking_a_device_from_the_list(lan_mode, user: User, db_path) -> None:
    dbmod.connect(db_path)
    device = access.create_device('Old phone', 'Mozilla/5.0 (Linux; Android 14)')
    await user.open('/settings?tab=devices')
    await user.should_see('Old phone')
    user.find(marker=f'revoke-device-{device.id}').click()
    await user.should_see('Revoked Old phone')
    assert access.get_device(device.id).revoked_at is not None


async def test_creating_a_token_shows_it_once_and_stores_only_a_hash(user: User, db_path) -> None:
    await user.open('/settings?tab=api')
    name = next(e for e in user.find(ui.input).elements if e.props.get('label') == 'Name')
    name.set_value('Android share')
    user.find(marker='create-token').click()
    await user.should_see('Copy it now')
    token = next(iter(user.find(marker='new-token').elements)).text
    assert token.startswith('oh_')
    row = access.find_token(token)
    assert row is not None and row.name == 'Android share' and row.scope == 'write'
    stored = dbmod.current().execute_sql('SELECT token_hash FROM api_token').fetchone()[0]
    assert token not in stored
    user.find(marker=f'revoke-token-{row.id}').click()
    await user.should_see('Revoked the token')
    assert access.find_token(token) is None


async def test_share_sheet_text_prefills_the_capture_form(user: User) -> None:
    await user.open(
        '/capture?title=From%20Claude&text=A%20shared%20answer&url=https%3A%2F%2Fclaude.ai%2Fchat%2F1'
    )
    values = {e.value for e in user.find(ui.input).elements} | {
        e.value for e in user.find(ui.textarea).elements
    }
    assert 'A shared answer' in values
    assert 'From Claude' in values
    assert 'https://claude.ai/chat/1' in values


async def test_a_shared_link_alone_becomes_the_source_url(user: User) -> None:
    await user.open('/capture?text=https%3A%2F%2Fexample.org%2Fpost')
    values = [e.value for e in user.find(ui.input).elements if e.value]
    assert 'https://example.org/post' in values
