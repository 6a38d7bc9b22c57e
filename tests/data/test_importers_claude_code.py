"""Claude Code sessions: the real 1.0.x and 2.x files, a ~/.claude/projects folder (and its zip), edge cases."""

from __future__ import annotations

import json
import shutil
import time
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.data import relations, search
from app.data.importers import detect_format, import_path
from app.data.models import (
    Collection,
    CollectionConversation,
    Conversation,
    ConversationTag,
    LlmModel,
    Message,
    Tag,
)
from app.errors import UserError

from .export_builders import FIXTURES, assert_no_parser_bug
from .test_importers import active_path, conv_by_ext, total_changes, visible_texts

CC = FIXTURES / 'claude-code'
SHORT = CC / 'marot__spotter__short.jsonl'
V1 = CC / 'd-kimuson__claude-code-viewer__fe5e1c67-53e7-4862-81ae-d0e013e3270b.jsonl'
PREFIX = CC / 'marot__spotter__8463c716-a2ea-4c14-9efa-87158ebd9f20.prefix716.jsonl'
SESSION_2X = '8463c716-a2ea-4c14-9efa-87158ebd9f20'


def forks(conv: Conversation) -> int:
    parents = [m.parent_id for m in Message.select(Message.parent).where(Message.conversation == conv)]
    return sum(1 for p in set(parents) if parents.count(p) > 1)


def projects_folder(tmp_path: Path) -> Path:
    """A ~/.claude/projects folder as Claude Code 2.1 lays it out: the session beside its sub-agents folder."""
    root = tmp_path / 'projects'
    project = root / '-home-USER-projects-spotter'
    subagents = project / SESSION_2X / 'subagents'
    subagents.mkdir(parents=True)
    shutil.copy(PREFIX, project / f'{SESSION_2X}.jsonl')
    for agent in ('a7be2f0', 'acompact-f46190'):
        shutil.copy(
            CC / f'marot__spotter__{SESSION_2X}__subagents__agent-{agent}.jsonl',
            subagents / f'agent-{agent}.jsonl',
        )
    shutil.copy(SHORT, project / '55604662-cf2a-4331-851a-ec234028f8ca.jsonl')
    (root / 'notes.json').write_text('{"not": "a session"}')  # other files in the folder are passed over
    return root


# --------------------------------------------------------------------------- the real files


def test_a_2x_session_folds_tool_traffic_merges_split_messages_and_keeps_exact_usage(db):
    opus = LlmModel.get_or_none(LlmModel.name == 'claude-opus-4-6')
    assert opus is None
    report = import_path(SHORT)
    assert report.format == 'claude_code'
    assert (report.conversations_added, report.messages_added, report.skipped, report.errors) == (
        1,
        10,
        0,
        [],
    )
    conv = conv_by_ext('55604662-cf2a-4331-851a-ec234028f8ca')
    assert conv.title == 'mix phx.server doesnt seem to start'  # no summary record: the first prompt
    assert conv.model.name == 'claude-opus-4-6'
    assert conv.created_at == datetime(2026, 2, 10, 21, 11, 56, 846000)
    # 5 assistant lines share one message.id: one reply; 3 progress records and a snapshot are no messages
    assert forks(conv) == 0  # parallel tool results follow one another, progress makes no branch
    path = active_path(conv)
    assert len(path) == conv.message_count == 10
    assert visible_texts(conv) == [
        ('user', 'mix phx.server doesnt seem to start'),
        ('assistant', 'Let me check the project structure and try running the server to see the error.'),
        ('user', '[Request interrupted by user for tool use]'),
    ]
    hidden = [(m.content_type, m.author_name) for m in path if m.hidden]
    assert ('thinking', None) in hidden and ('tool_use', 'Bash') in hidden and ('tool_use', 'Glob') in hidden
    assert [m.author_name for m in path if m.content_type == 'tool_result'] == ['Bash', 'Glob']
    assert sum(1 for m in path if m.content_type == 'command') == 2  # the /model command and its output
    reply = next(m for m in path if m.role == 'assistant' and not m.hidden)
    # usage {input 3, cache write 13835, cache read 11515, output 13}: exact, as the API reported it
    assert (reply.input_tokens, reply.output_tokens) == (3 + 13835 + 11515, 13)
    assert reply.raw['tokens'] == 'exact' and len(reply.raw['records']) == 5
    assert reply.model.name == 'claude-opus-4-6' and reply.cost is None  # no prices known for it yet
    assert [c.name for c in Collection.select()] == ['spotter']  # the working directory is the project
    assert CollectionConversation.select().where(CollectionConversation.conversation == conv).count() == 1


def test_the_cost_follows_from_the_models_table_with_cache_prices(db, tmp_path):
    from app.data.lookups import find_or_create_model

    model = find_or_create_model('claude-opus-4-6')
    LlmModel.update(input_price=5.0, output_price=25.0).where(LlmModel.id == model.id).execute()
    import_path(SHORT)
    reply = next(m for m in Message.select().where(Message.role == 'assistant') if m.output_tokens)
    # the session says its cache writes are kept an hour (``ephemeral_1h_input_tokens``): 2x, not 1.25x
    expected = (3 + 2.0 * 13835 + 0.1 * 11515) * 5.0 / 1e6 + 13 * 25.0 / 1e6
    assert reply.cost == pytest.approx(expected)


def test_cache_writes_kept_five_minutes_or_unsplit_cost_a_quarter_more_than_input(db, tmp_path):
    from app.data.importers.claude_code import _usage

    class Node:
        def __init__(self, usage):
            self.records = [{'message': {'usage': usage}}]

    five = {'ephemeral_5m_input_tokens': 100, 'ephemeral_1h_input_tokens': 0}
    base = {'input_tokens': 10, 'cache_creation_input_tokens': 100, 'cache_read_input_tokens': 1000}
    assert _usage(Node({**base, 'output_tokens': 5}))[2] == pytest.approx(10 + 125 + 100)
    assert _usage(Node({**base, 'output_tokens': 5, 'cache_creation': five}))[2] == pytest.approx(235)
    both = {'ephemeral_5m_input_tokens': 40, 'ephemeral_1h_input_tokens': 60}
    assert _usage(Node({**base, 'output_tokens': 5, 'cache_creation': both}))[2] == pytest.approx(
        10 + 1.25 * 40 + 2 * 60 + 100
    )


def test_a_1x_session_keeps_inline_sub_agents_folded_before_their_task_results(db):
    report = import_path(V1)
    assert (report.conversations_added, report.messages_added, report.errors) == (1, 437, [])
    conv = conv_by_ext('fe5e1c67-53e7-4862-81ae-d0e013e3270b')
    # the file's summary record points at a leaf in another session: not this one's title
    assert conv.title == '/orchestrator create TODO app by Next.js'
    assert conv.raw['summaries'][0]['summary'] == 'Empty Repo Setup: CLAUDE.md Foundation Created'
    assert conv.model.name == 'claude-sonnet-4-20250514'
    assert (
        forks(conv) == 0 and Conversation.select().count() == 1
    )  # 405 sidechain lines: no chat of their own
    path = active_path(conv)
    assert len(path) == 437  # every message, sub-agents included, on one thread
    msgs = list(Message.select().where(Message.conversation == conv))
    # 262 assistant lines are 170 API messages; 167 tool calls and 167 results are hidden steps
    assert len({m.external_id.split('#')[0] for m in msgs if m.external_id.startswith('msg_')}) == 170
    assert (
        sum(m.content_type == 'tool_use' for m in msgs)
        == sum(m.content_type == 'tool_result' for m in msgs)
        == 167
    )
    assert all(m.hidden for m in msgs if m.content_type in ('tool_use', 'tool_result', 'subagent'))
    # each of the 5 Task runs sits right before its Task's result, its prompt first
    tasks = [i for i, m in enumerate(path) if m.content_type == 'tool_result' and m.author_name == 'Task']
    assert len(tasks) == 5
    for i in tasks:
        assert path[i - 1].hidden and path[i - 1].raw['records'][0]['isSidechain'] is True
    prompts = [m for m in path if m.content_type == 'subagent' and m.role == 'user']
    assert prompts[0].content.startswith('Create React components for the TODO app')
    assert visible_texts(conv)[-3:] == [
        ('user', 'Thanks! Please update CLAUDE.md for current changes'),
        (
            'assistant',
            "I'll create a CLAUDE.md file to document the current TODO app project structure and key "
            'information for future reference.',
        ),
        (
            'assistant',
            'CLAUDE.md has been created with comprehensive documentation of the TODO app project, including '
            'structure, tech stack, features, development commands, and architecture details.',
        ),
    ]


def test_a_projects_folder_keeps_sub_agent_files_and_the_compaction_with_their_session(db, tmp_path):
    root = projects_folder(tmp_path)
    assert detect_format(root) == 'claude_code'
    report = import_path(root)
    assert (report.conversations_added, report.errors, report.skipped) == (2, [], 0)
    assert report.collections_added == 2  # spotter-fum (the worktree) and spotter
    conv = conv_by_ext(SESSION_2X)
    assert conv.title.startswith('Work on bead spotter-fum.')
    path = active_path(conv)
    kinds = [m.content_type for m in path]
    boundary = kinds.index('compaction')
    assert kinds[boundary + 1] == 'compaction_summary'
    assert path[boundary].content == 'Conversation compacted (auto, 167,731 tokens before)'
    assert path[boundary + 1].content.startswith(
        'This session is being continued from a previous conversation'
    )
    assert path[boundary].hidden and path[boundary + 1].hidden
    agents = {m.external_id.split(':')[0] for m in path if m.external_id.startswith('agent-')}
    assert agents == {'agent-a7be2f0', 'agent-acompact-f46190'}  # both sub-agent files, folded in the thread
    assert all(m.hidden for m in path if m.external_id.startswith('agent-'))
    assert forks(conv) == 0
    assert {c.name for c in Collection.select()} == {'spotter-fum', 'spotter'}
    # the zip of the same folder: the same conversations, nothing new
    archive = tmp_path / 'claude-projects.zip'
    with zipfile.ZipFile(archive, 'w') as zf:
        for f in root.rglob('*'):
            if f.is_file():
                zf.write(f, f.relative_to(root.parent).as_posix())
    again = import_path(archive)
    assert (again.format, again.conversations_added, again.messages_added) == ('claude_code', 0, 0)
    assert again.conversations_unchanged == 2


def test_reimport_adds_nothing_and_keeps_the_users_title_and_tags(db, tmp_path):
    root = projects_folder(tmp_path)
    import_path(root)
    conv = conv_by_ext(SESSION_2X)
    Conversation.update(title='My own title').where(Conversation.id == conv.id).execute()
    relations.add_tags('conversation', [conv.id], [Tag.create(name='work').id])
    before = total_changes()
    report = import_path(root)
    assert (report.conversations_added, report.messages_added, report.conversations_updated) == (0, 0, 0)
    assert total_changes() - before == 2  # the ImportRun row only (insert, final update): no content write
    conv = conv_by_ext(SESSION_2X)
    assert conv.title == 'My own title'
    assert [t.tag.name for t in ConversationTag.select().where(ConversationTag.conversation == conv)] == [
        'work'
    ]


def test_hidden_tool_traffic_of_a_session_is_keyword_searchable(db):
    import_path(SHORT)
    hits = search.search('Phoenix', mode='keyword')  # only in the reply's thinking
    assert hits and all(Message.get_by_id(h.id).content_type == 'thinking' for h in hits)


# --------------------------------------------------------------------------- hand-made edge cases


def rec(kind: str, uuid: str, parent: str | None, when: str, **extra) -> dict:
    base = {
        'parentUuid': parent,
        'isSidechain': False,
        'userType': 'external',
        'cwd': '/home/me/code/demo',
        'sessionId': 'sess-1',
        'version': '2.1.40',
        'type': kind,
        'uuid': uuid,
        'timestamp': f'2026-03-01T10:{when}.000Z',
    }
    base.update(extra)
    return base


def user(uuid, parent, when, text, **extra):
    return rec('user', uuid, parent, when, message={'role': 'user', 'content': text}, **extra)


def reply(uuid, parent, when, mid, blocks, model='claude-sonnet-4-5', **extra):
    message = {
        'model': model,
        'id': mid,
        'type': 'message',
        'role': 'assistant',
        'content': blocks,
        'stop_reason': None,
        'usage': {'input_tokens': 10, 'output_tokens': 5},
    }
    return rec('assistant', uuid, parent, when, message=message, requestId='req_1', **extra)


def session_lines() -> list[dict]:
    return [
        {'type': 'summary', 'summary': 'Fixing the flaky test', 'leafUuid': 'a3'},
        rec('progress', 'p0', None, '00:00', data={'type': 'hook_progress'}),
        user('u1', 'p0', '00:01', 'why does test_x flake?'),
        reply('a1', 'u1', '00:02', 'msg_1', [{'type': 'text', 'text': 'Let me look.'}]),
        rec('progress', 'p1', 'a1', '00:03', data={'type': 'bash_progress'}),
        reply(
            'a1b',
            'p1',
            '00:04',
            'msg_1',
            [{'type': 'tool_use', 'id': 't1', 'name': 'Bash', 'input': {'command': 'pytest -x'}}],
        ),
        user(
            'r1',
            'a1b',
            '00:05',
            [{'type': 'tool_result', 'tool_use_id': 't1', 'content': 'FAILED test_x zebra'}],
        ),
        reply('a2', 'r1', '00:06', 'msg_2', [{'type': 'text', 'text': 'It waits on a sleep.'}]),
        # the person rewinds and asks differently: a real branch from u1's parent
        user('u2', 'p0', '00:07', 'is test_x slow?'),
        reply('a3', 'u2', '00:08', 'msg_3', [{'type': 'text', 'text': 'Yes, 4 s.'}]),
        {'type': 'file-history-snapshot', 'messageId': 'a3', 'snapshot': {}, 'isSnapshotUpdate': False},
    ]


def write_jsonl(path: Path, lines: list[dict], tail: str = '') -> Path:
    path.write_text(''.join(json.dumps(line) + '\n' for line in lines) + tail)
    return path


def test_a_rewind_is_a_branch_and_the_summary_names_the_session(db, tmp_path):
    path = write_jsonl(tmp_path / 'sess-1', session_lines())  # no extension: the content decides
    report = import_path(path)
    assert (report.format, report.messages_added, report.unknown_content_types) == ('claude_code', 7, {})
    conv = conv_by_ext('sess-1')
    assert conv.title == 'Fixing the flaky test'  # its leafUuid is in this session
    assert forks(conv) == 1  # the rewind, not the progress records
    assert visible_texts(conv) == [('user', 'is test_x slow?'), ('assistant', 'Yes, 4 s.')]
    other = Message.get(Message.external_id == 'msg_2')
    assert other.content == 'It waits on a sleep.' and other.parent.content == 'FAILED test_x zebra'
    assert Message.get(Message.external_id == 'msg_1').content == 'Let me look.'  # two lines, one message
    assert conv.model.name == 'claude-sonnet-4-5'


def test_a_live_session_with_a_cut_last_line_imports_and_grows_in_place(db, tmp_path):
    lines = session_lines()
    path = write_jsonl(tmp_path / 'live.jsonl', lines[:8], tail='{"parentUuid": "a2", "type": "us')
    report = import_path(path)
    assert (report.conversations_added, report.messages_added, report.lines_skipped) == (1, 5, 1)
    assert 'unreadable lines skipped' in report.summary()
    Conversation.update(title='Mine').where(Conversation.external_id == 'sess-1').execute()
    write_jsonl(path, lines)  # the session went on
    again = import_path(path)
    assert (again.conversations_added, again.conversations_updated, again.messages_added) == (0, 1, 2)
    conv = conv_by_ext('sess-1')
    assert conv.title == 'Mine' and conv.message_count == 7
    assert visible_texts(conv)[-1] == ('assistant', 'Yes, 4 s.')


def test_unknown_records_are_counted_not_fatal_and_hostile_lines_are_skipped(db, tmp_path):
    deep = '[' * 5000 + ']' * 5000
    lines = [*session_lines(), rec('brand-new-kind', 'z1', 'a3', '00:09')]
    path = write_jsonl(tmp_path / 's.jsonl', lines, tail=deep + '\n' + '"just a string"\n')
    report = import_path(path)
    assert report.messages_added == 7 and report.lines_skipped == 2
    assert report.unknown_content_types == {'claude_code brand-new-kind': 1}


@pytest.mark.parametrize(
    'content',
    [
        '{"type": "user", "hello": 1}\n{"type": "assistant"}\n',  # JSON lines, but not Claude Code's
        '{"sessionId": "x", "type": "user"\n',  # one cut line
        '\n\n',
    ],
)
def test_other_json_lines_are_refused_and_nothing_is_written(db, tmp_path, content):
    path = tmp_path / 'x.jsonl'
    path.write_text(content)
    before = total_changes()
    with pytest.raises(UserError) as err:
        import_path(path)
    assert '\n' not in str(err.value)
    assert total_changes() == before and Conversation.select().count() == 0


def test_a_sub_agent_without_its_file_is_rebuilt_from_its_relayed_progress(db):
    import_path(CC / 'marot__spotter__subagent.jsonl')
    conv = conv_by_ext('491e126e-1e71-469c-ade2-fcc8af567c74')
    assert conv.title.startswith('/handgemacht:create-beads websearch to learn')
    path = active_path(conv)
    task = next(i for i, m in enumerate(path) if m.content_type == 'tool_use' and m.author_name == 'Task')
    result = next(
        i for i, m in enumerate(path) if m.content_type == 'tool_result' and m.author_name == 'Task'
    )
    run = path[task + 2 : result]  # after the Task call and the reply's own text, before its result
    assert run and all(m.external_id.startswith('agent-afb92ff:') and m.hidden for m in run)
    assert run[0].content.startswith('Draft bead content for setting up Credo, Dialyxir, and mix_audit')
    assert {m.model.name for m in run if m.model} == {
        'claude-haiku-4-5-20251001'
    }  # the sub-agent's own model
    assert conv.model.name == 'claude-opus-4-6' and forks(conv) == 0


any_text = st.text(max_size=12) | st.sampled_from(['', 'user', 'assistant', 'response_item', '\ud800'])
values = st.recursive(
    st.none() | st.booleans() | st.integers() | any_text,
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(any_text, kids, max_size=3),
    max_leaves=10,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(value=[], kind='user')
@example(value=5, kind='user')
@given(value=values, kind=st.sampled_from(['user', 'assistant', 'system', 'progress', 'summary']))
def test_arbitrary_session_lines_never_raise_more_than_one_sentence(db, tmp_path, value, kind):
    lines = [
        {
            'type': kind,
            'sessionId': 's',
            'uuid': 'u1',
            'parentUuid': value,
            'message': value,
            'timestamp': value,
        },
        {
            'type': 'assistant',
            'sessionId': 's',
            'uuid': 'u2',
            'parentUuid': 'u1',
            'message': {'content': value, 'usage': value},
        },
        {
            'timestamp': 'x',
            'type': 'response_item',
            'payload': {'type': value, 'content': value, 'summary': value},
        },
    ]
    codex = [
        {
            'timestamp': 'x',
            'type': 'session_meta',
            'payload': {'id': value, 'timestamp': value, 'cwd': value},
        },
        {'timestamp': value, 'type': 'turn_context', 'payload': {'model': value, 'cwd': value}},
        {'timestamp': 'x', 'type': 'event_msg', 'payload': {'type': 'agent_reasoning', 'text': value}},
        {'timestamp': 'x', 'type': 'response_item', 'payload': {'type': 'reasoning', 'summary': value}},
        {'timestamp': 'x', 'type': 'event_msg', 'payload': {'type': 'token_count', 'info': value}},
        {'timestamp': 'x', 'type': 'compacted', 'payload': {'message': value, 'replacement_history': value}},
        {
            'timestamp': 'x',
            'type': 'response_item',
            'payload': {'type': 'function_call_output', 'output': value},
        },
    ]
    legacy = [{'id': value, 'timestamp': value, 'instructions': value}, {'type': 'message', 'content': value}]
    for subset in (lines[:2], lines[2:], codex, legacy):
        path = tmp_path / f's-{time.monotonic_ns()}.jsonl'
        path.write_text(''.join(json.dumps(x) + '\n' for x in subset))
        try:
            report = import_path(path)
        except UserError as exc:
            assert str(exc) and '\n' not in str(exc)
        else:
            assert_no_parser_bug(report)


def test_2_0_layout_and_a_dry_run_write_nothing_and_keep_sub_agents_with_their_session(db, tmp_path):
    project = tmp_path / '-home-USER-projects-spotter'
    project.mkdir()
    shutil.copy(PREFIX, project / f'{SESSION_2X}.jsonl')
    # around 2.0.x the sub-agent files sat beside the session
    shutil.copy(
        CC / f'marot__spotter__{SESSION_2X}__subagents__agent-a7be2f0.jsonl', project / 'agent-a7be2f0.jsonl'
    )
    before = total_changes()
    dry = import_path(project, dry_run=True)
    assert (dry.conversations_added, dry.collections_added) == (1, 1)
    assert Conversation.select().count() == 0 and Collection.select().count() == 0
    assert total_changes() - before == 2  # the run's own record only
    report = import_path(project)
    assert (report.conversations_added, report.messages_added) == (1, dry.messages_added)
    conv = conv_by_ext(SESSION_2X)
    assert any(m.external_id.startswith('agent-a7be2f0:') for m in active_path(conv))


def test_a_summary_written_at_the_top_of_a_later_session_names_the_session_it_points_at(db, tmp_path):
    folder = tmp_path / '-home-me-code-demo'
    folder.mkdir()
    first = [line for line in session_lines() if line.get('type') != 'summary']
    write_jsonl(folder / 'sess-1.jsonl', first)
    later = [
        {'type': 'summary', 'summary': 'Why test_x flakes', 'leafUuid': 'a3'},  # a leaf of sess-1
        {**user('v1', None, '30:00', 'next task'), 'sessionId': 'sess-2'},
    ]
    write_jsonl(folder / 'sess-2.jsonl', later)
    import_path(folder)
    assert conv_by_ext('sess-1').title == 'Why test_x flakes'
    assert conv_by_ext('sess-2').title == 'next task'


def test_a_session_renamed_in_claude_code_starts_with_its_title_records_and_is_named_by_the_latest(
    db, tmp_path
):
    """``/rename`` writes ``custom-title`` (and ``agent-name``) records, a resumed session may start with a
    ``last-prompt`` one: a file that starts so is still a Claude Code session, and the rename is its title."""
    sid = '55604662-cf2a-4331-851a-ec234028f8ca'
    head = [
        {'type': 'last-prompt', 'lastPrompt': 'fix the server', 'sessionId': sid},
        {'type': 'custom-title', 'customTitle': 'First name', 'sessionId': sid},
    ]
    tail = [
        {'type': 'custom-title', 'customTitle': 'Spotter server fix', 'sessionId': sid},
        {'type': 'agent-name', 'agentName': 'spotter-fix', 'sessionId': sid},
    ]
    body = SHORT.read_text(encoding='utf-8')
    path = tmp_path / 'session'  # no extension: the content decides
    path.write_text(
        ''.join(json.dumps(r) + '\n' for r in head) + body + ''.join(json.dumps(r) + '\n' for r in tail),
        encoding='utf-8',
    )
    assert detect_format(path) == 'claude_code'
    report = import_path(path)
    assert (report.conversations_added, report.unknown_content_types) == (1, {})
    assert conv_by_ext(sid).title == 'Spotter server fix'


def test_a_dated_model_snapshot_is_priced_like_its_model(db, tmp_path):
    """Claude Code names the snapshot (claude-sonnet-4-5-20250929); the models table prices the model."""
    sonnet = LlmModel.get(LlmModel.name == 'claude-sonnet-4-5')
    assert (sonnet.input_price, sonnet.output_price) == (3.0, 15.0)
    path = tmp_path / f'{SHORT.stem}.jsonl'
    path.write_text(SHORT.read_text().replace('claude-opus-4-6', 'claude-sonnet-4-5-20250929'))
    import_path(path)
    reply = next(m for m in Message.select().where(Message.role == 'assistant') if m.output_tokens)
    assert reply.model.name == 'claude-sonnet-4-5-20250929'  # the snapshot is kept as the model that answered
    assert reply.cost == pytest.approx((3 + 2.0 * 13835 + 0.1 * 11515) * 3.0 / 1e6 + 13 * 15.0 / 1e6)
