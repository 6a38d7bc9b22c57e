"""Names and titles with newlines, quotes and backslashes render on every list and detail page (issue 14,
item 11: a newline in a title made /outputs a 500), and a stored source URL is a link only when it is
http(s) (issue 14: a ``javascript:`` source URL was rendered as a raw href)."""

from __future__ import annotations

import html

import pytest
from nicegui import ui
from nicegui.testing import User

from app.data import db as dbmod
from app.data import lookups, outputs

HOSTILE = ['line one\nline two', 'say "hi"', "it's", 'back\\slash', '"><x :y="z']


def _name(text: str) -> str:
    """Tag, collection, category and model names are stored with whitespace runs (newlines) as one space."""
    return lookups.clean_name(text)


def _escaped(text: str) -> str:
    """How the text appears inside the lists' escaped HTML rows."""
    return html.escape(text, quote=True)


@pytest.fixture
def hostile_library(db_path) -> dict[str, int]:
    dbmod.connect(db_path)
    ids: dict[str, int] = {}
    collection = lookups.get_or_create('collection', f'coll {HOSTILE[4]}')
    for i, p in enumerate(HOSTILE):
        o = outputs.capture_output(
            outputs.CaptureData(
                body=f'body number {i}',
                title=f'{p} title{i}',
                tags=[f'tag{i} {p}'],
                collections=[collection.id],
                category=f'cat{i} {p}',
                model=f'model{i} {p}',
            )
        )
        ids.setdefault('output', o.id)
        ids[f'output{i}'] = o.id
    ids['tag'] = lookups.get_or_create('tag', f'tag0 {HOSTILE[0]}').id
    ids['collection'] = collection.id
    return ids


async def test_titles_and_names_with_newlines_and_quotes_render(user: User, hostile_library) -> None:
    await user.open('/outputs')
    for i, p in enumerate(HOSTILE):
        await user.should_see(content=_escaped(f'{p} title{i}'))
    await user.open('/tags')
    for i, p in enumerate(HOSTILE):
        await user.should_see(content=_name(f'tag{i} {p}'))
    await user.open(f'/tags/{hostile_library["tag"]}')  # its members are escaped HTML rows too
    await user.should_see(content=_escaped(f'{HOSTILE[0]} title0'))
    await user.open(f'/collections/{hostile_library["collection"]}')
    await user.should_see(content=_escaped(f'{HOSTILE[4]} title4'))
    await user.open('/categories')
    await user.should_see(content=_name(f'cat1 {HOSTILE[1]}'))
    await user.open('/lookups?tab=model')
    await user.should_see(content=_name(f'model3 {HOSTILE[3]}'))
    for i, p in enumerate(HOSTILE):
        await user.open(f'/outputs/{hostile_library[f"output{i}"]}')
        title = next(e for e in user.find(ui.input).elements if e.props.get('aria-label') == 'Title')
        assert title.value == f'{p} title{i}'
        await user.should_see(content=_name(f'model{i} {p}'))
        # the tag chip in the relation picker: its name as text and as its aria-label, whole
        chips = [e for e in user.find(ui.chip).elements if e.text == _name(f'tag{i} {p}')]
        assert chips and chips[0].props['aria-label'] == f'tag {_name(f"tag{i} {p}")}'


async def test_only_http_source_urls_become_links(user: User, db_path) -> None:
    dbmod.connect(db_path)
    bad = outputs.capture_output(
        outputs.CaptureData(body='from a hostile page', source_url='javascript:alert(1)')
    )
    good = outputs.capture_output(
        outputs.CaptureData(body='from a real page', source_url='https://example.org/a?b=1')
    )
    await user.open(f'/outputs/{bad.id}')
    await user.should_see(content='javascript:alert(1)')
    links = [e.props.get('href') for e in user.find(ui.link).elements]
    assert not any('javascript:' in (h or '') for h in links), links
    await user.open(f'/outputs/{good.id}')
    await user.should_see(content='https://example.org/a?b=1')
    assert 'https://example.org/a?b=1' in [e.props.get('href') for e in user.find(ui.link).elements]
