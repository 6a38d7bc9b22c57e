"""Lists: filters, sorting, pagination, URL round trip, and a constant number of queries."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from playhouse.test_utils import count_queries

from app.data import agents, entities, lookups, outputs, relations
from app.data.listing import ListParams
from app.errors import ValidationError


def capture(body, **kw):
    return outputs.capture_output(outputs.CaptureData(body=body, **kw))


@pytest.fixture
def library(db):
    agent = agents.create_agent('Reviewer', 'Review.')
    items = {
        'py': capture(
            'Python refactor',
            tags=['python', 'code'],
            model='gpt-4o',
            rating=5,
            favourite=True,
            collections=['Work'],
            category='Coding',
            created_at=datetime(2025, 1, 10),
        ),
        'sql': capture(
            'SQL tuning',
            tags=['sql', 'code'],
            model='claude-sonnet-4-5',
            rating=3,
            collections=['Work'],
            created_at=datetime(2025, 2, 10),
            agent_id=agent.id,
        ),
        'poem': capture(
            'A poem about rain', tags=['writing'], model='gpt-4o', rating=2, created_at=datetime(2025, 3, 10)
        ),
    }
    return items, agent


def ids(page):
    return [o.id for o in page.items]


def test_filters(library):
    items, agent = library
    code = lookups.find_by_name('tag', 'code')
    python = lookups.find_by_name('tag', 'python')
    work = lookups.find_by_name('collection', 'Work')
    gpt = lookups.find_model('gpt-4o')
    lst = lambda **kw: ids(entities.list_items('output', ListParams(**kw)))  # noqa: E731
    assert lst(tags=[code.id]) == [items['sql'].id, items['py'].id]
    assert lst(tags=[code.id, python.id]) == [items['py'].id]  # all of the tags
    assert lst(collections=[work.id], models=[gpt.id]) == [items['py'].id]
    assert lst(rating_min=3) == [items['sql'].id, items['py'].id]
    assert lst(favourite=True) == [items['py'].id]
    assert lst(agents=[agent.id]) == [items['sql'].id]
    assert lst(text='poem') == [items['poem'].id]
    assert lst(text='%') == []  # LIKE wildcards are literal
    assert lst(date_from=date(2025, 2, 1), date_to=date(2025, 2, 10)) == [items['sql'].id]
    assert lst(categories=[lookups.find_by_name('category', 'Coding').id]) == [items['py'].id]


def test_sort_and_pages(library):
    items, _ = library
    page = entities.list_items('output', ListParams(sort='title', desc=False, per_page=2))
    assert [o.title for o in page.items] == ['A poem about rain', 'Python refactor']
    assert page.total == 3 and page.pages == 2
    page2 = entities.list_items('output', ListParams(sort='title', desc=False, per_page=2, page=2))
    assert [o.title for o in page2.items] == ['SQL tuning']
    far = entities.list_items('output', ListParams(page=99))  # past the end: the last page
    assert far.page == 1 and len(far.items) == 3
    with pytest.raises(ValidationError):
        entities.list_items('output', ListParams(sort='body; drop table output'))


def test_rows_carry_their_relations_in_constant_queries(library, db):
    for i in range(30):
        o = capture(f'extra {i}', tags=[f't{i}', 'bulk'], collections=['C'], model='gpt-4o', category='Misc')
        relations.link_outputs(o.id, library[0]['py'].id)
    with count_queries() as counter:
        page = entities.list_items('output', ListParams(per_page=25))
        for o in page.items:
            _ = (
                o.tags,
                o.collections,
                o.llm_model and o.llm_model.name,
                o.category_row and o.category_row.name,
            )
    assert len(page.items) == 25
    assert counter.count <= 10, [q.msg for q in counter.get_queries()]
    first = page.items[0]
    assert {t.name for t in first.tags} == {'t29', 'bulk'} and first.llm_model.name == 'gpt-4o'


def test_params_url_round_trip():
    p = ListParams(
        text='rain', tags=[3, 4], favourite=True, date_from=date(2025, 1, 2), sort='title', desc=False, page=3
    )
    q = p.to_query()
    assert q == {
        'text': 'rain',
        'tags': '3,4',
        'favourite': '1',
        'date_from': '2025-01-02',
        'sort': 'title',
        'desc': '0',
        'page': '3',
    }
    assert ListParams.from_query(q) == p
    assert ListParams().to_query() == {}
    bad = ListParams.from_query(
        {'tags': 'x,1', 'page': '-4', 'rating_min': '9', 'date_to': 'yesterday', 'per_page': '100000'}
    )
    assert (
        bad.tags == []
        and bad.page == 1
        and bad.rating_min is None
        and bad.date_to is None
        and bad.per_page == 200
    )


def test_other_kinds_list_too(library):
    from app.data import prompts

    prompts.create_prompt('Summarise', 'Summarise {{x}}')
    assert entities.list_items('prompt', ListParams()).items[0].current.body == 'Summarise {{x}}'
    assert entities.list_items('agent', ListParams()).items[0].current.system_prompt == 'Review.'
    assert entities.list_items('conversation', ListParams()).total == 0
