"""The trash across kinds: listing with counts and dates, restore, delete forever, emptying (all, or what
has been there longer than 30 days)."""

from __future__ import annotations

from datetime import timedelta

from app.data import agents, conversations, entities, outputs, prompts, trash
from app.data.models import Conversation, Message, Output, Prompt, PromptVersion, utcnow


def _output(title: str) -> int:
    return outputs.capture_output(outputs.CaptureData(body=f'{title} body', title=title)).id


def _conversation(title: str) -> int:
    conv = conversations.create_conversation(title)
    first = conversations.add_message(conv, 'user', 'hi')
    conversations.add_message(conv, 'assistant', 'hello', parent=first)
    return conv.id


def _trashed_at(kind: str, item_id: int, when) -> None:
    m = entities.kind(kind).model
    m.update({m.deleted_at: when}).where(m.id == item_id).execute()


def test_the_trash_lists_every_kind_newest_first_with_counts(db) -> None:
    o1, o2 = _output('first output'), _output('second output')
    c = _conversation('a chat')
    p = prompts.create_prompt('a prompt', 'say {{x}}').id
    a = agents.create_agent('an agent', 'be brief').id
    _output('stays')
    now = utcnow()
    for i, (kind, item_id) in enumerate(
        [('output', o1), ('conversation', c), ('prompt', p), ('agent', a), ('output', o2)]
    ):
        _trashed_at(kind, item_id, now - timedelta(hours=10 - i))

    assert trash.counts() == {'output': 2, 'conversation': 1, 'prompt': 1, 'agent': 1}
    page = trash.list_trash()
    assert [(i.kind, i.title) for i in page.items] == [
        ('output', 'second output'),
        ('agent', 'an agent'),
        ('prompt', 'a prompt'),
        ('conversation', 'a chat'),
        ('output', 'first output'),
    ]
    assert page.total == 5
    item = page.items[0]
    assert item.url == f'/outputs/{o2}'
    assert item.deleted_for_good_at - item.deleted_at == timedelta(days=30)

    only_outputs = trash.list_trash(['output'], per_page=1, page=2)
    assert only_outputs.total == 2 and [i.id for i in only_outputs.items] == [o1]
    assert [i.title for i in trash.list_trash(text='chat').items] == ['a chat']
    assert trash.list_trash(text='100%_').total == 0  # LIKE wildcards are literal


def test_restore_and_delete_forever_touch_only_trashed_items(db) -> None:
    keep, gone, live = _output('keep me'), _output('gone'), _output('live')
    c = _conversation('old chat')
    entities.trash('output', [keep, gone])
    entities.trash('conversation', [c])

    assert trash.restore([('output', keep)]) == 1
    assert Output.get_by_id(keep).deleted_at is None
    # a live item is never deleted through the trash
    assert trash.delete_forever([('output', gone), ('output', live), ('conversation', c)]) == 2
    assert Output.get_or_none(Output.id == gone) is None
    assert Output.get_or_none(Output.id == live) is not None
    assert Conversation.get_or_none(Conversation.id == c) is None
    assert Message.select().where(Message.conversation == c).count() == 0  # messages went with it


def test_empty_keeps_what_was_trashed_after_the_user_looked(db) -> None:
    old, recent = _output('old'), _output('recent')
    p = prompts.create_prompt('prompt in trash', 'text').id
    now = utcnow()
    _trashed_at('output', old, now - timedelta(days=31))
    _trashed_at('output', recent, now - timedelta(days=2))
    _trashed_at('prompt', p, now - timedelta(days=40))

    assert trash.empty_expired(now) == {'output': 1, 'conversation': 0, 'prompt': 1, 'agent': 0}
    assert Output.get_or_none(Output.id == old) is None
    assert Output.get_or_none(Output.id == recent) is not None
    assert PromptVersion.select().where(PromptVersion.prompt == p).count() == 0

    looked = utcnow()
    later = _output('trashed after looking')
    _trashed_at('output', later, looked + timedelta(seconds=5))
    assert trash.empty(before=looked)['output'] == 1
    assert [i.title for i in trash.list_trash().items] == ['trashed after looking']
    assert sum(trash.empty().values()) == 1
    assert trash.counts() == dict.fromkeys(trash.KINDS, 0)
    assert Prompt.select().count() == 0


def test_emptying_a_big_trash_works_in_batches(db, monkeypatch) -> None:
    monkeypatch.setattr(trash, 'BATCH', 7)
    ids = [_output(f'o{i}') for i in range(30)]
    entities.trash('output', ids)
    assert trash.empty()['output'] == 30
    assert Output.select().count() == 0


def test_a_viewer_without_permission_sees_and_empties_no_secret_items(db) -> None:
    from app.data.models import SensitivityLevel

    secret = SensitivityLevel.get(SensitivityLevel.name == 'Secret').id
    hidden, shown = _output('secret plans'), _output('shopping list')
    entities.update_item('output', hidden, sensitivity=secret)
    entities.trash('output', [hidden, shown])

    assert trash.counts(exclude_restricted=True)['output'] == 1
    assert [i.title for i in trash.list_trash(exclude_restricted=True).items] == ['shopping list']
    assert trash.empty(exclude_restricted=True)['output'] == 1
    assert [i.title for i in trash.list_trash().items] == ['secret plans']
