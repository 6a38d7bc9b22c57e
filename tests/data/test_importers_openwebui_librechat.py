"""Open WebUI and LibreChat exports: the two genuine samples (tests/fixtures/exports/SOURCES.md) and
hand-made files, built here, for the variants no licensed sample shows ("Export All Chats" rows,
reasoning and tool runs, branches, LibreChat's flat ``messages`` and ``content[]`` parts)."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.cli import main
from app.data import db as dbmod
from app.data import relations, search
from app.data.importers import detect_format, import_path
from app.data.models import Conversation, ConversationTag, Message, Tag
from app.errors import UserError

from .export_builders import FIXTURES, assert_no_parser_bug, write_zip
from .test_importers import (
    active_path,
    conv_by_ext,
    refused_or_skipped_writing_nothing,
    total_changes,
    visible_texts,
)

OPENWEBUI = FIXTURES / 'openwebui' / 'yetanotherchris__openwebui-importer__webui-json.json'
LIBRECHAT = FIXTURES / 'librechat' / 'danny-avila__LibreChat__librechat-export.json'
NO_PARENT = '00000000-0000-0000-0000-000000000000'


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data))
    return path


# --------------------------------------------------------------------------- hand-made Open WebUI


def owui_msg(mid: str, parent: str | None, role: str, content: str, ts: float, **extra: Any) -> dict:
    return {'id': mid, 'parentId': parent, 'childrenIds': [], 'role': role, 'content': content} | {
        'timestamp': ts,
        **extra,
    }


def owui_row(row_id: str, title: str, messages: list[dict], current: str, **extra: Any) -> dict:
    tree = {m['id']: m for m in messages}
    for m in messages:
        if m['parentId']:
            tree[m['parentId']]['childrenIds'].append(m['id'])
    chat = {
        'id': '',
        'title': title,
        'models': extra.pop('models', ['llama3.1:8b']),
        'params': {},
        'history': {'messages': tree, 'currentId': current},
        'messages': [],
        'tags': [],
        'timestamp': extra.pop('chat_ms', 1748613477653),
        'files': [],
    }
    row = {
        'id': row_id,
        'user_id': 'u-1',
        'title': title,
        'chat': chat,
        'updated_at': 1748613600,
        'created_at': 1748613477,
        'share_id': None,
        'archived': False,
        'pinned': False,
        'meta': {'tags': []},
        'folder_id': None,
    }
    return row | extra


REASONING = (
    '<details type="reasoning" done="true" duration="3"><summary>Thought for 3 seconds</summary>\n'
    '&gt; The user asks about tides.\n&gt; Moon &amp; sun both pull.\n</details>\n'
    'Tides come from the **Moon**.'
)
TOOL_RUN = (
    '<details type="tool_calls" done="true" id="call_1" name="get_weather" '
    'arguments="{&quot;city&quot;: &quot;Paris&quot;}" result="&quot;Paris: 18C, drizzle&quot;">'
    '<summary>Tool Executed</summary></details>\nIt is 18 °C and drizzling in Paris.'
)


def owui_all_chats() -> list[dict]:
    """Two rows as "Export All Chats" writes them: a regenerated answer whose older try is the shown one."""
    tides = owui_row(
        'chat-tides',
        'Why tides?',
        [
            owui_msg('sys', None, 'system', 'You are terse.', 1748613477),
            owui_msg('q1', 'sys', 'user', 'why are there tides?', 1748613480, models=['llama3.1:8b']),
            owui_msg('a1', 'q1', 'assistant', REASONING, 1748613490, model='qwen3:8b', modelName='Qwen 3'),
            owui_msg(
                'a1b',
                'q1',
                'assistant',
                'Gravity.',
                1748613500000,  # milliseconds on a message (a later version's habit)
                model='llama3.1:8b',
                usage={'prompt_tokens': 12, 'completion_tokens': 3},
            ),
        ],
        current='a1',  # the person went back to the first answer
        pinned=True,
    )
    weather = owui_row(
        'chat-weather',
        'Weather',
        [
            owui_msg(
                'w1',
                None,
                'user',
                'weather in Paris?',
                1748700000,
                files=[{'type': 'file', 'name': 'trip.pdf'}, {'type': 'image', 'url': 'data:image/png;b…'}],
            ),
            owui_msg(
                'w2',
                'w1',
                'assistant',
                TOOL_RUN,
                1748700010,
                model='gpt-4o',
                sources=[
                    {
                        'source': {'name': 'web'},
                        'metadata': [{'source': 'https://example.org/paris', 'title': 'Paris [live]'}],
                    }
                ],
            ),
        ],
        current='w2',
        models=['gpt-4o'],
        created_at=1748700000,
        updated_at=1748700010,
    )
    return [tides, weather]


def owui_output_row() -> dict:
    """A newer version's message: ``output[]`` items next to the same steps inlined in ``content``."""
    answer = owui_msg(
        'r2',
        'r1',
        'assistant',
        '<details type="reasoning" done="true" duration="3"><summary>Thought for 3 seconds</summary>'
        '&gt; Let me break this down...</details>255',
        1700000010,
        model='deepseek-r1',
        output=[
            {'type': 'reasoning', 'content': [{'type': 'output_text', 'text': '15 * 17 = 150 + 105 = 255'}]},
            {'type': 'function_call', 'call_id': 'c1', 'name': 'calculator', 'arguments': '{"x": "15*17"}'},
            {
                'type': 'function_call_output',
                'call_id': 'c1',
                'output': [{'type': 'input_text', 'text': '255'}],
            },
            {'type': 'message', 'role': 'assistant', 'content': [{'type': 'output_text', 'text': '255'}]},
        ],
    )
    return owui_row(
        'chat-math',
        'Math',
        [owui_msg('r1', None, 'user', 'What is 15 * 17?', 1700000000), answer],
        current='r2',
        models=['deepseek-r1'],
        created_at=1700000000,
        updated_at=1700000010,
    )


# --------------------------------------------------------------------------- hand-made LibreChat


def lc_msg(mid: str, parent: str, user: bool, text: str, at: str, **extra: Any) -> dict:
    return {
        'messageId': mid,
        'parentMessageId': parent,
        'conversationId': 'lc-flat',
        'sender': 'User' if user else 'Software Engineer',
        'isCreatedByUser': user,
        'text': text,
        'model': None if user else 'claude-sonnet-4-5',
        'endpoint': 'anthropic',
        'createdAt': at,
        'updatedAt': at,
        'error': False,
        'unfinished': False,
    } | extra


def librechat_flat() -> dict:
    """``recursive: false``: flat messages linked by parentMessageId, a regenerated answer (the newest is
    shown), and an agent answer with ``content[]`` parts (thinking, a tool call) and an empty ``text``."""
    return {
        'conversationId': 'lc-flat',
        'endpoint': 'anthropic',
        'title': 'Refactor the parser',
        'exportAt': '13:18:04 GMT-0400 (Eastern Daylight Time)',
        'branches': True,
        'recursive': False,
        'options': {'model': 'claude-sonnet-4-5', 'endpoint': 'anthropic'},
        'messages': [
            lc_msg('m1', NO_PARENT, True, 'split parse() in two', '2025-03-01T10:00:00.000Z'),
            lc_msg('m2', 'm1', False, 'First attempt.', '2025-03-01T10:00:05.000Z', tokenCount=4),
            lc_msg(
                'm3',
                'm1',
                False,
                '',
                '2025-03-01T10:01:00.000Z',
                model='claude-opus-4-1',
                tokenCount=40,
                promptTokens=120,
                content=[
                    {'type': 'think', 'think': 'The tokenizer and the tree builder are separable.'},
                    {
                        'type': 'tool_call',
                        'tool_call': {
                            'name': 'read_file',
                            'args': '{"path": "parse.py"}',
                            'output': 'def parse(): …',
                        },
                    },
                    {'type': 'text', 'text': 'Split it into `tokenize()` and `build()`.'},
                    {'type': 'brand_new_part', 'whatever': 1},
                ],
            ),
        ],
    }


# --------------------------------------------------------------------------- the genuine samples


def test_open_webui_chat_copied_from_its_database(db):
    report = import_path(OPENWEBUI)
    assert (report.format, report.conversations_added, report.messages_added, report.errors) == (
        'openwebui',
        1,
        2,
        [],
    )
    conv = Conversation.get()
    assert conv.title == '🧠 Goldwater Rule Ethics' and conv.source.name == 'Open WebUI'
    assert conv.created_at == datetime(2025, 4, 13, 20, 52, 37, 127000)  # chat.timestamp: milliseconds
    texts = visible_texts(conv)
    assert [r for r, _ in texts] == ['user', 'assistant']
    assert texts[0][1].startswith('what was the ruling in the US called')
    reply = active_path(conv)[-1]
    assert reply.created_at == datetime(2025, 4, 13, 20, 52, 37)  # message timestamp: seconds
    assert (
        reply.model.name == 'deepseek/deepseek-chat:free' and conv.model.name == 'deepseek/deepseek-chat:free'
    )
    assert (reply.input_tokens, reply.output_tokens) == (26, 310)
    assert reply.content.startswith('The principle you')


def test_librechat_nested_export_with_the_all_zero_root(db):
    report = import_path(LIBRECHAT)
    assert (report.format, report.conversations_added, report.messages_added, report.errors) == (
        'librechat',
        1,
        6,
        [],
    )
    conv = conv_by_ext('af1ea676-f525-444f-a9ed-7c8dbf062733')
    assert conv.title == 'Conversation 1. Web Search' and conv.source.name == 'LibreChat'
    path = active_path(conv)
    assert [m.role for m in path] == ['user', 'assistant'] * 3  # isCreatedByUser, not the sender label
    assert path[0].parent_id is None and path[0].content.startswith('What is the fuel consumption')
    assert path[-1].content.startswith('The fuel consumption figures for the 2014')
    assert path[0].created_at == datetime(2024, 4, 9, 14, 32, 5, 230000)
    assert conv.created_at == datetime(2024, 4, 9, 14, 32, 5, 230000)  # not exportAt (a time of day)
    assert conv.model.name == 'gpt-3.5-turbo' and path[1].model.name == 'gpt-3.5-turbo'  # options.model


CASES = {
    'openwebui sample': ('openwebui', lambda tmp: shutil.copy(OPENWEBUI, tmp / 'export')),
    'librechat sample': ('librechat', lambda tmp: shutil.copy(LIBRECHAT, tmp / 'export')),
    'openwebui all chats': ('openwebui', lambda tmp: write(tmp / 'export', owui_all_chats())),
    'openwebui one row': ('openwebui', lambda tmp: write(tmp / 'export', owui_output_row())),
    'librechat flat': ('librechat', lambda tmp: write(tmp / 'export', librechat_flat())),
}


@pytest.mark.parametrize('case', sorted(CASES))
def test_told_by_content_and_reimport_adds_nothing_and_keeps_the_users_edits(db, tmp_path, case):
    fmt, make = CASES[case]
    path = make(tmp_path)  # no telling name, no extension
    assert detect_format(path) == fmt
    first = import_path(path)
    assert first.format == fmt and first.conversations_added >= 1 and first.errors == []
    conv = Conversation.select().order_by(Conversation.id).first()
    Conversation.update(title='Renamed by me').where(Conversation.id == conv.id).execute()
    relations.add_tags('conversation', [conv.id], [Tag.create(name='keep').id])
    count = Message.select().count()
    before = total_changes()
    again = import_path(path)
    assert (again.conversations_added, again.conversations_updated, again.messages_added) == (0, 0, 0)
    assert total_changes() - before == 2  # the ImportRun row only
    assert Conversation.get_by_id(conv.id).title == 'Renamed by me'
    assert ConversationTag.select().where(ConversationTag.conversation == conv.id).count() == 1
    assert Message.select().count() == count


# --------------------------------------------------------------------------- Open WebUI variants


def test_open_webui_all_chats_keeps_every_branch_and_the_current_one(db, tmp_path):
    report = import_path(write(tmp_path / 'chat-export-1748613600000.json', owui_all_chats()))
    assert (report.format, report.conversations_added, report.errors) == ('openwebui', 2, [])
    tides = conv_by_ext('chat-tides')
    assert tides.title == 'Why tides?' and tides.favourite  # pinned
    assert tides.created_at == datetime(2025, 5, 30, 13, 57, 57)  # the row's seconds
    path = active_path(tides)
    assert [(m.role, m.content_type, m.hidden) for m in path] == [
        ('system', 'text', True),
        ('user', 'text', False),
        ('assistant', 'thinking', True),
        ('assistant', 'text', False),
    ]
    assert path[2].content == 'The user asks about tides.\nMoon & sun both pull.'  # unquoted, unescaped
    assert path[3].content == 'Tides come from the **Moon**.' and path[3].model.name == 'qwen3:8b'
    other = Message.get(Message.external_id == 'a1b')  # the regenerated answer: kept, not shown
    assert other.id not in {m.id for m in path} and other.content == 'Gravity.'
    assert other.created_at == datetime(2025, 5, 30, 13, 58, 20)  # milliseconds told from seconds
    assert (other.input_tokens, other.output_tokens, other.model.name) == (12, 3, 'llama3.1:8b')
    assert tides.model.name == 'llama3.1:8b'  # chat.models

    weather = conv_by_ext('chat-weather')
    assert visible_texts(weather) == [
        ('user', 'weather in Paris?\n\n[File: trip.pdf]\n[Image: image]'),  # no data URL in the text
        ('assistant', 'It is 18 °C and drizzling in Paris.'),
    ]
    steps = [(m.content_type, m.author_name, m.content) for m in active_path(weather) if m.hidden]
    assert steps == [
        ('search_results', 'sources', '- [Paris (live)](https://example.org/paris)'),
        ('tool_use', 'get_weather', 'get_weather\n{"city": "Paris"}'),
        ('tool_result', 'get_weather', '"Paris: 18C, drizzle"'),
    ]
    found = {h.conversation_id for h in search.search('pull', mode='keyword')}
    assert found == {tides.id}  # the reasoning is folded, and found


def test_open_webui_output_items_and_their_inlined_copy_are_one_set_of_steps(db, tmp_path):
    import_path(write(tmp_path / 'one-chat.json', owui_output_row()))  # a chat's own download: one row
    conv = conv_by_ext('chat-math')
    path = active_path(conv)
    assert [(m.content_type, m.content) for m in path] == [
        ('text', 'What is 15 * 17?'),
        ('thinking', '15 * 17 = 150 + 105 = 255'),
        ('tool_use', 'calculator\n{"x": "15*17"}'),
        ('tool_result', '255'),
        ('text', '255'),
    ]
    assert [m.hidden for m in path] == [False, True, True, True, False]
    assert conv.created_at == datetime(2023, 11, 14, 22, 13, 20)


def test_open_webui_export_growing_adds_only_new_messages_and_follows_the_new_current(db, tmp_path):
    chats = owui_all_chats()
    import_path(write(tmp_path / 'a.json', chats))
    tree = chats[0]['chat']['history']
    tree['messages']['q2'] = owui_msg('q2', 'a1b', 'user', 'and spring tides?', 1748613600)
    tree['currentId'] = 'q2'
    report = import_path(write(tmp_path / 'a.json', chats))
    assert (report.conversations_added, report.conversations_updated, report.messages_added) == (0, 1, 1)
    assert visible_texts(conv_by_ext('chat-tides'))[-2:] == [
        ('assistant', 'Gravity.'),
        ('user', 'and spring tides?'),
    ]


# --------------------------------------------------------------------------- LibreChat variants


def test_librechat_flat_messages_content_parts_and_the_newest_leaf(db, tmp_path):
    report = import_path(write(tmp_path / 'Refactor the parser.json', librechat_flat()))
    assert (report.format, report.conversations_added, report.errors) == ('librechat', 1, [])
    assert report.unknown_content_types == {'librechat brand_new_part': 1}
    conv = conv_by_ext('lc-flat')
    path = active_path(conv)
    assert [(m.role, m.content_type, m.hidden) for m in path] == [
        ('user', 'text', False),
        ('assistant', 'thinking', True),
        ('assistant', 'tool_use', True),
        ('tool', 'tool_result', True),
        ('assistant', 'text', False),
    ]
    assert path[0].parent_id is None  # the all-zero parent is no message
    answer = path[-1]
    assert answer.content == 'Split it into `tokenize()` and `build()`.'
    assert (answer.model.name, answer.input_tokens, answer.output_tokens) == ('claude-opus-4-1', 120, 40)
    assert answer.created_at == datetime(2025, 3, 1, 10, 1)
    first_try = Message.get(Message.external_id == 'm2')  # the older answer: kept on its branch
    assert first_try.content == 'First attempt.' and first_try.id not in {m.id for m in path}
    assert first_try.model.name == 'claude-sonnet-4-5'
    assert search.search('separable', mode='keyword')  # the thinking is folded, still found


def test_librechat_nested_children_win_over_parent_ids_and_empty_nodes_keep_their_children(db, tmp_path):
    child = lc_msg('c2', 'wrong-parent', False, 'Answer.', '2025-03-02T09:00:02Z')
    empty = lc_msg('c1', NO_PARENT, True, '', '2025-03-02T09:00:01Z', children=[child])
    top = lc_msg('c0', NO_PARENT, True, 'Question?', '2025-03-02T09:00:00Z', children=[empty])
    data = {'conversationId': 'lc-nested', 'title': 'Nested', 'recursive': True, 'messagesTree': [top]}
    report = import_path(write(tmp_path / 'x.json', data))
    assert (report.messages_added, report.errors) == (2, [])
    assert visible_texts(conv_by_ext('lc-nested')) == [('user', 'Question?'), ('assistant', 'Answer.')]


def test_several_librechat_exports_in_a_zip_are_one_conversation_each(db, tmp_path):
    second = librechat_flat() | {'conversationId': 'lc-two', 'title': 'Second'}
    archive = write_zip(
        tmp_path / 'exports.zip',
        {'one.json': json.loads(LIBRECHAT.read_text()), 'two.json': second},
    )
    report = import_path(archive)
    assert (report.format, report.conversations_added) == ('librechat', 2)


# --------------------------------------------------------------------------- neither steals another format


def test_other_formats_are_still_told_apart(db, tmp_path):
    assert detect_format(FIXTURES / 'LibreChat__chatgpt-export.json') == 'chatgpt'  # a ChatGPT file
    saved = {'history': [{'role': 'user', 'parts': [{'text': 'hi'}]}], 'authType': 'oauth'}
    assert detect_format(write(tmp_path / 'checkpoint-x.json', saved)) == 'gemini_cli'  # history: a list
    mixed = tmp_path / 'mixed'
    mixed.mkdir()
    shutil.copy(OPENWEBUI, mixed / 'a.json')
    shutil.copy(LIBRECHAT, mixed / 'b.json')
    with pytest.raises(UserError, match='mixes export formats'):
        import_path(mixed)


# --------------------------------------------------------------------------- malformed, hostile, huge


@pytest.mark.parametrize(
    'content',
    [
        '[{"id": "x", "chat": {"history": {"messages": ' + '[' * 400 + ']' * 400 + '}}}]',  # hostile nesting
        '{"conversationId": "x", "messagesTree": [' + '{"children": [' * 300 + ']}' * 300 + ']}',
        '[{"id": "x", "chat": {"history": {"currentId": "a", "messages": {"a": {"content": "cut',  # truncated
        '{"conversationId": "x", "messages": [{"messageId": "m", "text": "cut',
        '[{"id": "x", "chat": {"history": {"currentId": "a", "messages": "not an object"}}}]',
        '{"conversationId": "x", "messages": "not a list"}',
        '{"conversationId": "x", "messagesTree": [{"messageId": "m", "text": "'
        + 'x' * (33 * 1024**2)
        + '"}]}',
    ],
    ids=['owui-deep', 'lc-deep', 'owui-cut', 'lc-cut', 'owui-shape', 'lc-shape', 'lc-huge'],
)
def test_malformed_or_hostile_files_are_refused_in_one_sentence_and_write_nothing(db, tmp_path, content):
    path = tmp_path / 'doc.json'
    path.write_text(content)
    refused_or_skipped_writing_nothing(path)


any_text = st.text(max_size=20) | st.sampled_from(['', '\x00', '\ud800', '💥', '<details type="reasoning">'])
values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | any_text,
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(any_text, kids, max_size=3),
    max_leaves=12,
)


def skeletons(v: Any) -> list[Any]:
    msg = {
        'id': v,
        'parentId': v,
        'role': v,
        'content': v,
        'timestamp': v,
        'output': v,
        'files': v,
        'usage': v,
    }
    lc = {'messageId': v or 'm', 'parentMessageId': v, 'text': v, 'content': v, 'createdAt': v, 'children': v}
    return [
        [{'id': v, 'chat': {'history': {'messages': {'a': msg, 'b': v}, 'currentId': v}, 'models': v}}],
        {'id': v, 'title': v, 'history': {'messages': v, 'currentId': v}, 'timestamp': v},
        {'conversationId': v or 'c', 'recursive': v, 'messagesTree': [lc, v], 'options': v},
        {'conversationId': v or 'c', 'messages': [lc, {**lc, 'sources': v}], 'title': v},
    ]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(value=values)
def test_arbitrary_values_never_raise_more_than_one_sentence(db, tmp_path, value):
    for data in skeletons(value):
        path = tmp_path / 'x.json'
        path.write_text(json.dumps(data))
        try:
            report = import_path(path)
        except UserError as exc:
            assert str(exc) and '\n' not in str(exc)
        else:
            assert report.format in ('openwebui', 'librechat')
            assert_no_parser_bug(report)


def test_a_refusal_names_the_new_formats(db, tmp_path):
    with pytest.raises(UserError, match='Open WebUI, LibreChat'):
        import_path(write(tmp_path / 'other.json', {'not': 'an export'}))


# --------------------------------------------------------------------------- the command line


@pytest.mark.parametrize(
    ('sample', 'fmt', 'messages'), [(OPENWEBUI, 'openwebui', 2), (LIBRECHAT, 'librechat', 6)]
)
def test_outputhub_import_detects_them(capsys, tmp_path, sample, fmt, messages):
    lib = tmp_path / 'lib.db'
    reports = []
    for _ in range(2):
        assert main(['import', str(sample), '--db', str(lib), '--json']) == 0
        reports.append(json.loads(capsys.readouterr().out))
        dbmod.close()
    assert (reports[0]['format'], reports[0]['conversations_added'], reports[0]['messages_added']) == (
        fmt,
        1,
        messages,
    )
    assert (reports[1]['conversations_added'], reports[1]['messages_added']) == (0, 0)
