"""Conversation trees: active path, siblings, branch switching, pasted conversations, capture prefill."""

from __future__ import annotations

import pytest

from app.data import conversations
from app.data.models import Conversation, Message
from app.errors import NotFound, ValidationError


@pytest.fixture
def tree(db):
    conv = conversations.create_conversation('T', model=None)
    u1 = conversations.add_message(conv, 'user', 'q1')
    a1 = conversations.add_message(conv, 'assistant', 'a1')
    u2 = conversations.add_message(conv, 'user', 'q2')
    a2 = conversations.add_message(conv, 'assistant', 'a2')
    a1b = conversations.add_message(conv, 'assistant', 'a1 regenerated', parent=u1.id)
    return conv, u1, a1, u2, a2, a1b


def test_new_message_becomes_the_active_leaf(tree):
    conv, u1, a1, u2, a2, a1b = tree
    c = Conversation.get_by_id(conv.id)
    assert c.active_leaf_id == a1b.id and c.message_count == 5
    path = conversations.thread(conv.id)
    assert [t.message.content for t in path] == ['q1', 'a1 regenerated']
    assert (
        path[1].sibling_ids == [a1.id, a1b.id] and path[1].sibling_index == 1 and path[1].sibling_count == 2
    )
    assert path[0].sibling_count == 1


def test_switching_to_a_sibling_shows_its_latest_leaf(tree):
    conv, u1, a1, u2, a2, a1b = tree
    assert conversations.set_active_leaf(conv.id, a1.id) == a2.id
    assert [t.message.content for t in conversations.thread(conv.id)] == ['q1', 'a1', 'q2', 'a2']
    assert conversations.latest_leaf(conv.id) == a1b.id  # the most recent leaf overall


def test_thread_to_a_given_leaf_and_errors(tree):
    conv, u1, a1, u2, a2, a1b = tree
    assert [t.message.id for t in conversations.thread(conv.id, a1.id)] == [u1.id, a1.id]
    other = conversations.create_conversation('other')
    with pytest.raises(ValidationError):
        conversations.add_message(other, 'user', 'x', parent=u1.id)
    with pytest.raises(ValidationError):
        conversations.add_message(conv, 'wizard', 'x')
    with pytest.raises(NotFound):
        conversations.set_active_leaf(other.id, a1.id)


def test_stale_active_leaf_falls_back_to_latest(tree):
    conv, u1, a1, u2, a2, a1b = tree
    Message.delete().where(Message.id == a1b.id).execute()
    assert [t.message.content for t in conversations.thread(conv.id)] == ['q1', 'a1', 'q2', 'a2']


def test_capture_prefill_finds_the_user_turn(tree):
    conv, u1, a1, u2, a2, a1b = tree
    tool = conversations.add_message(conv, 'tool', 'tool output', parent=u2.id, hidden=True)
    reply = conversations.add_message(conv, 'assistant', 'after tool', parent=tool.id)
    pre = conversations.capture_prefill(reply.id)
    assert pre['prompt'] == 'q2' and pre['body'] == 'after tool' and pre['conversation_id'] == conv.id


def test_create_from_turns(db):
    conv = conversations.create_from_turns(
        '', [('user', 'Hello there'), ('assistant', 'Hi!'), ('user', '  ')], model='gpt-4o', tags=['pasted']
    )
    assert conv.title == 'Hello there' and conv.message_count == 2
    assert [t.message.role for t in conversations.thread(conv.id)] == ['user', 'assistant']
    with pytest.raises(ValidationError):
        conversations.create_from_turns('x', [('user', '   ')])
