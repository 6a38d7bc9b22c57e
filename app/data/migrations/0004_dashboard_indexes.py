"""Covering indexes for the dashboard: group 1M messages / 100k outputs by day without reading the rows.

The first column is the day (``substr(created_at, 1, 10)``); app/data/dashboard.py groups and filters
by exactly that expression, so SQLite walks the index in order and needs no sort. The other columns
are everything the dashboard reads, so the (large) rows are never touched. ``deleted_at`` is listed
although it is always NULL in the partial indexes: SQLite only treats an index as covering when it
holds every column the query mentions, the WHERE clause's included.
"""

STATEMENTS = [
    'CREATE INDEX IF NOT EXISTS "message_dashboard" ON "message" '
    '(substr(created_at, 1, 10), "model_id", "agent_version_id", "conversation_id", '
    '"input_tokens", "output_tokens", "cost")',
    'CREATE INDEX IF NOT EXISTS "output_dashboard" ON "output" '
    '(substr(created_at, 1, 10), "model_id", "agent_version_id", "message_id", "input_tokens", '
    '"output_tokens", "cost", "prompt_version_id", "rating", "source_id", "deleted_at") WHERE "deleted_at" IS NULL',
    'CREATE INDEX IF NOT EXISTS "conversation_dashboard" ON "conversation" '
    '(substr(created_at, 1, 10), "source_id", "deleted_at") WHERE "deleted_at" IS NULL',
]


def up(migrator, db):
    for statement in STATEMENTS:
        db.execute_sql(statement)
