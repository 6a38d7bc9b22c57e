"""Filtering by a piece of a name or title matches it literally: ``_``, ``%`` and ``\\`` are characters
the person typed, not LIKE wildcards (``snake_case``, ``100%``, ``a_b``, ``C:\\temp``)."""

from __future__ import annotations

import pytest

from app.data import agents, entities, graph, lookups, outputs, prompts, trash
from app.data.listing import ListParams

NAMES = ['snake_case notes', 'snakeXcase decoy', '100% done', '1000 decoy', r'C:\temp path', 'C:temp decoy']
QUERIES = [('snake_case', 'snake_case notes'), ('100%', '100% done'), ('\\temp', r'C:\temp path')]


@pytest.mark.parametrize(('query', 'expected'), QUERIES)
def test_titles_and_names_match_literally_everywhere(db, query: str, expected: str) -> None:
    for name in NAMES:
        o = outputs.capture_output(outputs.CaptureData(body=f'body of {name}', title=name, tags=[name]))
        prompts.create_prompt(name, f'text of {name}')
        agents.create_agent(name, f'system prompt of {name}')
        lookups.get_or_create('collection', name)
        entities.trash(
            'output', [outputs.capture_output(outputs.CaptureData(body=f'gone {name}', title=name)).id]
        )
        assert o.id

    def titles(rows, attr='title') -> list[str]:
        return sorted(getattr(r, attr) for r in rows)

    assert titles(entities.list_items('output', ListParams(text=query)).items) == [expected]
    assert titles(entities.list_items('prompt', ListParams(text=query)).items) == [expected]
    assert titles(entities.list_items('agent', ListParams(text=query)).items, 'name') == [expected]
    assert [v.prompt.title for v in prompts.search_versions(query)] == [expected]
    assert [v.agent.name for v in agents.search_versions(query)] == [expected]
    assert titles(trash.list_trash(['output'], text=query).items) == [expected]
    assert titles(lookups.search('tag', query), 'name') == [expected]
    assert [r.name for r in lookups.list_with_usage('collection', text=query).items] == [expected]
    found = graph.find_items(query)
    assert found and {f.label for f in found} == {expected}
