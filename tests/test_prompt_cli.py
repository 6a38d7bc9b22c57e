"""The ``outputhub prompt`` group: add, edit (new version), list, show, diff, restore, fill."""

from __future__ import annotations

import io
import json

import pytest

from app.cli import main


@pytest.fixture
def cli(tmp_path, capsys, monkeypatch):
    db = str(tmp_path / 'p.db')

    def run(*argv: str, stdin: str | None = None):
        if stdin is not None:
            monkeypatch.setattr('sys.stdin', io.StringIO(stdin))
        code = main(['prompt', *argv, '--db', db])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_add_edit_show_and_list(cli):
    code, out, _ = cli('add', '--title', 'Email', '--body', 'Write an email to {{name}}.', '--json')
    assert code == 0
    pid = json.loads(out)['id']
    code, out, _ = cli(
        'edit', str(pid), '--body', 'Write a short email to {{name|Sam}}.', '--note', 'shorter'
    )
    assert code == 0 and out.strip() == f'Saved version 2 of prompt {pid}.'
    code, out, _ = cli('edit', str(pid), '--body', 'Write a short email to {{name|Sam}}.')
    assert code == 0 and 'No change' in out

    code, out, _ = cli('show', str(pid), '--json')
    data = json.loads(out)
    assert data['title'] == 'Email' and data['current_version'] == 2
    assert data['version']['body'] == 'Write a short email to {{name|Sam}}.'
    assert data['version']['note'] == 'shorter'
    assert data['variables'] == [{'name': 'name', 'default': 'Sam', 'required': False}]
    assert [v['number'] for v in data['versions']] == [2, 1]

    code, out, _ = cli('show', str(pid), '--version', '1')
    assert 'Write an email to {{name}}.' in out and 'current is v2' in out and 'Variables: name' in out

    code, out, _ = cli('list', '--json')
    rows = json.loads(out)['prompts']
    assert [(r['id'], r['title'], r['version']) for r in rows] == [(pid, 'Email', 2)]
    code, out, _ = cli('list')
    assert 'Email' in out and 'v2' in out


def test_add_reads_stdin(cli):
    code, out, _ = cli('add', '--body', '-', stdin='Summarise the text below.\n\n{{text}}\n')
    assert code == 0 and 'Added prompt 1: Summarise the text below.' in out


def test_diff_prints_word_changes(cli):
    cli('add', '--body', 'The quick brown fox.')
    cli('edit', '1', '--body', 'The slow brown fox jumps.')
    code, out, _ = cli('diff', '1', '1', '2')
    assert code == 0
    assert out.splitlines()[0] == 'The [-quick-]{+slow+} brown fox{+ jumps+}.'
    assert '(+2 words, -1 word)' in out
    code, out, _ = cli('diff', '1', '1', '2', '--color', 'always')
    assert '\x1b[31mquick\x1b[0m' in out and '\x1b[32mslow\x1b[0m' in out
    code, out, _ = cli('diff', '1', '1', '2', '--json')
    data = json.loads(out)
    assert data['changed'] and {'op': 'insert', 'text': 'slow'} in data['runs']
    code, out, _ = cli('diff', '1', '2', '2')
    assert out.strip() == 'No differences.'


def test_restore_and_fill(cli):
    cli('add', '--body', 'Tips on {{topic}} for {{who|beginners}}.')
    cli('edit', '1', '--body', 'Ten tips on {{topic}}.')
    code, out, _ = cli('restore', '1', '1', '--json')
    assert json.loads(out) == {'id': 1, 'version': 3, 'created': True, 'restored_from': 1}
    code, out, _ = cli('fill', '1', '--var', 'topic=SQL')
    assert out.strip() == 'Tips on SQL for beginners.'
    code, out, _ = cli('fill', '1', '--version', '2', '--var', 'topic=SQL', '--json')
    assert json.loads(out)['text'] == 'Ten tips on SQL.'


@pytest.mark.parametrize(
    ('argv', 'message'),
    [
        (('show', '99'), 'Prompt 99 does not exist.'),
        (('show', '1', '--version', '7'), 'Prompt 1 has no version 7.'),
        (('diff', '1', '1', '5'), 'has no version 5'),
        (('edit', '1', '--body', '   '), 'A prompt needs some text.'),
        (('fill', '1'), 'Fill in topic first'),
        (('fill', '1', '--var', 'nope=1'), "no variable called 'nope'"),
        (('fill', '1', '--var', 'topic'), '--var takes NAME=VALUE'),
    ],
)
def test_errors_are_one_line_and_exit_2(cli, argv, message):
    cli('add', '--body', 'About {{topic}}.')
    code, out, err = cli(*argv)
    assert code == 2 and message in err and 'Traceback' not in err and err.count('\n') == 1


def test_malformed_template_is_reported_not_crashed(cli):
    cli('add', '--body', 'Hello {{name')
    code, out, _ = cli('show', '1')
    assert code == 0 and 'Template problem: The template has an unclosed "{{" on line 1' in out
    code, _, err = cli('fill', '1')
    assert code == 2 and 'unclosed' in err


def test_list_shows_the_library_and_from_captures_the_rest(cli, tmp_path):
    from app.data import db as dbmod
    from app.data import outputs

    cli('add', '--title', 'Email', '--body', 'Write an email to {{name}}.')
    dbmod.connect(str(tmp_path / 'p.db'))
    outputs.capture_output(outputs.CaptureData(body='An answer', prompt='Explain monads briefly'))
    dbmod.close()
    _, out, _ = cli('list', '--json')
    assert [p['title'] for p in json.loads(out)['prompts']] == ['Email']
    _, out, _ = cli('list', '--from-captures', '--json')
    captured = json.loads(out)['prompts']
    assert [p['title'] for p in captured] == ['Explain monads briefly']
    code, out, _ = cli('save', str(captured[0]['id']))
    assert code == 0 and out.strip() == 'Saved to the library: Explain monads briefly'
    _, out, _ = cli('list', '--json')
    assert sorted(p['title'] for p in json.loads(out)['prompts']) == ['Email', 'Explain monads briefly']
