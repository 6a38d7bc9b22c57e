"""The Import page through the simulated user: importing by server path and by upload (through NiceGUI's
real upload route), progress, Stop, the report with links, history, dry runs, refusals that write nothing,
and the server-side size check."""

from __future__ import annotations

import importlib
import threading
from pathlib import Path
from types import ModuleType

import pytest
from nicegui import ui
from nicegui.testing import User

from app.data import db as dbmod
from app.data.importers import chatgpt
from app.data.models import Conversation, ImportRun, Message
from tests.data.export_builders import FIXTURES, linear_conversation, write_json

LIBRECHAT = FIXTURES / 'LibreChat__chatgpt-export.json'
CLAUDE = FIXTURES / 'claude-chat-viewer__claude-bakery-chat.json'
SLOW = 100  # retries of 0.1 s: an import runs in a worker thread


def page_module() -> ModuleType:
    """The page module the running app uses: NiceGUI's test reset drops page modules between tests, so a
    module imported at the top of this file would be a stale copy."""
    return importlib.import_module('app.pages.imports')


def _uploads_left() -> list[Path]:
    folder = page_module().uploads_dir()
    return sorted(folder.iterdir()) if folder.is_dir() else []


async def _import_by_path(user: User, path: Path | str) -> None:
    user.find(marker='import-path').clear().type(str(path))
    user.find(marker='import-path-go').click()


def _upload_element(user: User) -> ui.upload:
    return next(iter(user.find(marker='import-upload').elements))


async def _post_upload(user: User, name: str, data: bytes, **headers: str):
    """The browser's request: a multipart form to the upload element's own URL."""
    upload = _upload_element(user)
    return await user.http_client.post(
        upload.props['url'], files={'file': (name, data, 'application/octet-stream')}, headers=headers
    )


async def test_import_by_server_path_shows_the_report_links_and_history(user: User, db_path) -> None:
    await user.open('/import')
    await user.should_see('Get your export')
    await user.should_see('Settings → Data controls → Export data')
    await user.should_see('Nothing imported yet.')
    await _import_by_path(user, LIBRECHAT)
    await user.should_see('Imported', retries=SLOW)
    await user.should_see(marker='import-report')
    await user.should_see('Conversations added')
    assert Conversation.select().count() == 2
    await user.should_see(marker='imported-link', retries=SLOW)
    links = {el.props['href'] for el in user.find(marker='imported-link').elements}
    assert links == {f'/conversations/{c.id}' for c in Conversation.select()}
    await user.should_see('Conversation 1. Web Search')
    await user.should_see(marker='import-run')  # the history lists the run
    user.find(marker='imported-link', content='Conversation 1. Web Search').click()  # into the thread
    await user.should_see('What is the fuel consumption of vw', retries=SLOW)

    # importing the same export again adds nothing, and says so
    await user.open('/import')
    await _import_by_path(user, LIBRECHAT)
    await user.should_see('holds nothing new', retries=SLOW)
    assert Conversation.select().count() == 2
    assert ImportRun.select().count() == 2


async def test_upload_goes_through_the_upload_route_and_leaves_no_file(user: User, db_path) -> None:
    await user.open('/import')
    response = await _post_upload(user, '../../etc/evil name.json', CLAUDE.read_bytes())
    assert response.status_code == 200
    await user.should_see('Imported', retries=SLOW)
    await user.should_see('(Claude export)')
    assert Conversation.select().count() == 1
    assert _uploads_left() == []  # the temporary copy is gone once imported
    run = ImportRun.get()
    # the history names the file the way the browser did; it never became a path
    assert run.filename == 'evil name.json (uploaded)'
    await user.should_see('evil name.json (uploaded)')
    assert not (page_module().config.data_dir().parent / 'etc').exists()


async def test_a_multi_megabyte_upload_is_spooled_to_disk_and_imports(user: User, db_path, tmp_path) -> None:
    """Past NiceGUI's 1 MB in-memory threshold the upload arrives as a file on disk, which is copied to
    the import's own temporary file in chunks."""
    export = write_json(tmp_path / 'big.json', [linear_conversation(f'c{i}', 20) for i in range(150)])
    assert export.stat().st_size > 2_000_000
    await user.open('/import')
    response = await _post_upload(user, 'conversations.json', export.read_bytes())
    assert response.status_code == 200
    await user.should_see('Imported conversations.json (ChatGPT export).', retries=SLOW)
    assert Conversation.select().count() == 150 and Message.select().count() == 150 * 40
    assert _uploads_left() == []


async def test_a_dry_run_reports_and_writes_nothing(user: User, db_path) -> None:
    await user.open('/import')
    user.find(marker='dry-run').click()
    await _import_by_path(user, LIBRECHAT)
    await user.should_see('Dry run of', retries=SLOW)
    await user.should_see('nothing was written')
    await user.should_see('Conversations that would be added')
    assert Conversation.select().count() == 0 and Message.select().count() == 0
    assert ImportRun.get().dry_run


@pytest.mark.parametrize(
    'content, message',
    [
        (b'{"hello": "world"}', 'is not'),
        (b'\x00\x01binary garbage' * 10, 'is not'),
        (b'', 'is empty, so it is not an export.'),
    ],
)
async def test_a_non_export_gives_one_sentence_and_writes_nothing(
    user: User, db_path, tmp_path, content, message
) -> None:
    await user.open('/import')
    response = await _post_upload(user, 'notes.json', content)
    assert response.status_code == 200
    await user.should_see(marker='import-error', retries=SLOW)
    error = next(iter(user.find(marker='import-error').elements)).text
    assert message in error
    assert error.count('. ') == 0 and 'Traceback' not in error  # one sentence
    assert Conversation.select().count() == 0 and ImportRun.select().count() == 0
    assert _uploads_left() == []

    # the same by path, and a path that does not exist or is not absolute
    if content:
        bad = tmp_path / 'by-path.json'
        bad.write_bytes(content)
        await _import_by_path(user, bad)
        await user.should_see('by-path.json is not', retries=SLOW)
    await _import_by_path(user, tmp_path / 'missing.zip')
    await user.should_see(f'{tmp_path / "missing.zip"} does not exist.', retries=SLOW)
    await _import_by_path(user, 'Downloads/export.zip')
    await user.should_see('is not a full path', retries=SLOW)
    assert Conversation.select().count() == 0 and ImportRun.select().count() == 0


async def test_an_uploaded_file_that_is_not_an_export_is_named_as_picked(user: User, db_path) -> None:
    await user.open('/import')
    upload = _upload_element(user)
    with user:
        await upload.handle_uploads([ui.upload.SmallFileUpload('junk.json', '', b'{"hello": "world"}')])
    await user.should_see('junk.json is not a ChatGPT', retries=SLOW)
    await user.should_not_see('upload-')  # the server's name for the upload stays internal
    assert _uploads_left() == [] and Conversation.select().count() == 0


async def test_the_server_refuses_an_upload_over_the_limit(user: User, db_path, monkeypatch) -> None:
    monkeypatch.setattr(page_module(), 'UPLOAD_LIMIT', 1000)
    await user.open('/import')
    # a client that ignores the browser's limit: refused by its declared size, before the body is read
    response = await _post_upload(user, 'big.json', b'[' + b' ' * 200_000 + b']')
    assert response.status_code == 413
    assert 'Uploads stop at' in response.json()['detail']
    # and the upload handler checks again (a body whose size was not refused up front)
    upload = _upload_element(user)
    with user:
        await upload.handle_uploads([ui.upload.SmallFileUpload('big.json', '', b'[' + b' ' * 5000 + b']')])
    await user.should_see('uploads stop at', retries=SLOW)
    assert _uploads_left() == [] and ImportRun.select().count() == 0


async def test_stop_while_the_file_is_being_read(user: User, db_path, tmp_path, monkeypatch) -> None:
    from app.data.importers import inputs

    export = write_json(tmp_path / 'big.json', [linear_conversation(f'c{i}', 2) for i in range(30)])
    release = threading.Event()
    iter_items = inputs.iter_items

    def slow_read(doc):
        for n, item in enumerate(iter_items(doc)):
            if n == 3:
                release.wait(10)  # hold the first read of the file until the test pressed Stop
            yield item

    monkeypatch.setattr(inputs, 'iter_items', slow_read)
    await user.open('/import')
    await _import_by_path(user, export)
    await user.should_see('Reading the file', retries=SLOW)
    user.find(marker='job-stop').click()
    await user.should_see('Stopping after the item in hand', retries=SLOW)
    release.set()
    await user.should_see('Stopped while reading big.json', retries=SLOW)
    await user.should_see('nothing was imported', retries=SLOW)
    assert Conversation.select().count() == 0 and ImportRun.select().count() == 0


async def test_progress_updates_and_stop_keeps_whole_conversations(
    user: User, db_path, tmp_path, monkeypatch
) -> None:
    export = write_json(tmp_path / 'big.json', [linear_conversation(f'c{i}', 2) for i in range(30)])
    release = threading.Event()
    convert = chatgpt.convert
    seen = []

    def slow_convert(conv, report):
        seen.append(conv['id'])
        if len(seen) > 3:
            release.wait(10)  # hold the import mid-way until the test pressed Stop
        return convert(conv, report)

    monkeypatch.setattr(chatgpt, 'convert', slow_convert)
    await user.open('/import')
    await _import_by_path(user, export)
    await user.should_see(marker='job-progress', retries=SLOW)
    await user.should_see('of 30 conversations', retries=SLOW)  # the bar counts as it goes
    user.find(marker='job-stop').click()
    await user.should_see('Stopping after the item in hand', retries=SLOW)
    release.set()
    await user.should_see('Stopped: part of', retries=SLOW)
    added = Conversation.select().count()
    assert 0 < added < 30
    assert all(c.message_count == 4 for c in Conversation.select())  # whole conversations only
    assert ImportRun.get().status == 'cancelled'
    # the page was never blocked: another page opened while it ran would have shown; the rest comes next time
    monkeypatch.setattr(chatgpt, 'convert', convert)
    await _import_by_path(user, export)
    await user.should_see('Imported', retries=SLOW)
    assert Conversation.select().count() == 30


async def test_a_second_import_waits_for_the_first(user: User, db_path, tmp_path, monkeypatch) -> None:
    export = write_json(tmp_path / 'c.json', [linear_conversation(f'c{i}', 1) for i in range(5)])
    release = threading.Event()
    convert = chatgpt.convert
    monkeypatch.setattr(chatgpt, 'convert', lambda c, r: (release.wait(10), convert(c, r))[1])
    await user.open('/import')
    await _import_by_path(user, export)
    await user.should_see(marker='job-progress', retries=SLOW)
    upload = _upload_element(user)
    assert not upload.enabled  # nothing to start while it runs
    assert (await _post_upload(user, 'other.json', LIBRECHAT.read_bytes())).status_code == 403
    # a file that arrives anyway (the upload began before the import did) is refused by the handler
    with user:
        await upload.handle_uploads([ui.upload.SmallFileUpload('other.json', '', LIBRECHAT.read_bytes())])
    await user.should_see('is still running', retries=SLOW)
    await user.should_see(marker='job-progress')  # the refusal did not hide the running import
    release.set()
    await user.should_see('Imported', retries=SLOW)
    assert upload.enabled
    assert _uploads_left() == []
    assert Conversation.select().count() == 5


async def test_the_empty_home_page_leads_to_the_import_page(user: User, db_path) -> None:
    dbmod.connect(db_path)
    await user.open('/')
    user.find('Import from ChatGPT / Claude').click()
    await user.should_see('Upload an export')
