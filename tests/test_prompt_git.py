"""Prompts as a git history (`outputhub prompts git DIR`): one file per prompt and agent, one commit per
version with its note and date, only new versions on later runs, Secret items left out, safe file names."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from app.cli import main
from app.data import agents, prompt_git, prompts
from app.data.models import Prompt, PromptVersion, SensitivityLevel
from app.errors import UserError
from app.services.prompt_git_sync import PromptGitSync
from tests.waits import wait_until


def git(repo: Path, *args: str) -> str:
    return subprocess.run(['git', '-C', str(repo), *args], capture_output=True, text=True, check=True).stdout


def add_version(prompt_id: int, number: int, body: str, note: str | None, when: datetime) -> PromptVersion:
    """A version with a chosen date (the app stamps 'now'; versions are immutable, so set it at insert)."""
    v = PromptVersion.create(prompt=prompt_id, number=number, body=body, note=note, created_at=when)
    Prompt.update(current_version=v.id).where(Prompt.id == prompt_id).execute()
    return v


def three_version_prompt() -> Prompt:
    p = prompts.create_prompt(
        'Write pytest tests', 'Write tests.', note='First draft', created_at=datetime(2024, 1, 2, 9, 0, 0)
    )
    add_version(p.id, 2, 'Write pytest tests.', 'Say pytest', datetime(2024, 2, 3, 10, 30, 0))
    add_version(p.id, 3, 'Write pytest tests with fixtures.', None, datetime(2024, 3, 4, 11, 45, 15))
    return p


def commits(repo: Path) -> int:
    return int(git(repo, 'rev-list', '--count', 'HEAD'))


def test_three_versions_make_three_commits_with_notes_and_dates(db, tmp_path):
    p = three_version_prompt()
    repo = tmp_path / 'history'
    report = prompt_git.write_history(repo)
    assert report.created_repo and report.commits == 3
    path = f'prompts/write-pytest-tests-p{p.id}.md'
    assert (repo / path).is_file()
    log = git(repo, 'log', '--format=%s%n%ad%n%cd', '--date=iso-strict', '--', path).splitlines()
    assert log == [
        'Write pytest tests v3',  # no note: the title and the version number
        '2024-03-04T11:45:15+00:00',
        '2024-03-04T11:45:15+00:00',
        'Say pytest',
        '2024-02-03T10:30:00+00:00',
        '2024-02-03T10:30:00+00:00',
        'First draft',
        '2024-01-02T09:00:00+00:00',
        '2024-01-02T09:00:00+00:00',
    ]
    assert git(repo, 'log', '-1', '--format=%an <%ae>|%cn <%ce>').strip() == (
        'Output Hub <outputhub@localhost>|Output Hub <outputhub@localhost>'
    )
    assert git(repo, 'rev-parse', '--abbrev-ref', 'HEAD').strip() == 'main'
    text = (repo / path).read_text(encoding='utf-8')
    assert text.startswith('---\ntitle: "Write pytest tests"\n') and 'version: 3\n' in text
    assert text.endswith('---\n\nWrite pytest tests with fixtures.\n')
    # each commit holds the text of its own version
    first = git(repo, 'log', '--reverse', '--format=%H', '--', path).split()[0]
    assert git(repo, 'show', f'{first}:{path}').endswith('\nWrite tests.\n')


def test_a_second_run_commits_nothing_and_a_new_version_one_commit(db, tmp_path):
    p = three_version_prompt()
    repo = tmp_path / 'h'
    prompt_git.write_history(repo)
    head = git(repo, 'rev-parse', 'HEAD')
    again = prompt_git.write_history(repo)
    assert (again.commits, again.already, again.created_repo) == (0, 3, False)
    assert git(repo, 'rev-parse', 'HEAD') == head

    prompts.new_version(p.id, 'Write pytest tests with fixtures and parametrize.', note='Parametrize')
    Prompt.update(title='Renamed: tests').where(Prompt.id == p.id).execute()  # same file, by id
    later = prompt_git.write_history(repo)
    assert later.commits == 1 and commits(repo) == 4
    assert git(repo, 'log', '-1', '--format=%s%n%b').splitlines()[0] == 'Parametrize'
    assert git(repo, 'ls-files').split() == [f'prompts/write-pytest-tests-p{p.id}.md']
    assert prompt_git.write_history(repo).commits == 0


def test_versions_across_the_library_are_committed_by_date(db, tmp_path):
    a = prompts.create_prompt('Alpha', 'a1', created_at=datetime(2024, 1, 1))
    b = prompts.create_prompt('Beta', 'b1', created_at=datetime(2024, 1, 2))
    add_version(a.id, 2, 'a2', 'Alpha two', datetime(2024, 1, 3))
    prompts.create_prompt('From a capture', 'not in the library', saved=False)
    repo = tmp_path / 'h'
    prompt_git.write_history(repo)
    assert git(repo, 'log', '--reverse', '--format=%s').splitlines() == ['Alpha v1', 'Beta v1', 'Alpha two']
    assert sorted(git(repo, 'ls-files').split()) == [f'prompts/alpha-p{a.id}.md', f'prompts/beta-p{b.id}.md']


def test_an_agent_gets_a_file_with_its_settings(db, tmp_path):
    agent = agents.create_agent(
        'Code reviewer',
        'You review code.',
        model='gpt-4o',
        temperature=0.2,
        params={'seed': 7},
        note='Strict',
    )
    agents.new_version(agent.id, system_prompt='You review code kindly.', note='Kinder')
    repo = tmp_path / 'h'
    prompt_git.write_history(repo)
    path = repo / 'agents' / f'code-reviewer-a{agent.id}.md'
    text = path.read_text(encoding='utf-8')
    assert 'type: "agent"' in text and 'model: "GPT-4o"' in text and 'temperature: 0.2' in text
    assert 'params: "{\\"seed\\": 7}"' in text and text.endswith('\nYou review code kindly.\n')
    log = git(repo, 'log', '--format=%s', '--', f'agents/code-reviewer-a{agent.id}.md').splitlines()
    assert log == ['Kinder', 'Strict']


def test_secret_prompts_are_left_out_unless_asked(db, tmp_path, capsys):
    secret = SensitivityLevel.get(SensitivityLevel.restricted == True)  # noqa: E712
    prompts.create_prompt('Open prompt', 'open text')
    hidden = prompts.create_prompt('Launch codes', 'the secret text')
    Prompt.update(sensitivity=secret.id).where(Prompt.id == hidden.id).execute()
    repo = tmp_path / 'h'
    report = prompt_git.write_history(repo)
    assert report.left_out_secret == 1
    files = git(repo, 'ls-files').split()
    assert files == ['prompts/open-prompt-p1.md']
    assert 'secret text' not in git(repo, 'log', '-p')

    code = main(['prompts', 'git', str(repo), '--db', str(db.database)])
    out = capsys.readouterr().out
    assert code == 0 and 'Nothing new' in out and 'Left out 1 Secret prompt or agent (--include-secret' in out

    code = main(['prompts', 'git', str(repo), '--include-secret', '--json', '--db', str(db.database)])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data['commits'] == 1 and data['left_out_secret'] == 0
    assert f'prompts/launch-codes-p{hidden.id}.md' in git(repo, 'ls-files').split()


@pytest.mark.parametrize(
    'title',
    ['../../etc/passwd', 'a/b\\c', 'line one\nline two', '..', '.git', 'x' * 5000, '名前', '\x00\x1f'],
)
def test_hostile_titles_give_safe_file_names_inside_the_folder(db, tmp_path, title):
    p = prompts.create_prompt(title, 'body')
    repo = tmp_path / 'h'
    prompt_git.write_history(repo)
    (name,) = git(repo, 'ls-files').split('\n')[:1]
    assert name.startswith('prompts/') and name.endswith(f'-p{p.id}.md') and name.count('/') == 1
    stem = name.removeprefix('prompts/')
    assert len(stem) <= 80 and all(c.isascii() and (c.isalnum() or c in '-.') for c in stem)
    assert (repo / name).resolve().is_relative_to(repo.resolve())
    assert sorted(x.name for x in repo.iterdir()) == ['.git', 'prompts']
    text = (repo / name).read_text(encoding='utf-8')
    stored = Prompt.get_by_id(p.id).title
    assert text.split('\n')[1] == 'title: ' + json.dumps(stored, ensure_ascii=False)


def test_uncommitted_changes_are_refused(db, tmp_path):
    p = prompts.create_prompt('Notes', 'text')
    repo = tmp_path / 'h'
    prompt_git.write_history(repo)
    (repo / f'prompts/notes-p{p.id}.md').write_text('edited by hand\n', encoding='utf-8')
    prompts.new_version(p.id, 'text two')
    with pytest.raises(UserError, match='uncommitted changes in prompts/ or agents/'):
        prompt_git.write_history(repo)
    assert commits(repo) == 1


def test_clear_errors_when_git_is_missing_or_the_author_is_odd(db, tmp_path, monkeypatch, capsys):
    prompts.create_prompt('Notes', 'text')
    with pytest.raises(UserError, match='Name <email>'):
        prompt_git.write_history(tmp_path / 'h', author='nobody')
    monkeypatch.setenv('PATH', str(tmp_path / 'empty'))
    code = main(['prompt', 'git', str(tmp_path / 'h'), '--db', str(db.database)])
    assert code == 2 and 'git is not installed' in capsys.readouterr().err


def test_keep_in_step_commits_new_versions_while_the_app_runs(db, tmp_path, capsys):
    p = prompts.create_prompt('Kept', 'one')
    repo = tmp_path / 'kept'
    code = main(['prompts', 'git', str(repo), '--keep-in-step', '--db', str(db.database)])
    out = capsys.readouterr().out
    assert code == 0 and 'every few minutes' in out and commits(repo) == 1
    prompts.new_version(p.id, 'two', note='Second')

    sync = PromptGitSync(first_run=0.05, every=3600)
    sync.start()
    try:
        wait_until(lambda: sync.last_run_at is not None, what='the kept repository to be written')
    finally:
        sync.stop()
    assert sync.status()['last_error'] is None and sync.last_commits == 1
    assert git(repo, 'log', '-1', '--format=%s').strip() == 'Second' and commits(repo) == 2

    code = main(['prompts', 'git', '--stop-keeping', '--db', str(db.database)])
    assert code == 0 and f'no longer keeps {repo}' in capsys.readouterr().out
    assert prompt_git.kept() is None and PromptGitSync().run_now() is None


def test_trash_purge_and_secret_make_deletion_commits_and_restore_adds_back(db, tmp_path):
    from app.data import entities

    keep = prompts.create_prompt('Stays', 'stays')
    p = three_version_prompt()
    agent = agents.create_agent('Helper', 'You help.')
    repo = tmp_path / 'h'
    prompt_git.write_history(repo)
    path = f'prompts/write-pytest-tests-p{p.id}.md'
    agent_path = f'agents/helper-a{agent.id}.md'

    entities.trash('prompt', [p.id])
    report = prompt_git.write_history(repo)
    assert (report.removed, report.commits) == (1, 0) and report.files == [path]
    assert git(repo, 'log', '-1', '--format=%s', '--name-status').split() == [
        'Remove',
        path,
        '(moved',
        'to',
        'the',
        'trash)',
        'D',
        path,
    ]
    assert path not in git(repo, 'ls-files').split()
    assert prompt_git.write_history(repo).removed == 0  # once only

    entities.restore('prompt', [p.id])
    report = prompt_git.write_history(repo)
    assert (report.restored, report.commits) == (1, 0)
    assert git(repo, 'log', '-1', '--format=%s', '--name-status').split() == [
        'Restore',
        'Write',
        'pytest',
        'tests',
        'v3',
        'A',
        path,
    ]
    assert (repo / path).read_text(encoding='utf-8').endswith('\nWrite pytest tests with fixtures.\n')
    assert prompt_git.write_history(repo).restored == 0

    secret = SensitivityLevel.get(SensitivityLevel.restricted == True)  # noqa: E712
    Prompt.update(sensitivity=secret.id).where(Prompt.id == p.id).execute()
    assert prompt_git.write_history(repo).removed == 1
    assert git(repo, 'log', '-1', '--format=%s').strip() == f'Remove {path} (made Secret)'

    entities.trash('agent', [agent.id])
    entities.delete_forever('agent', [agent.id])
    assert prompt_git.write_history(repo).removed == 1
    assert git(repo, 'log', '-1', '--format=%s').strip() == f'Remove {agent_path} (deleted for good)'
    assert git(repo, 'ls-files').split() == [f'prompts/stays-p{keep.id}.md']
    # the full story of the prompt, newest first
    assert git(repo, 'log', '--format=%s', '--', path).splitlines() == [
        f'Remove {path} (made Secret)',
        'Restore Write pytest tests v3',
        f'Remove {path} (moved to the trash)',
        'Write pytest tests v3',
        'Say pytest',
        'First draft',
    ]


def test_a_relative_repository_folder_is_refused_not_made_where_the_app_started(db, tmp_path, monkeypatch):
    """The notes folder refuses a relative path; so does the prompt history: resolved against the app's
    working folder, it made a repository there without a word."""
    from app import auth
    from app.services import prompt_git_sync

    prompts.create_prompt('Kept', 'one')
    monkeypatch.chdir(tmp_path)
    calls = [
        lambda: prompt_git_sync.configure(
            auth.LOCAL, None, directory='history', include_secret=False, keep=True
        ),
        lambda: prompt_git_sync.commit_now(auth.LOCAL, None, directory=' history ', include_secret=False),
    ]
    for call in calls:
        with pytest.raises(UserError) as info:
            call()
        assert str(info.value) == 'history is not a full path; start it with / (or ~ for your home folder).'
    assert not (tmp_path / 'history').exists() and prompt_git.kept() is None
    with pytest.raises(UserError, match='^Type the folder of the repository first.$'):
        prompt_git_sync.commit_now(auth.LOCAL, None, directory='  ', include_secret=False)
    prompt_git_sync.configure(
        auth.LOCAL, None, directory=str(tmp_path / 'h'), include_secret=False, keep=True
    )
    assert prompt_git.kept()['dir'] == str(tmp_path / 'h')
