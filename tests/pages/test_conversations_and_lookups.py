"""Conversation thread view (branches, hidden steps, focus) and the tag/collection/lookup pages."""

from __future__ import annotations

import pytest
from nicegui import ui
from nicegui.testing import User

from app.data import conversations, lookups, outputs, relations
from app.data import db as dbmod
from app.data.models import Conversation, Output, Tag


def open_menu(user: User, marker: str) -> None:
    """The simulated user cannot open a Quasar menu by clicking its button; open it directly."""
    button = user.find(marker=marker).elements.pop()
    next(c for c in button.default_slot.children if isinstance(c, ui.menu)).open()


@pytest.fixture
def branched(db_path):
    dbmod.connect(db_path)
    conv = conversations.create_conversation('Trip planning')
    u1 = conversations.add_message(conv, 'user', 'Plan a trip to Lisbon')
    a1 = conversations.add_message(conv, 'assistant', 'First answer: go in spring.')
    tool = conversations.add_message(conv, 'tool', 'searched the web', hidden=True, author_name='browser')
    a_final = conversations.add_message(conv, 'assistant', 'Final answer after search.')
    a2 = conversations.add_message(
        conv, 'assistant', 'Second answer: go in autumn.', parent=u1.id
    )  # regenerate
    return conv, u1, a1, tool, a_final, a2


async def test_thread_shows_active_branch_and_switches(user: User, branched) -> None:
    conv, u1, a1, tool, a_final, a2 = branched
    await user.open(f'/conversations/{conv.id}')
    await user.should_see('Plan a trip to Lisbon')
    await user.should_see('Second answer: go in autumn.')
    await user.should_not_see('First answer: go in spring.')
    await user.should_see('2 / 2')
    user.find(marker='branch-prev').click()
    await user.should_see('First answer: go in spring.')
    await user.should_see('1 hidden step')
    await user.should_see('Final answer after search.')
    assert conversations.get_conversation(conv.id).active_leaf_id == a_final.id


async def test_focus_on_a_message_in_another_branch(user: User, branched) -> None:
    conv, u1, a1, tool, a_final, a2 = branched
    await user.open(f'/conversations/{conv.id}?m={a1.id}')
    await user.should_see('First answer: go in spring.')
    await user.should_not_see('Second answer: go in autumn.')


async def test_save_a_reply_as_output_prefills_capture(user: User, branched) -> None:
    conv, u1, a1, tool, a_final, a2 = branched
    await user.open(f'/capture?message={a2.id}')
    await user.should_see('Trip planning')
    body = next(e for e in user.find(ui.textarea).elements if e.props.get('label') == 'Output (Markdown)')
    prompt = next(e for e in user.find(ui.textarea).elements if e.props.get('label') == 'Prompt (optional)')
    assert body.value == 'Second answer: go in autumn.' and prompt.value == 'Plan a trip to Lisbon'
    user.find(marker='save-capture').click()
    await user.should_see('Captured')
    out = Output.get()
    assert out.conversation_id == conv.id and out.message_id == a2.id


async def test_paste_a_conversation(user: User, db_path) -> None:
    dbmod.connect(db_path)
    await user.open('/capture')
    mode = next(e for e in user.find(ui.toggle).elements if 'conversation' in e.options)
    mode.set_value('conversation')
    area = next(
        e for e in user.find(ui.textarea).elements if 'Paste a conversation' in str(e.props.get('label'))
    )
    area.set_value('You said:\nHow do I centre a div?\nChatGPT said:\nUse flexbox.')
    user.find('Split into messages').click()
    await user.should_see('Use flexbox.')
    user.find('Save conversation').click()
    await user.should_see('Saved conversation')
    thread = conversations.thread(Conversation.get().id)
    assert [(t.message.role, t.message.content) for t in thread] == [
        ('user', 'How do I centre a div?'),
        ('assistant', 'Use flexbox.'),
    ]


async def test_tag_page_shows_what_it_holds(user: User, db_path) -> None:
    dbmod.connect(db_path)
    out = outputs.capture_output(outputs.CaptureData(body='Tagged output', tags=['research']))
    tag = lookups.find_by_name('tag', 'research')
    await user.open(f'/tags/{tag.id}')
    await user.should_see('Tagged output')
    await user.should_see('1 output')
    await user.open('/tags')
    await user.should_see('research')
    await user.should_see('1 uses')
    assert relations.tags_for('output', [out.id])[out.id][0].id == tag.id


async def test_delete_a_tag_in_use_asks_and_moves_users(user: User, db_path) -> None:
    dbmod.connect(db_path)
    out = outputs.capture_output(outputs.CaptureData(body='x', tags=['old-name']))
    new = lookups.get_or_create('tag', 'new-name')
    await user.open('/tags')
    await user.should_see('old-name')
    old = lookups.find_by_name('tag', 'old-name')
    open_menu(user, f'actions-{old.id}')
    user.find(marker=f'delete-{old.id}').click()
    await user.should_see('is in use')
    user.find(marker='delete-move').click()
    await user.should_see('Move the users of')
    user.find(marker=f'pick-{new.id}').click()
    await user.should_see('Moved to')
    assert [t.name for t in relations.tags_for('output', [out.id])[out.id]] == ['new-name']
    assert Tag.select().count() == 1


async def test_lookup_admin_tabs(user: User, db_path) -> None:
    dbmod.connect(db_path)
    await user.open('/lookups?tab=model')
    await user.should_see('GPT-4o')
    await user.open('/lookups?tab=sensitivity')
    await user.should_see('Secret')
    await user.should_see('restricted')


async def test_new_tag_with_an_empty_name_says_so_and_stays_open(user: User, db_path) -> None:
    dbmod.connect(db_path)
    await user.open('/tags')
    user.find(marker='new-tag').click()
    await user.should_see(marker='dialog-save')
    user.find(marker='dialog-save').click()
    box = next(e for e in user.find(ui.input).elements if e.props.get('label') == 'Name')
    assert box.props.get('error') is True and 'first' in box.props.get('error-message', '')
    box.set_value('fresh-tag')
    user.find(marker='dialog-save').click()
    await user.should_see('Created “fresh-tag”')
    assert Tag.select().where(Tag.name == 'fresh-tag').count() == 1


async def test_deleting_a_conversation_shows_it_trashed_in_place_with_undo(user: User, branched) -> None:
    from app.data import entities
    from tests.waits import until

    conv = branched[0]
    await user.open(f'/conversations/{conv.id}')
    await user.should_see('Trip planning')
    user.find(marker='delete-conversation').click()
    await user.should_see('This conversation is in the trash')
    await user.should_see('Moved to the trash')
    assert entities.get_item('conversation', conv.id).deleted_at is not None
    user.find('Undo').click()
    await user.should_not_see('This conversation is in the trash')
    await until(lambda: entities.get_item('conversation', conv.id).deleted_at is None, what='the undo')


async def test_the_thread_says_what_is_shown_folded_and_on_other_branches(user: User, branched) -> None:
    """5 messages: the active path shows the question and the latest answer; the first answer, its tool
    step and the answer after it are on the other branch (not "5 messages" with 2 on screen)."""
    conv, u1, a1, tool, a_final, a2 = branched
    await user.open(f'/conversations/{conv.id}')
    await user.should_see('2 messages shown · 3 in other branches')
    await user.open(f'/conversations/{conv.id}?m={a_final.id}')  # the other branch, with its tool step
    await user.should_see('3 messages shown · 1 hidden step folded · 1 in other branches')
