"""``outputhub search``, ``similar`` and ``reindex`` as a script sees them."""

from __future__ import annotations

import json

import pytest

from app.cli import main
from app.data import db as dbmod
from app.data import embeddings, lookups, settings_store
from tests.data.search_helpers import HASHING, capture, chat


@pytest.fixture
def library(db, db_path):
    settings_store.put(embeddings.MODEL_SETTING, HASHING)
    tag = lookups.get_or_create('tag', 'Networking')
    router = capture('Set the router admin password first.', title='Router setup', tags=[tag.id])
    modem = capture('Reboot the modem and the router.', title='Modem fix')
    cid, (mid,) = chat('Wifi chat', 'my router keeps dropping wifi')
    dbmod.close()
    return dict(path=str(db_path), router=router, modem=modem, cid=cid, mid=mid)


def run_json(capsys, *argv) -> object:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_keyword_search_prints_hits_best_first(library, capsys):
    hits = run_json(capsys, 'search', 'router', '--db', library['path'], '--mode', 'keyword', '--json')
    assert {(h['kind'], h['id']) for h in hits} == {
        ('output', library['router']),
        ('output', library['modem']),
        ('message', library['mid']),
    }
    assert hits[0]['id'] == library['router']  # in the title
    assert [h['score'] for h in hits] == sorted((h['score'] for h in hits), reverse=True)
    for h in hits:
        assert {'kind', 'id', 'title', 'snippet', 'score', 'url'} <= set(h)
    msg = next(h for h in hits if h['kind'] == 'message')
    assert msg['url'] == f'/conversations/{library["cid"]}?m={library["mid"]}'


def test_semantic_search_embeds_the_backlog_first(library, capsys):
    hits = run_json(
        capsys, 'search', 'admin password', '--db', library['path'], '--mode', 'semantic', '--json'
    )
    assert hits[0]['id'] == library['router']
    dbmod.connect(library['path'])
    assert embeddings.pending_count() == 0


def test_no_wait_says_the_index_is_incomplete(library, capsys):
    assert main(['search', 'router', '--db', library['path'], '--mode', 'hybrid', '--no-wait', '--json']) == 0
    captured = capsys.readouterr()
    assert 'not complete' in captured.err
    assert isinstance(json.loads(captured.out), list)


def test_filters_by_name(library, capsys):
    hits = run_json(capsys, 'search', 'router', '--db', library['path'], '--tag', 'networking', '--json')
    assert [(h['kind'], h['id']) for h in hits] == [('output', library['router'])]
    assert main(['search', 'router', '--db', library['path'], '--tag', 'nope']) == 2
    assert "no tag called 'nope'" in capsys.readouterr().err


def test_similar_and_reindex(library, capsys):
    report = run_json(capsys, 'reindex', '--db', library['path'], '--json')
    assert report['embedded'] == 3 and report['pending'] == 0 and report['model'] == HASHING
    hits = run_json(capsys, 'similar', '--db', library['path'], '--output', str(library['router']), '--json')
    assert library['router'] not in [h['id'] for h in hits if h['kind'] == 'output']
    assert hits and all(h['kind'] in ('output', 'message') for h in hits)
    hits = run_json(capsys, 'similar', '--db', library['path'], '--message', str(library['mid']), '--json')
    assert hits[0]['kind'] == 'output'
    report = run_json(
        capsys, 'reindex', '--db', library['path'], '--embedding-model', 'builtin:hashing-16', '--json'
    )
    assert report['rebuilt'] and report['embedded'] == 3 and report['model'] == 'builtin:hashing-16'
    report = run_json(capsys, 'reindex', '--db', library['path'], '--all', '--json')
    assert report['rebuilt'] and report['embedded'] == 3


def test_plain_text_output_and_missing_items(library, capsys):
    assert main(['search', 'router', '--db', library['path'], '--mode', 'keyword']) == 0
    out = capsys.readouterr().out
    assert 'Router setup' in out and f'/outputs/{library["router"]}' in out
    assert main(['search', 'zzzz', '--db', library['path'], '--mode', 'keyword']) == 0
    assert 'No results.' in capsys.readouterr().out
    assert main(['similar', '--db', library['path'], '--output', '999']) == 2
    assert 'does not exist' in capsys.readouterr().err
