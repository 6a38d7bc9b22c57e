"""The MCP server driven by the SDK's own client: a library built with the data layer, a stdio session
with ``outputhub mcp`` in a subprocess, and helpers to read tool results."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import mcp_types as types
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

from app.data import conversations, embeddings, lookups, outputs, prompts, settings_store

ROOT = Path(__file__).resolve().parents[2]
CLIENT = types.Implementation(name='pytest-client', version='1')


@dataclass
class Library:
    wal: int  # output about SQLite WAL, tagged sqlite, model gpt-4o
    vacuum: int  # output about Postgres vacuum
    chat: int  # a 14-message conversation
    chat_messages: list[int]
    review: int  # prompt "Code review" with {{language|Python}} and {{focus}}, two versions
    secret_output: int
    secret_prompt: int
    leaky_chat: int  # a conversation one of whose messages was saved as a Secret output
    leaked_message: int


def build_library() -> Library:
    """A small library in the database the test has open (``db`` fixture), indexed for meaning."""
    settings_store.put(embeddings.MODEL_SETTING, 'builtin:hashing-384')
    cap = outputs.capture_output
    wal = cap(
        outputs.CaptureData(
            body='SQLite WAL lets readers keep reading while one writer commits.',
            title='WAL notes',
            tags=['sqlite'],
            model='gpt-4o',
        )
    ).id
    vacuum = cap(outputs.CaptureData(body='Postgres vacuum reclaims dead tuples after updates.')).id
    turns = []
    for i in range(7):
        turns.append(('user', f'Question {i} about FTS5 tokenizers number{i}'))
        turns.append(('assistant', f'Answer {i}: the trigram tokenizer helps substring search number{i}'))
    chat = conversations.create_from_turns('Indexing chat', turns)
    chat_messages = [tm.message.id for tm in conversations.thread(chat.id)]
    review = prompts.create_prompt('Code review', 'Review this {{language|Python}} code for {{focus}}.')
    prompts.new_version(review.id, 'Review this {{language|Python}} code carefully for {{focus}}.')
    secret = lookups.find_by_name('sensitivity', 'Secret').id
    secret_output = cap(outputs.CaptureData(body='Zanzibar launch codes are 0000.', sensitivity_id=secret)).id
    secret_prompt = prompts.create_prompt('Zanzibar plan', 'Plan the Zanzibar launch for {{date}}.')
    from app.data import entities

    entities.update_item('prompt', secret_prompt.id, sensitivity=secret)
    leaky = conversations.create_from_turns(
        'Leaky chat',
        [('user', 'Tell me the quokka password'), ('assistant', 'The quokka password is hunter2.')],
    )
    leaked = conversations.thread(leaky.id)[-1].message.id
    cap(outputs.CaptureData(body='The quokka password is hunter2.', message_id=leaked, sensitivity_id=secret))
    embeddings.index_pending()
    return Library(
        wal, vacuum, chat.id, chat_messages, review.id, secret_output, secret_prompt.id, leaky.id, leaked
    )


def server_env(data_dir: Path) -> dict[str, str]:
    return {
        'OUTPUTHUB_DATA_DIR': str(data_dir),
        'OUTPUTHUB_INDEXER': '0',
        'OUTPUTHUB_KEYSTORE': 'file',
        'PYTHONPATH': str(ROOT),
    }


@asynccontextmanager
async def stdio_session(
    db_path: Path, *args: str, errlog: TextIO = sys.stderr, garbage: list[Exception] | None = None
) -> AsyncIterator[ClientSession]:
    """``outputhub mcp --db PATH`` in a subprocess, with an initialized SDK client session. ``garbage``
    collects what the client could not read as protocol on the server's stdout."""

    async def on_message(message: Any) -> None:
        if isinstance(message, Exception) and garbage is not None:
            garbage.append(message)

    params = StdioServerParameters(
        command=sys.executable,
        args=['-m', 'app.cli', 'mcp', '--db', str(db_path), *args],
        cwd=str(ROOT),
        env=server_env(Path(os.environ['OUTPUTHUB_DATA_DIR'])),
    )
    async with stdio_client(params, errlog=errlog) as (read, write):
        async with ClientSession(read, write, client_info=CLIENT, message_handler=on_message) as session:
            await session.initialize()
            yield session


def result(res: types.CallToolResult) -> dict[str, Any]:
    """A successful tool result's JSON."""
    assert not res.is_error, res.content[0].text
    return json.loads(res.content[0].text)


def error(res: types.CallToolResult) -> str:
    """A tool error's sentence."""
    assert res.is_error, res.content[0].text
    return res.content[0].text
