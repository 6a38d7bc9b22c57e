"""Idempotency keys of ``POST /api/v1/captures``: a phone resending a queued capture (or an HTTP Shortcuts
retry) with the same ``Idempotency-Key`` gets the first answer instead of a second output. One row per
principal and key, written in the capture's own transaction; housekeeping deletes rows older than 7 days."""

STATEMENTS = [
    'CREATE TABLE idempotency_key ('
    ' principal TEXT NOT NULL,'
    ' key TEXT NOT NULL,'
    ' request_hash TEXT NOT NULL,'
    ' output_id INTEGER,'
    ' response TEXT NOT NULL,'
    ' created_at DATETIME NOT NULL,'
    ' PRIMARY KEY (principal, key))',
    'CREATE INDEX idempotency_key_created ON idempotency_key (created_at)',
]


def up(migrator, db):
    for statement in STATEMENTS:
        db.execute_sql(statement)
