"""Capture, list and output detail pages through the simulated user."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing import User
from nicegui.testing.user_interaction import UserInteraction

from app.data import db as dbmod
from app.data import entities, lookups, outputs, relations
from app.data.models import Output
from tests.waits import until


@pytest.fixture
def library(db_path):
    dbmod.connect(db_path)
    a = outputs.capture_output(
        outputs.CaptureData(body='# Vector search notes\nUse sqlite-vec.', tags=['search'], model='gpt-4o')
    )
    b = outputs.capture_output(outputs.CaptureData(body='Poem about rain', prompt='Write a poem', rating=4))
    return a, b


async def test_capture_page_saves_and_keeps_sticky_fields(user: User) -> None:
    await user.open('/capture')
    await user.should_see(marker='save-capture')
    body = next(e for e in user.find(ui.textarea).elements if e.props.get('label') == 'Output (Markdown)')
    prompt = next(e for e in user.find(ui.textarea).elements if e.props.get('label') == 'Prompt (optional)')
    model = next(e for e in user.find(ui.select).elements if e.props.get('label') == 'Model')
    prompt.set_value('Explain WAL mode')
    body.set_value('WAL lets readers and a writer work at once.')
    user.find(marker='tag-input').type('sqlite, databases')  # typed, not confirmed: Save keeps them
    model.set_value('gpt-4o')
    user.find(marker='save-capture').click()
    await user.should_see('Captured')
    out = Output.get()
    assert out.body == 'WAL lets readers and a writer work at once.'
    assert out.title == 'WAL lets readers and a writer work at once.'
    assert sorted(t.name for t in relations.tags_for('output', [out.id])[out.id]) == ['databases', 'sqlite']
    assert out.prompt_version.body == 'Explain WAL mode'
    # texts cleared, sticky fields kept
    assert body.value == '' and prompt.value == ''
    assert sorted(c.text for c in user.find(ui.chip).elements) == ['databases', 'sqlite']
    assert model.value == 'gpt-4o'


async def test_empty_capture_is_refused_with_a_message(user: User) -> None:
    await user.open('/capture')
    user.find(marker='save-capture').click()
    await user.should_see('nothing to capture')
    assert Output.select().count() == 0


async def test_duplicate_capture_offers_to_open_the_existing_one(user: User, library) -> None:
    a, _ = library
    await user.open('/capture')
    body = next(e for e in user.find(ui.textarea).elements if e.props.get('label') == 'Output (Markdown)')
    body.set_value('# Vector search notes\nUse sqlite-vec.  ')
    user.find(marker='save-capture').click()
    await user.should_see('Already in your library')
    user.find('Open it').click()
    await user.should_see('Use sqlite-vec.')
    assert Output.select().count() == 2


async def test_closing_the_tab_during_the_duplicate_question_logs_no_error(
    user: User, library, caplog
) -> None:
    """The tab closes while "Already in your library" is open: the dialog goes with the page, and the
    capture handler must not try to delete it a second time (``list.remove(x): x not in list``)."""
    from nicegui import background_tasks

    await user.open('/capture')
    body = next(e for e in user.find(ui.textarea).elements if e.props.get('label') == 'Output (Markdown)')
    body.set_value('# Vector search notes\nUse sqlite-vec.')
    user.find(marker='save-capture').click()
    await user.should_see('Already in your library')
    # the click handler's task (NiceGUI runs an async handler as a task wrapped in _await_in_context)
    saving = [t for t in background_tasks.running_tasks if 'await_in_context' in repr(t.get_coro())]
    assert saving, 'the capture handler should be waiting for the answer'
    user.client.delete()  # what NiceGUI does once a closed tab's socket does not come back
    await until(lambda: all(t.done() for t in saving), what='the capture handler to finish')
    errors = [r for r in caplog.records if r.levelname == 'ERROR']
    assert errors == [], [r.getMessage() for r in errors]
    assert Output.select().count() == 2


async def test_outputs_list_filters_from_the_url(user: User, library) -> None:
    a, b = library
    tag = lookups.find_by_name('tag', 'search')
    await user.open(f'/outputs?tags={tag.id}')
    await user.should_see('Vector search notes')
    await user.should_not_see('Poem about rain')
    await user.should_see('Tag: search')
    await user.open('/outputs?rating_min=4')
    await user.should_see('Poem about rain')
    await user.should_not_see('Vector search notes')


async def test_output_detail_shows_relations_and_marks_viewed(user: User, library) -> None:
    a, b = library
    relations.link_outputs(a.id, b.id)
    await user.open(f'/outputs/{b.id}')
    await user.should_see('Poem about rain')
    await user.should_see('Write a poem')  # its prompt
    await user.should_see('Vector search notes')  # related, shown from the other side too
    await until(
        lambda: entities.get_item('output', b.id).last_viewed_at is not None, what='marking it viewed'
    )


async def test_the_category_chip_opens_the_outputs_of_that_category(user: User, library) -> None:
    a, _ = library
    category = lookups.get_or_create('category', 'Bakery')
    entities.update_item('output', a.id, category=category.id)
    await user.open(f'/outputs/{a.id}')
    await user.should_see('Bakery')
    chip = next(e for e in user.find(ui.chip).elements if e.text == 'Bakery')
    UserInteraction(user, {chip}, None).click()
    await user.should_see('Category: Bakery', retries=30)  # the outputs list, filtered by that category


async def test_missing_output_says_so(user: User, db_path) -> None:
    dbmod.connect(db_path)
    await user.open('/outputs/999')
    await user.should_see('Output 999 does not exist.')


async def test_a_malformed_address_gets_the_apps_not_found_page(user: User, db_path) -> None:
    import httpx
    from nicegui import core

    transport = httpx.ASGITransport(app=core.app)  # the trusted desktop
    async with httpx.AsyncClient(transport=transport, base_url='http://127.0.0.1:8080') as desktop:
        response = await desktop.get('/outputs/abc', headers={'Accept': 'text/html'})
    assert response.status_code == 404
    assert 'text/html' in response.headers['content-type']
    assert 'not a page of Output Hub' in response.text


async def test_an_unknown_sort_in_the_url_falls_back_to_the_default(user: User, library) -> None:
    await user.open('/outputs?sort=bogus')  # an old bookmark or a typo
    await user.should_see('Vector search notes')
    await user.should_see('Poem about rain')


async def test_sorting_by_title_starts_at_a(user: User, library) -> None:
    await user.open('/outputs')
    await user.should_see('Poem about rain')
    sort = next(e for e in user.find(ui.select).elements if e.props.get('label') == 'Sort')
    sort.set_value('title')
    await until(lambda: 'sort=title' in user.back_history[-1], what='the list re-sorting')
    assert 'desc=0' in user.back_history[-1]


async def test_relation_picker_creates_and_links_a_tag_inline(user: User, library) -> None:
    a, _ = library
    await user.open(f'/outputs/{a.id}')
    user.find(marker='add-tag').click()
    user.find(marker='picker-tag').type('brand-new')
    user.find(marker='picker-tag').trigger('keydown.enter')
    await until(  # not should_see: the box itself still shows what was typed
        lambda: sorted(t.name for t in relations.tags_for('output', [a.id])[a.id]) == ['brand-new', 'search'],
        what='the new tag being linked',
    )
    await user.should_see(kind=ui.chip, content='brand-new')
    tag = lookups.find_by_name('tag', 'brand-new')
    await user.open(f'/tags/{tag.id}')
    await user.should_see('Vector search notes')


async def test_bulk_tag_and_trash_with_undo(user: User, library) -> None:
    a, b = library
    await user.open('/outputs')
    await user.should_see('Poem about rain')
    rows = ''.join(e.content for e in user.find(ui.html).elements)
    assert f'data-oh-select="{b.id}" aria-label="Select Poem about rain"' in rows  # the row's checkbox
    user.find(marker='list-rows').trigger('change', [b.id, True])  # what ticking it sends
    user.find('Delete').click()
    await user.should_see('Moved 1 to the trash')
    assert entities.get_item('output', b.id).deleted_at is not None
    user.find('Undo').click()
    await user.should_not_see('Moved 1 to the trash')
    assert entities.get_item('output', b.id).deleted_at is None


async def test_filter_panel_applies_filters_to_the_url(user: User, library) -> None:
    a, b = library
    await user.open('/outputs')
    await user.should_see('Poem about rain')
    user.find(ui.expansion).elements.pop().set_value(True)  # opening builds the panel
    toggle = next(e for e in user.find(ui.toggle).elements if 4 in e.options)
    toggle.set_value(4)
    user.find('Apply filters').click()
    await user.should_see('Rating ≥ 4')
    await user.should_not_see('Vector search notes')


async def test_delete_on_the_output_page_shows_the_trash_banner_and_restores(user: User, library) -> None:
    a, _ = library
    await user.open(f'/outputs/{a.id}')
    user.find(marker='delete-output').click()
    await user.should_see('This output is in the trash')  # in place: no reload, no blank screen
    await user.should_see('Moved to the trash')  # with Undo, as in the lists
    assert entities.get_item('output', a.id).deleted_at is not None
    user.find('Undo').click()
    await user.should_not_see('This output is in the trash')
    await until(lambda: entities.get_item('output', a.id).deleted_at is None, what='the undo')
    user.find(marker='delete-output').click()
    await user.should_see('This output is in the trash')
    user.find(marker='untrash').click()  # the banner's Restore
    await user.should_not_see('This output is in the trash')
    await until(lambda: entities.get_item('output', a.id).deleted_at is None, what='the restore')


async def test_title_is_edited_in_place(user: User, library) -> None:
    a, _ = library
    await user.open(f'/outputs/{a.id}')
    box = next(e for e in user.find(ui.input).elements if e.props.get('aria-label') == 'Title')
    box.set_value('Renamed notes')
    user.find(kind=ui.input, content='Renamed notes').trigger('keydown.enter.prevent')  # Enter saves
    await user.should_see('Title saved')
    assert entities.get_item('output', a.id).title == 'Renamed notes'
    box.set_value('   ')
    user.find(kind=ui.input, content='   ').trigger('blur')
    await until(lambda: box.value == 'Renamed notes', what='the empty title falling back')  # nothing saved
    assert entities.get_item('output', a.id).title == 'Renamed notes'


async def test_favourite_and_rating_save_from_the_output_page(user: User, library) -> None:
    a, _ = library
    await user.open(f'/outputs/{a.id}')
    user.find(marker='favourite').click()
    await until(lambda: entities.get_item('output', a.id).favourite, what='the favourite being saved')
    next(iter(user.find(ui.rating).elements)).set_value(3)
    await until(lambda: entities.get_item('output', a.id).rating == 3, what='the rating being saved')


async def test_notes_box_is_built_when_the_panel_is_opened(user: User, library) -> None:
    a, b = library

    def boxes() -> list[ui.textarea]:
        return [
            e
            for e in user.client.elements.values()
            if isinstance(e, ui.textarea) and e.props.get('placeholder') == 'Your notes about this output'
        ]

    await user.open(f'/outputs/{a.id}')
    await user.should_see('Notes')
    assert boxes() == []  # no notes yet: the panel is closed and its box not built
    panel = next(e for e in user.find(ui.expansion).elements if e.text == 'Notes')
    panel.set_value(True)
    await until(lambda: len(boxes()) == 1, what='the notes box')
    box = boxes()[0]
    box.set_value('Check the index size')
    UserInteraction(user, {box}, None).trigger('blur')
    await until(lambda: outputs.get_output(a.id).notes == 'Check the index size', what='the notes saved')
    await user.open(f'/outputs/{a.id}')  # with notes: open, the box built with the page
    await until(lambda: len(boxes()) == 1 and boxes()[0].value == 'Check the index size', what='the notes')
