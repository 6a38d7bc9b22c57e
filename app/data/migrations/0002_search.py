"""Search: FTS5 keyword indexes kept in sync by triggers, embedding chunks in sqlite-vec, indexer queue.

Design notes (frozen SQL; see app/data/search.py and app/data/embeddings.py for the readers):
- outputs and messages are big, so their FTS tables are external-content (no second copy of the
  text); their delete path passes the OLD values, as FTS5 requires. prompts (title + description +
  current version body, which lives in another table) and conversations (title + summary) are small,
  so their FTS tables keep their own copy and are deleted from by rowid.
- Only live rows are indexed: soft delete removes an output / prompt / conversation from its FTS
  table and restore puts it back. Messages have no trash of their own; a trashed conversation hides
  its messages at query time. Hidden messages (tool traffic, thoughts) are not indexed.
- Every trigger does constant work through primary keys or unique indexes, and update triggers fire
  only when an indexed value really changed: an idempotent re-import that rewrites 1M unchanged
  messages touches neither the FTS index nor the embedding queue.
- embed_queue is what the background indexer still has to (re-)embed or drop; ``gen`` is bumped
  when an owner changes again while queued, so the indexer only removes the row it has processed.
- embed_vec (sqlite-vec) is the durable vector store, keyed by embed_chunk.id; its dimension
  follows the embedding model, so switching model recreates it (embeddings.reset_index).
"""

FTS_TOKENIZE = "tokenize='porter unicode61 remove_diacritics 2'"

# The queue upsert every content trigger uses; the owner is given as (kind, id) SQL expressions.
ENQUEUE = (
    'INSERT INTO embed_queue (owner_kind, owner_id) SELECT {kind}, {id} WHERE {when} '
    'ON CONFLICT (owner_kind, owner_id) DO UPDATE SET gen = gen + 1;'
)

OUTPUT_CHANGED = (
    'old.title IS NOT new.title OR old.body IS NOT new.body OR old.notes IS NOT new.notes '
    'OR (old.deleted_at IS NULL) <> (new.deleted_at IS NULL)'
)
PROMPT_CHANGED = (
    'old.title IS NOT new.title OR old.description IS NOT new.description '
    'OR old.current_version_id IS NOT new.current_version_id '
    'OR (old.deleted_at IS NULL) <> (new.deleted_at IS NULL)'
)
CONVERSATION_CHANGED = (
    'old.title IS NOT new.title OR old.summary IS NOT new.summary '
    'OR (old.deleted_at IS NULL) <> (new.deleted_at IS NULL)'
)
PROMPT_ROW = (
    "SELECT new.id, new.title, COALESCE(new.description, ''), "
    "COALESCE((SELECT body FROM prompt_version WHERE id = new.current_version_id), '') "
    'WHERE new.deleted_at IS NULL'
)

STATEMENTS = [
    # ------------------------------------------------------------------ keyword (FTS5)
    f"CREATE VIRTUAL TABLE output_fts USING fts5(title, body, notes, content='output', content_rowid='id', {FTS_TOKENIZE})",
    f"CREATE VIRTUAL TABLE message_fts USING fts5(content, content='message', content_rowid='id', {FTS_TOKENIZE})",
    f'CREATE VIRTUAL TABLE prompt_fts USING fts5(title, description, body, {FTS_TOKENIZE})',
    f'CREATE VIRTUAL TABLE conversation_fts USING fts5(title, summary, {FTS_TOKENIZE})',
    # ------------------------------------------------------------------ embeddings
    'CREATE TABLE embed_chunk ('
    ' id INTEGER PRIMARY KEY AUTOINCREMENT,'  # never reused: in-memory indexes detect stale rows by id
    ' owner_kind TEXT NOT NULL,'  # output | message
    ' owner_id INTEGER NOT NULL,'
    ' seq INTEGER NOT NULL,'  # chunk number within the owner's text
    ' start INTEGER NOT NULL,'  # character span in the embedded text (for snippets)
    ' "end" INTEGER NOT NULL)',
    'CREATE INDEX embed_chunk_owner ON embed_chunk (owner_kind, owner_id)',
    'CREATE VIRTUAL TABLE embed_vec USING vec0(chunk_id INTEGER PRIMARY KEY, embedding float[384])',
    'CREATE TABLE embed_owner ('
    ' owner_kind TEXT NOT NULL,'
    ' owner_id INTEGER NOT NULL,'
    ' content_hash TEXT NOT NULL,'  # hash of model + embedded text: an edit that changes neither is skipped
    ' chunks INTEGER NOT NULL,'
    ' embedded_at DATETIME NOT NULL,'
    ' PRIMARY KEY (owner_kind, owner_id)) WITHOUT ROWID',
    'CREATE TABLE embed_queue ('
    ' id INTEGER PRIMARY KEY AUTOINCREMENT,'
    ' owner_kind TEXT NOT NULL,'
    ' owner_id INTEGER NOT NULL,'
    ' gen INTEGER NOT NULL DEFAULT 0,'
    ' UNIQUE (owner_kind, owner_id))',
    # ------------------------------------------------------------------ outputs
    'CREATE TRIGGER output_search_ai AFTER INSERT ON output BEGIN '
    "INSERT INTO output_fts (rowid, title, body, notes) SELECT new.id, new.title, new.body, COALESCE(new.notes, '') "
    'WHERE new.deleted_at IS NULL; ' + ENQUEUE.format(kind="'output'", id='new.id', when='1') + ' END',
    f'CREATE TRIGGER output_search_au AFTER UPDATE OF title, body, notes, deleted_at ON output WHEN {OUTPUT_CHANGED} BEGIN '
    "INSERT INTO output_fts (output_fts, rowid, title, body, notes) SELECT 'delete', old.id, old.title, old.body, "
    "COALESCE(old.notes, '') WHERE old.deleted_at IS NULL; "
    "INSERT INTO output_fts (rowid, title, body, notes) SELECT new.id, new.title, new.body, COALESCE(new.notes, '') "
    'WHERE new.deleted_at IS NULL; '
    + ENQUEUE.format(
        kind="'output'", id='new.id', when='old.title IS NOT new.title OR old.body IS NOT new.body'
    )
    + ' END',
    'CREATE TRIGGER output_search_ad AFTER DELETE ON output BEGIN '
    "INSERT INTO output_fts (output_fts, rowid, title, body, notes) SELECT 'delete', old.id, old.title, old.body, "
    "COALESCE(old.notes, '') WHERE old.deleted_at IS NULL; "
    + ENQUEUE.format(kind="'output'", id='old.id', when='1')
    + ' END',
    # ------------------------------------------------------------------ messages
    'CREATE TRIGGER message_search_ai AFTER INSERT ON message WHEN new.hidden = 0 BEGIN '
    'INSERT INTO message_fts (rowid, content) VALUES (new.id, new.content); '
    + ENQUEUE.format(kind="'message'", id='new.id', when="new.content <> ''")
    + ' END',
    'CREATE TRIGGER message_search_au AFTER UPDATE OF content, hidden ON message '
    'WHEN old.content IS NOT new.content OR old.hidden IS NOT new.hidden BEGIN '
    "INSERT INTO message_fts (message_fts, rowid, content) SELECT 'delete', old.id, old.content WHERE old.hidden = 0; "
    'INSERT INTO message_fts (rowid, content) SELECT new.id, new.content WHERE new.hidden = 0; '
    + ENQUEUE.format(kind="'message'", id='new.id', when='1')
    + ' END',
    'CREATE TRIGGER message_search_ad AFTER DELETE ON message BEGIN '
    "INSERT INTO message_fts (message_fts, rowid, content) SELECT 'delete', old.id, old.content WHERE old.hidden = 0; "
    + ENQUEUE.format(kind="'message'", id='old.id', when="old.hidden = 0 AND old.content <> ''")
    + ' END',
    # ------------------------------------------------------------------ prompts
    f'CREATE TRIGGER prompt_search_ai AFTER INSERT ON prompt BEGIN '
    f'INSERT INTO prompt_fts (rowid, title, description, body) {PROMPT_ROW}; END',
    f'CREATE TRIGGER prompt_search_au AFTER UPDATE OF title, description, current_version_id, deleted_at ON prompt '
    f'WHEN {PROMPT_CHANGED} BEGIN '
    'DELETE FROM prompt_fts WHERE rowid = old.id; '
    f'INSERT INTO prompt_fts (rowid, title, description, body) {PROMPT_ROW}; END',
    'CREATE TRIGGER prompt_search_ad AFTER DELETE ON prompt BEGIN DELETE FROM prompt_fts WHERE rowid = old.id; END',
    # ------------------------------------------------------------------ conversations
    'CREATE TRIGGER conversation_search_ai AFTER INSERT ON conversation WHEN new.deleted_at IS NULL BEGIN '
    "INSERT INTO conversation_fts (rowid, title, summary) VALUES (new.id, new.title, COALESCE(new.summary, '')); END",
    'CREATE TRIGGER conversation_search_au AFTER UPDATE OF title, summary, deleted_at ON conversation '
    f'WHEN {CONVERSATION_CHANGED} BEGIN '
    'DELETE FROM conversation_fts WHERE rowid = old.id; '
    "INSERT INTO conversation_fts (rowid, title, summary) SELECT new.id, new.title, COALESCE(new.summary, '') "
    'WHERE new.deleted_at IS NULL; END',
    'CREATE TRIGGER conversation_search_ad AFTER DELETE ON conversation BEGIN '
    'DELETE FROM conversation_fts WHERE rowid = old.id; END',
    # ------------------------------------------------------------------ what the index holds
    # uid tells two databases (or a replaced file) apart; generation changes when the model does.
    "INSERT INTO app_setting (key, value, updated_at) VALUES ('embedding_index', "
    "json_object('model', 'all-MiniLM-L6-v2', 'dim', 384, 'generation', 1, 'uid', lower(hex(randomblob(8)))), "
    'CURRENT_TIMESTAMP) ON CONFLICT (key) DO NOTHING',
    # ------------------------------------------------------------------ backfill a database made before search
    "INSERT INTO output_fts (rowid, title, body, notes) SELECT id, title, body, COALESCE(notes, '') FROM output "
    'WHERE deleted_at IS NULL',
    'INSERT INTO message_fts (rowid, content) SELECT id, content FROM message WHERE hidden = 0',
    'INSERT INTO prompt_fts (rowid, title, description, body) '
    "SELECT p.id, p.title, COALESCE(p.description, ''), COALESCE(v.body, '') FROM prompt p "
    'LEFT JOIN prompt_version v ON v.id = p.current_version_id WHERE p.deleted_at IS NULL',
    "INSERT INTO conversation_fts (rowid, title, summary) SELECT id, title, COALESCE(summary, '') FROM conversation "
    'WHERE deleted_at IS NULL',
    "INSERT INTO embed_queue (owner_kind, owner_id) SELECT 'output', id FROM output ORDER BY id",
    "INSERT INTO embed_queue (owner_kind, owner_id) SELECT 'message', id FROM message "
    "WHERE hidden = 0 AND content <> '' ORDER BY id",
]


def up(migrator, db):
    for statement in STATEMENTS:
        db.execute_sql(statement)
