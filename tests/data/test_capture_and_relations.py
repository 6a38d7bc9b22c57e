"""Capturing outputs and editing relations in both directions."""

from __future__ import annotations

import pytest

from app.data import agents, entities, lookups, outputs, prompts, relations
from app.data.models import Collection, LlmModel, Output, OutputTag, Prompt, PromptVersion, Tag
from app.errors import NotFound, ValidationError


def capture(body='Some **answer**', **kw):
    return outputs.capture_output(outputs.CaptureData(body=body, **kw))


def test_capture_with_everything(db):
    agent = agents.create_agent('Reviewer', 'You review code.', model=lookups.find_model('gpt-4o'))
    out = capture(
        '# Plan\n\nDo the thing.',
        prompt='Plan the thing',
        model='gpt-4o',
        agent_id=agent.id,
        tags=['python', 'Planning'],
        collections=['Work'],
        category='Coding',
        rating=4,
        favourite=True,
        notes='good',
        source_url='https://chat.openai.com/c/1',
    )
    detail = outputs.output_detail(out.id)
    assert detail.output.title == 'Plan'
    assert detail.model.name == 'gpt-4o' and detail.provider.name == 'OpenAI'
    assert detail.prompt.title == 'Plan the thing' and detail.prompt_version.number == 1
    assert detail.agent.name == 'Reviewer' and detail.agent_version.number == 1
    assert sorted(t.name for t in detail.tags) == ['Planning', 'python']
    assert [c.name for c in detail.collections] == ['Work']
    assert detail.category.name == 'Coding'
    assert detail.output.favourite and detail.output.rating == 4
    assert detail.source.kind == 'manual'


def test_capture_reuses_existing_prompt_version_and_lookups(db):
    a = capture('one', prompt='Same prompt', tags=['x'], model='my-local-model')
    b = capture('two', prompt='Same prompt', tags=['X'], model='my-local-model')
    assert a.prompt_version_id == b.prompt_version_id
    assert Prompt.select().count() == 1 and Prompt.get().use_count == 2
    assert Tag.select().where(Tag.name == 'x').count() == 1
    model = LlmModel.get(LlmModel.name == 'my-local-model')
    assert model.provider.name == 'Local'


def test_capture_refuses_empty_and_bad_values_and_writes_nothing(db):
    with pytest.raises(ValidationError, match='empty'):
        capture('   \n ')
    with pytest.raises(ValidationError, match='rating'):
        capture('ok', rating=9)
    with pytest.raises(NotFound):
        capture('ok', tags=['new-tag'], agent_version_id=12345)
    assert Output.select().count() == 0
    assert Tag.select().where(Tag.name == 'new-tag').count() == 0  # the failed capture rolled back


def test_duplicates_are_found_by_normalised_body(db):
    a = capture('Hello world\r\n\n')
    assert [o.id for o in outputs.find_duplicates('Hello world   ')] == [a.id]
    entities.trash('output', [a.id])
    assert outputs.find_duplicates('Hello world') == []


def test_discard_capture_deletes_it(db):
    a = capture('oops', tags=['t'])
    outputs.discard_capture(a.id)
    assert Output.select().count() == 0 and OutputTag.select().count() == 0


def test_tags_both_directions_and_bulk(db):
    a, b = capture('a'), capture('b')
    t = lookups.get_or_create('tag', 'ideas')
    assert relations.add_tags('output', [a.id, b.id], [t.id]) == 2
    assert relations.add_tags('output', [a.id], [t.id]) == 0  # already there
    p = prompts.create_prompt('Prompt', 'Body')
    relations.add_tags('prompt', [p.id], [t.id])
    m = relations.members('tag', t.id)
    assert m.totals == {'output': 2, 'conversation': 0, 'prompt': 1, 'agent': 0}
    relations.remove_tags('output', [a.id], [t.id])
    assert relations.tags_for('output', [a.id, b.id]) == {b.id: [t]}


def test_collections_move_and_set(db):
    a = capture('a', collections=['Inbox'])
    work = lookups.get_or_create('collection', 'Work')
    relations.move_to_collection('output', [a.id], work.id)
    assert [c.name for c in relations.collections_for('output', [a.id])[a.id]] == ['Work']
    relations.set_collections('output', a.id, [])
    assert relations.collections_for('output', [a.id]) == {}
    assert Collection.select().count() == 2


def test_related_outputs_are_symmetric(db):
    a, b, c = capture('a'), capture('b'), capture('c')
    relations.link_outputs(b.id, a.id)
    relations.link_outputs(a.id, b.id)  # same pair again: no error, no duplicate
    relations.link_outputs(c.id, a.id)
    assert {o.id for o in relations.related_outputs(a.id)} == {b.id, c.id}
    assert [o.id for o in relations.related_outputs(b.id)] == [a.id]
    with pytest.raises(ValidationError):
        relations.link_outputs(a.id, a.id)
    relations.unlink_outputs(a.id, b.id)
    assert [o.id for o in relations.related_outputs(b.id)] == []


def test_soft_delete_and_restore(db):
    a = capture('a')
    assert entities.trash('output', [a.id]) == 1
    assert Output.get_by_id(a.id).deleted_at is not None
    from app.data.listing import ListParams

    assert entities.list_items('output', ListParams()).total == 0
    assert entities.list_items('output', ListParams(trashed=True)).total == 1
    entities.restore('output', [a.id])
    assert entities.list_items('output', ListParams()).total == 1
    entities.trash('output', [a.id])
    assert entities.delete_forever('output', [a.id]) == 1
    assert Output.select().count() == 0


def test_prompt_versions_number_and_current(db):
    p = prompts.create_prompt('', 'Summarise {{text}}')
    assert p.title == 'Summarise {{text}}'
    v2 = prompts.new_version(p.id, 'Summarise briefly: {{text}}', note='shorter')
    assert v2.number == 2 and Prompt.get_by_id(p.id).current_version_id == v2.id
    assert prompts.new_version(p.id, 'Summarise briefly: {{text}}').id == v2.id  # unchanged: no new version
    assert [v.number for v in prompts.versions(p.id)] == [2, 1]
    assert PromptVersion.select().count() == 2


def test_agent_versions_copy_unchanged_fields(db):
    model = lookups.find_model('claude-sonnet-4-5')
    a = agents.create_agent('Editor', 'Edit copy.', model=model, temperature=0.3)
    v2 = agents.new_version(a.id, temperature=0.7, note='warmer')
    assert v2.number == 2 and v2.system_prompt == 'Edit copy.' and v2.model_id == model.id
    assert agents.new_version(a.id, temperature=0.7).id == v2.id
    with pytest.raises(ValidationError):
        agents.new_version(a.id, temperature=5)
