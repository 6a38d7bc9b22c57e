"""The FTS5 indexes and the embedding queue follow every write: insert, update, trash, restore, delete."""

from __future__ import annotations

import pytest

from app.data import conversations, entities, migrations, prompts
from app.data import db as dbmod
from app.data.models import Message

from .search_helpers import capture, chat, found


def integrity(db, table: str, *, content: bool = False) -> None:
    """FTS5's own check; with ``content`` it also compares the index with the content table."""
    if content:
        db.execute_sql(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")
    else:
        db.execute_sql(f"INSERT INTO {table}({table}) VALUES ('integrity-check')")


def queued(db) -> dict[tuple[str, int], int]:
    return {(k, i): g for k, i, g in db.execute_sql('SELECT owner_kind, owner_id, gen FROM embed_queue')}


def test_outputs_follow_insert_update_trash_restore_and_delete(db):
    oid = capture(
        'Use a torque wrench on the pedals.', title='Bicycle maintenance', notes='from the shop manual'
    )
    assert found('torque') == found('bicycle') == found('manual') == {('output', oid)}
    entities.update_item('output', oid, title='Bike care', body='Grease the chain monthly.')
    assert found('torque') == found('bicycle') == set()
    assert found('grease') == found('care') == {('output', oid)}
    entities.trash('output', [oid])
    assert found('grease') == set()
    entities.restore('output', [oid])
    assert found('grease') == {('output', oid)}
    entities.trash('output', [oid])
    entities.delete_forever('output', [oid])
    assert found('grease') == set()
    integrity(db, 'output_fts')
    assert db.execute_sql('SELECT count(*) FROM output_fts').fetchone()[0] == 0


def test_a_trashed_output_can_be_deleted_forever_without_breaking_the_index(db):
    # The delete trigger must not remove tokens a trashed row never had in the index.
    a = capture('alpha shared words', title='A')
    b = capture('beta shared words', title='B')
    entities.trash('output', [a])
    entities.delete_forever('output', [a])
    integrity(db, 'output_fts')
    assert found('shared') == {('output', b)}


def test_messages_follow_edits_hiding_and_their_conversations_trash(db):
    cid, (m1, m2) = chat('Kitchen', 'How long to boil an egg?', 'About nine minutes for a firm yolk.')
    assert found('yolk') == {('message', m2)}
    conversations.update_message(m2, content='Seven minutes gives a jammy centre.')
    assert found('yolk') == set() and found('jammy') == {('message', m2)}
    conversations.update_message(m2, hidden=True)
    assert found('jammy') == {('message', m2)}  # hidden from the reading view, still findable by keyword
    conversations.update_message(m2, hidden=False)
    assert found('jammy') == {('message', m2)}
    entities.trash('conversation', [cid])
    assert found('jammy') == found('egg') == set()
    entities.restore('conversation', [cid])
    assert found('egg') == {('message', m1)}
    integrity(db, 'message_fts', content=True)
    entities.trash('conversation', [cid])
    entities.delete_forever('conversation', [cid])  # cascades to the messages
    assert db.execute_sql('SELECT count(*) FROM message_fts').fetchone()[0] == 0
    integrity(db, 'message_fts', content=True)


def test_a_message_hit_knows_its_conversation(db):
    cid, (mid,) = chat('Trip', 'Pack a headlamp for the cave.')
    from app.data import search

    (hit,) = search.keyword_search('headlamp')
    assert (hit.kind, hit.id, hit.conversation_id, hit.title) == ('message', mid, cid, 'Trip')
    assert hit.url == f'/conversations/{cid}?m={mid}'


def test_prompts_are_found_by_title_description_and_current_version(db):
    p = prompts.create_prompt('Release notes writer', 'Summarise these commits: {{commits}}')
    assert found('commits') == found('writer') == {('prompt', p.id)}
    prompts.new_version(p.id, 'Turn this changelog into prose: {{changelog}}')
    assert found('commits') == set()
    assert found('changelog') == {('prompt', p.id)}
    entities.update_item('prompt', p.id, description='for the monthly newsletter')
    assert found('newsletter') == {('prompt', p.id)}
    entities.trash('prompt', [p.id])
    assert found('changelog') == set()
    entities.restore('prompt', [p.id])
    assert found('changelog') == {('prompt', p.id)}
    entities.trash('prompt', [p.id])
    entities.delete_forever('prompt', [p.id])
    assert found('changelog') == set()
    integrity(db, 'prompt_fts')


def test_conversations_are_found_by_title(db):
    cid, _ = chat('Sourdough starter questions', 'hello')
    assert found('sourdough') == {('conversation', cid)}
    entities.update_item('conversation', cid, title='Bread baking')
    assert found('sourdough') == set() and found('bread') == {('conversation', cid)}
    entities.trash('conversation', [cid])
    assert found('bread') == set()
    entities.restore('conversation', [cid])
    entities.trash('conversation', [cid])
    entities.delete_forever('conversation', [cid])
    assert found('bread') == set()
    integrity(db, 'conversation_fts')


def test_new_edited_and_deleted_items_are_queued_for_embedding(db):
    db.execute_sql('DELETE FROM embed_queue')
    oid = capture('first body', title='t')
    cid, (mid,) = chat('c', 'hello there')
    assert set(queued(db)) == {('output', oid), ('message', mid)}
    db.execute_sql('DELETE FROM embed_queue')
    entities.update_item('output', oid, notes='notes are not embedded', rating=4)
    entities.mark_viewed('output', oid)
    assert queued(db) == {}
    entities.update_item('output', oid, body='second body')
    conversations.update_message(mid, content='hello again')
    assert set(queued(db)) == {('output', oid), ('message', mid)}
    before = queued(db)
    conversations.update_message(mid, content='hello once more')  # still queued: generation moves on
    assert queued(db)[('message', mid)] == before[('message', mid)] + 1
    db.execute_sql('DELETE FROM embed_queue')
    entities.trash('output', [oid])
    assert queued(db) == {}  # trashed items keep their vectors: restore is instant
    entities.delete_forever('output', [oid])
    assert set(queued(db)) == {('output', oid)}  # the indexer drops its vectors


def test_hidden_and_empty_messages_are_not_queued(db):
    db.execute_sql('DELETE FROM embed_queue')
    conv = conversations.create_conversation('x')
    conversations.add_message(conv, 'tool', 'tool output', hidden=True)
    conversations.add_message(conv, 'assistant', '')  # a reply about to stream
    assert queued(db) == {}


def test_rewriting_unchanged_rows_does_no_index_work(db):
    """An idempotent re-import rewrites rows with the same text: no FTS or queue work may follow."""
    conv = conversations.create_conversation('Imported chat')
    with dbmod.write_tx():
        for i in range(300):
            conversations.add_message(conv, 'user', f'message number {i} about imports')
    db.execute_sql('DELETE FROM embed_queue')
    raw = db.connection()
    before = raw.total_changes
    db.execute_sql("UPDATE message SET content = content, hidden = hidden, updated_at = '2030-01-01'")
    db.execute_sql(
        'INSERT INTO message (id, created_at, updated_at, conversation_id, role, content, content_type, hidden, status) '
        'SELECT id, created_at, updated_at, conversation_id, role, content, content_type, hidden, status FROM message WHERE 1 '
        'ON CONFLICT (id) DO UPDATE SET content = excluded.content, updated_at = excluded.updated_at'
    )
    db.execute_sql('UPDATE conversation SET message_count = 300, updated_at = CURRENT_TIMESTAMP')
    # total_changes counts trigger work too: only the rewritten rows themselves may appear.
    assert raw.total_changes - before == 300 + 300 + 1
    assert queued(db) == {}
    assert Message.select().count() == 300
    integrity(db, 'message_fts', content=True)


def test_upgrading_a_database_made_before_search_indexes_what_it_holds(db_path):
    names = migrations.all_names()
    raw = dbmod.open_database(db_path)
    migrations.upgrade(raw, target=names[0])
    raw.execute_sql(
        'INSERT INTO output (created_at, updated_at, favourite, keep, title, body, body_hash) '
        "VALUES ('2024-01-02', '2024-01-02', 0, 0, 'Old output', 'about lighthouses', 'h')"
    )
    raw.execute_sql(
        'INSERT INTO output (created_at, updated_at, favourite, keep, title, body, body_hash, deleted_at) '
        "VALUES ('2024-01-02', '2024-01-02', 0, 0, 'Trashed', 'about lighthouses too', 'h2', '2024-02-01')"
    )
    raw.execute_sql(
        'INSERT INTO conversation (created_at, updated_at, favourite, keep, title, message_count) '
        "VALUES ('2024-01-02', '2024-01-02', 0, 0, 'Old chat', 1)"
    )
    raw.execute_sql(
        'INSERT INTO message (created_at, updated_at, conversation_id, role, content, content_type, hidden, status) '
        "VALUES ('2024-01-02', '2024-01-02', 1, 'user', 'lighthouse keepers', 'text', 0, 'complete')"
    )
    raw.close()
    database = dbmod.connect(db_path)
    assert found('lighthouse') == {('output', 1), ('message', 1)}
    assert found('chat') == {('conversation', 1)}
    assert set(queued(database)) == {('output', 1), ('output', 2), ('message', 1)}


@pytest.mark.parametrize('table', ['output_fts', 'message_fts', 'prompt_fts', 'conversation_fts'])
def test_fresh_indexes_pass_their_integrity_check(db, table):
    integrity(db, table)
