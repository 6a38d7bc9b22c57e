"""Demo data: deterministic, every table filled, relations that make sense, safe to re-run."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import peewee
import pytest

from app.data import db as dbmod
from app.data import demo
from app.data.demo_content import AGENTS, GENERIC_TAGS, PROMPTS, TOPICS
from app.data.models import (
    CORE_MODELS,
    Agent,
    AgentVersion,
    AppSetting,
    Category,
    Conversation,
    LlmModel,
    Message,
    Output,
    OutputLink,
    OutputTag,
    Prompt,
    PromptVersion,
    SensitivityLevel,
    Tag,
)
from app.data.text import body_hash
from app.errors import ValidationError


def _dump(db: peewee.Database) -> dict[str, list[tuple]]:
    """Every ordinary table, row by row, in primary-key order."""
    names = [
        name
        for (name,) in db.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND sql NOT LIKE 'CREATE VIRTUAL%' ORDER BY name"
        )
    ]
    return {name: sorted(db.execute_sql(f'SELECT * FROM "{name}"').fetchall(), key=repr) for name in names}


def _fresh(path: Path) -> dbmod.HubDatabase:
    dbmod.close()
    return dbmod.connect(path)


@pytest.fixture(scope='module')
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo database shared by the read-only checks (seeding it takes a moment)."""
    path = tmp_path_factory.mktemp('demo') / 'demo.db'
    demo.ensure_demo_database(path)
    dbmod.close()
    return path


@pytest.fixture
def seeded(demo_db: Path):
    database = dbmod.connect(demo_db)
    yield database
    database.close()


# --------------------------------------------------------------------------- determinism


def test_two_demo_databases_are_identical_row_by_row(demo_db: Path, tmp_path: Path):
    first = _dump(dbmod.connect(demo_db))
    dbmod.close()
    demo.ensure_demo_database(tmp_path / 'again.db')
    second = _dump(dbmod.current())
    assert first.keys() == second.keys()
    for table in first:
        if table == 'schema_migration':  # records when each migration ran
            continue
        if table == 'app_setting':  # the search index stamps each file with its own random uid
            first[table] = [r for r in first[table] if r[0] != 'embedding_index']
            second[table] = [r for r in second[table] if r[0] != 'embedding_index']
        assert first[table] == second[table], table
    assert len(first['output']) == demo.DEMO_OUTPUTS


def test_same_seed_same_rows_and_another_seed_differs(tmp_path: Path):
    added = {}
    for name, seed in (('a', 7), ('b', 7), ('c', 8)):
        db = _fresh(tmp_path / f'{name}.db')
        counts = demo.seed(outputs=150, conversations=40, seed=seed)
        assert counts['outputs'] == 150 and counts['conversations'] == 40
        added[name] = {t: rows for t, rows in _dump(db).items() if t in ('output', 'message', 'conversation')}
    assert added['a'] == added['b']
    assert added['a']['output'] != added['c']['output']
    assert [r[0] for r in added['a']['output']] == [
        r[0] for r in added['c']['output']
    ]  # same size, other data


def test_timestamps_come_from_the_reference_date_not_the_clock(seeded):
    latest = max(
        Output.select(peewee.fn.max(Output.created_at)).scalar(),
        Message.select(peewee.fn.max(Message.created_at)).scalar(),
        Conversation.select(peewee.fn.max(Conversation.updated_at)).scalar(),
    )
    earliest = Output.select(peewee.fn.min(Output.created_at)).scalar()
    assert isinstance(latest, datetime)
    assert latest <= demo.REFERENCE_DATE
    assert (demo.REFERENCE_DATE - earliest).days > 600  # spread over about two years


# --------------------------------------------------------------------------- completeness


def test_every_table_has_at_least_ten_rows(seeded):
    """Every table of the schema (models.py); search and embedding tables belong to their indexers."""
    tables = {m._meta.table_name: m for m in CORE_MODELS if m is not AppSetting}
    short = {name: m.select().count() for name, m in tables.items() if m.select().count() < 10}
    assert short == {}


def test_demo_has_the_interesting_cases(seeded):
    secret = SensitivityLevel.get(SensitivityLevel.name == 'Secret')
    assert Output.select().where(Output.sensitivity == secret).count() >= 1
    assert Output.select().where(Output.favourite).count() >= 5
    assert Output.select().where(Output.notes.is_null(False)).count() >= 5
    assert Output.select().where(Output.deleted_at.is_null(False)).count() >= 1  # the trash has something
    assert Message.select().where((Message.role == 'tool') & Message.hidden).count() >= 1
    assert Message.select().where(Message.role == 'system').count() >= 1
    branched = (
        Message.select(Message.parent)
        .where(Message.parent.is_null(False))
        .group_by(Message.parent)
        .having(peewee.fn.count(Message.id) > 1)
    )
    assert branched.count() >= 3
    assert Output.select().where(Output.message.is_null(False)).count() >= 50
    assert Output.select().where(Output.prompt_version.is_null(False)).count() >= 50
    assert Output.select().where(Output.agent_version.is_null(False)).count() >= 30
    assert Conversation.select().where(Conversation.agent_version.is_null(False)).count() >= 5
    used = {
        name
        for (name,) in LlmModel.select(LlmModel.name).join(Output, on=Output.model == LlmModel.id).tuples()
    }
    assert {'gpt-4o', 'claude-sonnet-4-5'} <= used


def test_prompt_bodies_use_template_variables(seeded):
    bodies = [b for (b,) in PromptVersion.select(PromptVersion.body).tuples()]
    assert sum('{{' in b for b in bodies) >= 10


# --------------------------------------------------------------------------- coherence


def test_output_tags_match_the_topic_of_their_category(seeded):
    allowed: dict[str, set[str]] = defaultdict(set)
    for topic in TOPICS:
        allowed[topic.category].update(topic.tags)
    rows = (
        OutputTag.select(Category.name, Tag.name)
        .join(Output, on=OutputTag.output == Output.id)
        .join(Category, on=Output.category == Category.id)
        .switch(OutputTag)
        .join(Tag, on=OutputTag.tag == Tag.id)
        .tuples()
    )
    wrong = [(cat, tag) for cat, tag in rows if tag not in allowed[cat] | set(GENERIC_TAGS)]
    assert wrong == []
    assert Output.select().where(Output.category.is_null()).count() == 0
    untagged = Output.select().where(~Output.id.in_(OutputTag.select(OutputTag.output))).count()
    assert untagged == 0


def test_related_outputs_share_a_category(seeded):
    a, b = Output.alias(), Output.alias()
    pairs = (
        OutputLink.select(a.category, b.category)
        .join(a, on=OutputLink.a == a.id)
        .switch(OutputLink)
        .join(b, on=OutputLink.b == b.id)
        .tuples()
    )
    pairs = list(pairs)
    assert pairs and all(x == y for x, y in pairs)


def test_conversation_trees_are_consistent(seeded):
    messages = list(
        Message.select(Message.id, Message.conversation, Message.parent, Message.created_at).tuples()
    )
    by_id = {m[0]: m for m in messages}
    children: dict[int, int] = defaultdict(int)
    per_conv: dict[int, int] = defaultdict(int)
    for mid, conv, parent, _created in messages:
        per_conv[conv] += 1
        if parent is not None:
            children[parent] += 1
            assert by_id[parent][1] == conv  # a parent lives in the same conversation
            assert parent < mid and by_id[parent][3] <= by_id[mid][3]
    for cid, leaf, count in Conversation.select(
        Conversation.id, Conversation.active_leaf, Conversation.message_count
    ).tuples():
        assert count == per_conv[cid] > 0
        assert leaf is not None and by_id[leaf][1] == cid
        assert children[leaf] == 0  # the active leaf is a leaf
        assert Message.get_by_id(leaf).role == 'assistant'
        depth, node = 0, leaf
        while node is not None:  # the active path climbs to a root without cycles
            node, depth = by_id[node][2], depth + 1
            assert depth <= count


def test_outputs_agree_with_the_message_and_versions_they_came_from(seeded):
    query = Output.select().where(Output.message.is_null(False))
    for out in query:
        msg = out.message
        assert msg.role == 'assistant' and not msg.hidden
        assert out.body == msg.content
        assert out.conversation_id == msg.conversation_id
        assert out.model_id == msg.model_id
        assert (out.input_tokens, out.output_tokens, out.cost) == (
            msg.input_tokens,
            msg.output_tokens,
            msg.cost,
        )
        assert out.created_at >= msg.created_at
    for out in Output.select().where(Output.agent_version.is_null(False)):
        assert out.model_id == out.agent_version.model_id
    for out in Output.select().where(Output.prompt_version.is_null(False)):
        assert out.prompt_version.created_at <= out.created_at
    for out in Output.select(Output.body, Output.body_hash):
        assert out.body_hash == body_hash(out.body)


def test_costs_equal_tokens_times_model_prices(seeded):
    prices = {m.id: (m.input_price, m.output_price) for m in LlmModel.select()}
    checked = 0
    for model in (Output, Message):
        rows = model.select(model.model, model.input_tokens, model.output_tokens, model.cost).where(
            model.cost.is_null(False)
        )
        for mid, tin, tout, cost in rows.tuples():
            pin, pout = prices[mid]
            assert cost == pytest.approx((tin * pin + tout * pout) / 1_000_000, abs=1e-8)
            assert 0 < tout < 5000 and 0 < tin < 200_000
            checked += 1
    assert checked > 500


def test_versions_are_numbered_one_to_n_and_current_is_the_last(seeded):
    for parent, version, fk, size in (
        (Prompt, PromptVersion, PromptVersion.prompt, len(PROMPTS)),
        (Agent, AgentVersion, AgentVersion.agent, len(AGENTS)),
    ):
        assert parent.select().count() == size
        for item in parent.select():
            versions = list(version.select().where(fk == item.id).order_by(version.number))
            assert [v.number for v in versions] == list(range(1, len(versions) + 1))
            assert item.current_version_id == versions[-1].id
            times = [v.created_at for v in versions]
            assert times == sorted(times)
        assert version.select().count() > size  # several versions each, with change notes
        assert version.select().where(version.note.is_null(False)).count() == version.select().count()
    for av in AgentVersion.select():
        assert av.model_id is not None and av.system_prompt


def test_prompts_are_searchable_with_their_current_body(seeded):
    if not seeded.table_exists('prompt_fts'):
        pytest.skip('no keyword search index in this schema')
    rows = seeded.execute_sql('SELECT body FROM prompt_fts').fetchall()
    assert len(rows) == len(PROMPTS) and all(body for (body,) in rows)


def test_nothing_in_the_demo_is_due_for_the_retention_purge(seeded):
    """The app purges expired items on start; a demo dated in the past must not lose half its content."""
    from datetime import timedelta

    from app.data import retention

    soon = retention.preview(now=demo.REFERENCE_DATE + timedelta(days=59))
    assert soon.total == 0, soon.by_plan()
    plans = retention.effective_plans('output', [o.id for o in Output.select(Output.id)])
    assert sum(p is not None and p.days is not None for p in plans.values()) >= 20  # plans are there


def test_provider_settings_hold_no_keys(seeded):
    assert (
        seeded.execute_sql('SELECT count(*) FROM provider_setting WHERE key_ref IS NOT NULL').fetchone()[0]
        == 0
    )
    names = {n for (n,) in seeded.execute_sql('SELECT name FROM provider')}
    assert {'Mistral', 'Groq', 'OpenRouter', 'Ollama', 'LM Studio'} <= names


# --------------------------------------------------------------------------- templates


def test_every_template_renders_for_its_topic(db):
    gen = demo._Generator(db, 1)
    gen.fixtures()
    for topic in TOPICS:
        ctx = gen._context(topic, -86400)
        strings = [*topic.titles, *topic.asks, *topic.followups, *topic.headings, *topic.intros]
        strings += [*topic.points, *topic.outros, *topic.notes]
        if topic.table:
            strings += [*topic.table[0], *topic.table[1]]
        if topic.code:
            strings += list(topic.code[1])
        if topic.tool:
            strings += list(topic.tool[1])
        for text in strings:
            rendered = text.format_map(ctx)  # a placeholder the context lacks raises KeyError
            assert not re.search(r'\{[a-z_0-9]+\}', rendered), rendered
    for _key, topic_key, _title, _desc, base, additions in PROMPTS:
        topic = next(t for t in TOPICS if t.key == topic_key)
        body = base + ''.join(a for a, _n in additions)
        for _ in range(5):
            filled = gen._fill_prompt(body, gen._context(topic, -86400))
            assert '{{' not in filled, filled
            for name in re.findall(r'\{\{\s*(\w+)', body):
                assert f'[{name}]' not in filled, (topic_key, name)


# --------------------------------------------------------------------------- re-runs and safety


def test_seeding_twice_adds_content_but_no_duplicate_lookups(db):
    first = demo.seed(outputs=40)
    second = demo.seed(outputs=40)
    assert first['prompts'] == len(PROMPTS) and second['prompts'] == 0
    assert second['tags'] == second['models'] == second['api_tokens'] == 0
    assert second['outputs'] == 40
    assert Output.select().count() == 80
    assert Prompt.select().count() == len(PROMPTS)
    external = [
        e
        for (e,) in Conversation.select(Conversation.external_id)
        .where(Conversation.external_id.is_null(False))
        .tuples()
    ]
    assert len(external) == len(set(external))


def test_a_writer_between_chunks_does_not_break_references(db, monkeypatch):
    """Ids are predicted ahead of the insert; another writer taking ids in between must be survived."""
    from app.data import outputs

    monkeypatch.setattr(demo, 'CHUNK_UNITS', 60)
    shifts = []
    real_shift = demo._shift_ids
    monkeypatch.setattr(
        demo, '_shift_ids', lambda rows, deltas: shifts.append(deltas) or real_shift(rows, deltas)
    )
    calls = []

    def progress(done: int, total: int) -> None:
        calls.append(done)
        if 0 < done < total:
            outputs.capture_output(outputs.CaptureData(body=f'captured meanwhile {done}'))

    counts = demo.seed(outputs=200, conversations=50, progress=progress)
    assert counts['outputs'] == 200 and calls[-1] == 250 and len(calls) > 3
    assert shifts and all(d[2] > 0 for d in shifts)  # the chunks after each capture really moved
    assert Output.select().count() == 200 + len(calls) - 2
    for out in Output.select().where(Output.message.is_null(False)):
        assert out.message.content == out.body and out.message.conversation_id == out.conversation_id
    for conv in Conversation.select():
        assert Message.get_by_id(conv.active_leaf_id).conversation_id == conv.id
        assert Message.select().where(Message.conversation == conv.id).count() == conv.message_count


def test_zero_outputs_and_bad_sizes(db):
    counts = demo.seed(outputs=0)
    assert counts['outputs'] == counts['conversations'] == 0 and counts['prompts'] == len(PROMPTS)
    only_chats = demo.seed(outputs=0, conversations=5)
    assert only_chats['conversations'] == 5 and only_chats['messages'] >= 10
    with pytest.raises(ValidationError):
        demo.seed(outputs=-1)
    with pytest.raises(ValidationError):
        demo.seed(outputs=5, conversations=-2)


def test_ensure_demo_database_seeds_only_once(tmp_path: Path):
    path = tmp_path / 'demo.db'
    demo.ensure_demo_database(path)
    count = Output.select().count()
    Output.update(title='edited by the user').where(Output.id == 1).execute()
    dbmod.close()
    demo.ensure_demo_database(path)
    assert Output.select().count() == count
    assert Output.get_by_id(1).title == 'edited by the user'


def test_interrupted_demo_seeding_starts_over(tmp_path: Path, monkeypatch):
    path = tmp_path / 'demo.db'

    real_seed = demo.seed

    def killed_half_way(*args, **kwargs):
        real_seed(outputs=30)  # some rows land, then the process dies
        raise KeyboardInterrupt

    monkeypatch.setattr(demo, 'seed', killed_half_way)
    with pytest.raises(KeyboardInterrupt):
        demo.ensure_demo_database(path)
    dbmod.close()
    monkeypatch.setattr(demo, 'seed', real_seed)
    demo.ensure_demo_database(path)
    assert Output.select().count() == demo.DEMO_OUTPUTS
    assert AppSetting.get_by_id(demo.DEMO_STATE_KEY).value['status'] == 'done'


def test_a_database_with_user_content_is_never_taken_over(tmp_path: Path):
    from app.data import outputs

    path = tmp_path / 'mine.db'
    dbmod.connect(path)
    outputs.capture_output(outputs.CaptureData(body='my own note'))
    dbmod.close()
    demo.ensure_demo_database(path)
    assert [o.body for o in Output.select()] == ['my own note']
