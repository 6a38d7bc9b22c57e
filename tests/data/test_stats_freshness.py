"""The stored graph degrees and dashboard totals stay equal to a full recount through any sequence of
edits (capture, tag, link, trash, restore, delete forever, messages, lookups deleted)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest

from app.data import agents, conversations, dashboard, entities, graph, lookups, outputs, relations
from app.data import db as dbmod
from app.data.models import Agent, Conversation, Output, Prompt, Tag

TAGS = ['python', 'sql', 'rust', 'email', 'ideas']
COLLECTIONS = ['Work', 'Home']
MODELS = ['gpt-4o', 'claude-sonnet-4-5', 'gpt-5', None]
START = datetime(2025, 1, 6, 12)


def stored_degrees() -> dict[tuple[str, int], int]:
    return {
        (k, i): n
        for k, i, n in dbmod.current().execute_sql('SELECT kind, id, degree FROM graph_degree').fetchall()
    }


def stored_stats() -> dict[str, list[tuple]]:
    database = dbmod.current()
    out = {}
    for key, spec in dashboard._STAT_TABLES.items():
        table, columns = spec.split(' ', 1)
        rows = database.execute_sql(f'SELECT {columns[1:-1]} FROM {table}').fetchall()
        out[key] = normalise(rows)
    return out


def normalise(rows: list[tuple]) -> list[tuple]:
    return sorted((tuple(round(v, 9) if isinstance(v, float) else v for v in r) for r in rows), key=repr)


def ids(model) -> list[int]:
    return [r.id for r in model.select(model.id)]


class Library:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.agent = agents.create_agent('Reviewer', 'You review.')
        self.when = START

    def day(self) -> datetime:
        return START + timedelta(days=self.rng.randrange(40), minutes=self.rng.randrange(600))

    def pick(self, model, **where):
        q = model.select(model.id)
        for name, value in where.items():
            q = q.where(getattr(model, name) == value)
        found = [r.id for r in q]
        return self.rng.choice(found) if found else None

    # ------------------------------------------------------------------ operations
    def capture(self) -> None:
        r = self.rng
        conv = self.pick(Conversation)
        outputs.capture_output(
            outputs.CaptureData(
                body=f'Body {r.random()}',
                tags=r.sample(TAGS, r.randrange(3)),
                collections=r.sample(COLLECTIONS, r.randrange(2)),
                prompt=r.choice(['', 'Write a query', 'Draft an email']),
                agent_id=self.agent.id if r.random() < 0.3 else None,
                conversation_id=conv if r.random() < 0.3 else None,
                model=r.choice(MODELS),
                rating=r.choice([None, 1, 3, 5]),
                input_tokens=r.choice([None, 100]),
                output_tokens=r.choice([None, 40]),
                cost=r.choice([None, 0.25]),
                source_kind=r.choice(['manual', 'chatgpt']),
                created_at=self.day(),
            )
        )

    def chat(self) -> None:
        conv = conversations.create_conversation('Chat', created_at=self.day())
        for _ in range(self.rng.randrange(1, 4)):
            conversations.add_message(
                conv,
                'assistant',
                'hi',
                model=lookups.find_model('gpt-4o').id,
                agent_version=self.agent.current_version_id if self.rng.random() < 0.5 else None,
                input_tokens=10,
                cost=0.001,
                created_at=self.day(),
            )

    def tag(self) -> None:
        kind = self.rng.choice(['output', 'conversation', 'prompt', 'agent'])
        model = entities.kind(kind).model
        item = self.pick(model)
        tag = lookups.get_or_create('tag', self.rng.choice(TAGS))
        if item is not None:
            relations.add_tags(kind, [item], [tag.id])

    def untag(self) -> None:
        kind = self.rng.choice(['output', 'conversation', 'prompt', 'agent'])
        item = self.pick(entities.kind(kind).model)
        tag = self.pick(Tag)
        if item is not None and tag is not None:
            relations.remove_tags(kind, [item], [tag])

    def collect(self) -> None:
        kind = self.rng.choice(['output', 'conversation', 'prompt', 'agent'])
        item = self.pick(entities.kind(kind).model)
        if item is not None:
            col = lookups.get_or_create('collection', self.rng.choice(COLLECTIONS))
            relations.add_to_collection(kind, [item], col.id)

    def link(self) -> None:
        a, b = self.pick(Output), self.pick(Output)
        if a and b and a != b:
            if self.rng.random() < 0.7:
                relations.link_outputs(a, b)
            else:
                relations.unlink_outputs(a, b)

    def trash_or_restore(self) -> None:
        kind = self.rng.choice(['output', 'conversation', 'prompt', 'agent'])
        item = self.pick(entities.kind(kind).model)
        if item is None:
            return
        if entities.get_item(kind, item).deleted_at is None:
            entities.trash(kind, [item])
        else:
            entities.restore(kind, [item])

    def delete_forever(self) -> None:
        kind = self.rng.choice(['output', 'conversation'])
        model = entities.kind(kind).model
        trashed = [r.id for r in model.select(model.id).where(model.deleted_at.is_null(False))]
        if trashed:
            entities.delete_forever(kind, [self.rng.choice(trashed)])

    def rate(self) -> None:
        item = self.pick(Output)
        if item is not None:
            entities.update_item('output', item, rating=self.rng.choice([None, 2, 4]))

    def delete_tag(self) -> None:
        tag = self.pick(Tag)
        if tag is not None and self.rng.random() < 0.3:
            lookups.delete('tag', tag)

    OPS = (
        ['capture'] * 4
        + ['chat', 'tag', 'untag', 'collect', 'link', 'trash_or_restore'] * 2
        + [
            'delete_forever',
            'rate',
            'delete_tag',
        ]
    )

    def step(self) -> None:
        getattr(self, self.rng.choice(self.OPS))()


@pytest.mark.parametrize('seed', [1, 2, 3])
def test_stored_numbers_match_a_full_recount_after_any_edits(db, seed) -> None:
    rng = random.Random(seed)
    lib = Library(rng)
    for round_ in range(8):
        for _ in range(12):
            lib.step()
        graph.refresh_degrees()
        expected = {k: n for k, n in graph.compute_all_degrees().items() if n > 0}
        assert stored_degrees() == expected, f'round {round_}'
        dashboard.refresh_stats()
        fresh = {k: normalise(v) for k, v in dashboard.compute_days(None).items()}
        assert stored_stats() == fresh, f'round {round_}'
    assert Output.select().count() > 5 and Prompt.select().exists() and Agent.select().exists()


def test_a_new_database_counts_everything_once(db) -> None:
    outputs.capture_output(outputs.CaptureData(body='x', tags=['a']))
    assert dashboard.needs_full_refresh()  # the migration's "recount everything" mark
    dashboard.refresh_stats()
    assert not dashboard.needs_full_refresh()
    assert dashboard.refresh_stats() == 0  # nothing marked: nothing to do
    entities.trash('output', ids(Output))
    assert dashboard.refresh_stats() == 1  # one day marked by the trash
    assert dashboard.dashboard().totals['outputs'] == 0


def test_marks_written_during_a_refresh_survive_it(db, monkeypatch) -> None:
    """A write between counting and storing keeps its mark, so the next reader sees it."""
    o = outputs.capture_output(outputs.CaptureData(body='x', tags=['a'], created_at=START))
    graph.refresh_degrees()
    dashboard.refresh_stats()
    real = dashboard.compute_days

    def compute_then_write(days):
        result = real(days)
        relations.add_tags('output', [o.id], [lookups.get_or_create('tag', 'b').id])  # after the count
        return result

    relations.add_tags('output', [o.id], [lookups.get_or_create('tag', 'c').id])
    monkeypatch.setattr(dashboard, 'compute_days', compute_then_write)
    dashboard.refresh_stats()
    monkeypatch.setattr(dashboard, 'compute_days', real)
    assert {t.label for t in dashboard.dashboard().tags} == {'a', 'b', 'c'}
