"""A small partial index so this month's spend per provider is read from the index, not 1M messages."""

STATEMENTS = [
    'CREATE INDEX IF NOT EXISTS "message_spend" ON "message" ("created_at", "model_id", "cost") '
    'WHERE "cost" IS NOT NULL',
]


def up(migrator, db):
    for statement in STATEMENTS:
        db.execute_sql(statement)
