"""The Export & backup settings tab through the simulated user: exports to a folder and as a download
(Secret items left out unless asked), backup now, restore from the list (the running app shows the
restored library at once, the replaced database is kept aside), automatic backup settings."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import httpx
import pytest
from nicegui import core
from nicegui.testing import User

from app import auth
from app.data import backup, outputs, settings_store
from app.data import db as dbmod
from app.data.models import Output, SensitivityLevel

SLOW = 100
PHONE = ('192.168.1.50', 50123)
PASSWORD = 'correct horse battery'


def _capture(body: str, title: str, *, secret: bool = False) -> int:
    out = outputs.capture_output(outputs.CaptureData(body=body, title=title))
    if secret:
        level = SensitivityLevel.get(SensitivityLevel.name == 'Secret')
        Output.update(sensitivity=level.id).where(Output.id == out.id).execute()
    return out.id


async def test_export_json_to_a_folder_leaves_secret_items_out(user: User, db_path, tmp_path) -> None:
    dbmod.connect(db_path)
    _capture('an everyday answer', 'Everyday')
    _capture('the launch code is 0000', 'Classified', secret=True)
    out = tmp_path / 'exports'
    await user.open('/settings?tab=backup')
    await user.should_see('Include Secret items')
    user.find(marker='export-folder').clear().type(str(out))
    user.find(marker='export-go').click()
    await user.should_see(marker='export-result', retries=SLOW)
    await user.should_see('1 Secret item left out')
    files = list(out.glob('outputhub-export-*.json'))
    assert len(files) == 1
    text = files[0].read_text(encoding='utf-8')
    data = json.loads(text)
    assert data['format'] == 'outputhub'
    assert 'an everyday answer' in text and 'launch code' not in text

    # asked for, Secret items come along
    user.find(marker='export-secret').click()
    user.find(marker='export-go').click()
    await user.should_see('Exported 2 items', retries=SLOW)
    newest = max(out.glob('outputhub-export-*.json'), key=lambda p: p.stat().st_mtime_ns)
    assert 'launch code' in newest.read_text(encoding='utf-8')


async def test_markdown_download_is_one_zip_of_notes(user: User, db_path) -> None:
    dbmod.connect(db_path)
    _capture('# Plan\n\nShip it on Friday.', 'Release plan')
    await user.open('/settings?tab=backup')
    user.find('Markdown: one note per item with front matter, a folder per collection (Obsidian)').click()
    user.find(marker='export-download').click()
    # wait for the download before anything else: next() only counts downloads that start after it is called
    response = await user.download.next(timeout=20)
    await user.should_see('for download', retries=SLOW)
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as zf:
        notes = [n for n in zf.namelist() if n.endswith('.md')]
        assert any('Release plan' in n for n in notes)
        body = next(zf.read(n).decode() for n in notes if 'Release plan' in n)
    assert body.startswith('---') and 'Ship it on Friday.' in body


async def test_an_export_folder_that_is_a_file_is_one_sentence(user: User, db_path, tmp_path) -> None:
    blocker = tmp_path / 'a-file'
    blocker.write_text('x')
    await user.open('/settings?tab=backup')
    user.find(marker='export-folder').clear().type(str(blocker))
    user.find(marker='export-go').click()
    await user.should_see(f'{blocker} is a file, not a folder.', retries=SLOW)


async def test_backup_now_then_restore_from_the_list(user: User, db_path) -> None:
    dbmod.connect(db_path)
    _capture('kept in the backup', 'Before')
    await user.open('/settings?tab=backup')
    await user.should_see(marker='no-backups')
    user.find(marker='backup-now').click()
    await user.should_see('Backed up to', retries=SLOW)
    await user.should_see(marker='backup-row')
    made = backup.list_backups()
    assert len(made) == 1 and Path(made[0].path).is_file()

    _capture('written after the backup', 'After')
    user.find(marker=f'restore-{Path(made[0].path).name}').click()
    await user.should_see('Restore this backup?')
    user.find(marker='confirm-restore').click()
    await user.should_see(marker='restore-result', retries=SLOW)
    await user.should_see('no restart is needed')
    aside = next(iter(user.find(marker='restore-aside').elements)).text
    kept = Path(aside.removeprefix('The database you had is kept as ').removesuffix('.'))
    assert kept.is_file() and 'before-restore' in kept.name
    # the running app reads the restored library at once
    assert [o.body for o in Output.select()] == ['kept in the backup']
    await user.open('/outputs')
    await user.should_see('Before')
    await user.should_not_see('After')


async def test_restore_refuses_a_file_that_is_not_a_backup(user: User, db_path, tmp_path) -> None:
    dbmod.connect(db_path)
    _capture('still here', 'Mine')
    bogus = tmp_path / 'notes.db'
    bogus.write_text('not a database')
    await user.open('/settings?tab=backup')
    user.find(marker='restore-path').type(str(bogus))
    user.find(marker='restore-path-go').click()
    await user.should_see('Restore this backup?')
    user.find(marker='confirm-restore').click()
    await user.should_see('notes.db is not an SQLite database', retries=SLOW)
    assert [o.body for o in Output.select()] == ['still here']
    assert not list(db_path.parent.glob('*.before-restore-*'))


async def test_automatic_backup_settings_are_saved(user: User, db_path) -> None:
    await user.open('/settings?tab=backup')
    await user.should_see('Automatic backups')
    user.find(marker='auto-enabled').click()
    keep = user.find(marker='auto-keep_daily')
    keep.clear().type('3')
    user.find(marker='auto-save').click()
    await user.should_see('Automatic backup settings saved', retries=SLOW)
    stored = settings_store.get('auto_backup')
    assert stored['enabled'] is False and stored['keep_daily'] == 3
    await user.should_see(marker='auto-keep_daily')  # the card was drawn again with the saved values
    user.find(marker='auto-keep_daily').clear().type('2.5')
    user.find(marker='auto-save').click()
    await user.should_see('Keep daily needs a whole number.', retries=SLOW)
    assert settings_store.get('auto_backup')['keep_daily'] == 3


@pytest.fixture
def lan_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv('OUTPUTHUB_LAN', '1')


async def test_a_phone_may_upload_and_download_but_not_touch_files_of_the_computer(
    lan_mode, user: User, db_path
) -> None:
    """Paths on the computer (import by path, export to a folder) and backups / restores are for the
    computer running the app; a logged-in phone gets the upload and the download."""
    dbmod.connect(db_path)
    auth.set_password(PASSWORD)
    transport = httpx.ASGITransport(app=core.app, client=PHONE)
    async with httpx.AsyncClient(
        transport=transport, base_url='http://192.168.1.10:8080', headers={'Accept': 'text/html'}
    ) as phone:
        response = await phone.post('/login', data={'password': PASSWORD, 'device': 'Phone'})
        assert response.status_code == 303
        page = (await phone.get('/import')).text
        assert 'Upload an export' in page
        assert 'Importing by path works on the computer running Output Hub' in page
        assert 'chatgpt-export.zip' not in page  # the path field's placeholder
        tab = (await phone.get('/settings?tab=backup')).text
        assert 'Download' in tab and 'Include Secret items' in tab
        assert 'Backups and restores are made on the computer running Output Hub.' in tab
        assert 'Back up now' not in tab and 'Export to folder' not in tab and 'Restore' not in tab
