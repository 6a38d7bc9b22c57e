"""The session watcher on a temporary folder: files that grow, rotate and disappear, restarts, links out of
the folder, and no re-reading of what did not change."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from app.data import session_watch
from app.data.importers import claude_code, inputs
from app.data.importers.base import ImportReport, normalise_tree
from app.data.models import Conversation, Message

from .export_builders import FIXTURES

SHORT = FIXTURES / 'claude-code' / 'marot__spotter__short.jsonl'
SHORT_ID = '55604662-cf2a-4331-851a-ec234028f8ca'
CODEX = next((FIXTURES / 'codex-cli').glob('rollout-*.jsonl'), None) or next(
    (FIXTURES / 'codex-cli').glob('*.jsonl')
)
GEMINI = FIXTURES / 'gemini-cli' / 'kvsankar__agent-history__real_sessions-gemini-session-01.json'


def lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def stored(conv: Conversation) -> dict[str, tuple]:
    """external id -> (parent's external id, content, hidden) of what the library holds."""
    rows = list(Message.select().where(Message.conversation == conv))
    ext = {m.id: m.external_id for m in rows}
    return {m.external_id: (ext.get(m.parent_id), m.content, m.hidden) for m in rows}


def expected(path: Path) -> dict[str, tuple]:
    """The same for a fresh read of the whole file."""
    doc = inputs.JsonDoc(path.name, lambda: open(path, 'rb'))  # noqa: SIM115 - the reader closes it
    conv = claude_code.convert(doc, ImportReport())
    return {m.external_id: (m.parent_id, m.content, m.hidden) for m in normalise_tree(conv.messages)}


def bump(path: Path) -> None:
    """A later modification time, as a write a moment later would leave (file systems with coarse clocks)."""
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


@pytest.fixture
def home(tmp_path: Path) -> Path:
    (tmp_path / 'projects' / '-home-me-spotter').mkdir(parents=True)
    (tmp_path / 'sessions' / '2025' / '11' / '17').mkdir(parents=True)
    return tmp_path


def watcher(home: Path) -> session_watch.SessionWatcher:
    return session_watch.SessionWatcher([str(home / 'projects'), str(home / 'sessions')])


def test_a_growing_session_adds_only_its_new_messages_and_updates_the_reply_being_written(db, home):
    session = home / 'projects' / '-home-me-spotter' / f'{SHORT_ID}.jsonl'
    all_lines = lines(SHORT)
    # cut in the middle of one API message (its text and thinking lines written, its tool calls not yet)
    session.write_bytes(b''.join(all_lines[:6]))
    w = watcher(home)
    first = w.run_once()
    conv = Conversation.get(Conversation.external_id == SHORT_ID)
    assert stored(conv) == expected(session)  # what is written so far
    assert [(i.format, i.messages_added, i.updated) for i in first.imported] == [
        ('claude_code', len(stored(conv)), False)
    ]
    early = {m.external_id: m.id for m in Message.select().where(Message.conversation == conv)}
    reply = Message.get(
        (Message.conversation == conv) & (Message.external_id == 'msg_01MKH1ccEGrZGNPvu8pYiiQa')
    )
    assert reply.content.strip()  # the text written so far

    with session.open('ab') as fh:
        fh.write(b''.join(all_lines[6:]))
    bump(session)
    second = w.run_once()
    assert second.parses == 1
    assert [(i.conversation_id, i.updated) for i in second.imported] == [(conv.id, True)]
    # the library now holds exactly what reading the whole file gives: no duplicates, no false branch
    assert stored(conv) == expected(SHORT)
    assert second.imported[0].messages_added == len(expected(SHORT)) - len(early)
    later = {m.external_id: m.id for m in Message.select().where(Message.conversation == conv)}
    assert all(later[k] == v for k, v in early.items())  # the messages already here stayed (updated in place)
    assert Conversation.get_by_id(conv.id).message_count == len(later)


def test_unchanged_files_are_not_read_again_and_a_restart_imports_nothing(db, home):
    shutil.copy(SHORT, home / 'projects' / '-home-me-spotter' / f'{SHORT_ID}.jsonl')
    shutil.copy(CODEX, home / 'sessions' / '2025' / '11' / '17' / CODEX.name)
    w = watcher(home)
    first = w.run_once()
    assert (first.files, first.changed, first.parses, len(first.imported)) == (2, 2, 2, 2)
    again = w.run_once()
    assert (again.changed, again.parses, again.imported) == (0, 0, [])
    assert w.parses == 2

    restarted = watcher(home)  # a new process on the same library: the state was kept
    after = restarted.run_once()
    assert (after.changed, after.parses, after.imported, restarted.parses) == (0, 0, [], 0)
    assert Conversation.select().count() == 2


def test_a_new_file_is_picked_up_and_a_vanished_one_is_forgotten_but_kept_in_the_library(db, home):
    day = home / 'sessions' / '2025' / '11' / '17'
    shutil.copy(CODEX, day / CODEX.name)
    w = watcher(home)
    w.run_once()
    # rotation: the next session is a new file (Claude Code here), the old one unchanged
    shutil.copy(SHORT, home / 'projects' / '-home-me-spotter' / f'{SHORT_ID}.jsonl')
    rotated = w.run_once()
    assert (rotated.changed, rotated.parses, [i.format for i in rotated.imported]) == (1, 1, ['claude_code'])

    (day / CODEX.name).unlink()
    gone = w.run_once()
    assert (gone.forgotten, gone.parses) == (1, 0)
    assert Conversation.select().where(Conversation.deleted_at.is_null()).count() == 2  # nothing deleted
    files, total = session_watch.found_sessions()
    assert total == 1 and [Path(f.path).name for f in files] == [f'{SHORT_ID}.jsonl']


def test_links_out_of_the_folder_are_not_followed(db, home, tmp_path_factory):
    outside = tmp_path_factory.mktemp('elsewhere')
    shutil.copy(SHORT, outside / f'{SHORT_ID}.jsonl')
    (outside / 'deeper').mkdir()
    shutil.copy(CODEX, outside / 'deeper' / CODEX.name)
    project = home / 'projects' / '-home-me-spotter'
    (project / 'linked.jsonl').symlink_to(outside / f'{SHORT_ID}.jsonl')
    (home / 'sessions' / 'linked-folder').symlink_to(outside / 'deeper', target_is_directory=True)
    w = watcher(home)
    result = w.run_once()
    assert (result.files, result.parses, result.imported) == (0, 0, [])
    assert Conversation.select().count() == 0


def test_a_file_swapped_for_a_link_after_the_scan_is_not_opened(db, home, tmp_path_factory):
    outside = tmp_path_factory.mktemp('elsewhere')
    shutil.copy(SHORT, outside / 'secret.jsonl')
    target = home / 'projects' / '-home-me-spotter' / f'{SHORT_ID}.jsonl'
    shutil.copy(SHORT, target)
    root = str((home / 'projects').resolve())
    opener = session_watch._opener(str(target), root)
    target.unlink()
    target.symlink_to(outside / 'secret.jsonl')
    with pytest.raises(OSError):
        opener()


def test_a_gemini_cli_session_rewritten_with_a_longer_reply_is_updated_in_place(db, tmp_path):
    chats = tmp_path / 'tmp' / 'abc123' / 'chats'
    chats.mkdir(parents=True)
    data = json.loads(GEMINI.read_text())
    full = data['messages'][-1]['content']
    data['messages'][-1]['content'] = full[: max(1, len(full) // 3)]  # the reply still streaming
    session = chats / 'session-1.json'
    session.write_text(json.dumps(data))
    (tmp_path / 'tmp' / 'abc123' / 'logs.json').write_text('[{"sessionId": "x", "type": "user"}]')
    w = session_watch.SessionWatcher([str(tmp_path / 'tmp')])
    first = w.run_once()
    assert [i.format for i in first.imported] == ['gemini_cli']
    count = Message.select().count()
    data['messages'][-1]['content'] = full
    session.write_text(json.dumps(data))
    bump(session)
    second = w.run_once()
    assert second.parses == 1 and second.imported[0].messages_added == 0
    assert Message.select().count() == count
    assert Message.select().where(Message.content == full).count() == 1


def test_a_sub_agent_file_that_grows_re_reads_its_session_as_one_conversation(db, home):
    cc = FIXTURES / 'claude-code'
    sid = '8463c716-a2ea-4c14-9efa-87158ebd9f20'
    project = home / 'projects' / '-home-me-spotter'
    shutil.copy(cc / f'marot__spotter__{sid}.prefix716.jsonl', project / f'{sid}.jsonl')
    agent_lines = lines(cc / f'marot__spotter__{sid}__subagents__agent-a7be2f0.jsonl')
    sub = project / sid / 'subagents'
    sub.mkdir(parents=True)
    agent = sub / 'agent-a7be2f0.jsonl'
    agent.write_bytes(b''.join(agent_lines[:2]))
    w = watcher(home)
    w.run_once()
    before = Message.select().count()
    with agent.open('ab') as fh:
        fh.write(b''.join(agent_lines[2:]))
    bump(agent)
    grown = w.run_once()
    assert grown.parses == 2  # the session and its sub-agent file, read together
    assert Conversation.select().count() == 1  # the sub-agent run stays inside its session
    assert grown.imported[0].messages_added == Message.select().count() - before > 0


def test_each_pass_that_brought_something_in_is_one_run_in_the_import_history(db, home):
    from app.data.models import ImportRun

    session = home / 'projects' / '-home-me-spotter' / f'{SHORT_ID}.jsonl'
    all_lines = lines(SHORT)
    session.write_bytes(b''.join(all_lines[:6]))  # cut inside a reply still being written
    shutil.copy(CODEX, home / 'sessions' / '2025' / '11' / '17' / CODEX.name)
    w = watcher(home)
    first = w.run_once()
    runs = {r.filename: r for r in ImportRun.select()}
    assert sorted(runs) == ['Claude Code sessions (watch)', 'Codex sessions (watch)']  # one per source
    claude = runs['Claude Code sessions (watch)']
    conv = Conversation.get(Conversation.external_id == SHORT_ID)
    assert (claude.format, claude.status, claude.dry_run, claude.finished_at is not None) == (
        'claude_code',
        'done',
        False,
        True,
    )
    assert (claude.conversations_added, claude.conversations_updated, claude.messages_added) == (
        1,
        0,
        len(stored(conv)),
    )
    assert claude.report['conversation_ids'] == [conv.id] and sorted(first.runs) == sorted(
        r.id for r in runs.values()
    )

    assert w.run_once().runs == [] and ImportRun.select().count() == 2  # nothing changed: no row

    with session.open('ab') as fh:
        fh.write(b''.join(all_lines[6:]))
    bump(session)
    before = len(stored(conv))
    grown = w.run_once()
    # the session grew minutes later: the same line of the history, not a new one per pass
    assert grown.runs == [claude.id] and ImportRun.select().count() == 2
    latest = ImportRun.get_by_id(claude.id)
    assert (latest.filename, latest.conversations_added, latest.conversations_updated) == (
        'Claude Code sessions (watch)',
        1,  # added in this run's window, and not counted again as updated
        0,
    )
    assert latest.messages_added == len(stored(conv)) > before > 0
    assert latest.report['conversation_ids'] == [conv.id]
    assert latest.report['messages_updated'] >= 1  # the reply cut in the middle was brought up to date
    assert sum('brought up to date' in n for n in latest.report['notes']) == 1
    assert latest.finished_at > claude.finished_at


def test_watch_passes_far_apart_or_around_another_import_are_runs_of_their_own(db, home):
    from datetime import timedelta

    from app.data import import_history
    from app.data.importers.base import ImportReport
    from app.data.models import ImportRun

    def one_pass(conv_id: int, added: int = 0, updated: int = 0) -> int | None:
        report = ImportReport(format='claude_code', conversations_added=added, conversations_updated=updated)
        report.messages_added, report.conversation_ids = 3, [conv_id]
        return import_history.record_watch_pass('claude_code', 'Claude Code', report)

    first = one_pass(1, added=1)
    assert one_pass(2, added=1) == first  # close together: one run, two conversations
    assert one_pass(1, updated=1) == first
    run = ImportRun.get_by_id(first)
    assert (run.conversations_added, run.conversations_updated, run.messages_added) == (2, 0, 9)
    assert one_pass(3) is None  # nothing added or updated: no row, no change
    ImportRun.create(format='chatgpt', filename='conversations.json (uploaded)', status='done')
    after_upload = one_pass(1, updated=1)
    assert after_upload not in (None, first)  # an upload came in between: a line of its own
    old = import_history.utcnow() - import_history.WATCH_WINDOW - timedelta(minutes=1)
    ImportRun.update(finished_at=old).where(ImportRun.id == after_upload).execute()
    assert one_pass(1, updated=1) not in (None, first, after_upload)  # half an hour later: a new line


def test_a_codex_sub_agent_rollout_that_grows_updates_the_conversation_that_spawned_it(db, home):
    family = FIXTURES / 'codex-cli' / 'hand-made__subagents'
    parent_file, child_file = sorted(family.iterdir())  # the parent's rollout starts first
    day = home / 'sessions' / '2026' / '02' / '10'
    day.mkdir(parents=True)
    shutil.copy(parent_file, day / parent_file.name)
    child = day / child_file.name
    child_lines = lines(child_file)
    child.write_bytes(b''.join(child_lines[:4]))  # the sub-agent is still at work
    w = watcher(home)
    first = w.run_once()
    assert Conversation.select().count() == 1 and len(first.imported) == 1
    conv = Conversation.get(Conversation.external_id == '019b0000-0000-7000-8000-00000000aaaa')
    child_ids = {k for k in stored(conv) if k.startswith('019b0000-0000-7000-8000-00000000cccc:')}
    assert len(child_ids) == 2

    with child.open('ab') as fh:
        fh.write(b''.join(child_lines[4:]))
    bump(child)
    second = w.run_once()  # only the child changed: its parent's conversation is read again with it
    assert [(i.conversation_id, i.updated) for i in second.imported] == [(conv.id, True)]
    assert Conversation.select().count() == 1
    now = stored(conv)
    assert len([k for k in now if k.startswith('019b0000-0000-7000-8000-00000000cccc:')]) == 5
    # still one chain: every message but the first hangs on another, none has two children
    parents = [p for p, _, _ in now.values()]
    assert parents.count(None) == 1 and len(set(parents)) == len(parents)


def test_a_codex_rollout_read_between_a_reasoning_event_and_its_item_keeps_one_copy(db, home):
    """The real rollout logs each reasoning summary as an event (line 8) before the response item (line 10)
    that says the same: a pass that read up to line 9 stored the event; the next keeps one message for it."""
    from app.data.importers import codex

    day = home / 'sessions' / '2025' / '11' / '17'
    live = day / CODEX.name
    all_lines = lines(CODEX)
    assert b'agent_reasoning' in all_lines[7] and b'"reasoning"' in all_lines[9]
    live.write_bytes(b''.join(all_lines[:9]))
    w = watcher(home)
    w.run_once()
    with live.open('ab') as fh:
        fh.write(b''.join(all_lines[9:]))
    bump(live)
    w.run_once()
    (conv,) = Conversation.select()
    now = stored(conv)
    doc = inputs.JsonDoc(live.name, lambda: open(live, 'rb'), jsonl=True)  # noqa: SIM115 - the reader closes it
    fresh = normalise_tree(codex.convert(doc, ImportReport()).messages)
    assert set(now) == {m.external_id for m in fresh}  # what a fresh read of the whole file holds
    parents = [p for p, _, _ in now.values()]
    assert parents.count(None) == 1 and len(set(parents)) == len(parents)  # one chain


def test_a_session_whose_read_failed_is_tried_again_later_and_after_a_restart(db, home, monkeypatch):
    """A failed read (the database locked a moment, the file unreadable for now) used to mark the file as
    read: a finished session was then never imported, not even after a restart."""
    import sqlite3

    session = home / 'projects' / '-home-me-spotter' / f'{SHORT_ID}.jsonl'
    shutil.copy(SHORT, session)
    real_validate = session_watch.inputs.validate
    fail = {'left': 1}

    def flaky_validate(inp, *a, **k):
        if fail['left']:
            fail['left'] -= 1
            raise sqlite3.OperationalError('database is locked')
        return real_validate(inp, *a, **k)

    monkeypatch.setattr(session_watch.inputs, 'validate', flaky_validate)
    w = watcher(home)
    first = w.run_once()
    assert first.errors and not first.imported and Conversation.select().count() == 0
    assert w.run_once().changed == 0  # not read again at once: every RETRY_AFTER while it does not change
    (found,) = session_watch.found_sessions()[0]
    assert 'locked' in (found.error or '')

    restarted = watcher(home)  # a new process: the failed file is read on its first pass
    after = restarted.run_once()
    assert (after.changed, after.errors, len(after.imported)) == (1, [], 1)
    assert Conversation.select().count() == 1
    assert session_watch.found_sessions()[0][0].error is None
    assert restarted.run_once().changed == 0  # read: nothing more to do


def test_a_file_unreadable_for_a_moment_is_not_taken_for_not_a_session(db, home, monkeypatch):
    session = home / 'projects' / '-home-me-spotter' / f'{SHORT_ID}.jsonl'
    shutil.copy(SHORT, session)
    real_sniff = session_watch._sniff
    calls = []

    def sniff(doc):
        calls.append(doc.name)
        if len(calls) == 1:
            raise PermissionError(13, 'Permission denied')
        return real_sniff(doc)

    monkeypatch.setattr(session_watch, '_sniff', sniff)
    monkeypatch.setattr(session_watch, 'RETRY_AFTER', 0.0)
    w = watcher(home)
    assert w.run_once().imported == []
    again = w.run_once()  # unchanged on disk, but its last read failed: read again
    assert len(again.imported) == 1 and Conversation.select().count() == 1


def test_a_watch_over_one_folder_does_not_forget_the_files_of_the_others(db, home):
    """``outputhub watch <folder>`` shares what was seen with the app's watcher: a pass over one folder
    (or while a folder is not there) used to forget every other file, so the next pass read them all again."""
    shutil.copy(SHORT, home / 'projects' / '-home-me-spotter' / f'{SHORT_ID}.jsonl')
    shutil.copy(CODEX, home / 'sessions' / '2025' / '11' / '17' / CODEX.name)
    assert len(watcher(home).run_once().imported) == 2
    only_projects = session_watch.SessionWatcher([str(home / 'projects'), str(home / 'not-there')])
    assert only_projects.run_once().forgotten == 0
    after = watcher(home).run_once()  # the app again, after a restart
    assert (after.changed, after.parses, after.forgotten) == (0, 0, 0)


def test_a_session_file_renamed_or_cut_shorter_adds_nothing_and_loses_nothing(db, home):
    """Rotation on disk: the same session moved to another name, then rewritten shorter (a tool that
    truncates its log): the conversation is found again by its id, and what the library holds stays."""
    folder = home / 'projects' / '-home-me-spotter'
    session = folder / f'{SHORT_ID}.jsonl'
    shutil.copy(SHORT, session)
    w = watcher(home)
    w.run_once()
    (conv,) = Conversation.select()
    before = stored(conv)

    moved = folder / 'renamed.jsonl'
    session.rename(moved)
    renamed = w.run_once()
    assert (renamed.forgotten, renamed.errors, renamed.messages_added) == (1, [], 0)
    assert [i.conversation_id for i in renamed.imported] == [conv.id]

    moved.write_bytes(b''.join(lines(SHORT)[:4]))
    bump(moved)
    cut = w.run_once()
    assert (cut.errors, cut.messages_added) == ([], 0)
    assert Conversation.select().count() == 1 and stored(conv) == before
