"""Real browser: upload a real ChatGPT export on /import, see the report, follow its link into the thread;
then download a Markdown export from Settings → Export & backup."""

from __future__ import annotations

import re
import zipfile

from tests.data.export_builders import FIXTURES

from .conftest import screenshot, wait_for_app

LIBRECHAT = FIXTURES / 'LibreChat__chatgpt-export.json'


def test_upload_a_chatgpt_export_and_open_what_came_in(start_app, page, tmp_path) -> None:
    app = start_app()
    page.goto(app.url + '/import')
    wait_for_app(page)
    page.get_by_text('Settings → Data controls → Export data').wait_for()
    # Quasar's uploader keeps its <input type=file> hidden; choosing a file starts the upload (auto-upload)
    page.locator('.q-uploader input[type=file]').set_input_files(str(LIBRECHAT))
    page.get_by_text('Imported LibreChat__chatgpt-export.json (ChatGPT export).').wait_for(timeout=60_000)
    page.get_by_text('Conversations added').first.wait_for()
    page.get_by_role('link', name='Conversation 1. Web Search').wait_for()
    screenshot(page, 'import-report')
    assert not list((app.data_dir / 'uploads').glob('*'))  # the temporary copy is gone
    # the history names the upload as the browser did
    page.get_by_text('LibreChat__chatgpt-export.json (uploaded)').first.wait_for()

    page.get_by_role('link', name='Conversation 1. Web Search').click()
    page.wait_for_url(re.compile(r'.*/conversations/\d+$'))
    page.get_by_text('What is the fuel consumption of vw').first.wait_for(timeout=30_000)

    page.goto(app.url + '/settings?tab=backup')
    wait_for_app(page)
    page.get_by_text('Markdown: one note per item').click()
    screenshot(page, 'settings-export-backup')
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role('button', name='Download').click()
    target = tmp_path / 'notes.zip'
    info.value.save_as(target)
    with zipfile.ZipFile(target) as zf:
        assert any(n.endswith('Conversations/Conversation 1. Web Search (c1).md') for n in zf.namelist())
    assert not page.recorder.console_errors, page.recorder.console_errors
