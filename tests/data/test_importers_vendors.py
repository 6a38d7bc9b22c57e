"""Gemini (CLI, AI Studio, Takeout), Grok, DeepSeek, Le Chat and Perplexity: real samples where a licensed
one exists, hand-made files from the documented structure otherwise (tests/fixtures/exports/SOURCES.md)."""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

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

GEMINI_CLI = FIXTURES / 'gemini-cli' / 'kvsankar__agent-history__real_sessions-gemini-session-01.json'
AISTUDIO = FIXTURES / 'gemini-aistudio' / 'yetanotherchris__openwebui-importer__aistudio_example.json'
GROK = FIXTURES / 'grok' / 'yetanotherchris__openwebui-importer__grok_example.json'
DEEPSEEK = FIXTURES / 'deepseek' / 'hand-made__conversations.json'
TAKEOUT = FIXTURES / 'gemini-takeout' / 'hand-made__MyActivity.json'
LECHAT = FIXTURES / 'lechat' / 'hand-made__chat-3f1c2a9e-7d4b-4e8a-9b6f-0c2d1e5a7b90.json'
PERPLEXITY = FIXTURES / 'perplexity' / 'hand-made__thread.json'
PERPLEXITY_WRAPPER = FIXTURES / 'perplexity' / 'hand-made__wrapper.json'

ALL = {
    'gemini_cli': GEMINI_CLI,
    'aistudio': AISTUDIO,
    'grok': GROK,
    'deepseek': DEEPSEEK,
    'gemini_takeout': TAKEOUT,
    'lechat': LECHAT,
    'perplexity': PERPLEXITY,
}


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize('fmt', sorted(ALL))
def test_each_format_is_told_by_content_and_reimport_keeps_the_users_edits(db, tmp_path, fmt):
    renamed = shutil.copy(ALL[fmt], tmp_path / 'export')  # no telling name, no extension
    assert detect_format(renamed) == fmt
    first = import_path(renamed)
    assert first.format == fmt and first.conversations_added >= 1 and first.errors == []
    conv = Conversation.select().order_by(Conversation.id).first()
    Conversation.update(title='Renamed by me').where(Conversation.id == conv.id).execute()
    relations.add_tags('conversation', [conv.id], [Tag.create(name='keep').id])
    before = total_changes()
    again = import_path(renamed)
    assert (again.conversations_added, again.conversations_updated, again.messages_added) == (0, 0, 0)
    assert total_changes() - before == 2  # the ImportRun row only
    assert Conversation.get_by_id(conv.id).title == 'Renamed by me'
    assert ConversationTag.select().where(ConversationTag.conversation == conv.id).count() == 1


# --------------------------------------------------------------------------- Gemini CLI


def test_gemini_cli_session_keeps_thoughts_folded_and_exact_tokens(db):
    report = import_path(GEMINI_CLI)
    assert (report.format, report.conversations_added, report.messages_added) == ('gemini_cli', 1, 3)
    conv = conv_by_ext('dcbe78d3-ea75-4786-929e-d6cff0fc00ed')
    assert (
        conv.created_at == datetime(2026, 6, 5, 4, 59, 39, 932000) and conv.model.name == 'gemini-2.5-flash'
    )
    assert visible_texts(conv) == [('user', '[REDACTED_PROMPT]'), ('assistant', '[REDACTED_ASSISTANT_TEXT]')]
    thought = next(m for m in active_path(conv) if m.hidden)
    assert thought.content_type == 'thinking' and thought.content.startswith(
        '**Generating Specific Response**'
    )
    reply = active_path(conv)[-1]
    assert (reply.input_tokens, reply.output_tokens) == (4383, 8 + 28)  # output + thoughts tokens


def test_gemini_cli_tool_calls_are_hidden_steps_before_the_reply(db, tmp_path):
    session = {
        'sessionId': 's-tools',
        'projectHash': 'ab' * 32,
        'startTime': '2026-06-01T10:00:00Z',
        'lastUpdated': '2026-06-01T10:01:00Z',
        'messages': [
            {'id': 'u', 'timestamp': '2026-06-01T10:00:00Z', 'type': 'user', 'content': 'list the files'},
            {
                'id': 'g',
                'timestamp': '2026-06-01T10:00:05Z',
                'type': 'gemini',
                'content': 'There are two files.',
                'model': 'gemini-2.5-pro',
                'toolCalls': [
                    {
                        'id': 't1',
                        'name': 'run_shell_command',
                        'displayName': 'Shell',
                        'args': {'command': 'ls'},
                        'status': 'success',
                        'result': [{'functionResponse': {'response': {'output': 'a.py\nb.py'}}}],
                    }
                ],
            },
            {'id': 'i', 'timestamp': '2026-06-01T10:00:06Z', 'type': 'info', 'content': 'Switched model'},
        ],
    }
    import_path(write(tmp_path / 'session-2026-06-01T10-00-abcd.json', session))
    path = active_path(conv_by_ext('s-tools'))
    assert [(m.content_type, m.author_name, m.hidden) for m in path] == [
        ('text', None, False),
        ('tool_use', 'Shell', True),
        ('tool_result', 'Shell', True),
        ('text', None, False),
        ('info', None, True),
    ]
    assert path[2].content == 'a.py\nb.py'


# --------------------------------------------------------------------------- AI Studio


def test_ai_studio_chat_folds_thoughts_and_takes_the_model_from_run_settings(db, tmp_path):
    copy = shutil.copy(AISTUDIO, tmp_path / 'Graphical models')  # Drive names files without an extension
    stamp = datetime(2025, 11, 20, 8, 30).timestamp()
    os.utime(copy, (stamp, stamp))
    report = import_path(copy)
    assert (report.format, report.messages_added) == ('aistudio', 3)
    conv = Conversation.get()
    assert conv.title == 'Graphical models' and conv.model.name == 'gemini-3-pro-preview'
    path = active_path(conv)
    assert [(m.role, m.content_type, m.hidden) for m in path] == [
        ('user', 'text', False),
        ('assistant', 'thinking', True),
        ('assistant', 'text', False),
    ]
    assert path[1].content.startswith('**Verifying the Factorization**')
    assert path[2].content.startswith('Yes, you are **absolutely correct!**') and path[2].output_tokens == 403
    assert conv.created_at == datetime.fromtimestamp(stamp, UTC).replace(tzinfo=None)  # no times: the file's


def test_ai_studio_parts_and_roles_it_does_not_show_are_counted_not_fatal(db, tmp_path):
    data = json.loads(AISTUDIO.read_text())
    chunks = data['chunkedPrompt']['chunks']
    chunks[2]['parts'] = [{'text': 'x = 1'}, {'executableCode': {'language': 'PYTHON', 'code': 'print(1)'}}]
    chunks.append({'role': 'function', 'text': 'ok', 'parts': [{'functionResponse': {'name': 'f'}}]})
    path = tmp_path / 'chat.json'
    path.write_text(json.dumps(data))
    report = import_path(path)
    assert (report.format, report.messages_added, report.errors) == ('aistudio', 4, [])
    assert report.unknown_content_types == {
        'aistudio part executableCode': 1,
        'aistudio role function': 1,
        'aistudio part functionResponse': 1,
    }


# --------------------------------------------------------------------------- Grok


def test_grok_real_export_follows_parent_response_ids(db):
    report = import_path(GROK)
    assert (report.format, report.conversations_added, report.messages_added) == ('grok', 1, 10)
    conv = conv_by_ext('9592deb7-27bc-4359-abb5-0967736999e9')
    assert conv.title == 'Photosynthesis Simplified: Process and Importance'
    assert conv.created_at == datetime(2025, 6, 21, 19, 28, 21, 177720)
    texts = visible_texts(conv)
    assert [r for r, _ in texts] == ['user', 'assistant'] * 5  # sender "human" / "ASSISTANT"
    assert texts[0][1] == 'Can you explain how photosynthesis works in simple terms?'
    assert texts[-2][1] == 'What about forests?'
    assert texts[-1][1].startswith('Forests, like ponds, are not sentient.')


def grok_2026() -> dict:
    def resp(rid, parent, sender, text, ms, **extra):
        body = {'_id': rid, 'parent_response_id': parent, 'sender': sender, 'message': text}
        body['create_time'] = {'$date': {'$numberLong': str(ms)}}
        body.update(extra)
        return {'response': body, 'share_link': None}

    return {
        'conversations': [
            {
                'conversation': {
                    'id': 'g26',
                    'title': 'Rust lifetimes',
                    'create_time': '2026-02-01T10:00:00Z',
                    'modify_time': '2026-02-01T10:05:00Z',
                    'leaf_response_id': None,
                },
                'responses': [
                    resp('q', None, 'human', 'explain lifetimes', 1769940000000),
                    resp('a1', 'q', 'assistant', 'First try.', 1769940005000, model='grok-4'),
                    resp(
                        'a2',
                        'q',
                        'ASSISTANT',
                        'Second try.',
                        1769940100000,
                        model='grok-4-auto',
                        thinking_trace='thinking about borrows',
                        cited_web_search_results=[
                            {'url': 'https://doc.rust-lang.org/book', 'title': 'The Book'}
                        ],
                    ),
                ],
            }
        ],
        'projects': [],
        'tasks': [],
    }


def test_grok_2026_dates_and_a_regenerated_answer_make_a_branch(db, tmp_path):
    import_path(write(tmp_path / 'prod-grok-backend.json', grok_2026()))
    conv = conv_by_ext('g26')
    path = active_path(conv)
    assert path[0].created_at == datetime(2026, 2, 1, 10, 0)  # {"$date": {"$numberLong": ms}}
    assert [(m.role, m.content_type) for m in path] == [
        ('user', 'text'),
        ('assistant', 'thinking'),
        ('assistant', 'text'),
    ]
    assert path[-1].content == 'Second try.\n\nSources:\n- [The Book](https://doc.rust-lang.org/book)'
    assert path[-1].model.name == 'grok-4-auto'  # no leaf_response_id: the newest leaf is shown
    assert Message.get(Message.external_id == 'a1').content == 'First try.'  # the other branch, kept


# --------------------------------------------------------------------------- DeepSeek


def test_deepseek_mapping_with_root_fragments_and_the_newest_leaf(db):
    report = import_path(DEEPSEEK)
    assert (report.format, report.conversations_added, report.messages_added) == ('deepseek', 2, 10)
    assert report.unknown_content_types == {'deepseek SHINY_NEW': 1}  # counted, read as text
    conv = conv_by_ext('ds-conv-1')
    assert conv.created_at == datetime(2025, 10, 17, 11, 14, 1, 108000)  # +08:00 made UTC
    assert visible_texts(conv) == [
        ('user', 'At what temperature does water boil at 3000 m?'),
        ('assistant', 'Roughly 89.9 °C at 3000 m.'),
        ('user', '[File: trip-plan.pdf]\n\nAnd for my trip plan?'),
        ('assistant', 'Pasta needs about 2 minutes longer.\n\nan unknown fragment reads as text'),
    ]
    hidden = [(m.content_type, m.content) for m in active_path(conv) if m.hidden]
    assert hidden == [
        ('search_results', '- [Boiling point and altitude](https://example.org/boiling)'),
        ('thinking', 'Checking a table of boiling points.'),
    ]
    first_try = Message.get(Message.external_id == '2')
    assert first_try.content == 'About 90 °C.' and first_try.model.name == 'deepseek-reasoner'
    assert first_try.id not in {m.id for m in active_path(conv)}  # the older branch, kept
    assert conv_by_ext('ds-conv-2').title == '你好，今天天气怎么样？ 🌤'


def test_a_chatgpt_export_is_still_chatgpt(db):
    assert detect_format(FIXTURES / 'LibreChat__chatgpt-export.json') == 'chatgpt'


# --------------------------------------------------------------------------- Gemini Takeout


def test_takeout_groups_prompts_by_time_and_sanitises_the_reply_html(db):
    report = import_path(TAKEOUT)
    assert (report.format, report.conversations_added, report.messages_added) == ('gemini_takeout', 2, 7)
    assert any('grouped into one conversation' in n for n in report.notes)  # the report says so
    first, second = Conversation.select().order_by(Conversation.created_at)
    assert first.title == 'draw a cat'
    assert visible_texts(first)[1][1] == 'Here is a cat.\n\n[1 generated image.]\n[Attachment: cat-photo.jpg]'
    assert second.title == 'what time is it in London when it is 9 in New York?'
    texts = visible_texts(second)
    assert [r for r, _ in texts] == ['user', 'assistant', 'user', 'assistant']
    assert texts[1][1] == 'It is **2 pm** in London.\n\n- New York: UTC−5\n- London: UTC+0'
    paris = texts[3][1]
    assert (
        paris.startswith('In Paris it is **1 hour** ahead.')
        and '[time zones](https://example.org/tz)' in paris
    )
    for bad in ('alert', 'steal', 'javascript', 'color:red', 'evil.example', '<script', 'onclick'):
        assert bad not in paris
    activity = [m for m in active_path(second) if m.hidden]
    assert [(m.content_type, m.content) for m in activity] == [('activity', 'Used an Assistant feature')]


def test_takeout_html_with_nothing_to_remove_is_converted_without_beautifulsoup(monkeypatch):
    """Speed (bench/importers.py): parsing with BeautifulSoup and converting with markdownify was half of a
    Takeout import. Plain reply HTML goes straight to html-to-markdown; the Markdown is as before."""
    import bs4

    from app.data.importers.gemini_takeout import html_to_markdown

    def parse(*a: Any, **k: Any) -> None:
        raise AssertionError('BeautifulSoup used')

    monkeypatch.setattr(bs4.BeautifulSoup, '__init__', parse)
    assert html_to_markdown('<p>a <b>b</b></p><ul><li>c</li></ul>') == 'a **b**\n\n- c'
    assert html_to_markdown('<pre><code>x = 1\n  y = 2</code></pre>') == '```\nx = 1\n  y = 2\n```'
    assert html_to_markdown('<p>x = 1\n  y = 2</p>') == 'x = 1\ny = 2'
    assert html_to_markdown('<h2>T</h2><ol><li>a<ul><li>b</li></ul></li></ol>') == '## T\n\n1. a\n   - b'
    assert html_to_markdown('<p>1 * 2 _x_</p><p>a<br>b</p><hr><blockquote>q</blockquote>') == (
        '1 \\* 2 \\_x\\_\n\na  \nb\n\n---\n\n> q'
    )


def test_takeout_html_nested_thousands_deep_keeps_its_words_and_drops_inline_svg():
    from app.data.importers.gemini_takeout import html_to_markdown

    assert html_to_markdown('<div>' * 6000 + 'deep words' + '</div>' * 6000) == 'deep words'
    # an inline <svg> (which could carry script) is dropped, not turned into a data: image
    assert html_to_markdown('<p>chart:</p><svg><script>alert(1)</script><text>t</text></svg>') == 'chart:'
    assert html_to_markdown('<p>chart:</p><svg></svg>') == 'chart:'


@pytest.mark.parametrize(
    ('html', 'cleaned'),
    [
        ('<p>plain <b>bold</b></p><ul><li>one</li></ul>', False),  # bare tags only: nothing to remove
        ('<p>a</p><SCRIPT>alert(1)</SCRIPT>', True),
        ('<p>a</p><img>', True),
        ('<p class="x">a</p>', True),
        ('<P ONCLICK="steal()">a</P>', True),
        ('<p\nonclick=steal()>a</p>', True),
        ('<p>a</p><!-- <script>x</script> -->', True),
        ('<p>a < b</p>', True),
        ('<a href=javascript:steal()>a</a>', True),
    ],
)
def test_takeout_skips_the_sanitiser_walk_only_for_html_with_nothing_to_remove(monkeypatch, html, cleaned):
    from app.data.importers import gemini_takeout

    walked = []
    real = gemini_takeout._clean
    monkeypatch.setattr(gemini_takeout, '_clean', lambda soup: walked.append(1) or real(soup))
    out = gemini_takeout.html_to_markdown(html)
    assert bool(walked) is cleaned
    for bad in ('alert', 'steal', 'javascript', 'onclick', '<script'):
        assert bad not in out.lower()


# --------------------------------------------------------------------------- Le Chat and Perplexity


def test_le_chat_keeps_the_latest_version_and_folds_reasoning_and_tools(db, tmp_path):
    archive = write_zip(
        tmp_path / 'chat-export-1764579600000.zip',
        {LECHAT.name.split('__')[-1]: json.loads(LECHAT.read_text())},
    )
    report = import_path(archive)
    assert (report.format, report.conversations_added, report.messages_added) == ('lechat', 1, 5)
    conv = conv_by_ext('3f1c2a9e-7d4b-4e8a-9b6f-0c2d1e5a7b90')
    assert conv.title == 'Summarise the French Revolution in three lines'  # the edited version
    assert visible_texts(conv) == [
        ('user', 'Summarise the French Revolution in three lines\n\n[File: notes.pdf]'),
        ('assistant', '1789: the Estates-General meet.\n1793: the Terror.\n1799: Napoleon takes power.'),
    ]
    hidden = [(m.content_type, m.author_name) for m in active_path(conv) if m.hidden]
    assert hidden == [('thinking', None), ('tool_use', 'web_search'), ('tool_result', 'web_search')]
    assert active_path(conv)[-1].output_tokens == 42


def test_perplexity_thread_in_time_order_with_selected_sources_as_links(db):
    report = import_path(PERPLEXITY)
    assert (report.format, report.messages_added) == ('perplexity', 5)
    assert report.unknown_content_types == {'perplexity brand_new_block': 1}
    conv = conv_by_ext('thread-77')
    assert conv.title == 'Best hiking boots 2025'
    texts = visible_texts(conv)
    assert texts[0] == ('user', 'best hiking boots 2025')  # sorted by entry time, not file order
    assert texts[1][1] == (
        'The **Salomon X Ultra 4** leads most reviews.\n\nSources:\n- [Outdoor Gear Lab](https://example.org/ogl)'
    )
    assert (
        texts[3][1]
        == 'Try the **Altra Lone Peak**.\n\nSources:\n- [Wide boots review](https://example.org/wide)'
    )
    assert 'noise' not in texts[3][1]  # a REVIEWED row is not a cited source
    answers = [m for m in active_path(conv) if m.role == 'assistant' and not m.hidden]
    assert [m.model.name for m in answers] == ['claude46sonnetthinking', 'pplx_alpha']
    assert [m.content_type for m in active_path(conv) if m.hidden] == ['plan']
    hits = search.search('Salomon', mode='keyword')
    assert hits


def test_perplexity_exporter_wrapper(db):
    report = import_path(PERPLEXITY_WRAPPER)
    assert (report.format, report.messages_added) == ('perplexity', 2)
    conv = conv_by_ext('thread-88')
    assert visible_texts(conv)[1] == (
        'assistant',
        'Feed it 1:1:1 daily.\n\nSources:\n- [King Arthur](https://example.org/ka)',
    )


# --------------------------------------------------------------------------- arbitrary content: one sentence at worst


any_text = st.text(max_size=20) | st.sampled_from(['', '\x00', '\ud800', '💥', '<script>x</script>'])
values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats(allow_nan=False) | any_text,
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(any_text, kids, max_size=3),
    max_leaves=12,
)


def skeletons(v: Any) -> list[Any]:
    return [
        {'conversations': [{'conversation': v, 'responses': [v, {'response': v}]}]},
        [
            {
                'id': v,
                'inserted_at': v,
                'mapping': {'root': v, 'x': {'parent': v, 'message': {'fragments': v}}},
            }
        ],
        {'sessionId': v, 'projectHash': v, 'messages': [v, {'type': 'gemini', 'content': v, 'tokens': v}]},
        {'chunkedPrompt': {'chunks': [v, {'role': 'model', 'text': v, 'tokenCount': v}]}, 'runSettings': v},
        [{'header': 'Gemini Apps', 'time': v, 'title': v, 'safeHtmlItem': [{'html': v}]}],
        [{'chatId': v or 'c', 'contentChunks': v, 'role': v, 'createdAt': v}],
        {'entries': [{'query_str': v, 'blocks': v}], 'thread_metadata': v},
    ]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(value=[None])
@given(value=values)
def test_arbitrary_values_in_every_format_never_raise_more_than_one_sentence(db, tmp_path, value):
    for data in skeletons(value):
        path = tmp_path / f'x-{time.monotonic_ns()}.json'
        path.write_text(json.dumps(data))
        try:
            report = import_path(path)
        except UserError as exc:
            assert str(exc) and '\n' not in str(exc)
        else:
            assert report.format is not None
            assert_no_parser_bug(report)


def test_the_import_report_on_the_page_says_how_takeout_was_grouped(db):
    from app.pages.imports import _count_rows, _headline

    d = import_path(TAKEOUT).to_dict()
    assert (
        'Note',
        'Gemini Takeout entries carry no conversation id: prompts less than 30 minutes apart were '
        'grouped into one conversation.',
    ) in _count_rows(d)
    assert _headline(d, 'MyActivity.json') == 'Imported MyActivity.json (Gemini Takeout export).'


def test_a_newer_takeout_adds_its_new_prompts_to_the_same_conversation(db, tmp_path):
    entries = json.loads(TAKEOUT.read_text())
    import_path(write(tmp_path / 'MyActivity.json', entries))
    later = {
        'header': 'Gemini Apps',
        'title': 'Prompted and in Tokyo?',
        'time': '2026-01-10T12:20:00.000Z',
        'products': ['Gemini Apps'],
        'safeHtmlItem': [{'html': '<p>Tokyo is 9 hours ahead of London.</p>'}],
    }
    report = import_path(write(tmp_path / 'MyActivity.json', [later, *entries]))  # newest first
    assert (report.conversations_added, report.conversations_updated, report.messages_added) == (0, 1, 2)
    conv = conv_by_ext('takeout-2026-01-10T12:00:00')
    assert visible_texts(conv)[-1] == ('assistant', 'Tokyo is 9 hours ahead of London.')


def test_the_json_lines_form_of_a_gemini_cli_session(db, tmp_path):
    lines = [
        {'sessionId': 's-jl', 'projectHash': 'cd' * 32, 'startTime': '2026-07-01T09:00:00Z', 'kind': 'main'},
        {'id': 'u1', 'timestamp': '2026-07-01T09:00:01Z', 'type': 'user', 'content': [{'text': 'hello'}]},
        {
            'id': 'g1',
            'timestamp': '2026-07-01T09:00:03Z',
            'type': 'gemini',
            'content': 'Hi!',
            'model': 'gemini-3-pro',
        },
        {'$set': {'lastUpdated': '2026-07-01T09:00:03Z'}},
    ]
    path = tmp_path / 'session-2026-07-01T09-00-s-jl.jsonl'
    path.write_text(''.join(json.dumps(x) + '\n' for x in lines) + '{"id": "u2", "ty')  # still being written
    report = import_path(path)
    assert (report.format, report.messages_added, report.lines_skipped) == ('gemini_cli', 2, 1)
    conv = conv_by_ext('s-jl')
    assert visible_texts(conv) == [('user', 'hello'), ('assistant', 'Hi!')]
    assert conv.updated_at == datetime(2026, 7, 1, 9, 0, 3) and conv.model.name == 'gemini-3-pro'


@pytest.mark.parametrize(
    'content',
    [
        '{"conversations": [{"conversation": {"id": "x"}, "responses": ' + '[' * 400 + ']' * 400 + '}]}',
        '{"chunkedPrompt": {"chunks": [{"role": "user", "text": "cut',  # truncated
        '[{"header": "YouTube", "title": "Watched a video", "time": "2026-01-01T00:00:00Z"}]',  # not Gemini
        '{"entries": "not a list", "thread_metadata": {}}',
    ],
)
def test_hostile_or_other_documents_are_refused_or_skipped_and_write_no_conversation(db, tmp_path, content):
    path = tmp_path / 'doc.json'
    path.write_text(content)
    refused_or_skipped_writing_nothing(path)


# --------------------------------------------------------------------------- Gemini CLI saved chats

CHECKPOINT = FIXTURES / 'gemini-cli' / 'hand-made__checkpoint-before%20refactor.json'
PROJECT_HASH = 'ab' * 32


def saved_chat(tmp_path: Path, data: Any, tag: str = 'before%20refactor') -> Path:
    folder = tmp_path / 'tmp' / PROJECT_HASH
    folder.mkdir(parents=True, exist_ok=True)
    return write(folder / f'checkpoint-{tag}.json', data)


def test_a_gemini_cli_saved_chat_is_a_conversation_named_by_its_tag(db, tmp_path):
    path = saved_chat(tmp_path, json.loads(CHECKPOINT.read_text()))
    assert detect_format(path) == 'gemini_cli'
    report = import_path(path)
    assert (report.format, report.conversations_added, report.errors) == ('gemini_cli', 1, [])
    conv = conv_by_ext(f'checkpoint:{PROJECT_HASH}:before refactor')
    assert conv.title == 'before refactor'
    assert visible_texts(conv) == [
        ('user', 'Which tests cover the basket total?'),
        ('assistant', 'One test does: `test_basket_total_with_vat` in tests/test_basket.py.'),
    ]
    hidden = [(m.content_type, m.author_name) for m in active_path(conv) if m.hidden]
    assert hidden == [
        ('context', None),  # the environment turn Gemini CLI sends itself, and the model's "Got it"
        ('context', None),
        ('thinking', None),
        ('tool_use', 'search_file_content'),
        ('tool_result', 'search_file_content'),
    ]
    assert search.search('basket_total_with_vat')  # folded steps stay searchable
    assert import_path(path).messages_added == 0  # idempotent


def test_saving_the_same_tag_again_adds_only_the_new_turns_and_a_different_history_branches(db, tmp_path):
    data = json.loads(CHECKPOINT.read_text())
    import_path(saved_chat(tmp_path, {'history': data['history'][:4]}))
    report = import_path(saved_chat(tmp_path, data))  # /chat save again, two turns later
    assert (report.conversations_added, report.conversations_updated, report.messages_added) == (0, 1, 2)
    other = [*data['history'][:3], {'role': 'model', 'parts': [{'text': 'None yet.'}]}]
    import_path(saved_chat(tmp_path, other))  # the tag saved over from another line of the chat
    conv = conv_by_ext(f'checkpoint:{PROJECT_HASH}:before refactor')
    assert visible_texts(conv)[-1] == ('assistant', 'None yet.')  # the newest save is the active branch
    leaves = Message.select().where(Message.conversation == conv, Message.content.contains('test_basket'))
    assert leaves.count() == 2  # the earlier answer is kept, on its branch (and the tool result)


def test_the_older_bare_history_array_of_a_saved_chat(db, tmp_path):
    history = json.loads(CHECKPOINT.read_text())['history']
    path = saved_chat(tmp_path, history, tag='old')
    assert detect_format(path) == 'gemini_cli'
    report = import_path(path)
    assert (report.format, report.conversations_added) == ('gemini_cli', 1)
    assert visible_texts(conv_by_ext(f'checkpoint:{PROJECT_HASH}:old'))[0] == (
        'user',
        'Which tests cover the basket total?',
    )
