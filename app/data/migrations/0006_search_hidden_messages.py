"""Hidden messages (tool calls, browsing, quoted pages, code and its output, reasoning) become
keyword-searchable: they stay folded away in the reading view, but their substance is findable.
They are still not embedded (search by meaning covers what the conversation shows)."""

ENQUEUE = (
    'INSERT INTO embed_queue (owner_kind, owner_id) SELECT {kind}, {id} WHERE {when} '
    'ON CONFLICT (owner_kind, owner_id) DO UPDATE SET gen = gen + 1;'
)

STATEMENTS = [
    'DROP TRIGGER IF EXISTS message_search_ai',
    'DROP TRIGGER IF EXISTS message_search_au',
    'DROP TRIGGER IF EXISTS message_search_ad',
    'CREATE TRIGGER message_search_ai AFTER INSERT ON message BEGIN '
    'INSERT INTO message_fts (rowid, content) VALUES (new.id, new.content); '
    + ENQUEUE.format(kind="'message'", id='new.id', when="new.hidden = 0 AND new.content <> ''")
    + ' END',
    'CREATE TRIGGER message_search_au AFTER UPDATE OF content, hidden ON message '
    'WHEN old.content IS NOT new.content OR old.hidden IS NOT new.hidden BEGIN '
    "INSERT INTO message_fts (message_fts, rowid, content) VALUES ('delete', old.id, old.content); "
    'INSERT INTO message_fts (rowid, content) VALUES (new.id, new.content); '
    + ENQUEUE.format(kind="'message'", id='new.id', when='1')
    + ' END',
    'CREATE TRIGGER message_search_ad AFTER DELETE ON message BEGIN '
    "INSERT INTO message_fts (message_fts, rowid, content) VALUES ('delete', old.id, old.content); "
    + ENQUEUE.format(kind="'message'", id='old.id', when="old.hidden = 0 AND old.content <> ''")
    + ' END',
    # the hidden messages the previous triggers left out
    'INSERT INTO message_fts (rowid, content) SELECT id, content FROM message WHERE hidden = 1',
]


def up(migrator, db):
    for statement in STATEMENTS:
        db.execute_sql(statement)
