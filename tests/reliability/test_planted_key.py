"""A fake provider API key is typed into Settings → Providers in a real browser, used for a chat (a reply,
then a provider error), for ``outputhub ask``, and for an in-process chat with every logger at DEBUG;
then the library is exported (JSON and Markdown, Secret items included) and backed up. The key must be
found nowhere but in the key store: not in the database file, its WAL, the exports, the backups, the
app's log, the command's output, NiceGUI's storage or the settings page."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
import stat
import subprocess
import sys
import threading
from pathlib import Path

from app.data import conversations
from app.data import db as dbmod
from app.data.models import LlmModel, Provider
from app.llm import keys
from tests.e2e.conftest import ROOT, app_env
from tests.llm.fake_llm_server import DEFAULT_REPLY, FAKE_MODEL, FakeLLMServer, Script, point_providers_at

PLANTED = 'sk-planted-' + secrets.token_hex(16)


def _files(*roots: Path) -> list[Path]:
    out = []
    for root in roots:
        if root.is_file():
            out.append(root)
        elif root.is_dir():
            out.extend(p for p in root.rglob('*') if p.is_file())
    return out


def _holding_key(files: list[Path], key: str) -> list[str]:
    needle = key.encode()
    return [str(p) for p in files if needle in p.read_bytes()]


def _cli(data_dir: Path, *args: str, log: Path) -> subprocess.CompletedProcess:
    env = app_env(data_dir, {'OUTPUTHUB_LLM_TIMEOUT': '20'})
    result = subprocess.run(
        [sys.executable, str(ROOT / 'main.py'), *args],
        cwd=str(ROOT),
        env=env,
        capture_output=True,
        timeout=300,
    )
    with open(log, 'ab') as fh:
        fh.write(result.stdout + result.stderr)
    return result


def test_a_planted_api_key_is_never_written_anywhere_but_the_key_store(
    start_app, page, tmp_path: Path, figure
) -> None:
    server = FakeLLMServer().start()
    server.valid_keys = {PLANTED}  # a request without the planted key would fail: it is really used
    try:
        _run(start_app, page, tmp_path, server, figure)
    finally:
        server.stop()


def _run(start_app, page, tmp_path: Path, server: FakeLLMServer, figure) -> None:
    db = tmp_path / 'keys.db'
    dbmod.connect(db)
    point_providers_at(server, key=None)  # base URLs only: the key is typed in the browser
    model = LlmModel.get(
        (LlmModel.name == FAKE_MODEL) & (LlmModel.provider == Provider.get(Provider.kind == 'openai'))
    )
    conv = conversations.create_conversation('Key test', model=model.id)
    dbmod.close()
    app = start_app(db_path=db, env={'OUTPUTHUB_AUTO_BACKUP': '0', 'OUTPUTHUB_LLM_TIMEOUT': '20'})

    # 1. the key goes in through the settings page
    page.goto(app.url + '/settings?tab=providers')
    card = page.locator('.q-card').filter(has=page.get_by_text('OpenAI', exact=True)).first
    card.get_by_role('button', name='Edit').click(timeout=60_000)  # one line per provider until opened
    card.get_by_label('New key').fill(PLANTED)
    card.get_by_role('button', name='Save key').click()
    page.get_by_text('Key saved in the key file').wait_for(timeout=30_000)
    page.reload()
    card.get_by_text('in the key file').wait_for(timeout=60_000)  # its line says a key is kept there
    assert PLANTED not in page.content()  # shown masked, never sent back to the browser
    card.get_by_role('button', name='Edit').click()
    card.get_by_text('Save key').wait_for(timeout=30_000)
    assert PLANTED not in page.content()  # nor in the opened form

    # 2. a chat: one reply, then a provider error (401 from a key the server stops accepting)
    page.goto(f'{app.url}/chat/{conv.id}')
    box = page.get_by_label('Message', exact=True)
    box.wait_for(timeout=60_000)
    box.fill('What is WAL mode?')
    box.press('Control+Enter')
    page.get_by_text(DEFAULT_REPLY).wait_for(timeout=90_000)
    server.enqueue(Script(error='server'))
    box.fill('And a busy timeout?')
    box.press('Control+Enter')
    page.wait_for_timeout(3000)
    assert any(r.api_key == PLANTED for r in server.chat_requests()), 'the typed key was used'

    # 3. the command line uses it too
    cli_log = tmp_path / 'cli.log'
    asked = _cli(
        app.data_dir,
        'ask',
        'hello from the terminal',
        '--model',
        FAKE_MODEL,
        '--provider',
        'openai',
        '--db',
        str(db),
        log=cli_log,
    )
    assert asked.returncode == 0, asked.stderr.decode()[-1000:]

    # 4. an in-process chat with every logger at DEBUG (what a user switching on verbose logs would see)
    debug_log = tmp_path / 'debug.log'
    _debug_chat(db, app.data_dir, debug_log)

    # 5. exports (Secret items too) and a backup, through the commands a user runs
    exports = tmp_path / 'exports'
    for fmt in ('json', 'markdown'):
        done = _cli(
            app.data_dir,
            'export',
            '--format',
            fmt,
            '--out',
            str(exports),
            '--include-secret',
            '--db',
            str(db),
            log=cli_log,
        )
        assert done.returncode == 0, done.stderr.decode()[-1000:]
    backups = tmp_path / 'backups'
    backups.mkdir()
    made = _cli(app.data_dir, 'backup', '--out', str(backups), '--db', str(db), log=cli_log)
    assert made.returncode == 0, made.stderr.decode()[-1000:]

    # 6. search every file while the app still runs (the WAL is there), then after it stopped
    key_file = app.data_dir / keys.KEY_FILE_NAME
    assert key_file.exists() and PLANTED.encode() in key_file.read_bytes(), 'the key is in the key store'
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    wal = Path(str(db) + '-wal')
    storage = ROOT / '.nicegui'
    candidates = lambda: [  # noqa: E731 - re-listed after the app stops
        p
        for p in _files(tmp_path, app.data_dir, storage)
        if p != key_file and not p.name.startswith('.keys-')
    ]
    running = candidates()
    leaks = _holding_key(running, PLANTED)
    app.process.terminate()
    app.process.wait(timeout=30)
    after = candidates()
    leaks += _holding_key(after, PLANTED)
    scanned = {Path(p) for p in running} | {Path(p) for p in after}
    kinds = {
        'database': [p for p in scanned if p.name.startswith('keys.db')],
        'exports': [p for p in scanned if exports in p.parents],
        'backups': [p for p in scanned if backups in p.parents],
        'logs': [p for p in scanned if p.suffix == '.log'],
    }
    assert wal in scanned or any(p.name.endswith('-wal') for p in scanned), (
        'the WAL was searched while it existed'
    )
    for what, found in kinds.items():
        assert found, f'nothing of kind {what} was searched'
    figure(
        f'planted key: searched {len(scanned)} files ({", ".join(f"{len(v)} {k}" for k, v in kinds.items())}, '
        f'NiceGUI storage, data dir) after a browser chat, outputhub ask and a DEBUG-logged chat: '
        f'{len(set(leaks))} hold the key (only the 0600 key file does)'
    )
    assert not leaks, sorted(set(leaks))


def _debug_chat(db: Path, data_dir: Path, log_path: Path) -> None:
    """A chat through the service in this process with the root logger (httpx, openai, ...) at DEBUG."""
    from app.services import chat

    handler = logging.FileHandler(log_path)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter('%(levelname)s %(name)s: %(message)s'))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    old_env = os.environ.get('OUTPUTHUB_DATA_DIR')
    os.environ['OUTPUTHUB_DATA_DIR'] = str(data_dir)  # the key store the app used
    try:
        dbmod.connect(db)
        model = LlmModel.get(
            (LlmModel.name == FAKE_MODEL) & (LlmModel.provider == Provider.get(Provider.kind == 'openai'))
        )

        async def talk() -> None:
            reply = await chat.send_message('Tell me a secret', model=model)
            await reply.wait()

        # Playwright's sync API keeps an event loop running in this thread: chat in a thread of its own
        failure: list[BaseException] = []
        worker = threading.Thread(target=lambda: _capture(failure, lambda: asyncio.run(talk())))
        worker.start()
        worker.join(timeout=120)
        assert not failure, failure
    finally:
        dbmod.close()
        root.removeHandler(handler)
        root.setLevel(old_level)
        handler.close()
        if old_env is None:
            os.environ.pop('OUTPUTHUB_DATA_DIR', None)
        else:
            os.environ['OUTPUTHUB_DATA_DIR'] = old_env
    assert re.search(r'DEBUG (openai|httpx|httpcore)', log_path.read_text(errors='replace')), (
        'SDK debug logs ran'
    )


def _capture(failure: list[BaseException], fn) -> None:
    try:
        fn()
    except BaseException as exc:  # reported by the caller
        failure.append(exc)
    finally:
        dbmod.current().close()  # this thread's connection
