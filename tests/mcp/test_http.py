"""``/mcp`` on the running app (a real ``main.py`` on a free port), driven by the SDK's streamable HTTP
client: this computer gets in as itself, API tokens with their own rights, Secret items follow the REST
API's rules, and web pages of other sites or names are refused."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import MCPError

from app.data import access, outputs
from app.data import db as dbmod
from app.data.sensitivity import WITHHELD_NOTICE
from tests.e2e.conftest import app_env, free_port, wait_until_up

from .conftest import CLIENT, Library, build_library, error, result, stdio_session

INIT = {
    'jsonrpc': '2.0',
    'id': 1,
    'method': 'initialize',
    'params': {
        'protocolVersion': '2025-06-18',
        'capabilities': {},
        'clientInfo': {'name': 'raw', 'version': '1'},
    },
}
MCP_HEADERS = {'Accept': 'application/json, text/event-stream', 'Content-Type': 'application/json'}


@dataclass
class RunningApp:
    url: str
    db_path: Path
    lib: Library


@pytest.fixture(scope='module')
def running_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """The app on a free port over a small library (one process for the module: it takes seconds)."""
    root = tmp_path_factory.mktemp('mcp-app')
    data_dir = root / 'data'
    data_dir.mkdir()
    db_path = data_dir / 'outputhub.db'
    dbmod.connect(db_path)
    lib = build_library()
    dbmod.close()
    port = free_port()
    log = (root / 'app.log').open('w')
    process = subprocess.Popen(
        [sys.executable, 'main.py', '--db', str(db_path), '--port', str(port), '--no-browser'],
        cwd=str(Path(__file__).resolve().parents[2]),
        env=app_env(data_dir),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until_up(f'http://127.0.0.1:{port}/', process)
        yield RunningApp(f'http://127.0.0.1:{port}', db_path, lib)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture
def app(running_app: RunningApp) -> RunningApp:
    """The running app, with this test's process on its database too (tokens, checks)."""
    dbmod.connect(running_app.db_path)
    return running_app


@asynccontextmanager
async def http_session(app: RunningApp, token: str | None = None) -> AsyncIterator[ClientSession]:
    headers = {'Authorization': f'Bearer {token}'} if token else None
    async with create_mcp_http_client(headers=headers) as http:
        async with streamable_http_client(app.url + '/mcp', http_client=http) as (read, write):
            async with ClientSession(read, write, client_info=CLIENT) as session:
                await session.initialize()
                yield session


async def test_this_computer_uses_the_tools_and_prompts_over_http(app: RunningApp) -> None:
    lib = app.lib
    async with http_session(app) as session:
        assert len((await session.list_tools()).tools) == 11
        titles = {p.title for p in (await session.list_prompts()).prompts}
        assert {'Code review', 'Zanzibar plan'} <= titles  # this computer sees Secret prompts
        out = result(await session.call_tool('get_output', {'id': lib.wal}))
        assert out['url'] == f'{app.url}/outputs/{lib.wal}'
        saved = result(
            await session.call_tool('save_output', {'body': 'Saved over HTTP: checkpoint starvation.'})
        )
        found = result(
            await session.call_tool('search', {'query': 'checkpoint starvation', 'mode': 'keyword'})
        )
        assert [h['id'] for h in found['results']] == [saved['id']]
    assert outputs.output_detail(saved['id']).source.name == 'MCP · pytest-client'


async def test_a_read_only_token_reads_but_cannot_save(app: RunningApp) -> None:
    token = access.create_token('assistant', 'read').token
    async with http_session(app, token) as session:
        found = result(await session.call_tool('search', {'query': 'readers writer', 'mode': 'keyword'}))
        assert found['results'][0]['id'] == app.lib.wal
        refused = error(await session.call_tool('save_output', {'body': 'A read-only token wrote this.'}))
        assert (
            refused
            == 'This token is read-only; create a read-write token to save or change anything in Output Hub.'
        )
        assert 'read-only' in error(await session.call_tool('tag', {'id': app.lib.wal, 'add': ['x']}))
        assert 'read-only' in error(
            await session.call_tool('save_conversation', {'messages': [{'role': 'user', 'content': 'hi'}]})
        )
    assert outputs.find_duplicates('A read-only token wrote this.') == []


async def test_a_token_without_secret_access_never_sees_a_secret_item(app: RunningApp) -> None:
    lib = app.lib
    token = access.create_token('assistant', 'write').token
    async with http_session(app, token) as session:
        for mode in ('keyword', 'semantic', 'hybrid'):
            for words in ('Zanzibar launch', 'quokka password hunter2'):
                found = result(await session.call_tool('search', {'query': words, 'mode': mode}))
                keys = {(h['kind'], h['id']) for h in found['results']}
                assert ('output', lib.secret_output) not in keys and (
                    'message',
                    lib.leaked_message,
                ) not in keys
                assert 'hunter2' not in str(found['results']) and 'launch codes' not in str(found['results'])
        assert 'does not exist' in error(await session.call_tool('get_output', {'id': lib.secret_output}))
        assert 'does not exist' in error(await session.call_tool('similar', {'output_id': lib.secret_output}))
        assert 'does not exist' in error(
            await session.call_tool('similar', {'message_id': lib.leaked_message})
        )
        near = result(await session.call_tool('similar', {'output_id': lib.wal, 'limit': 50}))
        assert 'hunter2' not in str(near) and 'Zanzibar' not in str(near)
        latest = result(await session.call_tool('recent', {'limit': 50}))
        assert lib.secret_output not in [i['id'] for i in latest['items']]
        assert 'does not exist' in error(await session.call_tool('get_prompt', {'id': lib.secret_prompt}))
        assert 'does not exist' in error(
            await session.call_tool('rate', {'id': lib.secret_output, 'rating': 1})
        )
        names = {p.title: p.name for p in (await session.list_prompts()).prompts}
        assert 'Zanzibar plan' not in names and 'Code review' in names
        with pytest.raises(MCPError):
            await session.get_prompt(f'zanzibar-plan-{lib.secret_prompt}', {'date': 'today'})
        conv = result(await session.call_tool('get_conversation', {'id': lib.leaky_chat}))
        assert [m['content'] for m in conv['messages']][-1] == WITHHELD_NOTICE
        assert 'hunter2' not in str(conv)
        refused = error(
            await session.call_tool(
                'save_conversation',
                {'messages': [{'role': 'user', 'content': 'go on'}], 'conversation_id': lib.leaky_chat},
            )
        )
        assert 'withheld' in refused
        dup = result(await session.call_tool('save_output', {'body': 'Zanzibar launch codes are 0000.'}))
        assert dup['saved'] is False and 'id' not in dup  # not even the id of the Secret output
    allowed = access.create_token('trusted', 'read', allow_restricted=True).token
    async with http_session(app, allowed) as session:
        found = result(await session.call_tool('search', {'query': 'Zanzibar launch', 'mode': 'keyword'}))
        assert ('output', lib.secret_output) in {(h['kind'], h['id']) for h in found['results']}


async def test_the_gate_refuses_bad_tokens_other_sites_and_unknown_names(app: RunningApp) -> None:
    async with httpx.AsyncClient(base_url=app.url) as http:
        ok = await http.post('/mcp', json=INIT, headers=MCP_HEADERS)
        assert ok.status_code == 200  # an MCP client sends no Origin
        bad = await http.post('/mcp', json=INIT, headers={**MCP_HEADERS, 'Authorization': 'Bearer oh_nope'})
        assert bad.status_code == 401 and 'unknown or revoked' in bad.json()['detail']
        site = {**MCP_HEADERS, 'Origin': 'https://evil.example.com'}
        assert (await http.post('/mcp', json=INIT, headers=site)).status_code == 403
        assert (await http.get('/mcp', headers={'Accept': 'text/event-stream', **site})).status_code == 403
        rebound = {**MCP_HEADERS, 'Host': 'attacker.example.com'}
        assert (await http.post('/mcp', json=INIT, headers=rebound)).status_code == 421
        token = access.create_token('pages', 'write').token
        pages = await http.get('/settings', headers={'Authorization': f'Bearer {token}'})
        assert pages.status_code == 401  # a token opens the API and /mcp, not the pages


async def test_stdio_saves_while_the_app_runs_on_the_same_database(app: RunningApp) -> None:
    async with stdio_session(app.db_path) as local:
        saved = result(
            await local.call_tool('save_output', {'body': 'Written by the stdio server beside the app.'})
        )
    async with http_session(app) as session:
        found = result(await session.call_tool('search', {'query': 'stdio server beside', 'mode': 'keyword'}))
        assert [h['id'] for h in found['results']] == [saved['id']]


async def test_a_save_waiting_for_the_write_lock_never_stalls_the_app(app: RunningApp) -> None:
    other = dbmod.sqlite3.connect(str(app.db_path), timeout=10)  # another writer (an import, the CLI)
    other.execute('BEGIN IMMEDIATE')
    try:
        async with http_session(app) as session:
            save = asyncio.create_task(session.call_tool('save_output', {'body': 'It waited for the lock.'}))
            async with httpx.AsyncClient(base_url=app.url, timeout=5) as http:
                started = time.monotonic()
                while time.monotonic() - started < 1.0:  # the app keeps answering the whole time
                    assert (await http.get('/favicon.ico')).status_code == 200
            assert not save.done()  # it is still waiting for the lock
            other.rollback()
            assert result(await save)['saved'] is True
    finally:
        other.close()


async def test_resources_follow_the_tools_rules_for_tokens(app: RunningApp) -> None:
    lib = app.lib
    token = access.create_token('attach', 'read').token  # read-only, no Secret items
    async with http_session(app, token) as session:
        templates = (await session.list_resource_templates()).resource_templates
        assert 'outputhub://output/{id}' in {t.uri_template for t in templates}
        listed = (await session.list_resources()).resources
        assert f'outputhub://output/{lib.wal}' in {r.uri for r in listed}
        assert f'outputhub://output/{lib.secret_output}' not in {r.uri for r in listed}
        assert 'Zanzibar' not in str(listed) and 'hunter2' not in str(listed)
        wal = (await session.read_resource(f'outputhub://output/{lib.wal}')).contents[0].text
        assert f'{app.url}/outputs/{lib.wal}' in wal  # links start with the address the client used
        for uri, words in [
            (f'outputhub://output/{lib.secret_output}', f'Output {lib.secret_output} does not exist.'),
            (f'outputhub://prompt/{lib.secret_prompt}', f'Prompt {lib.secret_prompt} does not exist.'),
        ]:
            with pytest.raises(MCPError) as caught:
                await session.read_resource(uri)
            assert caught.value.message == words
            assert 'Zanzibar' not in str(caught.value.error)
        recent = (await session.read_resource('outputhub://recent')).contents[0].text
        assert 'Zanzibar' not in recent and 'hunter2' not in recent
        leaky = (await session.read_resource(f'outputhub://conversation/{lib.leaky_chat}')).contents[0].text
        assert WITHHELD_NOTICE in leaky and 'hunter2' not in leaky
    allowed = access.create_token('trusted attach', 'read', allow_restricted=True).token
    async with http_session(app, allowed) as session:
        secret = (await session.read_resource(f'outputhub://output/{lib.secret_output}')).contents[0].text
        assert 'Zanzibar launch codes are 0000.' in secret
