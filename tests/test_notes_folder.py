"""A notes folder that stays in step (`outputhub notes-folder DIR`, the NotesSync service): only changed notes
are written (unchanged ones keep their mtime), renamed, trashed, purged and Secret items' notes go, the
user's own files are never touched, writes are atomic, and a bad folder is one sentence."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from app.cli import main
from app.data import entities, notes_folder, outputs
from app.data.models import Output, SensitivityLevel
from app.errors import UserError
from app.services.notes_sync import NotesSync
from tests.waits import wait_until


def capture(title: str, body: str) -> int:
    return outputs.capture_output(outputs.CaptureData(body=body, title=title)).id


def notes(root: Path) -> dict[str, int]:
    """{relative path: mtime_ns} of every file in the folder but the manifest."""
    return {
        p.relative_to(root).as_posix(): p.stat().st_mtime_ns
        for p in root.rglob('*')
        if p.is_file() and p.name != notes_folder.MANIFEST
    }


def aged(root: Path) -> dict[str, int]:
    """Move every file's mtime back a minute, so a rewrite shows even on a coarse clock."""
    for p in root.rglob('*'):
        if p.is_file():
            st = p.stat()
            os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns - 60_000_000_000))
    return notes(root)


@pytest.fixture
def library(db) -> dict[str, int]:
    return {
        'a': capture('Alpha answer', 'the alpha text'),
        'b': capture('Beta answer', 'the beta text'),
        'c': capture('Gamma answer', 'the gamma text'),
    }


def test_first_sync_writes_every_note_and_a_second_writes_none(library, tmp_path):
    root = tmp_path / 'vault'
    first = notes_folder.sync(root)
    assert (first.written, first.unchanged, first.removed) == (3, 0, 0)
    before = notes(root)
    assert sorted(before) == [
        f'Unfiled/Outputs/Alpha answer (o{library["a"]}).md',
        f'Unfiled/Outputs/Beta answer (o{library["b"]}).md',
        f'Unfiled/Outputs/Gamma answer (o{library["c"]}).md',
    ]
    manifest = json.loads((root / notes_folder.MANIFEST).read_text(encoding='utf-8'))
    assert sorted(manifest['files']) == sorted(before)
    before = aged(root)
    manifest_mtime = (root / notes_folder.MANIFEST).stat().st_mtime_ns
    again = notes_folder.sync(root)
    assert (again.written, again.unchanged, again.removed) == (0, 3, 0)
    assert notes(root) == before  # not one file rewritten: the mtimes are as they were
    assert (root / notes_folder.MANIFEST).stat().st_mtime_ns == manifest_mtime
    assert not [p for p in root.rglob('*') if p.name.endswith('.outputhub-tmp')]


def test_editing_one_output_rewrites_exactly_that_note(library, tmp_path):
    root = tmp_path / 'vault'
    notes_folder.sync(root)
    before = aged(root)
    entities.update_item('output', library['b'], body='the beta text, edited')
    report = notes_folder.sync(root)
    name = f'Unfiled/Outputs/Beta answer (o{library["b"]}).md'
    assert (report.written, report.unchanged, report.written_files) == (1, 2, [name])
    after = notes(root)
    assert [k for k in after if after[k] != before[k]] == [name]
    assert 'the beta text, edited' in (root / name).read_text(encoding='utf-8')


def test_a_new_title_renames_the_note_cleanly(library, tmp_path):
    root = tmp_path / 'vault'
    notes_folder.sync(root)
    entities.update_item('output', library['a'], title='Alpha, renamed')
    report = notes_folder.sync(root)
    assert (report.written, report.removed) == (1, 1)
    names = sorted(notes(root))
    assert f'Unfiled/Outputs/Alpha, renamed (o{library["a"]}).md' in names
    assert f'Unfiled/Outputs/Alpha answer (o{library["a"]}).md' not in names and len(names) == 3


def test_trash_and_purge_remove_the_note_and_restore_brings_it_back(library, tmp_path):
    root = tmp_path / 'vault'
    notes_folder.sync(root)
    entities.trash('output', [library['a']])
    assert notes_folder.sync(root).removed_files == [f'Unfiled/Outputs/Alpha answer (o{library["a"]}).md']
    entities.restore('output', [library['a']])
    assert notes_folder.sync(root).written == 1 and len(notes(root)) == 3
    entities.trash('output', [library['a'], library['b']])
    entities.delete_forever('output', [library['a'], library['b']])
    report = notes_folder.sync(root)
    assert report.removed == 2 and sorted(notes(root)) == [
        f'Unfiled/Outputs/Gamma answer (o{library["c"]}).md'
    ]
    entities.trash('output', [library['c']])
    notes_folder.sync(root)
    assert notes(root) == {} and not (root / 'Unfiled').exists()  # emptied folders go too


def test_the_users_own_files_are_never_touched(library, tmp_path):
    root = tmp_path / 'vault'
    (root / 'Unfiled' / 'Outputs').mkdir(parents=True)
    (root / '.obsidian').mkdir()
    mine = {
        root / 'My own note.md': 'my words',
        root / '.obsidian' / 'app.json': '{}',
        root / 'Unfiled' / 'Outputs' / 'Mine too.md': 'kept',
        # a file of the user's with a note's very name is left alone, not overwritten
        root / 'Unfiled' / 'Outputs' / f'Beta answer (o{library["b"]}).md': 'the user wrote this',
    }
    for path, text in mine.items():
        path.write_text(text, encoding='utf-8')
    stamps = {p: p.stat().st_mtime_ns for p in mine}
    report = notes_folder.sync(root)
    assert report.written == 2 and report.skipped == [f'Unfiled/Outputs/Beta answer (o{library["b"]}).md']
    for chunk in library.values():
        entities.trash('output', [chunk])
    report = notes_folder.sync(root)
    assert report.removed == 2
    for path, text in mine.items():
        assert path.read_text(encoding='utf-8') == text and path.stat().st_mtime_ns == stamps[path]
    # a manifest entry pointing out of the folder is never followed
    outside = tmp_path / 'outside.md'
    outside.write_text('not yours to delete', encoding='utf-8')
    (root / notes_folder.MANIFEST).write_text(
        json.dumps({'files': {'../outside.md': 'x', '/etc/hostname': 'y'}}), encoding='utf-8'
    )
    notes_folder.sync(root)
    assert outside.read_text(encoding='utf-8') == 'not yours to delete'


def test_secret_items_are_left_out_unless_included_and_leave_when_made_secret(library, tmp_path):
    root = tmp_path / 'vault'
    secret = SensitivityLevel.get(SensitivityLevel.restricted == True)  # noqa: E712
    notes_folder.sync(root)
    Output.update(sensitivity=secret.id).where(Output.id == library['c']).execute()
    report = notes_folder.sync(root)
    assert report.removed == 1 and report.left_out_secret == 1
    assert not any('the gamma text' in p.read_text(encoding='utf-8') for p in root.rglob('*.md'))
    report = notes_folder.sync(root, include_secret=True)
    assert report.written == 1 and report.left_out_secret == 0


@pytest.mark.parametrize(
    ('make', 'sentence'),
    [
        (lambda t: t / 'no' / 'such' / 'vault', 'cannot be made: the folder'),
        (lambda t: (t / 'a-file').write_text('x') and t / 'a-file', 'is a file, not a folder'),
        (lambda t: 'relative/vault', 'is not a full path'),
        (lambda t: '', 'Type the folder'),
    ],
)
def test_a_bad_folder_is_one_clear_sentence(db, tmp_path, make, sentence):
    with pytest.raises(UserError, match=sentence) as info:
        notes_folder.sync(make(tmp_path))
    assert str(info.value).count('. ') == 0 and str(info.value).endswith('.')


def test_a_folder_that_cannot_be_written_is_refused(db, tmp_path, monkeypatch):
    locked = tmp_path / 'locked'
    locked.mkdir()
    # root may write anywhere, so ask the check itself what it does when the OS says no
    monkeypatch.setattr(notes_folder.os, 'access', lambda path, mode: Path(path) != locked)
    with pytest.raises(UserError, match='may not write in'):
        notes_folder.sync(locked)
    with pytest.raises(UserError, match='cannot be made: Output Hub may not write in'):
        notes_folder.sync(locked / 'vault')


def test_the_cli_syncs_reports_and_keeps_the_folder(library, tmp_path, capsys, db):
    root = tmp_path / 'vault'
    code = main(['notes-folder', str(root), '--keep-in-step', '--db', str(db.database)])
    out = capsys.readouterr().out
    assert code == 0 and '3 written, 0 unchanged, 0 removed' in out and 'every few minutes' in out
    assert notes_folder.kept()['dir'] == str(root)
    code = main(['notes-folder', str(root), '--json', '--db', str(db.database)])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and (data['written'], data['unchanged'], data['removed']) == (0, 3, 0)
    code = main(['notes-folder', '--stop-keeping', '--db', str(db.database)])
    assert code == 0 and 'no longer keeps' in capsys.readouterr().out and notes_folder.kept() is None
    code = main(['notes-folder', str(tmp_path / 'x' / 'y'), '--db', str(db.database)])
    assert code == 2 and 'cannot be made' in capsys.readouterr().err


def test_the_service_syncs_on_start_and_skips_when_nothing_changed(library, tmp_path):
    root = tmp_path / 'vault'
    notes_folder.save_setting(root, keep=True)
    sync = NotesSync(first_run=0.05, every=3600)
    sync.start()
    try:
        wait_until(lambda: sync.last_run_at is not None, what='the kept folder to be written')
    finally:
        sync.stop()
    assert sync.status()['last_error'] is None and len(notes(root)) == 3
    assert notes_folder.last_status()['written'] == 3
    assert sync.run_now() is None  # nothing changed: not even rendered
    capture('Delta answer', 'the delta text')
    report = sync.run_now()
    assert report is not None and (report.written, report.unchanged) == (1, 3)
    notes_folder.stop_keeping()
    assert sync.run_now(force=True) is None


def test_the_service_is_off_with_the_switch(db, monkeypatch):
    from app.services import notes_sync

    class Ctx:
        notes_sync = None

    monkeypatch.setenv('OUTPUTHUB_NOTES_FOLDER', '0')
    ctx = Ctx()
    notes_sync.start(ctx)
    assert ctx.notes_sync is None


def test_the_fingerprint_sees_every_change_a_note_shows(library):
    """The service skips a run when the fingerprint is unchanged; trash, Secret, tags, collections and
    titles are changed by update queries that leave updated_at alone, so each must move it."""
    from app.data import lookups, relations
    from app.data.models import Collection, Tag

    last = [notes_folder.fingerprint()]

    def changed(what: str) -> None:
        now = notes_folder.fingerprint()
        assert now != last[0], f'{what} left the fingerprint as it was'
        last[0] = now

    assert notes_folder.fingerprint() == last[0]  # nothing changed: the same
    entities.trash('output', [library['a']])
    changed('trash')
    entities.restore('output', [library['a']])
    changed('restore')
    secret = SensitivityLevel.get(SensitivityLevel.restricted == True)  # noqa: E712
    Output.update(sensitivity=secret.id).where(Output.id == library['b']).execute()
    changed('made Secret')
    Output.update(title='Beta, renamed').where(Output.id == library['b']).execute()
    changed('a title')
    tag = lookups.get_or_create('tag', 'work')
    relations.add_tags('output', [library['c']], [tag.id])
    changed('a tag')
    Tag.update(name='job').where(Tag.id == tag.id).execute()
    changed('a tag renamed')
    coll = lookups.get_or_create('collection', 'Research')
    relations.add_to_collection('output', [library['c']], coll.id)
    changed('a collection')
    other = lookups.get_or_create('collection', 'Archive')
    changed('a new collection')
    relations.move_to_collection('output', [library['c']], other.id)
    changed('moved to another collection')
    Collection.update(name='Old stuff').where(Collection.id == other.id).execute()
    changed('a collection renamed')
    Output.update(favourite=True).where(Output.id == library['a']).execute()
    changed('a favourite')


def test_only_this_computer_may_choose_or_write_the_folders(db, tmp_path):
    """An administrator device sees the tab, but the app writes into this computer's folders: the
    services refuse it (not only the page)."""
    from app import auth
    from app.errors import PermissionDenied
    from app.services import notes_sync, prompt_git_sync

    device = auth.Principal(kind='device', device_id=1, admin=True)
    calls = [
        lambda: notes_sync.configure(
            device, None, directory=str(tmp_path / 'v'), include_secret=False, keep=True
        ),
        lambda: notes_sync.sync_now(device, None, directory=str(tmp_path / 'v'), include_secret=False),
        lambda: prompt_git_sync.configure(
            device, None, directory=str(tmp_path / 'g'), include_secret=False, keep=True
        ),
        lambda: prompt_git_sync.commit_now(device, None, directory=str(tmp_path / 'g'), include_secret=False),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied, match='computer running Output Hub'):
            call()
    assert not (tmp_path / 'v').exists() and not (tmp_path / 'g').exists()
    assert notes_folder.setting() is None
    notes_sync.configure(auth.LOCAL, None, directory=str(tmp_path / 'v'), include_secret=False, keep=True)
    assert notes_folder.kept()['dir'] == str(tmp_path / 'v')


@pytest.mark.parametrize('field', ['empty', 'gone'])
def test_keep_in_step_can_be_turned_off_whatever_the_folder_field_says(library, tmp_path, field):
    """Turning it off never checks the folder: an emptied field or a drive unplugged must not leave the app
    writing there with the switch showing off."""
    import shutil

    from app import auth
    from app.services import notes_sync

    root = tmp_path / 'drive' / 'vault'
    root.parent.mkdir()
    notes_sync.configure(auth.LOCAL, None, directory=str(root), include_secret=False, keep=True)
    assert notes_folder.kept()['dir'] == str(root)
    shutil.rmtree(root.parent)  # the drive went away (or the user then emptied the field)
    directory = '' if field == 'empty' else str(root)
    assert notes_sync.configure(auth.LOCAL, None, directory=directory, include_secret=False, keep=False) == {
        'dir': str(root),
        'include_secret': False,
        'keep': False,
    }
    assert notes_folder.kept() is None
    assert NotesSync().run_now(force=True) is None and not root.parent.exists()  # nothing more written


def test_a_note_the_user_edited_in_the_folder_is_never_overwritten_or_removed(library, tmp_path):
    """Obsidian is a notes editor: a note changed there since the run wrote it is the user's from then on,
    whatever happens to its item, and the run says so."""
    root = tmp_path / 'vault'
    notes_folder.sync(root)
    alpha = root / f'Unfiled/Outputs/Alpha answer (o{library["a"]}).md'
    beta = root / f'Unfiled/Outputs/Beta answer (o{library["b"]}).md'
    gamma = root / f'Unfiled/Outputs/Gamma answer (o{library["c"]}).md'
    alpha.write_text('my own thoughts on alpha', encoding='utf-8')
    # an edit of the same size, so the next run takes the note as it was (the removal must still look)
    beta.write_text(
        beta.read_text(encoding='utf-8').replace('the beta text', 'the BETA text'), encoding='utf-8'
    )
    gamma.unlink()  # the user deleted this one: simply written again

    entities.update_item('output', library['a'], body='the alpha text, edited in Output Hub')
    report = notes_folder.sync(root)
    assert report.edited == [alpha.relative_to(root).as_posix()]
    assert report.written_files == [gamma.relative_to(root).as_posix()] and gamma.is_file()
    assert report.summary() == '1 written, 1 unchanged, 0 removed, 1 note you edited was left as it is'
    assert alpha.read_text(encoding='utf-8') == 'my own thoughts on alpha'
    status = notes_folder.record_status(report)
    assert status['edited'] == 1

    entities.trash('output', [library['b']])
    entities.delete_forever('output', [library['b']])
    report = notes_folder.sync(root)
    assert (report.removed, report.edited) == (0, [beta.relative_to(root).as_posix()])
    assert 'the BETA text' in beta.read_text(encoding='utf-8')
    assert report.summary() == (  # the alpha note, edited before, is the user's file of that name now
        '0 written, 1 unchanged, 0 removed, 1 left alone (a file of yours has that name), '
        '1 note you edited was left as it is'
    )

    # no longer Output Hub's: listed nowhere, left alone on every later run
    listed = json.loads((root / notes_folder.MANIFEST).read_text(encoding='utf-8'))['files']
    assert sorted(listed) == [gamma.relative_to(root).as_posix()]
    entities.trash('output', [library['a'], library['c']])
    report = notes_folder.sync(root)
    assert report.removed_files == [gamma.relative_to(root).as_posix()] and not gamma.exists()
    assert alpha.read_text(encoding='utf-8') == 'my own thoughts on alpha' and beta.is_file()
