"""Lookup administration: usage counts, rename, merge, delete."""

from __future__ import annotations

import pytest

from app.data import agents, lookups, outputs, relations
from app.data.models import Output, Tag
from app.errors import ValidationError


def capture(body, **kw):
    return outputs.capture_output(outputs.CaptureData(body=body, **kw))


def test_usage_and_list(db):
    capture('a', tags=['py', 'x'])
    capture('b', tags=['py'])
    page = lookups.list_with_usage('tag', sort='usage', desc=True)
    assert [(r.name, r.usage) for r in page.items] == [('py', 2), ('x', 1)]
    assert lookups.usage('tag', lookups.find_by_name('tag', 'py').id)['outputs'] == 2
    assert [t.name for t in lookups.search('tag', 'P')] == ['py']


def test_merge_tags_keeps_every_use_once(db):
    a = capture('a', tags=['python', 'Py3'])
    b = capture('b', tags=['Py3'])
    python, py3 = lookups.find_by_name('tag', 'python'), lookups.find_by_name('tag', 'py3')
    lookups.merge('tag', [py3.id], python.id)
    assert Tag.select().count() == 1
    tags = relations.tags_for('output', [a.id, b.id])
    assert [t.name for t in tags[a.id]] == ['python'] and [t.name for t in tags[b.id]] == ['python']


def test_merge_categories_moves_foreign_keys(db):
    a = capture('a', category='Code')
    b = capture('b', category='Coding')
    code, coding = lookups.find_by_name('category', 'Code'), lookups.find_by_name('category', 'Coding')
    lookups.merge('category', [code.id], coding.id)
    assert {o.category_id for o in Output.select().where(Output.id.in_([a.id, b.id]))} == {coding.id}


def test_rename_refuses_a_clash(db):
    lookups.get_or_create('tag', 'one')
    two = lookups.get_or_create('tag', 'two')
    with pytest.raises(ValidationError, match='merge'):
        lookups.rename('tag', two.id, 'ONE')
    assert lookups.rename('tag', two.id, 'three').name == 'three'


def test_delete_unlinks_or_reassigns(db):
    a = capture('a', tags=['old'], category='Old')
    lookups.delete('tag', lookups.find_by_name('tag', 'old').id)
    assert relations.tags_for('output', [a.id]) == {}
    new = lookups.get_or_create('category', 'New')
    lookups.delete('category', lookups.find_by_name('category', 'Old').id, reassign_to=new.id)
    assert Output.get_by_id(a.id).category_id == new.id


def test_a_model_used_by_an_agent_version_cannot_be_deleted(db):
    model = lookups.find_or_create_model('special-model')
    agents.create_agent('A', 'x', model=model)
    with pytest.raises(ValidationError, match='never change'):
        lookups.delete('model', model.id)
