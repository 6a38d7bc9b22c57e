"""``outputhub import``, ``export``, ``backup`` and ``restore`` as a script sees them."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from app.cli import main
from app.data import db as dbmod
from tests.data.export_builders import FIXTURES, linear_conversation, write_json


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    dbmod.close()
    return code, out.out, out.err


def count(db: Path, table: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(f'SELECT count(*) FROM {table}').fetchone()[0]
    finally:
        conn.close()


def test_import_json_report_then_reimport_adds_nothing(capsys, tmp_path):
    db = tmp_path / 'lib.db'
    code, out, _ = run(
        capsys, 'import', str(FIXTURES / 'LibreChat__chatgpt-export.json'), '--db', str(db), '--json'
    )
    assert code == 0
    report = json.loads(out)
    assert report['format'] == 'chatgpt'
    assert (report['conversations_added'], report['conversations_updated'], report['messages_added']) == (
        2,
        0,
        21,
    )
    assert report['skipped'] == 0 and report['errors'] == []
    code, out, _ = run(
        capsys, 'import', str(FIXTURES / 'LibreChat__chatgpt-export.json'), '--db', str(db), '--json'
    )
    again = json.loads(out)
    assert (again['conversations_added'], again['messages_added'], again['conversations_unchanged']) == (
        0,
        0,
        2,
    )
    assert count(db, 'conversation') == 2 and count(db, 'import_run') == 2


def test_import_dry_run_and_text_output(capsys, tmp_path):
    db = tmp_path / 'lib.db'
    code, out, _ = run(
        capsys,
        'import',
        str(FIXTURES / 'openwebui-importer__claude_example.json'),
        '--db',
        str(db),
        '--dry-run',
    )
    assert code == 0 and 'claude: would add 85 conversations and 557 messages' in out
    assert count(db, 'conversation') == 0


def test_import_with_skipped_conversations_exits_1_and_lists_them(capsys, tmp_path):
    bad = linear_conversation('bad', 1)
    bad['mapping'] = 'broken'
    path = write_json(tmp_path / 'c.json', [linear_conversation('ok', 1), bad])
    code, out, _ = run(capsys, 'import', str(path), '--db', str(tmp_path / 'lib.db'))
    assert code == 1 and 'added 1 conversations' in out and 'skipped: conversation' in out and '(bad)' in out


@pytest.mark.parametrize(
    'content',
    [
        b'',
        b'{"not": "an export"}',
        b'[{"mapping": {}, "title": "cut',
        b'\x00\x01binary\xff',
        b'[' * 100_000 + b']' * 100_000,  # a nesting bomb (8.8 GB before it was refused up front)
    ],
)
def test_import_of_something_else_is_one_line_exit_2(capsys, tmp_path, content):
    path = tmp_path / 'thing.json'
    path.write_bytes(content)
    code, out, err = run(capsys, 'import', str(path), '--db', str(tmp_path / 'lib.db'))
    assert code == 2 and out == ''
    assert err.startswith('outputhub: error: ') and err.count('\n') == 1 and 'Traceback' not in err


def test_export_json_and_markdown(capsys, tmp_path):
    db = tmp_path / 'lib.db'
    run(capsys, 'import', str(FIXTURES / 'claude-to-sqlite__artifacts.json'), '--db', str(db))
    code, out, _ = run(
        capsys, 'export', '--db', str(db), '--format', 'json', '--out', str(tmp_path / 'out'), '--json'
    )
    assert code == 0
    report = json.loads(out)
    data = json.loads(Path(report['path']).read_text(encoding='utf-8'))
    assert data['format'] == 'outputhub' and report['counts']['conversation'] == 1
    code, out, _ = run(
        capsys, 'export', '--db', str(db), '--format', 'markdown', '--out', str(tmp_path / 'md')
    )
    assert code == 0 and out.startswith('Exported 1 item to ')
    notes = list((tmp_path / 'md').rglob('*.md'))
    assert len(notes) == 1 and notes[0].name.startswith('LLM Pricing Calculator (c')


def test_backup_and_restore(capsys, tmp_path):
    db = tmp_path / 'lib.db'
    run(capsys, 'import', str(FIXTURES / 'chatgpt-exporter__thinking-summaries.json'), '--db', str(db))
    code, out, _ = run(capsys, 'backup', '--db', str(db), '--out', str(tmp_path / 'b.db'), '--json')
    assert code == 0 and json.loads(out)['path'] == str(tmp_path / 'b.db')
    run(capsys, 'import', str(FIXTURES / 'openwebui-importer__gpt_example.json'), '--db', str(db))
    assert count(db, 'conversation') == 2
    code, out, _ = run(capsys, 'restore', str(tmp_path / 'b.db'), '--db', str(db))
    assert code == 0 and 'Restored' in out and 'kept as' in out
    assert count(db, 'conversation') == 1
    aside = next(tmp_path.glob('lib.before-restore-*.db'))
    assert count(aside, 'conversation') == 2
    code, _, err = run(capsys, 'restore', str(FIXTURES / 'LibreChat__chatgpt-export.json'), '--db', str(db))
    assert code == 2 and 'not an SQLite database' in err
