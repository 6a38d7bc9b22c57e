"""Dashboard aggregations against a small library whose every number is known."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace

import pytest

from app.data import agents, conversations, dashboard, entities, lookups, outputs
from app.data.models import Source
from app.errors import ValidationError


def capture(body: str, when: str, **kw):
    return outputs.capture_output(
        outputs.CaptureData(body=body, created_at=datetime.fromisoformat(when), **kw)
    )


@pytest.fixture
def lib(db):
    """Two weeks of March 2025 (Mondays 3rd and 10th) plus a trashed output and a trashed conversation."""
    gpt = lookups.find_model('gpt-4o')
    claude = lookups.find_model('claude-sonnet-4-5')
    agent = agents.create_agent('Reviewer', 'You review code.')
    version = agent.current_version_id
    conv = conversations.create_conversation('Chat', created_at=datetime(2025, 3, 4, 9))
    conversations.add_message(conv, 'user', 'hi', created_at=datetime(2025, 3, 4, 9))
    reply = conversations.add_message(
        conv,
        'assistant',
        'hello',
        model=gpt.id,
        agent_version=version,
        input_tokens=10,
        output_tokens=20,
        cost=0.002,
        created_at=datetime(2025, 3, 4, 9, 1),
    )
    gone = conversations.create_conversation('Old chat', created_at=datetime(2025, 3, 11))
    conversations.add_message(
        gone, 'assistant', 'x', model=claude.id, cost=5.0, created_at=datetime(2025, 3, 11)
    )
    entities.trash('conversation', [gone.id])

    a = capture(
        'A',
        '2025-03-03 10:00:00',
        model='gpt-4o',
        tags=['python'],
        prompt='Write a query',
        rating=4,
        agent_id=agent.id,
        input_tokens=100,
        output_tokens=50,
        cost=0.01,
    )
    p1 = a.prompt_version_id
    b = capture(
        'B',
        '2025-03-05 23:59:59',
        model='claude-sonnet-4-5',
        prompt_version_id=p1,
        rating=2,
        input_tokens=1000,
        output_tokens=500,
        cost=0.1,
    )
    # saved from the assistant reply: its tokens are the reply's, already counted once
    saved = capture(
        'Saved reply',
        '2025-03-04 09:05:00',
        model='gpt-4o',
        conversation_id=conv.id,
        message_id=reply.id,
        input_tokens=10,
        output_tokens=20,
        cost=0.002,
    )
    from app.data import prompts

    p2 = prompts.new_version(a.prompt_version.prompt_id, 'Write a better query').id
    c = capture(
        'C',
        '2025-03-12 08:00:00',
        model='gpt-4o',
        tags=['python', 'sql'],
        prompt_version_id=p2,
        rating=5,
        source_kind='chatgpt',
    )
    trashed = capture('D', '2025-03-12 09:00:00', model='claude-sonnet-4-5', tags=['sql'], rating=1, cost=9.0)
    entities.trash('output', [trashed.id])
    return SimpleNamespace(
        gpt=gpt,
        claude=claude,
        agent=agent,
        prompt_id=a.prompt_version.prompt_id,
        p1=p1,
        p2=p2,
        a=a,
        b=b,
        c=c,
        saved=saved,
        python=lookups.find_by_name('tag', 'python'),
        sql=lookups.find_by_name('tag', 'sql'),
    )


def test_weeks_count_captures_messages_tokens_and_cost_once(lib) -> None:
    d = dashboard.dashboard()
    assert [(w.start, w.outputs, w.messages) for w in d.weeks] == [
        (date(2025, 3, 3), 3, 2),  # A, B, the saved reply; both messages of the live chat
        (date(2025, 3, 10), 1, 0),  # C only: D and the trashed chat are left out
    ]
    first = d.weeks[0]
    # A + B (standalone captures) + the reply message; the saved reply adds nothing
    assert (first.input_tokens, first.output_tokens) == (1110, 570)
    assert first.cost == pytest.approx(0.112)
    assert first.end == date(2025, 3, 9)
    assert d.totals['outputs'] == 4 and d.totals['messages'] == 2
    assert d.totals['cost'] == pytest.approx(0.112)
    assert not d.empty


def test_models_and_providers(lib) -> None:
    d = dashboard.dashboard()
    by_model = {m.label: (m.outputs, m.messages, m.tokens, m.cost) for m in d.models}
    assert by_model == {
        'GPT-4o': (3, 1, 150 + 30, pytest.approx(0.012)),
        'Claude Sonnet 4.5': (1, 0, 1500, pytest.approx(0.1)),
    }
    assert [m.label for m in d.models] == ['GPT-4o', 'Claude Sonnet 4.5']  # most used first
    providers = {p.name: (p.outputs, p.messages, p.model_ids) for p in d.providers}
    assert providers['OpenAI'][:2] == (3, 1) and lib.gpt.id in providers['OpenAI'][2]
    assert providers['Anthropic'] == (1, 0, [lib.claude.id])


def test_ratings_by_prompt_version(lib) -> None:
    ratings = dashboard.dashboard().ratings
    assert [(r.version_id, r.number, r.rated, r.average) for r in ratings] == [
        (lib.p1, 1, 2, 3.0),
        (lib.p2, 2, 1, 5.0),
    ]
    assert ratings[0].label == 'Write a query · v1' and ratings[0].prompt_id == lib.prompt_id


def test_most_used_tags_and_agents(lib) -> None:
    d = dashboard.dashboard()
    assert [(t.id, t.label, t.outputs) for t in d.tags] == [
        (lib.python.id, 'python', 2),
        (lib.sql.id, 'sql', 1),
    ]
    assert [(a.id, a.label, a.outputs, a.messages) for a in d.agents] == [(lib.agent.id, 'Reviewer', 1, 1)]


def test_sources(lib) -> None:
    rows = {s.kind: (s.outputs, s.conversations) for s in dashboard.dashboard().sources}
    manual = Source.get(Source.kind == 'manual')
    # the two conversations were created without a source; the trashed output is not counted
    assert rows == {'manual': (3, 0), 'chatgpt': (1, 0)}
    conversations.create_conversation('Imported', source=manual.id, created_at=datetime(2025, 3, 6))
    rows = {s.kind: (s.outputs, s.conversations) for s in dashboard.dashboard().sources}
    assert rows['manual'] == (3, 1)


def test_the_date_range_applies_to_every_chart(lib) -> None:
    d = dashboard.dashboard(date(2025, 3, 10), date(2025, 3, 16))
    assert [(w.start, w.outputs, w.messages) for w in d.weeks] == [(date(2025, 3, 10), 1, 0)]
    assert [(m.label, m.outputs) for m in d.models] == [('GPT-4o', 1)]
    assert [r.version_id for r in d.ratings] == [lib.p2]
    assert {t.label for t in d.tags} == {'python', 'sql'}
    assert d.agents == []
    assert [(s.kind, s.outputs) for s in d.sources] == [('chatgpt', 1)]
    # both ends are inclusive, by day: 23:59:59 on the last day counts
    d = dashboard.dashboard(date(2025, 3, 5), date(2025, 3, 5))
    assert d.totals['outputs'] == 1 and d.models[0].label == 'Claude Sonnet 4.5'


def test_a_range_pads_empty_weeks_so_the_time_axis_is_honest(lib) -> None:
    d = dashboard.dashboard(date(2025, 2, 24), date(2025, 3, 23))
    assert [(w.start, w.outputs) for w in d.weeks] == [
        (date(2025, 2, 24), 0),
        (date(2025, 3, 3), 3),
        (date(2025, 3, 10), 1),
        (date(2025, 3, 17), 0),
    ]
    empty = dashboard.dashboard(date(2030, 1, 1), date(2030, 1, 14))
    assert empty.empty and [w.outputs for w in empty.weeks] == [0, 0, 0]
    assert dashboard.dashboard(date(1900, 1, 1)).weeks[0].start == date(2025, 3, 3)  # no 6,000 empty bars


def test_empty_library(db) -> None:
    d = dashboard.dashboard()
    assert d.empty and d.weeks == [] and d.models == [] and d.tags == [] and d.sources == []


def test_start_after_end_is_refused(db) -> None:
    with pytest.raises(ValidationError, match='start date is after the end date'):
        dashboard.dashboard(date(2025, 2, 1), date(2025, 1, 1))


def test_queries_use_the_dashboard_indexes(lib) -> None:
    """Without these indexes the dashboard reads every row of 1M messages (seconds, not milliseconds)."""
    from app.data import db as dbmod

    database = dbmod.current()
    cond, params = dashboard.Period(date(2025, 1, 1), None).sql()
    for table, sql in (
        (
            'message',
            f'SELECT {dashboard.DAY}, model_id, agent_version_id, count(*), sum(input_tokens) '
            f'{dashboard._MESSAGES}{cond} GROUP BY 1, 2, 3',
        ),
        (
            'output',
            f'SELECT {dashboard.DAY}, model_id, agent_version_id, count(*), sum(cost) '
            f'{dashboard._OUTPUTS}{cond} GROUP BY 1, 2, 3',
        ),
    ):
        plan = ' '.join(str(r[-1]) for r in database.execute_sql('EXPLAIN QUERY PLAN ' + sql, params))
        assert f'SEARCH {table} USING INDEX {table}_dashboard' in plan or 'COVERING INDEX' in plan, plan
        assert 'TEMP B-TREE' not in plan, plan  # grouped in index order: no sort of a million rows
