"""Exports: lossless JSON (export → import into an empty library → identical) and Obsidian-ready Markdown."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml
from peewee import ForeignKeyField

from app.data import agents, exporters, lookups, outputs, prompts, relations
from app.data import db as dbmod
from app.data.conversations import add_message, create_conversation
from app.data.exporters import JUNCTION_MODELS, LOOKUP_MODELS, export_json, export_markdown, safe_name, table
from app.data.importers import import_path
from app.data.models import (
    Agent,
    AgentVersion,
    ApiToken,
    Conversation,
    Device,
    LlmModel,
    Message,
    Output,
    Prompt,
    PromptVersion,
    SensitivityLevel,
    Tag,
)

from .export_builders import FIXTURES, branched_conversation, write_json

CONTENT = [Prompt, PromptVersion, Agent, AgentVersion, Conversation, Message, Output]


def canonical() -> dict[str, list[dict]]:
    """Every exported table as sorted rows; lookups by name (their ids may differ), content by id."""
    natural: dict[str, dict[int, object]] = {}
    for model in LOOKUP_MODELS:
        keys = {}
        for row in model.select():
            if model is LlmModel:
                keys[row.id] = (row.provider.name, row.name)
            elif model.__name__ == 'ProviderSetting':
                keys[row.id] = (row.provider.name,)
            else:
                keys[row.id] = row.name
        natural[table(model)] = keys
    out = {}
    for model in LOOKUP_MODELS + CONTENT + JUNCTION_MODELS:
        rows = []
        for row in model.select().dicts():
            row = dict(row)
            if model in LOOKUP_MODELS:
                row.pop('id')
            for f in model._meta.sorted_fields:
                if (
                    isinstance(f, ForeignKeyField)
                    and table(f.rel_model) in natural
                    and row.get(f.name) is not None
                ):
                    row[f.name] = natural[table(f.rel_model)][row[f.name]]
            rows.append(row)
        out[table(model)] = sorted(rows, key=repr)
    return out


def build_library(tmp_path: Path) -> None:
    """A small library touching every kind of entity, relation, version and text."""
    import_path(FIXTURES / 'LibreChat__chatgpt-export.json')
    import_path(write_json(tmp_path / 'branch.json', [branched_conversation()]))
    gpt = lookups.find_model('gpt-4o')
    agent = agents.create_agent(
        'Reviewer', 'You review code.', model=gpt, temperature=0.2, params={'seed': 7}
    )
    agents.new_version(agent.id, system_prompt='You review code, kindly.', note='softer')
    prompt = prompts.create_prompt('Summarise', 'Summarise {{text}} in {{n}} bullets.', description='d')
    prompts.new_version(prompt.id, 'Summarise {{text}} in {{n}} short bullets.', note='shorter')
    conv = create_conversation('Manual chat', model=gpt)
    user = add_message(conv, 'user', 'Hello ünïcode ✓ "quotes" \\ back')
    reply = add_message(conv, 'assistant', 'Hi!', model=gpt, input_tokens=3, output_tokens=2, cost=0.001)
    add_message(conv, 'assistant', 'Hi, regenerated', parent=user, model=gpt)
    a = outputs.capture_output(
        outputs.CaptureData(
            body='# Answer\n\nBody with `code`.',
            prompt='Summarise this',
            model='gpt-4o',
            agent_id=agent.id,
            tags=['python', 'Planning'],
            collections=['Work', 'Archive'],
            category='Coding',
            rating=4,
            favourite=True,
            notes='my notes',
            conversation_id=conv.id,
            message_id=reply.id,
            input_tokens=10,
            output_tokens=20,
            cost=0.5,
        )
    )
    b = outputs.capture_output(outputs.CaptureData(body='Second output', tags=['python']))
    relations.link_outputs(a.id, b.id)
    relations.add_tags('prompt', [prompt.id], [Tag.get(Tag.name == 'python').id])
    relations.add_to_collection('agent', [agent.id], lookups.get_or_create('collection', 'Work').id)
    relations.add_tags('conversation', [conv.id], [Tag.get(Tag.name == 'Planning').id])
    Tag.update(color='#ff0000').where(Tag.name == 'python').execute()
    SensitivityLevel.update(description='edited by the user').where(
        SensitivityLevel.name == 'Public'
    ).execute()
    Output.update(deleted_at=Output.created_at).where(
        Output.id == b.id
    ).execute()  # in the trash: still exported
    ApiToken.create(name='phone', token_hash='h' * 64, prefix='ohk_')
    Device.create(name='Pixel')


def test_json_round_trip_into_an_empty_library_is_identical(db, tmp_path, db_path):
    build_library(tmp_path)
    before = canonical()
    report = export_json(tmp_path / 'out', include_secret=True)
    text = Path(report.path).read_text(encoding='utf-8')
    assert 'h' * 64 not in text and 'Pixel' not in text  # token hashes and devices never leave
    assert (
        report.counts['conversation'] == 4 and report.counts['output'] == 2 and report.counts['prompt'] >= 2
    )

    dbmod.close()
    dbmod.connect(tmp_path / 'restored.db')
    result = import_path(report.path)
    assert result.format == 'outputhub' and not result.errors and result.skipped == 0
    assert canonical() == before

    again = import_path(report.path)  # idempotent: nothing added the second time
    assert (again.conversations_added, again.messages_added) == (0, 0)
    assert not {k: v for k, v in again.entities.items() if v}
    assert canonical() == before


def test_json_import_into_a_library_that_has_content_merges_without_duplicates(db, tmp_path):
    build_library(tmp_path)
    report = export_json(tmp_path / 'out')
    dbmod.close()
    dbmod.connect(tmp_path / 'other.db')
    outputs.capture_output(outputs.CaptureData(body='Already here', tags=['python']))
    import_path(report.path)
    assert Output.select().count() == 3
    assert Tag.select().where(Tag.name == 'python').count() == 1
    linked = Output.get(Output.body == '# Answer\n\nBody with `code`.')
    assert linked.message.content == 'Hi!' and linked.conversation.title == 'Manual chat'
    assert linked.prompt_version.prompt.title
    assert import_path(report.path).entities.get('outputs', 0) == 0


def test_demo_library_round_trip(db, tmp_path):
    demo = pytest.importorskip('app.data.demo')
    demo.seed(outputs=60)
    before = canonical()
    report = export_json(tmp_path, include_secret=True)
    dbmod.close()
    dbmod.connect(tmp_path / 'restored.db')
    import_path(report.path)
    assert canonical() == before


def test_secret_items_are_left_out_unless_asked(db, tmp_path):
    build_library(tmp_path)
    secret = SensitivityLevel.get(SensitivityLevel.name == 'Secret')
    assert secret.restricted
    hidden_out = outputs.capture_output(
        outputs.CaptureData(body='the launch codes', sensitivity_id=secret.id, tags=['python'])
    )
    conv = Conversation.get(Conversation.title == 'Manual chat')
    Conversation.update(sensitivity=secret.id).where(Conversation.id == conv.id).execute()

    plain = export_json(tmp_path / 'plain')
    text = Path(plain.path).read_text(encoding='utf-8')
    assert 'the launch codes' not in text and 'Hi, regenerated' not in text
    assert plain.left_out_secret == 2
    records = json.loads(text)['records']
    assert not [r for r in records if r['type'] == 'output_tag' and r['output'] == hidden_out.id]

    full = export_json(tmp_path / 'full', include_secret=True)
    assert 'the launch codes' in Path(full.path).read_text(encoding='utf-8') and full.left_out_secret == 0

    md = export_markdown(tmp_path / 'md')
    all_text = '\n'.join(p.read_text(encoding='utf-8') for p in Path(md.path).rglob('*.md'))
    assert 'the launch codes' not in all_text and 'Manual chat' not in all_text
    md_all = export_markdown(tmp_path / 'md2', include_secret=True)
    assert 'the launch codes' in '\n'.join(
        p.read_text(encoding='utf-8') for p in Path(md_all.path).rglob('*.md')
    )


def _front_matter(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding='utf-8')
    m = re.match(r'^---\n(.*?)\n---\n(.*)$', text, re.S)
    assert m, path
    return yaml.safe_load(m.group(1)), m.group(2)


def test_markdown_notes_have_front_matter_links_and_collection_folders(db, tmp_path):
    build_library(tmp_path)
    Output.update(deleted_at=None).execute()
    report = export_markdown(tmp_path / 'md')
    root = Path(report.path)
    assert report.counts == {'prompts': 2, 'agents': 1, 'conversations': 4, 'outputs': 2}
    answer = next(root.rglob('Answer (o*.md'))
    assert answer.parent.parent.name in ('Work', 'Archive') and answer.parent.name == 'Outputs'
    meta, body = _front_matter(answer)
    assert meta['type'] == 'output' and meta['outputhub_id'].startswith('output/')
    assert meta['model'] == 'gpt-4o' and meta['rating'] == 4 and meta['favourite'] is True
    assert sorted(meta['tags']) == ['Planning', 'python'] and sorted(meta['collections']) == [
        'Archive',
        'Work',
    ]
    assert (
        meta['conversation']
        == f'[[Manual chat (c{Conversation.get(Conversation.title == "Manual chat").id})]]'
    )
    assert meta['related'] and meta['related'][0].startswith('[[Second output (o')
    assert meta['agent'].startswith('[[Reviewer (a') and meta['agent_version'] == 2
    assert isinstance(meta['created'], str) or meta['created']
    assert body.startswith('\n# Answer') and 'my notes' in body

    web = next(root.rglob('Conversation 1. Web Search (c*.md'))
    assert web.parent.parent.name == 'Unfiled'
    meta, body = _front_matter(web)
    assert meta['source'] == 'ChatGPT export' and meta['source_id'] == 'd6523d1e-7ec3-474f-a363-0e9dffdb3d93'
    assert '## User' in body and 'What is the fuel consumption of vw' in body
    assert '> [!abstract]- Tool · tether quote' in body  # tool traffic folded away, still in the note
    branchy = next(root.rglob('Branchy (c*.md'))
    assert _front_matter(branchy)[0]['branches'] == 3
    assert (root / 'Work' / 'Work.md').exists()
    for path in root.rglob('*.md'):
        _front_matter(path)  # every note's front matter is valid YAML


@pytest.mark.parametrize(
    ('name', 'expected'),
    [
        ('a/b\\c:d*e?f"g<h>i|j', 'a b c d e f g h i j'),
        ('  ..hidden. ', 'hidden'),
        ('CON', '_CON'),
        ('', 'Untitled'),
        ('Tag #1 [draft] ^x', 'Tag 1 draft x'),
        ('x' * 200, 'x' * 80),
        ('tab\tand\nnewline', 'tab and newline'),
    ],
)
def test_safe_file_names(name, expected):
    assert safe_name(name) == expected


def test_markdown_titles_that_are_paths_stay_inside_the_export(db, tmp_path):
    outputs.capture_output(outputs.CaptureData(title='../../etc/passwd', body='x'))
    outputs.capture_output(outputs.CaptureData(title='/absolute', body='y'))
    report = export_markdown(tmp_path / 'md')
    root = Path(report.path).resolve()
    files = list(root.rglob('*.md'))
    assert len(files) == 2 and all(root in p.resolve().parents for p in files)
    assert not (tmp_path / 'etc').exists()


def test_export_is_a_consistent_snapshot_while_another_connection_writes(db, tmp_path, db_path):
    import threading

    build_library(tmp_path)
    stop = threading.Event()

    written = []

    def writer():
        while not stop.is_set():
            written.append(
                outputs.capture_output(
                    outputs.CaptureData(body=f'concurrent {len(written)}', tags=['python'])
                )
            )
        dbmod.current().close()

    t = threading.Thread(target=writer)
    t.start()
    try:
        report = export_json(tmp_path / 'out', include_secret=True)
    finally:
        stop.set()
        t.join()
    data = json.loads(Path(report.path).read_text(encoding='utf-8'))
    ids = {r['id'] for r in data['records'] if r['type'] == 'output'}
    tagged = {r['output'] for r in data['records'] if r['type'] == 'output_tag'}
    assert written  # the other connection really wrote meanwhile
    assert tagged <= ids  # no relation to an output the snapshot does not hold
    assert data['format'] == exporters.FORMAT and data['version'] == 1


def test_dry_run_of_a_json_export_writes_nothing_and_counts_like_the_real_import(db, tmp_path):
    build_library(tmp_path)
    report = export_json(tmp_path / 'out')
    dbmod.close()
    dbmod.connect(tmp_path / 'fresh.db')
    empty = canonical()
    dry = import_path(report.path, dry_run=True)
    assert canonical() == empty
    real = import_path(report.path)
    assert (dry.conversations_added, dry.messages_added) == (real.conversations_added, real.messages_added)
    assert dry.entities['outputs'] == real.entities['outputs'] == 2
    assert dry.entities['prompts'] == real.entities['prompts']


def _add_items(n: int) -> None:
    """``n`` more of each kind, each with versions, messages, a branch, a tag and a collection."""
    gpt = lookups.find_model('gpt-4o')
    work = lookups.get_or_create('collection', 'Work').id
    for i in range(n):
        prompt = prompts.create_prompt(f'Prompt {i}', f'Say {i}')
        prompts.new_version(prompt.id, f'Say {i} twice')
        agent = agents.create_agent(f'Agent {i}', f'You are {i}.', model=gpt)
        conv = create_conversation(f'Chat {i}', model=gpt)
        question = add_message(conv, 'user', f'Question {i}')
        add_message(conv, 'assistant', f'Answer {i}', model=gpt)
        add_message(conv, 'assistant', f'Another answer {i}', parent=question, model=gpt)
        out = outputs.capture_output(
            outputs.CaptureData(body=f'Output {i}', tags=['python'], conversation_id=conv.id)
        )
        relations.add_tags('prompt', [prompt.id], [Tag.get(Tag.name == 'python').id])
        relations.add_to_collection('agent', [agent.id], work)
        relations.add_to_collection('output', [out.id], work)


def _markdown_queries(out: Path) -> int:
    statements: list[str] = []
    con = dbmod.current().connection()
    con.set_trace_callback(statements.append)
    try:
        export_markdown(out)
    finally:
        con.set_trace_callback(None)
    return sum(1 for s in statements if s.lstrip().upper().startswith(('SELECT', 'WITH')))


def test_markdown_export_reads_each_kind_in_a_bounded_number_of_queries(db, tmp_path):
    _add_items(3)
    few = _markdown_queries(tmp_path / 'few')
    _add_items(27)
    many = _markdown_queries(tmp_path / 'many')
    assert len(list(Path(tmp_path / 'many').rglob('*.md'))) > 120
    assert many == few, (few, many)  # per kind and relation, not per item
