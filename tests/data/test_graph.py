"""The relationship graph against a small library whose every relation is known."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.data import agents, conversations, entities, graph, lookups, outputs, relations
from app.errors import NotFound, ValidationError


def capture(body: str, **kw):
    return outputs.capture_output(outputs.CaptureData(body=body, **kw))


@pytest.fixture
def lib(db):
    """o1 is the hub: tags python + sql, collection Work, related to o2, prompt P, agent A, conversation V.

    o2: python, related to o1. o3: nothing. o4: python but in the trash. V: tag sql. P: tag python.
    A: collection Work.
    """
    agent = agents.create_agent('Reviewer', 'You review code.')
    conv = conversations.create_conversation('Debug session')
    o1 = capture(
        '# Hub output',
        tags=['python', 'sql'],
        collections=['Work'],
        prompt='Write a query',
        agent_id=agent.id,
        conversation_id=conv.id,
    )
    o2 = capture('# Second output', tags=['python'])
    o3 = capture('# Lonely output')
    o4 = capture('# Trashed output', tags=['python'])
    relations.link_outputs(o1.id, o2.id)
    entities.trash('output', [o4.id])
    python, sql = lookups.find_by_name('tag', 'python'), lookups.find_by_name('tag', 'sql')
    work = lookups.find_by_name('collection', 'Work')
    prompt_id = o1.prompt_version.prompt_id
    relations.add_tags('conversation', [conv.id], [sql.id])
    relations.add_tags('prompt', [prompt_id], [python.id])
    relations.add_to_collection('agent', [agent.id], work.id)
    k = graph.node_key
    return SimpleNamespace(
        o1=k('output', o1.id),
        o2=k('output', o2.id),
        o3=k('output', o3.id),
        o4=k('output', o4.id),
        o4_id=o4.id,
        python=k('tag', python.id),
        sql=k('tag', sql.id),
        work=k('collection', work.id),
        prompt=k('prompt', prompt_id),
        agent=k('agent', agent.id),
        conv=k('conversation', conv.id),
        conv_id=conv.id,
        python_id=python.id,
        o1_id=o1.id,
        o2_id=o2.id,
    )


def edges(g: graph.Graph) -> set[tuple[str, str, str]]:
    return {(e.source, e.target, e.relation) for e in g.edges}


def degrees(g: graph.Graph) -> dict[str, int]:
    return {n.key: n.degree for n in g.nodes}


def all_edges(lib) -> set[tuple[str, str, str]]:
    return {
        (lib.o1, lib.python, 'tagged'),
        (lib.o1, lib.sql, 'tagged'),
        (lib.o2, lib.python, 'tagged'),
        (lib.conv, lib.sql, 'tagged'),
        (lib.prompt, lib.python, 'tagged'),
        (lib.o1, lib.work, 'collected'),
        (lib.agent, lib.work, 'collected'),
        (lib.o1, lib.o2, 'related'),
        (lib.o1, lib.prompt, 'prompt'),
        (lib.o1, lib.agent, 'agent'),
        (lib.o1, lib.conv, 'conversation'),
    }


def test_most_connected_shows_every_relation_and_skips_lonely_and_trashed_items(lib) -> None:
    g = graph.most_connected()
    assert degrees(g) == {
        lib.o1: 7,
        lib.o2: 2,
        lib.python: 3,  # o1, o2 and the prompt; the trashed o4 does not count
        lib.sql: 2,
        lib.work: 2,
        lib.prompt: 2,
        lib.agent: 2,
        lib.conv: 2,
    }
    assert edges(g) == all_edges(lib)
    assert not g.truncated and g.focus is None
    labels = {n.key: n.label for n in g.nodes}
    assert labels[lib.o1] == 'Hub output' and labels[lib.python] == 'python'
    assert labels[lib.agent] == 'Reviewer' and labels[lib.conv] == 'Debug session'


def test_most_connected_keeps_the_best_connected_within_the_limit(lib) -> None:
    g = graph.most_connected(limit=3)
    # o1 (7), python (3), then the newest of the degree-2 items (o2 and sql share id 2: by kind name)
    assert {n.key for n in g.nodes} == {lib.o1, lib.python, lib.o2}
    assert edges(g) == {
        (lib.o1, lib.python, 'tagged'),
        (lib.o2, lib.python, 'tagged'),
        (lib.o1, lib.o2, 'related'),
    }
    assert g.truncated


def test_kind_filter_limits_the_nodes_not_the_degrees(lib) -> None:
    g = graph.most_connected(kinds=['tag', 'prompt'])
    assert degrees(g) == {lib.python: 3, lib.sql: 2, lib.prompt: 2}
    assert edges(g) == {(lib.prompt, lib.python, 'tagged')}
    with pytest.raises(ValidationError):
        graph.most_connected(kinds=['spaceship'])


def test_neighbourhood_depth_one_has_the_neighbours_and_the_relations_among_them(lib) -> None:
    g = graph.neighbourhood('output', lib.o1_id)
    assert {n.key for n in g.nodes} == {
        lib.o1,
        lib.o2,
        lib.python,
        lib.sql,
        lib.work,
        lib.prompt,
        lib.agent,
        lib.conv,
    }
    assert edges(g) == all_edges(lib)  # also prompt-python, conversation-sql: both ends are shown
    assert g.focus == lib.o1 and not g.truncated


def test_neighbourhood_of_a_tag_grows_with_depth(lib) -> None:
    one = graph.neighbourhood('tag', lib.python_id, depth=1)
    assert {n.key for n in one.nodes} == {lib.python, lib.o1, lib.o2, lib.prompt}
    assert lib.o4 not in {n.key for n in one.nodes}
    two = graph.neighbourhood('tag', lib.python_id, depth=2)
    assert {n.key for n in two.nodes} == {
        lib.python,
        lib.o1,
        lib.o2,
        lib.prompt,
        lib.sql,
        lib.work,
        lib.agent,
        lib.conv,
    }


def test_neighbourhood_over_the_limit_keeps_the_best_connected_and_says_so(lib) -> None:
    g = graph.neighbourhood('output', lib.o1_id, limit=3)
    assert {n.key for n in g.nodes} == {lib.o1, lib.python, lib.o2}
    assert g.truncated and g.focus == lib.o1


def test_neighbourhood_with_a_kind_filter_keeps_the_start(lib) -> None:
    g = graph.neighbourhood('output', lib.o1_id, kinds=['tag'])
    assert {n.key for n in g.nodes} == {lib.o1, lib.python, lib.sql}


def test_a_capped_relation_query_marks_the_graph_truncated(lib, monkeypatch) -> None:
    monkeypatch.setattr(graph, 'FETCH_CAP', 1)
    assert graph.neighbourhood('tag', lib.python_id).truncated


def test_expand_adds_a_nodes_neighbours_to_the_graph_on_screen(lib) -> None:
    g = graph.expand('output', lib.o2_id, [lib.python])
    assert {n.key for n in g.nodes} == {lib.python, lib.o2, lib.o1}
    assert edges(g) == {
        (lib.o1, lib.python, 'tagged'),
        (lib.o2, lib.python, 'tagged'),
        (lib.o1, lib.o2, 'related'),
    }
    assert g.focus == lib.o2
    # an item trashed since it was drawn drops out instead of failing
    entities.trash('output', [lib.o1_id])
    g = graph.expand('tag', lib.python_id, [lib.o1, lib.o2])
    assert {n.key for n in g.nodes} == {lib.python, lib.o2, lib.prompt}


def test_missing_or_trashed_start_items_say_so(lib) -> None:
    with pytest.raises(NotFound, match='does not exist'):
        graph.neighbourhood('output', 999)
    with pytest.raises(NotFound, match='in the trash'):
        graph.neighbourhood('output', lib.o4_id)
    with pytest.raises(ValidationError):
        graph.neighbourhood('message', 1)
    with pytest.raises(ValidationError):
        graph.parse_key('output:abc')


def test_restoring_an_item_brings_its_relations_back(lib) -> None:
    entities.restore('output', [lib.o4_id])
    g = graph.neighbourhood('tag', lib.python_id)
    assert lib.o4 in {n.key for n in g.nodes}
    assert graph.degrees([('tag', lib.python_id)])[('tag', lib.python_id)] == 4


def test_trashed_conversation_loses_its_edges(lib) -> None:
    entities.trash('conversation', [lib.conv_id])
    g = graph.most_connected()
    assert lib.conv not in degrees(g)
    assert degrees(g)[lib.o1] == 6 and degrees(g)[lib.sql] == 1


def test_labels_are_plain_short_text(db) -> None:
    long_title = 'A very long title ' * 10
    o = capture('body', title=long_title, tags=['x'])
    conv = conversations.create_conversation('')
    relations.add_tags('conversation', [conv.id], [lookups.find_by_name('tag', 'x').id])
    labels = {n.key: n.label for n in graph.most_connected().nodes}
    assert len(labels[graph.node_key('output', o.id)]) == graph.LABEL_CHARS
    assert labels[graph.node_key('output', o.id)].endswith('…')
    assert labels[graph.node_key('conversation', conv.id)] == f'Conversation {conv.id}'


def test_find_items_searches_names_of_every_kind(lib) -> None:
    found = graph.find_items('pyth')
    assert [f.key for f in found] == [lib.python]
    assert {f.key for f in graph.find_items('output')} == {lib.o1, lib.o2, lib.o3}  # not the trashed one
    assert graph.find_items('output', ['tag']) == []
    assert graph.find_items('100%_') == []  # LIKE wildcards are literal
    assert graph.find_items('   ') == []


def test_empty_library_gives_an_empty_graph(db) -> None:
    g = graph.most_connected()
    assert g.nodes == [] and g.edges == [] and not g.truncated
