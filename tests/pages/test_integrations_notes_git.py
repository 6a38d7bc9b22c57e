"""Settings → Integrations: the Notes folder panel (a bad folder is one sentence, Sync now writes the notes
without Secret items unless asked, Keep in step remembers the folder) and the Prompt history (git) panel
(Commit now makes one commit per version, a trashed prompt a deletion commit; Keep in step remembers it)."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

import pytest
from nicegui.testing import User

from app.data import db as dbmod
from app.data import entities, notes_folder, outputs, prompt_git, prompts
from app.data.models import Output, SensitivityLevel
from tests.waits import until

SLOW = 100


def _capture(title: str, body: str, *, secret: bool = False) -> int:
    out = outputs.capture_output(outputs.CaptureData(body=body, title=title))
    if secret:
        level = SensitivityLevel.get(SensitivityLevel.restricted == True)  # noqa: E712
        Output.update(sensitivity=level.id).where(Output.id == out.id).execute()
    return out.id


def _notes(root: Path) -> list[str]:
    return sorted(p.name for p in root.rglob('*.md'))


async def test_the_notes_folder_panel_syncs_and_keeps_in_step(
    user: User, db_path: Path, tmp_path: Path
) -> None:
    dbmod.connect(db_path)
    open_id = _capture('Everyday answer', 'an everyday answer')
    secret_id = _capture('Classified', 'the launch code is 0000', secret=True)
    await user.open('/settings?tab=integrations')
    await user.should_see('Notes folder')
    await user.should_see('Not synced yet.')
    box = user.find(marker='notes-folder-dir')

    box.clear().type(str(tmp_path / 'no' / 'such' / 'vault'))
    user.find(marker='notes-folder-sync').click()
    await until(lambda: (notes_folder.last_status() or {}).get('error'), what='the bad folder refused')
    assert 'cannot be made: the folder' in notes_folder.last_status()['error']
    await user.should_see('cannot be made: the folder')

    vault = tmp_path / 'vault'
    box.clear().type(str(vault))
    user.find(marker='notes-folder-sync').click()
    await user.should_see('Notes folder synced: 1 written, 0 unchanged, 0 removed.', retries=SLOW)
    assert _notes(vault) == [f'Everyday answer (o{open_id}).md']
    status = user.find(marker='notes-folder-status').elements.pop()
    assert status.text == 'Not kept in step. Last run just now: 1 written, 0 unchanged, 0 removed.'

    user.find(marker='notes-folder-secret').click()
    user.find(marker='notes-folder-sync').click()
    await user.should_see('Notes folder synced: 1 written, 1 unchanged, 0 removed.', retries=SLOW)
    assert f'Classified (o{secret_id}).md' in _notes(vault)

    user.find(marker='notes-folder-keep').click()
    await until(lambda: notes_folder.kept() is not None, what='the folder being kept')
    assert notes_folder.kept() == {'dir': str(vault), 'include_secret': True, 'keep': True}
    await user.should_see('Kept in step every few minutes')
    user.find(marker='notes-folder-keep').click()
    await until(lambda: notes_folder.kept() is None, what='the folder no longer being kept')
    assert notes_folder.setting()['dir'] == str(vault)


async def test_the_prompt_history_panel_commits_and_removes(
    user: User, db_path: Path, tmp_path: Path
) -> None:
    dbmod.connect(db_path)
    p = prompts.create_prompt('Write tests', 'Write tests.', note='First')
    prompts.new_version(p.id, 'Write pytest tests.', note='Second')
    repo = tmp_path / 'history'
    await user.open('/settings?tab=integrations')
    await user.should_see('Prompt history (git)')
    await user.should_see('Not kept in step.')
    user.find(marker='prompt-git-dir').clear().type(str(repo))
    user.find(marker='prompt-git-commit').click()
    await user.should_see('2 new versions committed, 0 removed, 0 restored.', retries=SLOW)

    def log() -> list[str]:
        return subprocess.run(
            ['git', '-C', str(repo), 'log', '--format=%s'], capture_output=True, text=True, check=True
        ).stdout.splitlines()

    assert log() == ['Second', 'First']
    entities.trash('prompt', [p.id])
    user.find(marker='prompt-git-commit').click()
    await user.should_see('0 new versions committed, 1 removed, 0 restored.', retries=SLOW)
    assert log()[0] == f'Remove prompts/write-tests-p{p.id}.md (moved to the trash)'

    user.find(marker='prompt-git-keep').click()
    await until(lambda: prompt_git.kept() is not None, what='the repository being kept')
    assert prompt_git.kept()['dir'] == str(repo)
    await user.should_see(f'Kept in step: {repo}.')


async def test_keep_in_step_turns_off_with_the_folder_field_emptied(
    user: User, db_path: Path, tmp_path: Path
) -> None:
    dbmod.connect(db_path)
    vault = tmp_path / 'vault'
    notes_folder.save_setting(vault, keep=True)
    await user.open('/settings?tab=integrations')
    await user.should_see('Kept in step every few minutes')
    user.find(marker='notes-folder-dir').clear()
    user.find(marker='notes-folder-keep').click()
    await user.should_see('No longer keeping the folder in step.', retries=SLOW)
    assert notes_folder.kept() is None
    keep = user.find(marker='notes-folder-keep').elements.pop()
    assert keep.value is False
    await user.should_see('Not kept in step.')


async def test_a_note_edited_in_the_folder_is_left_and_the_panel_says_so(
    user: User, db_path: Path, tmp_path: Path
) -> None:
    dbmod.connect(db_path)
    out_id = _capture('Everyday answer', 'an everyday answer')
    vault = tmp_path / 'vault'
    notes_folder.sync(vault)
    note = vault / 'Unfiled' / 'Outputs' / f'Everyday answer (o{out_id}).md'
    note.write_text('what I wrote in Obsidian', encoding='utf-8')
    entities.update_item('output', out_id, body='a changed answer')
    await user.open('/settings?tab=integrations')
    user.find(marker='notes-folder-dir').clear().type(str(vault))
    user.find(marker='notes-folder-sync').click()
    said = '0 written, 0 unchanged, 0 removed, 1 note you edited was left as it is'
    await user.should_see(f'Notes folder synced: {said}.', retries=SLOW)
    status = user.find(marker='notes-folder-status').elements.pop()
    assert status.text == f'Not kept in step. Last run just now: {said}.'
    assert note.read_text(encoding='utf-8') == 'what I wrote in Obsidian'


async def test_the_folder_is_checked_when_synced_off_the_event_loop_not_as_it_is_typed(
    user: User, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Looking at a folder can hang (a network drive gone away): never on the event loop, where it would
    stall every page, and not on every keystroke. The sentence still shows under the field."""
    dbmod.connect(db_path)
    on_the_loop: list[bool] = []
    check = notes_folder.check_folder

    def watched(text: str | Path) -> Path:
        try:
            asyncio.get_running_loop()
            on_the_loop.append(True)
        except RuntimeError:
            on_the_loop.append(False)
        return check(text)

    monkeypatch.setattr(notes_folder, 'check_folder', watched)
    await user.open('/settings?tab=integrations')
    bad = tmp_path / 'no' / 'such' / 'vault'
    user.find(marker='notes-folder-dir').clear().type(str(bad))
    assert on_the_loop == []  # typing looks at no folder
    user.find(marker='notes-folder-sync').click()
    await user.should_see('cannot be made: the folder', retries=SLOW)
    assert on_the_loop and not any(on_the_loop)
    field = user.find(marker='notes-folder-dir').elements.pop()
    assert field.error == f'{bad} cannot be made: the folder {bad.parent} does not exist.'
    assert field.props['error'] is True
    user.find(marker='notes-folder-dir').type('x')
    assert field.error is None  # typing again takes the sentence away


async def test_the_prompt_history_refuses_a_relative_folder_under_the_field(
    user: User, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dbmod.connect(db_path)
    monkeypatch.chdir(tmp_path)  # where a repository would be made without the refusal
    prompts.create_prompt('Write tests', 'Write tests.')
    await user.open('/settings?tab=integrations')
    user.find(marker='prompt-git-dir').clear().type('history')
    user.find(marker='prompt-git-commit').click()
    said = 'history is not a full path; start it with / (or ~ for your home folder).'
    await user.should_see(f'Not kept in step. Last run just now failed: {said}', retries=SLOW)
    assert user.find(marker='prompt-git-dir').elements.pop().error == said
    assert not (tmp_path / 'history').exists()
