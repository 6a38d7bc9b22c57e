"""Small builders for synthetic ChatGPT / Claude exports and llm logs.db files used by the import tests."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path
from typing import Any

# Real export files the project ships (licences and origins in tests/fixtures/exports/SOURCES.md).
FIXTURES = Path(__file__).resolve().parents[1] / 'fixtures' / 'exports'


def node(
    node_id: str, parent: str | None, role: str | None, text: str = '', t: float | None = None, **extra: Any
) -> dict:
    """A mapping node; ``role=None`` makes a node without a message (like the root)."""
    if role is None:
        return {'id': node_id, 'message': None, 'parent': parent, 'children': []}
    content = extra.pop('content', None) or {'content_type': 'text', 'parts': [text]}
    metadata = extra.pop('metadata', {})
    msg = {
        'id': node_id,
        'author': {'role': role, 'name': extra.pop('name', None), 'metadata': {}},
        'create_time': t,
        'update_time': None,
        'content': content,
        'status': extra.pop('status', 'finished_successfully'),
        'end_turn': None,
        'weight': extra.pop('weight', 1.0),
        'metadata': metadata,
        'recipient': extra.pop('recipient', 'all'),
        'channel': None,
    }
    msg.update(extra)
    return {'id': node_id, 'message': msg, 'parent': parent, 'children': []}


def chatgpt_conversation(
    conv_id: str, title: str | None, nodes: list[dict], current: str | None, **extra: Any
) -> dict:
    mapping = {n['id']: n for n in nodes}
    for n in nodes:
        if n['parent'] in mapping:
            mapping[n['parent']]['children'].append(n['id'])
    conv = {
        'id': conv_id,
        'conversation_id': conv_id,
        'title': title,
        'create_time': 1_700_000_000.5,
        'update_time': 1_700_000_900.25,
        'mapping': dict(reversed(list(mapping.items()))),  # not topological, like real exports
        'current_node': current,
        'default_model_slug': 'gpt-4o',
    }
    conv.update(extra)
    return conv


def branched_conversation(conv_id: str = 'conv-branch', current: str | None = 'a2b') -> dict:
    """root → u1 → a1 → u2 → {a2 (first answer), a2b (regenerated)}; u1 also has an edited sibling u1e → a1e."""
    t = 1_700_000_000.0
    return chatgpt_conversation(
        conv_id,
        'Branchy',
        [
            node('root', None, None),
            node('u1', 'root', 'user', 'First question', t + 1),
            node('a1', 'u1', 'assistant', 'First answer', t + 2, metadata={'model_slug': 'gpt-4o'}),
            node('u2', 'a1', 'user', 'Second question', t + 3),
            node(
                'a2', 'u2', 'assistant', 'Second answer, first try', t + 4, metadata={'model_slug': 'gpt-4o'}
            ),
            node(
                'a2b', 'u2', 'assistant', 'Second answer, regenerated', t + 5, metadata={'model_slug': 'o3'}
            ),
            node('u1e', 'root', 'user', 'First question, edited', t + 6),
            node('a1e', 'u1e', 'assistant', 'Answer to the edit', t + 7, metadata={'model_slug': 'gpt-4o'}),
        ],
        current,
    )


def linear_conversation(
    conv_id: str, turns: int = 2, title: str = 'Linear', t0: float = 1_700_100_000.0
) -> dict:
    nodes = [node('client-created-root', None, None)]
    parent = 'client-created-root'
    for i in range(turns * 2):
        role = 'user' if i % 2 == 0 else 'assistant'
        nid = f'{conv_id}-m{i}'
        meta = {'model_slug': 'gpt-4o'} if role == 'assistant' else {}
        nodes.append(node(nid, parent, role, f'{role} message {i} of {conv_id}', t0 + i, metadata=meta))
        parent = nid
    return chatgpt_conversation(conv_id, title, nodes, parent)


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding='utf-8')
    return path


def write_zip(path: Path, members: dict[str, Any]) -> Path:
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data if isinstance(data, str | bytes) else json.dumps(data))
    return path


def claude_conversation(
    conv_id: str, messages: list[tuple[str, str, str]], name: str = 'Claude chat', **extra
) -> dict:
    """messages: (uuid, sender, text) in time order."""
    out = []
    for i, (uuid, sender, text) in enumerate(messages):
        out.append(
            {
                'uuid': uuid,
                'text': text,
                'content': [{'type': 'text', 'text': text}],
                'sender': sender,
                'created_at': f'2025-01-02T10:{i:02d}:00.000000Z',
                'updated_at': f'2025-01-02T10:{i:02d}:00.000000Z',
                'attachments': [],
                'files': [],
            }
        )
    conv = {
        'uuid': conv_id,
        'name': name,
        'created_at': '2025-01-02T09:59:00.123456Z',
        'updated_at': '2025-01-02T11:00:00+00:00',
        'account': {'uuid': 'acct'},
        'chat_messages': out,
    }
    conv.update(extra)
    return conv


LEGACY_SCHEMA = [
    'CREATE TABLE [conversations] ([id] TEXT PRIMARY KEY, [name] TEXT, [model] TEXT)',
    'CREATE TABLE [responses] ([id] TEXT PRIMARY KEY, [model] TEXT, [prompt] TEXT, [system] TEXT, [prompt_json] TEXT, '
    '[options_json] TEXT, [response] TEXT, [response_json] TEXT, [conversation_id] TEXT REFERENCES [conversations]([id]), '
    '[duration_ms] INTEGER, [datetime_utc] TEXT, [input_tokens] INTEGER, [output_tokens] INTEGER, [token_details] TEXT, '
    '[schema_id] TEXT, [resolved_model] TEXT)',
]
STORE_SCHEMA = [
    'CREATE TABLE [messages] ([hash] TEXT PRIMARY KEY, [parent_hash] TEXT REFERENCES [messages]([hash]), [role] TEXT, '
    '[provider_metadata] TEXT)',
    'CREATE TABLE [parts] ([id] INTEGER PRIMARY KEY, [message_hash] TEXT REFERENCES [messages]([hash]), [position] INTEGER, '
    '[type] TEXT, [tool_name] TEXT, [text] TEXT, [payload] TEXT)',
    'CREATE UNIQUE INDEX idx_parts_message_hash_position ON parts (message_hash, position)',
    'CREATE TABLE [fragments] ([id] INTEGER PRIMARY KEY, [hash] TEXT, [content] TEXT, [datetime_utc] TEXT, [source] TEXT)',
    'CREATE TABLE [threads] ([id] TEXT PRIMARY KEY, [name] TEXT, [tip_message_hash] TEXT, [forked_from] TEXT, [datetime_utc] TEXT)',
    'CREATE TABLE [turns] ([id] TEXT PRIMARY KEY, [thread_id] TEXT, [parent_message_hash] TEXT, [tip_message_hash] TEXT, '
    '[model] TEXT, [resolved_model] TEXT, [options_json] TEXT, [schema_id] TEXT, [input_tokens] INTEGER, '
    '[output_tokens] INTEGER, [token_details] TEXT, [duration_ms] INTEGER, [datetime_utc] TEXT)',
]


def llm_logs_db(path: Path, *, store: bool = True) -> Path:
    """A logs.db with two legacy conversations and (``store``) one thread that duplicates the second one
    plus a thread of its own with reasoning, a tool call and a fragment-backed prompt."""
    conn = sqlite3.connect(path)
    for sql in LEGACY_SCHEMA + (STORE_SCHEMA if store else []):
        conn.execute(sql)
    conn.executemany(
        'INSERT INTO conversations VALUES (?, ?, ?)',
        [('01legacy', 'Haiku about SQLite', 'gpt-4o-mini'), ('01dual', 'Dual written', 'claude-3.5-sonnet')],
    )
    conn.executemany(
        'INSERT INTO responses (id, model, prompt, system, response, conversation_id, duration_ms, datetime_utc, '
        'input_tokens, output_tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [
            (
                'r1',
                'gpt-4o-mini',
                'Write a haiku about SQLite',
                'You are a poet',
                'Pages in a B-tree',
                '01legacy',
                900,
                '2024-05-01T10:00:00.000000',
                12,
                7,
            ),
            (
                'r2',
                'gpt-4o-mini',
                'Another one',
                'You are a poet',
                'WAL keeps readers calm',
                '01legacy',
                800,
                '2024-05-01T10:01:00.000000',
                30,
                8,
            ),
            (
                'r3',
                'claude-3.5-sonnet',
                'Dual question',
                None,
                'Dual answer (legacy copy)',
                '01dual',
                500,
                '2024-06-01T09:00:00',
                5,
                5,
            ),
            (
                'r4',
                'gpt-4o',
                'A prompt without a conversation',
                None,
                'A lone answer',
                None,
                100,
                '2024-06-02T09:00:00',
                None,
                None,
            ),
        ],
    )
    if store:
        conn.executemany(
            'INSERT INTO messages VALUES (?, ?, ?, ?)',
            [
                ('b2:u1', None, 'user', None),
                ('b2:a1', 'b2:u1', 'assistant', None),
                ('b2:u2', None, 'user', None),
                ('b2:a2', 'b2:u2', 'assistant', None),
                ('b2:t2', 'b2:a2', 'tool', None),
                ('b2:a3', 'b2:t2', 'assistant', None),
            ],
        )
        conn.execute("INSERT INTO fragments VALUES (1, 'h', 'FRAGMENT TEXT', '2024-07-01', 'file.txt')")
        conn.executemany(
            'INSERT INTO parts (message_hash, position, type, tool_name, text, payload) VALUES (?, ?, ?, ?, ?, ?)',
            [
                ('b2:u1', 0, 'text', None, 'Dual question', None),
                ('b2:a1', 0, 'text', None, 'Dual answer (new store)', None),
                (
                    'b2:u2',
                    0,
                    'text',
                    None,
                    None,
                    json.dumps({'text_ref': [{'fragment': 1}, {'literal': ' - what is it?'}]}),
                ),
                ('b2:a2', 0, 'reasoning', None, 'Let me look it up', None),
                (
                    'b2:a2',
                    1,
                    'tool_call',
                    'lookup',
                    None,
                    json.dumps({'name': 'lookup', 'arguments': {'q': 'fragment'}}),
                ),
                (
                    'b2:t2',
                    0,
                    'tool_result',
                    'lookup',
                    None,
                    json.dumps({'name': 'lookup', 'output': 'LOOKUP RESULT'}),
                ),
                ('b2:a3', 0, 'text', None, 'It is a fragment.', None),
            ],
        )
        conn.executemany(
            'INSERT INTO threads VALUES (?, ?, ?, ?, ?)',
            [
                ('01dual', 'Dual written', 'b2:a1', None, '2024-06-01T09:00:00'),
                ('01thread', None, 'b2:a3', None, '2024-07-01T08:00:00'),
            ],
        )
        conn.executemany(
            'INSERT INTO turns (id, thread_id, parent_message_hash, tip_message_hash, model, input_tokens, output_tokens, '
            'datetime_utc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
            [
                ('r3', '01dual', 'b2:u1', 'b2:a1', 'claude-3.5-sonnet', 5, 5, '2024-06-01T09:00:00'),
                ('t1', '01thread', 'b2:u2', 'b2:a2', 'gpt-4.1', 40, 10, '2024-07-01T08:00:00'),
                ('t2', '01thread', 'b2:t2', 'b2:a3', 'gpt-4.1', 60, 6, '2024-07-01T08:00:05'),
            ],
        )
    conn.commit()
    conn.close()
    return path


# what a parser's own bug looks like in the report (``save_each`` turns an exception into a skipped
# conversation with "<label>: <type>: <text>"): arbitrary input must never get there
PROGRAMMING_ERRORS = (
    'TypeError',
    'KeyError',
    'AttributeError',
    'IndexError',
    'RecursionError',
    'UnboundLocalError',
    'NameError',
    'ZeroDivisionError',
    'AssertionError',
    'OverflowError',
)


def assert_no_parser_bug(report: Any) -> None:
    """A report that may have skipped malformed conversations, but none because the parser itself broke."""
    bugs = [e for e in report.errors if any(f': {name}: ' in e for name in PROGRAMMING_ERRORS)]
    assert not bugs, bugs
