"""ChatGPT's sharded 2026 export: ``conversations-NNN.json`` shards beside a manifest, nodes without
``children``, slimmed messages (no status, weight or recipient), times that are null or 0."""

from __future__ import annotations

import zipfile
from datetime import datetime
from pathlib import Path

import pytest

from app.data.importers import detect_format, import_path
from app.data.models import Conversation, LlmModel, Message

from .export_builders import FIXTURES
from .test_importers import active_path, conv_by_ext, visible_texts

SHARDED = FIXTURES / 'chatgpt-sharded'
EGGS = '68f0c1d2-0001-8000-9000-00000000a001'
SCREENSHOT = '68f0c1d2-0002-8000-9000-00000000b002'
PYTHON = '68f0c1d2-0003-8000-9000-00000000c003'


@pytest.fixture
def export_zip(tmp_path: Path) -> Path:
    """The folder zipped as ChatGPT sends it (the download is named after the export, no fixed name)."""
    out = tmp_path / 'a1b2c3-2026-01-05-10-00-00.zip'
    with zipfile.ZipFile(out, 'w', zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(SHARDED.iterdir()):
            zf.write(f, f.name)
    return out


@pytest.mark.parametrize('as_zip', [True, False])
def test_every_shard_is_read_and_each_tree_rebuilt_from_its_parents(db, export_zip, as_zip):
    source = export_zip if as_zip else SHARDED
    assert detect_format(source) == 'chatgpt'
    report = import_path(source)
    assert (report.conversations_added, report.messages_added, report.skipped, report.errors) == (
        3,
        12,
        0,
        [],
    )
    assert {c.external_id for c in Conversation.select()} == {EGGS, SCREENSHOT, PYTHON}  # both shards

    eggs = conv_by_ext(EGGS)
    # the regenerated answer is kept as a branch, the shown one continues: no children[] needed
    first = Message.get((Message.conversation == eggs) & (Message.external_id == 'u-1'))
    answers = sorted(m.external_id for m in Message.select().where(Message.parent == first))
    assert answers == ['a-1', 'a-2']
    assert visible_texts(eggs) == [
        ('user', 'Wie lange kocht man ein Ei — weich, 🥚?'),
        ('assistant', 'Für ein wachsweiches Ei: 6½ Minuten ab kochendem Wasser.'),
        ('user', 'Und hart?'),
        ('assistant', 'Hart gekocht: 10 Minuten.'),
    ]
    assert [m.external_id for m in active_path(eggs)][-1] == 'a-3'
    shown = active_path(eggs)[-1]
    assert LlmModel.get_by_id(shown.model_id).name == 'gpt-5-thinking'
    assert all(m.status == 'complete' for m in active_path(eggs))  # no status in the slimmed messages


def test_a_time_of_0_is_unknown_not_1970(db):
    import_path(SHARDED)
    eggs = conv_by_ext(EGGS)
    system = Message.get((Message.conversation == eggs) & (Message.external_id == 'sys-1'))
    assert system.hidden and system.created_at == datetime(2026, 1, 1)  # the conversation's start
    assert Message.select().where(Message.created_at < datetime(2000, 1, 1)).count() == 0


def test_an_untitled_conversation_and_tool_traffic(db):
    import_path(SHARDED)
    python = conv_by_ext(PYTHON)
    assert python.title == 'Sum the numbers 1 to 100 with Python.'
    assert visible_texts(python) == [
        ('user', 'Sum the numbers 1 to 100 with Python.'),
        ('assistant', 'The sum is 5050.'),
    ]
    hidden = [(m.content_type, m.content) for m in active_path(python) if m.hidden]
    assert hidden == [('code', '```python\nprint(sum(range(1, 101)))\n```'), ('execution_output', '5050')]


@pytest.mark.parametrize('as_zip', [True, False])
def test_an_image_sent_is_named_as_the_person_named_it(db, export_zip, as_zip):
    import_path(export_zip if as_zip else SHARDED)
    (_, first), *_ = visible_texts(conv_by_ext(SCREENSHOT))
    # conversation_asset_file_names.json says what the .dat file was called
    assert first == '[Image: Screenshot 2026-01-02 at 10.00.00.png (1024×768)]\nWhat is on this screenshot?'


def test_importing_the_sharded_export_again_adds_nothing(db, export_zip):
    import_path(export_zip)
    again = import_path(export_zip)
    assert (again.conversations_added, again.conversations_updated, again.messages_added) == (0, 0, 0)
    assert again.conversations_unchanged == 3


def test_a_node_without_parent_takes_it_from_its_message(db, tmp_path):
    import json

    shard = json.loads((SHARDED / 'conversations-001.json').read_text())
    for node in shard[0]['mapping'].values():
        if node['message'] is not None:
            del node['parent']  # only the message's metadata still says where it hangs
    (tmp_path / 'conversations-000.json').write_text(json.dumps(shard))
    assert import_path(tmp_path).messages_added == 4
    assert [m.external_id for m in active_path(conv_by_ext(PYTHON))] == ['u-1', 'a-1', 't-1', 'a-2']


def _copy_without(tmp_path: Path, *left_out: str, manifest: bool = True) -> Path:
    import shutil

    out = tmp_path / 'export'
    out.mkdir()
    for f in SHARDED.iterdir():
        if f.name not in left_out and (manifest or f.name != 'export_manifest.json'):
            shutil.copy(f, out / f.name)
    return out


def _nothing_written() -> None:
    from app.data.models import ImportRun

    assert (Conversation.select().count(), Message.select().count(), ImportRun.select().count()) == (0, 0, 0)


@pytest.mark.parametrize('as_zip', [True, False])
def test_a_shard_the_manifest_names_but_the_upload_lacks_is_refused_whole(db, tmp_path, as_zip):
    from app.errors import UserError

    folder = _copy_without(tmp_path, 'conversations-001.json')
    source = folder
    if as_zip:
        source = tmp_path / 'export.zip'
        with zipfile.ZipFile(source, 'w') as zf:
            for f in sorted(folder.iterdir()):
                zf.write(f, f'a1b2c3-2026-01-05/{f.name}')  # the shards in a folder inside the zip
    for dry_run in (True, False):
        with pytest.raises(UserError) as err:
            import_path(source, dry_run=dry_run)
        message = str(err.value)
        assert 'conversations-001.json' in message and 'export_manifest.json lists 2' in message
        assert 'conversations-000.json' not in message and message.count('.') <= 6  # one sentence
    _nothing_written()


def test_the_manifest_s_shard_count_names_a_shard_it_does_not_list(db, tmp_path):
    import json

    from app.errors import UserError

    folder = _copy_without(tmp_path)
    manifest = json.loads((folder / 'export_manifest.json').read_text())
    manifest['logical_files']['conversations.json']['shard_count'] = 3
    (folder / 'export_manifest.json').write_text(json.dumps(manifest))
    with pytest.raises(UserError, match=r'missing conversations-002\.json'):
        import_path(folder)
    _nothing_written()


def test_without_a_manifest_a_gap_in_the_numbering_is_a_missing_shard(db, tmp_path):
    import shutil

    from app.errors import UserError

    folder = _copy_without(tmp_path, manifest=False)
    shutil.move(folder / 'conversations-001.json', folder / 'conversations-003.json')
    with pytest.raises(UserError) as err:
        import_path(folder)
    assert 'missing conversations-001.json, conversations-002.json' in str(err.value)
    assert 'numbered 000 to 003' in str(err.value)
    _nothing_written()
    # numbered from 000 without a gap and no manifest: imported as before
    shutil.move(folder / 'conversations-003.json', folder / 'conversations-001.json')
    assert import_path(folder).conversations_added == 3
