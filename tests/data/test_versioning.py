"""Prompt and agent versions: immutability, restore, current, diffs, provenance, templates."""

from __future__ import annotations

import peewee
import pytest

from app.data import agents, entities, lookups, outputs, prompts, relations, versioning
from app.data.db import write_tx
from app.data.models import AgentVersion, Conversation, Message, Prompt, PromptVersion
from app.data.versioning import DiffRun, TemplateVariable, fill_template, template_variables, word_diff
from app.errors import NotFound, ValidationError


def capture(body, **kw):
    return outputs.capture_output(outputs.CaptureData(body=body, **kw))


def snapshot(model):
    return [tuple(row.values()) for row in model.select().order_by(model.id).dicts()]


# --------------------------------------------------------------------------- immutability


def test_the_database_refuses_to_update_a_version(db):
    p = prompts.create_prompt('Summarise', 'Summarise this.')
    a = agents.create_agent('Reviewer', 'You review.')
    pv, av = PromptVersion.get(), AgentVersion.get()
    for attempt in (
        lambda: PromptVersion.update(body='changed').where(PromptVersion.id == pv.id).execute(),
        lambda: AgentVersion.update(temperature=1.0).where(AgentVersion.id == av.id).execute(),
    ):
        with pytest.raises(peewee.IntegrityError, match='immutable'), write_tx():
            attempt()
    pv.body = 'changed'
    with pytest.raises(peewee.IntegrityError), write_tx():
        pv.save()
    assert PromptVersion.get_by_id(pv.id).body == 'Summarise this.'
    assert p.id and a.id


def test_no_code_path_updates_a_version_row(db):
    """Every operation on prompts, agents and their relations runs with the immutability trigger in place
    (it would abort on any UPDATE); afterwards the version rows are exactly as they were, plus new ones."""
    p = prompts.create_prompt('Summarise', 'Summarise {{text}}.', note='first')
    a = agents.create_agent('Reviewer', 'You review code.', model='gpt-4o', temperature=0.2)
    prompts.new_version(p.id, 'Summarise {{text}} in {{n|3}} bullets.', note='bullets')
    agents.new_version(a.id, system_prompt='You review Python code.', note='python')
    before_p, before_a = snapshot(PromptVersion), snapshot(AgentVersion)

    prompts.new_version(p.id, 'Summarise {{text}} briefly.')
    prompts.restore_version(p.id, 1)
    prompts.set_current(p.id, 2)
    prompts.mark_used(p.id)
    entities.update_item('prompt', p.id, title='Summariser', favourite=True, rating=5, notes='n')
    agents.new_version(a.id, temperature=0.9)
    agents.restore_version(a.id, 1)
    agents.set_current(a.id, 2)
    entities.update_item('agent', a.id, name='Code reviewer')
    relations.add_tags('prompt', [p.id], [lookups.get_or_create('tag', 'writing').id])
    relations.add_tags('agent', [a.id], [lookups.get_or_create('tag', 'code').id])
    capture('An output', prompt_version_id=PromptVersion.get().id, agent_id=a.id, rating=4)
    entities.trash('prompt', [p.id])
    entities.restore('prompt', [p.id])
    lookups.rename('model', lookups.find_model('gpt-4o').id, 'gpt-4o-2024')

    after_p, after_a = snapshot(PromptVersion), snapshot(AgentVersion)
    assert after_p[: len(before_p)] == before_p and len(after_p) == len(before_p) + 2
    assert after_a[: len(before_a)] == before_a and len(after_a) == len(before_a) + 2
    assert Prompt.get_by_id(p.id).title == 'Summariser'  # renaming is not a new version
    assert [v.number for v in prompts.versions(p.id)] == [4, 3, 2, 1]


def test_a_model_used_by_a_version_cannot_be_merged_away(db):
    a = agents.create_agent('Reviewer', 'You review.', model='gpt-4o')
    other = lookups.find_or_create_model('gpt-4o-mini')
    with pytest.raises(ValidationError, match='never change'):
        lookups.merge('model', [AgentVersion.get().model_id], other.id)
    assert agents.current_version(a.id).model.name == 'gpt-4o'


# --------------------------------------------------------------------------- restore and current


def test_restore_makes_a_new_version_equal_to_the_old_one(db):
    p = prompts.create_prompt('Greeting', 'Say hello.')
    prompts.new_version(p.id, 'Say hello politely.', note='polite')
    restored = prompts.restore_version(p.id, 1)
    assert restored.number == 3 and restored.body == 'Say hello.' and restored.note == 'Restored from v1'
    assert prompts.current_version(p.id).id == restored.id
    assert [v.body for v in prompts.versions(p.id)] == ['Say hello.', 'Say hello politely.', 'Say hello.']
    # restoring what is already current adds nothing
    assert prompts.restore_version(p.id, 3).id == restored.id
    assert len(prompts.versions(p.id)) == 3


def test_mark_a_version_current_then_edit_from_it(db):
    p = prompts.create_prompt('Greeting', 'Say hello.')
    prompts.new_version(p.id, 'Say hello politely.')
    prompts.set_current(p.id, 1)
    assert prompts.current_version(p.id).number == 1
    assert len(prompts.versions(p.id)) == 2  # no version added
    v = prompts.new_version(p.id, 'Say hi.')
    assert v.number == 3 and prompts.current_version(p.id).number == 3


def test_missing_versions_say_so(db):
    p = prompts.create_prompt('Greeting', 'Say hello.')
    with pytest.raises(NotFound, match='Prompt .* has no version 9'):
        prompts.set_current(p.id, 9)
    with pytest.raises(NotFound, match='Prompt 999 does not exist'):
        prompts.restore_version(999, 1)
    a = agents.create_agent('Bot', 'Hi')
    with pytest.raises(NotFound, match='has no version 4'):
        agents.diff_versions(a.id, 1, 4)


def test_agent_restore_brings_back_every_setting(db):
    a = agents.create_agent(
        'Writer', 'You write.', model='gpt-4o', temperature=0.7, max_tokens=500, params={'seed': 1}
    )
    agents.new_version(a.id, model='claude-3-5-sonnet', temperature=0.2, params={'seed': 2, 'stop': ['x']})
    restored = agents.restore_version(a.id, 1)
    assert restored.number == 3
    assert agents.version_values(restored) == agents.version_values(agents.version_by_number(a.id, 1))
    assert restored.model.name == 'gpt-4o'


def test_agent_versions_check_their_settings(db):
    a = agents.create_agent('Writer', 'You write.')
    for bad, message in (
        ({'temperature': 'hot'}, 'Temperature must be a number'),
        ({'temperature': 3}, 'between 0 and 2'),
        ({'top_p': 0}, 'top_p'),
        ({'max_tokens': 0}, 'positive'),
        ({'params': [1, 2]}, 'JSON object'),
        ({'colour': 'red'}, 'not part of an agent version'),
    ):
        with pytest.raises(ValidationError, match=message):
            agents.new_version(a.id, **bad)
    assert len(agents.versions(a.id)) == 1
    # the same settings written differently are no change
    assert agents.new_version(a.id, temperature=None, params={}).number == 1


# --------------------------------------------------------------------------- diffs


def test_word_diff_marks_added_and_removed_words(db):
    d = word_diff('The quick brown fox jumps.', 'The slow red fox jumps high.')
    assert d.runs == [
        DiffRun('equal', 'The '),
        DiffRun('delete', 'quick brown'),
        DiffRun('insert', 'slow red'),
        DiffRun('equal', ' fox jumps'),
        DiffRun('insert', ' high'),
        DiffRun('equal', '.'),
    ]
    assert d.plain() == 'The [-quick brown-]{+slow red+} fox jumps{+ high+}.'
    assert ''.join(r.text for r in d.left()) == 'The quick brown fox jumps.'
    assert ''.join(r.text for r in d.right()) == 'The slow red fox jumps high.'
    assert (d.added_words, d.removed_words) == (3, 2)
    assert d.to_json()['runs'][1] == {'op': 'delete', 'text': 'quick brown'}


def test_word_diff_over_lines_keeps_both_texts_whole(db):
    old = 'Intro line.\nKeep this.\nChange this word.\nDrop this line.\nEnd.'
    new = 'Intro line.\nKeep this.\nChange that word.\nEnd.\nA new last line.'
    d = word_diff(old, new)
    assert ''.join(r.text for r in d.left()) == old
    assert ''.join(r.text for r in d.right()) == new
    assert DiffRun('delete', 'this') in d.runs and DiffRun('insert', 'that') in d.runs
    assert any(r.op == 'delete' and 'Drop this line.' in r.text for r in d.runs)
    assert not word_diff(old, old).changed
    assert word_diff('', 'new').runs == [DiffRun('insert', 'new')]


def test_word_diff_of_long_texts_is_exact(db):
    old = '\n'.join(f'Line {i} says something about item {i}.' for i in range(3000))
    new = old.replace('item 1500.', 'thing 1500!').replace('Line 10 ', 'Row 10 ')
    d = word_diff(old, new)
    assert ''.join(r.text for r in d.right()) == new
    assert [r.text for r in d.runs if r.op == 'insert'] == ['Row', 'thing', '!']


def test_prompt_diff_between_versions(db):
    p = prompts.create_prompt('Email', 'Write a short email to {{name}}.')
    prompts.new_version(p.id, 'Write a friendly email to {{name}}.')
    d = prompts.diff_versions(p.id, 1, 2)
    assert d.plain() == 'Write a [-short-]{+friendly+} email to {{name}}.'
    assert prompts.diff_versions(p.id, 2, 1).plain() == 'Write a [-friendly-]{+short+} email to {{name}}.'


def test_agent_diff_covers_system_prompt_model_and_parameters(db):
    a = agents.create_agent(
        'Writer', 'You write essays.', model='gpt-4o', temperature=0.7, params={'seed': 1}
    )
    agents.new_version(
        a.id, system_prompt='You write short essays.', model='gpt-4o-mini', params={'stop': '##'}
    )
    d = agents.diff_versions(a.id, 1, 2)
    changed = {f.name: (f.old, f.new) for f in d.changed_fields}
    assert changed == {
        'model': ('GPT-4o', 'GPT-4o mini'),  # models are shown by their display names
        'params.seed': ('1', None),
        'params.stop': (None, '"##"'),
    }
    assert {f.name for f in d.fields} >= {'model', 'temperature', 'top_p', 'max_tokens'}
    assert d.system_prompt.plain() == 'You write {+short +}essays.'
    assert 'model: GPT-4o -> GPT-4o mini' in d.plain()
    assert not agents.diff_versions(a.id, 1, 1).changed


# --------------------------------------------------------------------------- provenance


def test_provenance_through_capture(db):
    p = prompts.create_prompt('Poem', 'Write a poem about {{topic}}.')
    v1 = prompts.current_version(p.id)
    v2 = prompts.new_version(p.id, 'Write a short poem about {{topic}}.')
    a = agents.create_agent('Poet', 'You are a poet.')
    capture('Roses are red', prompt_version_id=v1.id, rating=2)
    capture('Violets are blue', prompt_version_id=v1.id, rating=4)
    capture('Unrated', prompt_version_id=v1.id)
    capture('Short poem', prompt='Write a short poem about {{topic}}.', agent_id=a.id, rating=5)
    trashed = capture('Gone', prompt_version_id=v2.id, rating=1)
    entities.trash('output', [trashed.id])
    av2 = agents.new_version(a.id, system_prompt='You are a terse poet.')
    capture('Terse', agent_version_id=av2.id, rating=3)
    conv = Conversation.create(title='Chat')
    Message.create(
        conversation=conv, role='assistant', content='hi', prompt_version=v2.id, agent_version=av2.id
    )

    stats = {s.version.number: s for s in prompts.version_stats(p.id)}
    assert (stats[1].outputs, stats[1].rated, stats[1].avg_rating, stats[1].messages) == (3, 2, 3.0, 0)
    assert (stats[2].outputs, stats[2].avg_rating, stats[2].messages) == (1, 5.0, 1)
    assert stats[2].is_current and not stats[1].is_current
    assert Prompt.get_by_id(p.id).use_count == 5  # each capture with the prompt counts as a use

    astats = {s.version.number: s for s in agents.version_stats(a.id)}
    assert (astats[1].outputs, astats[1].avg_rating) == (1, 5.0)
    assert (astats[2].outputs, astats[2].avg_rating, astats[2].messages) == (1, 3.0, 1)

    page = versioning.version_outputs('prompt', v1.id, per_page=2)
    assert page.total == 3 and [o.body for o in page.items] == ['Unrated', 'Violets are blue']
    cmp = versioning.compare_outputs('prompt', prompts.version_stats(p.id), 1, 2)
    assert [o.body for o in cmp.new_outputs] == ['Short poem'] and len(cmp.old_outputs) == 3
    with pytest.raises(ValidationError, match='no version 7'):
        versioning.compare_outputs('prompt', prompts.version_stats(p.id), 1, 7)


def test_version_stats_use_a_constant_number_of_queries(db):
    p = prompts.create_prompt('P', 'one')
    for i in range(10):
        v = prompts.new_version(p.id, f'body {i}')
        capture(f'out {i}', prompt_version_id=v.id, rating=3)
    queries = []
    database = db

    original = database.execute_sql

    def counting(sql, *args, **kwargs):
        queries.append(sql)
        return original(sql, *args, **kwargs)

    database.execute_sql = counting
    try:
        stats = prompts.version_stats(p.id)
    finally:
        database.execute_sql = original
    assert len(stats) == 11 and sum(s.outputs for s in stats) == 10
    assert len(queries) <= 4


# --------------------------------------------------------------------------- templates


def test_template_variables_with_defaults(db):
    body = 'Write {{ count|3 }} tips about {{topic}} for {{target audience|beginners}}; {{topic}} again.'
    assert template_variables(body) == [
        TemplateVariable('count', '3'),
        TemplateVariable('topic', None),
        TemplateVariable('target audience', 'beginners'),
    ]
    assert fill_template(body, {'topic': 'SQL'}) == 'Write 3 tips about SQL for beginners; SQL again.'
    assert (
        fill_template(body, {'topic': 'SQL', 'count': '5', 'target audience': ''})
        == 'Write 5 tips about SQL for beginners; SQL again.'
    )
    assert template_variables('No variables here.') == []
    assert template_variables('{{x|}}') == [TemplateVariable('x', '')]
    assert fill_template('a{{x|}}b') == 'ab'
    assert template_variables('{{a}} {{a|later}}') == [TemplateVariable('a', 'later')]


def test_fill_template_requires_values_without_defaults(db):
    with pytest.raises(ValidationError, match='Fill in topic, tone first'):
        fill_template('{{topic}} in a {{tone}} voice', {})
    assert fill_template('{{topic}} in a {{tone}} voice', {'tone': 'calm'}, strict=False) == (
        '{{topic}} in a calm voice'
    )


def test_literal_braces_can_be_escaped(db):
    body = r'Jinja uses \{{ var }} syntax; fill {{name}}.'
    assert template_variables(body) == [TemplateVariable('name')]
    assert fill_template(body, {'name': 'x'}) == 'Jinja uses {{ var }} syntax; fill x.'
    assert fill_template('JSON: {"a": {"b": 1}}') == 'JSON: {"a": {"b": 1}}'  # single braces are text


@pytest.mark.parametrize(
    ('body', 'message'),
    [
        ('Hello {{name', r'unclosed "\{\{" on line 1'),
        ('Line one\nHello {{name\n}}', r'unclosed "\{\{" on line 2'),
        ('{{a {{b}}', 'unclosed'),
        ('Hi {{}} there', 'has no name'),
        ('Hi {{  |default}} there', 'has no name'),
        ('Hi {{a$b}}', 'not a valid variable name'),
        ('{{{x}}}', 'not a valid variable name'),
    ],
)
def test_malformed_templates_get_a_clear_message(db, body, message):
    with pytest.raises(ValidationError, match=message):
        template_variables(body)
    with pytest.raises(ValidationError, match=message):
        fill_template(body, {})
    problem = versioning.template_problem(body)
    assert problem and '\n' not in problem
    # a malformed template is still a prompt: it is stored, only the form refuses it
    p = prompts.create_prompt('Broken', body)
    assert prompts.current_version(p.id).body == body


@pytest.mark.timeout(60)  # plain difflib took minutes on these (quadratic in repeated items)
def test_word_diff_of_repetitive_texts_stays_fast_and_exact(db):
    for old, new in (
        ('same line\n' * 5000, 'same line\n' * 4000 + 'other\n' * 1000),
        ('a b ' * 3000, 'a c ' * 3000),
        ('x\n\n' * 5000, 'x\n\ny\n' * 3000),
    ):
        d = word_diff(old, new)
        assert ''.join(r.text for r in d.left()) == old
        assert ''.join(r.text for r in d.right()) == new
    d = word_diff('same line\n' * 5000, 'same line\n' * 4000 + 'other\n' * 1000)
    assert d.runs[0] == DiffRun('equal', 'same line\n' * 4000)


def test_word_diff_matches_sentences_inside_a_long_paragraph(db):
    sentences = [f'Sentence number {i} talks about topic {i % 7}.' for i in range(400)]
    old = ' '.join(sentences)
    new = old.replace('Sentence number 200 talks', 'Sentence number 200 speaks')
    d = word_diff(old, new)
    assert [(r.op, r.text) for r in d.runs if r.op != 'equal'] == [('delete', 'talks'), ('insert', 'speaks')]
