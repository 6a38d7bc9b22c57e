"""An in-app click has to show the new page within 300 ms (issue 15), and a page costs about what it
builds: an output's ten relation pickers built their editing scaffolding and tooltips up front (137
elements in the page for an output with a few relations), and a tag's page built every member as a
row of ~7 elements. The relations are one read-only line each until opened; member rows are HTML."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing import User
from nicegui.testing.user_interaction import UserInteraction

from app.data import db as dbmod
from app.data import lookups, outputs, relations
from app.data.models import Output
from app.pages import outputs as output_pages
from tests.waits import until

RETRIES = 50


def page_elements(user: User) -> int:
    """Elements inside the sub page (what the click builds; the shell around it is built once per tab)."""
    elements = list(user.client.elements.values())
    return sum(1 for e in elements if any(isinstance(a, ui.sub_pages) for a in e.ancestors()))


@pytest.fixture
def library(db_path, monkeypatch):
    # the panels other features add (connections graph, similar outputs) are not what is measured here
    monkeypatch.setattr(output_pages, 'DETAIL_PANELS', [])
    dbmod.connect(db_path)
    conversation = outputs.capture_output(outputs.CaptureData(body='Another answer', title='Side note'))
    o = outputs.capture_output(
        outputs.CaptureData(
            body='# Vector search notes\nUse sqlite-vec.',
            prompt='How do I search by meaning in SQLite?',
            tags=['search', 'sqlite', 'vectors'],
            collections=['Research'],
            category='Databases',
            model='gpt-4o',
        )
    )
    relations.link_outputs(o.id, conversation.id)
    for n in range(30):  # a tag holding many outputs
        outputs.capture_output(outputs.CaptureData(body=f'Note {n} on search', tags=['search']))
    return o


async def test_the_output_page_builds_its_relations_as_read_only_lines(user: User, library) -> None:
    await user.open(f'/outputs/{library.id}')
    await user.should_see(marker='add-tag', retries=RETRIES)
    await user.should_see(kind=ui.chip, content='sqlite')
    await user.should_see(kind=ui.chip, content='Databases')
    await user.should_see(kind=ui.chip, content='Side note')  # the related output
    # nothing of an editor is built until a picker is opened: no search box, no × on the chips
    await user.should_not_see(marker='picker-tag')
    assert not any(chip.props.get('removable') for chip in user.find(ui.chip).elements)
    built = page_elements(user)
    assert built <= 100, f'the output page built {built} elements'  # 137 with the pickers built in full


async def test_opening_a_relation_picker_edits_as_before(user: User, library) -> None:
    o = library
    await user.open(f'/outputs/{o.id}')
    await user.should_see(marker='add-tag', retries=RETRIES)
    user.find(marker='add-tag').click()  # one click: the picker with its search box open
    box = user.find(marker='picker-tag')
    box.type('fresh')
    box.trigger('keydown.enter')
    await until(
        lambda: 'fresh' in {t.name for t in relations.tags_for('output', [o.id])[o.id]},
        what='the new tag being linked',
    )
    await user.should_see(kind=ui.chip, content='fresh')
    # the opened picker's chips unlink with their ×
    chip = next(e for e in user.find(ui.chip).elements if e.text == 'vectors')
    assert chip.props.get('removable')
    UserInteraction(user, {chip}, None).trigger('remove')
    await until(
        lambda: 'vectors' not in {t.name for t in relations.tags_for('output', [o.id])[o.id]},
        what='the tag being unlinked',
    )
    # a single-valued one: Change opens it, a pick replaces the value
    other = lookups.get_or_create('category', 'Search engines')
    user.find(marker='add-category').click()
    user.find(marker='picker-category').type('Search eng')
    await user.should_see(marker=f'pick-{other.id}')
    user.find(marker=f'pick-{other.id}').click()
    await until(lambda: outputs.get_output(o.id).category_id == other.id, what='the category being changed')
    await user.should_see(kind=ui.chip, content='Search engines')


async def test_a_tags_page_builds_its_members_as_html_rows(user: User, library) -> None:
    tag = lookups.find_by_name('tag', 'search')
    await user.open(f'/tags/{tag.id}')
    await user.should_see('Note 29 on search', retries=RETRIES)  # the newest 25 members, as links
    await user.should_see('Note 5 on search')
    rows = ''.join(e.content for e in user.find(ui.html).elements)
    assert rows.count('href="/outputs/') == 25
    built = page_elements(user)
    assert built <= 80, f'the tag page built {built} elements'  # 219 with a row of elements per member


async def test_a_tags_connections_graph_is_built_when_scrolled_to(user: User, library) -> None:
    tag = lookups.find_by_name('tag', 'search')
    await user.open(f'/tags/{tag.id}')
    await user.should_see('Note 29 on search', retries=RETRIES)
    await user.should_not_see('Connections')  # below the members: not built with the page
    user.find(marker='connections-later').trigger('visibility', True)  # Quasar's QIntersection: on screen
    await user.should_see('Connections')
    await user.should_see(marker='neighbourhood-graph', retries=RETRIES)


async def test_the_outputs_list_builds_no_element_per_star_or_checkbox(user: User, library) -> None:
    await user.open('/outputs')
    await user.should_see('Note 29 on search', retries=RETRIES)
    icons = [e for e in user.client.elements.values() if isinstance(e, ui.icon)]
    assert not any(e.props.get('name') in ('star', 'star_border') for e in icons)
    assert not [e for e in user.client.elements.values() if isinstance(e, ui.checkbox)]
    rows = ''.join(e.content for e in user.find(ui.html).elements)
    assert rows.count('data-oh-fav=') == 25  # the stars and checkboxes are HTML in each row
    assert rows.count('type="checkbox"') == 26  # 25 rows and "Select all on this page"
    built = page_elements(user)
    assert built <= 60, f'the outputs list built {built} elements'  # 128 with elements per star and box


async def test_ticking_rows_selects_them_for_the_bulk_actions(user: User, library) -> None:
    note = Output.get(Output.title == 'Note 29 on search')
    await user.open('/outputs')
    await user.should_see('Note 29 on search', retries=RETRIES)
    user.find(marker='list-rows').trigger('change', ['all', True])  # the header's box
    await user.should_see('25 selected')
    rows = ''.join(e.content for e in user.find(ui.html).elements)
    assert rows.count(' checked') == 26  # drawn ticked
    user.find(marker='list-rows').trigger('change', [note.id, False])
    await user.should_see('24 selected')
    user.find(marker='list-rows').trigger('change', [10**9, True])  # not a row of this page: ignored
    user.find(marker='list-rows').trigger('change', ['oops'])  # not what a box sends: ignored
    await user.should_see('24 selected')


async def test_a_rows_star_favourites_that_output(user: User, library) -> None:
    note = Output.get(Output.title == 'Note 29 on search')
    await user.open('/outputs')
    await user.should_see('Note 29 on search', retries=RETRIES)
    user.find(marker='list-rows').trigger('click', note.id)  # what the star's delegated click sends
    await until(lambda: outputs.get_output(note.id).favourite, what='the output being favourited')
    user.find(marker='list-rows').trigger('click', 10**9)  # not a row of this page: nothing happens
    user.find(marker='list-rows').trigger('click', note.id)
    await until(lambda: not outputs.get_output(note.id).favourite, what='the output being unfavourited')
