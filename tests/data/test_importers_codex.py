"""Codex CLI rollouts: the real 0.58 file, the legacy shape, a sessions folder, growth and refusals."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from app.data import relations, search
from app.data.importers import detect_format, import_path
from app.data.lookups import find_or_create_model
from app.data.models import Collection, Conversation, ConversationTag, LlmModel, Message, Tag
from app.errors import UserError

from .export_builders import FIXTURES
from .test_importers import active_path, conv_by_ext, total_changes, visible_texts

ROLLOUT = (
    FIXTURES
    / 'codex-cli'
    / 'AcidicSoil__codex-session-view__rollout-2025-11-17T15-30-28-019a93b9-f380-7600-98ff-940e6b99603c.jsonl'
)
SESSION = '019a93b9-f380-7600-98ff-940e6b99603c'


def test_a_real_rollout_stores_each_text_once_with_tools_reasoning_and_exact_usage(db):
    model = find_or_create_model('gpt-5.1-codex')
    LlmModel.update(input_price=1.25, output_price=10.0).where(LlmModel.id == model.id).execute()
    report = import_path(ROLLOUT)
    assert report.format == 'codex'
    # 279 lines: 2 user messages (one injected context), 38 reasoning items (39 summaries, each also an
    # agent_reasoning event), 39 function calls and their 39 outputs; 79 token counts, 40 turn contexts
    assert (report.conversations_added, report.messages_added, report.errors) == (1, 118, [])
    conv = conv_by_ext(SESSION)
    assert conv.title.startswith('finish up the users work by rigging up the chatbot-ui to use lmstudio')
    assert conv.model.name == 'gpt-5.1-codex'  # from turn_context
    assert conv.created_at == datetime(2025, 11, 17, 21, 30, 28, 608000)  # session_meta, in UTC
    path = active_path(conv)
    assert len(path) == 118
    assert [r for r, _ in visible_texts(conv)] == ['user']  # the user message once, not also from its event
    kinds = [m.content_type for m in path]
    assert kinds.count('reasoning') == 38 and kinds.count('tool_use') == kinds.count('tool_result') == 39
    assert path[0].content_type == 'context' and path[0].hidden  # <environment_context>
    first_call = next(m for m in path if m.content_type == 'tool_use')
    assert first_call.author_name == 'shell' and '"bash"' in first_call.content
    first_out = next(m for m in path if m.content_type == 'tool_result')
    assert first_out.author_name == 'shell' and 'LM Studio configuration.md' in first_out.content
    # token_count follows each model turn: its last usage goes on that turn's call, exactly
    with_usage = [m for m in path if m.output_tokens is not None]
    assert len(with_usage) == 39 and all(m.content_type == 'tool_use' for m in with_usage)
    assert sum(m.output_tokens for m in with_usage) == 22305
    assert sum(m.input_tokens for m in with_usage) == 1099261
    assert with_usage[0].raw['tokens'] == 'exact' and (
        with_usage[0].input_tokens,
        with_usage[0].output_tokens,
    ) == (
        10128,
        37,
    )
    expected = sum(
        (
            (m.raw['usage']['input_tokens'] - m.raw['usage']['cached_input_tokens']) * 1.25
            + 0.1 * m.raw['usage']['cached_input_tokens'] * 1.25
            + m.output_tokens * 10.0
        )
        / 1e6
        for m in with_usage
    )
    assert sum(m.cost for m in with_usage) == pytest.approx(expected)
    assert [c.name for c in Collection.select()] == ['chatbot-ui']
    hits = search.search('lmstudio', mode='keyword')
    assert hits


def test_a_renamed_rollout_is_recognised_and_reimport_keeps_the_users_edits(db, tmp_path):
    renamed = shutil.copy(ROLLOUT, tmp_path / 'session.json')  # the content decides, not the name
    assert detect_format(renamed) == 'codex'
    import_path(renamed)
    conv = conv_by_ext(SESSION)
    Conversation.update(title='LM Studio switch').where(Conversation.id == conv.id).execute()
    relations.add_tags('conversation', [conv.id], [Tag.create(name='work').id])
    before = total_changes()
    again = import_path(renamed)
    assert (again.conversations_added, again.messages_added, again.conversations_unchanged) == (0, 0, 1)
    assert total_changes() - before == 2  # the ImportRun row only
    assert conv_by_ext(SESSION).title == 'LM Studio switch'
    assert ConversationTag.select().where(ConversationTag.conversation == conv.id).count() == 1


def test_a_sessions_folder_imports_every_rollout(db, tmp_path):
    day = tmp_path / 'sessions' / '2025' / '11' / '17'
    day.mkdir(parents=True)
    shutil.copy(ROLLOUT, day / ROLLOUT.name.split('__')[-1])
    write(day / 'rollout-2025-11-17T16-00-00-legacy.jsonl', legacy_lines())
    report = import_path(tmp_path / 'sessions')
    assert (report.format, report.conversations_added, report.errors) == ('codex', 2, [])


def env(ts: str, kind: str, payload: dict) -> dict:
    return {'timestamp': f'2026-01-05T09:{ts}.000Z', 'type': kind, 'payload': payload}


def say(role: str, text: str) -> dict:
    kind = 'output_text' if role == 'assistant' else 'input_text'
    return {'type': 'message', 'role': role, 'content': [{'type': kind, 'text': text}]}


def envelope_lines() -> list[dict]:
    return [
        env('00:00', 'session_meta', {'id': 'sess-c', 'timestamp': '2026-01-05T09:00:00Z', 'cwd': '/w/app'}),
        env('00:01', 'turn_context', {'model': 'gpt-5.3-codex', 'cwd': '/w/app'}),
        env('00:02', 'response_item', say('user', 'rename foo to bar')),
        env('00:02', 'event_msg', {'type': 'user_message', 'message': 'rename foo to bar'}),
        env('00:03', 'event_msg', {'type': 'agent_reasoning', 'text': 'Searching for foo'}),
        env(
            '00:03',
            'response_item',
            {'type': 'reasoning', 'summary': [{'type': 'summary_text', 'text': 'Searching for foo'}]},
        ),
        env('00:04', 'response_item', say('assistant', 'Renamed in 3 files.')),
        env('00:04', 'event_msg', {'type': 'agent_message', 'message': 'Renamed in 3 files.'}),
        env(
            '00:05',
            'event_msg',
            {
                'type': 'token_count',
                'info': {
                    'last_token_usage': {'input_tokens': 900, 'cached_input_tokens': 800, 'output_tokens': 40}
                },
            },
        ),
        env('00:06', 'compacted', {'message': 'Summary: foo was renamed to bar.', 'replacement_history': []}),
        env('00:06', 'event_msg', {'type': 'context_compacted'}),
        env('00:07', 'event_msg', {'type': 'something_new'}),
        env('00:08', 'response_item', say('user', 'thanks')),
    ]


def legacy_lines() -> list[dict]:
    return [
        {'id': 'legacy-1', 'timestamp': '2025-08-01T10:00:00.000Z', 'instructions': None, 'git': {}},
        {'record_type': 'state'},
        say('user', 'what does main.py do?'),
        {'type': 'reasoning', 'summary': [{'type': 'summary_text', 'text': 'Reading main.py'}]},
        {
            'type': 'function_call',
            'name': 'shell',
            'arguments': '{"command": ["cat", "main.py"]}',
            'call_id': 'c1',
        },
        {
            'type': 'function_call_output',
            'call_id': 'c1',
            'output': '{"output": "print(1)", "metadata": {"exit_code": 0}}',
        },
        {'record_type': 'state'},
        say('assistant', 'It prints 1.'),
    ]


def write(path: Path, lines: list[dict], tail: str = '') -> Path:
    path.write_text(''.join(json.dumps(x) + '\n' for x in lines) + tail)
    return path


def test_envelope_duplicates_compaction_and_unknown_events(db, tmp_path):
    report = import_path(write(tmp_path / 'r.jsonl', envelope_lines()))
    assert report.unknown_content_types == {'codex event something_new': 1}
    conv = conv_by_ext('sess-c')
    assert visible_texts(conv) == [
        ('user', 'rename foo to bar'),
        ('assistant', 'Renamed in 3 files.'),
        ('user', 'thanks'),
    ]
    path = active_path(conv)
    assert [m.content_type for m in path if m.hidden] == ['reasoning', 'compaction_summary']
    answer = next(m for m in path if m.content == 'Renamed in 3 files.')
    assert (answer.input_tokens, answer.output_tokens, answer.model.name) == (900, 40, 'gpt-5.3-codex')
    assert report.messages_added == 5


def test_the_legacy_rollout_reads_the_same_way(db, tmp_path):
    report = import_path(write(tmp_path / 'legacy.jsonl', legacy_lines()))
    assert (report.format, report.messages_added) == ('codex', 5)
    conv = conv_by_ext('legacy-1')
    assert conv.created_at == datetime(2025, 8, 1, 10, 0)
    assert visible_texts(conv) == [('user', 'what does main.py do?'), ('assistant', 'It prints 1.')]
    out = next(m for m in active_path(conv) if m.content_type == 'tool_result')
    assert out.content == 'print(1)' and out.author_name == 'shell'


def test_a_growing_rollout_adds_only_its_new_lines_and_skips_a_cut_last_line(db, tmp_path):
    lines = envelope_lines()
    path = write(
        tmp_path / 'live.jsonl', lines[:7], tail='{"timestamp": "2026-01-05T09:00:04.000Z", "type": "event'
    )
    first = import_path(path)
    assert (first.messages_added, first.lines_skipped) == (3, 1)
    write(path, lines)
    again = import_path(path)
    assert (again.conversations_updated, again.messages_added, again.lines_skipped) == (1, 2, 0)
    assert Message.select().count() == 5


def test_a_rollout_read_between_an_event_and_its_response_item_stores_the_text_once(db, tmp_path):
    """Codex logs a reasoning summary as an event first and as a response item a line later: read in
    between, the event was a message of its own; the item then takes its place (no copy, no false branch)."""
    lines = envelope_lines()
    path = write(tmp_path / 'live.jsonl', lines[:5])  # ends on the agent_reasoning event
    first = import_path(path)
    assert first.messages_added == 2
    write(path, lines)
    again = import_path(path)
    assert (again.conversations_updated, again.messages_added) == (1, 3)
    conv = conv_by_ext('sess-c')
    rows = list(Message.select().where(Message.conversation == conv))
    assert len(rows) == 5 and [m.content for m in rows].count('Searching for foo') == 1
    assert len(active_path(conv)) == 5  # one chain: nothing left beside it
    assert import_path(path).messages_added == 0


def test_the_same_reasoning_text_later_in_the_session_is_a_pair_of_its_own(db, tmp_path):
    """Events and items pair in order: a summary said again later in the session is another message."""
    again = [
        env('00:09', 'event_msg', {'type': 'agent_reasoning', 'text': 'Searching for foo'}),
        env(
            '00:09',
            'response_item',
            {'type': 'reasoning', 'summary': [{'type': 'summary_text', 'text': 'Searching for foo'}]},
        ),
        env('00:10', 'response_item', say('assistant', 'Found it again.')),
    ]
    lines = envelope_lines() + again
    path = write(tmp_path / 'live.jsonl', lines[:5])  # after the first reasoning event
    import_path(path)
    write(path, lines)  # both items now name that event's text: only the first takes its place
    import_path(path)
    conv = conv_by_ext('sess-c')
    rows = list(Message.select().where(Message.conversation == conv))
    assert [m.content for m in rows].count('Searching for foo') == 2
    assert len(rows) == len(active_path(conv)) == 7  # one chain, nothing beside it
    assert import_path(path).messages_added == 0


def test_json_lines_that_are_not_a_rollout_are_refused(db, tmp_path):
    path = tmp_path / 'x.jsonl'
    path.write_text('{"timestamp": "2026-01-01T00:00:00Z", "kind": "log", "msg": "hi"}\n{"a": 1}\n')
    before = total_changes()
    with pytest.raises(UserError):
        import_path(path)
    assert total_changes() == before


# --------------------------------------------------------------------------- sub-agent threads (spawn_agent)

FAMILY = FIXTURES / 'codex-cli' / 'hand-made__subagents'
PARENT = '019b0000-0000-7000-8000-00000000aaaa'
CHILD = '019b0000-0000-7000-8000-00000000cccc'


def sessions_folder(tmp_path: Path, *names: str) -> Path:
    day = tmp_path / 'sessions' / '2026' / '02' / '10'
    day.mkdir(parents=True)
    for f in FAMILY.iterdir():
        if not names or any(n in f.name for n in names):
            shutil.copy(f, day / f.name)
    return tmp_path / 'sessions'


def test_a_sub_agent_thread_is_folded_into_the_conversation_that_spawned_it(db, tmp_path):
    report = import_path(sessions_folder(tmp_path))
    assert (report.format, report.conversations_added, report.errors) == ('codex', 1, [])
    assert Conversation.select().count() == 1  # the child rollout is not a chat of its own
    conv = conv_by_ext(PARENT)
    path = active_path(conv)
    assert len(path) == Message.select().where(Message.conversation == conv).count()  # one chain
    assert visible_texts(conv) == [
        ('user', 'Find why the checkout test is flaky; ask a helper to read the CI logs.'),
        (
            'assistant',
            'The payment stub sometimes answers after the 30 s timeout: the test is flaky because of it.',
        ),
    ]
    ids = [m.external_id for m in path]
    run = [m for m in path if m.external_id.startswith(f'{CHILD}:')]
    assert len(run) == 5 and all(m.hidden for m in run)
    # in right after the spawn_agent call, before its output
    spawn = next(i for i, m in enumerate(path) if m.content.startswith('spawn_agent'))
    assert ids[spawn + 1 : spawn + 6] == [m.external_id for m in run]
    assert path[spawn + 6].role == 'tool' and CHILD in path[spawn + 6].content
    prompt, *_, answer = run
    assert (prompt.role, prompt.content_type, prompt.author_name) == ('user', 'subagent', 'sub-agent Halley')
    assert (answer.content_type, answer.content) == (
        'subagent',
        'Two timeouts, both waiting on the payment stub (30 s).',
    )
    assert LlmModel.get_by_id(answer.model_id).name == 'gpt-5.3-codex-mini'  # the sub-agent's own model
    assert conv.model.name == 'gpt-5.3-codex'  # the conversation's stays the parent's
    assert report.unknown_content_types == {}  # the collab_* events are known bookkeeping

    hits = search.search('payment stub did not answer', mode='keyword')  # only in the sub-agent's tool output
    assert hits and {Message.get_by_id(h.id).conversation_id for h in hits} == {conv.id}

    again = import_path(tmp_path / 'sessions')
    assert (again.conversations_added, again.messages_added, again.conversations_unchanged) == (0, 0, 1)


def test_rollouts_that_name_each_other_as_parent_are_both_kept(db, tmp_path):
    """A damaged folder: the parent's session_meta names its own sub-agent as its parent. Neither may
    vanish by being folded into the other."""
    folder = sessions_folder(tmp_path)
    parent_file = next(folder.rglob(f'*{PARENT}.jsonl'))
    lines = parent_file.read_text().splitlines()
    meta = json.loads(lines[0])
    meta['payload']['source'] = {'subagent': {'thread_spawn': {'parent_thread_id': CHILD, 'depth': 1}}}
    parent_file.write_text('\n'.join([json.dumps(meta), *lines[1:]]) + '\n')
    report = import_path(folder)
    assert report.conversations_added == 2
    assert {c.external_id for c in Conversation.select()} == {PARENT, CHILD}


def test_a_sub_agent_rollout_without_its_parent_is_a_conversation_of_its_own(db, tmp_path):
    report = import_path(sessions_folder(tmp_path, CHILD))
    assert report.conversations_added == 1
    child = conv_by_ext(CHILD)
    assert visible_texts(child)[-1] == ('assistant', 'Two timeouts, both waiting on the payment stub (30 s).')
