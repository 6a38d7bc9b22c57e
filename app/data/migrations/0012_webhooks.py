"""Outgoing webhooks (Settings → Integrations → Webhooks): the webhooks, their persisted delivery queue and
the delivery log. The signing secret is not here: ``webhook.secret_ref`` names it in the key store
(OS keyring or the 0600 key file, ``app.llm.keys``), like a provider's API key."""

STATEMENTS = [
    'CREATE TABLE webhook ('
    ' id INTEGER NOT NULL PRIMARY KEY,'
    ' url TEXT NOT NULL,'
    ' events TEXT NOT NULL,'  # JSON list of event names
    ' allow_secret INTEGER NOT NULL DEFAULT 0,'
    ' enabled INTEGER NOT NULL DEFAULT 1,'
    ' secret_ref TEXT,'
    ' created_at DATETIME NOT NULL,'
    ' updated_at DATETIME NOT NULL)',
    'CREATE TABLE webhook_delivery ('
    ' id INTEGER NOT NULL PRIMARY KEY,'
    ' webhook_id INTEGER NOT NULL REFERENCES webhook (id) ON DELETE CASCADE,'
    ' delivery_id TEXT NOT NULL UNIQUE,'
    ' event TEXT NOT NULL,'
    ' payload TEXT NOT NULL,'
    " status TEXT NOT NULL DEFAULT 'pending',"  # pending | delivered | failed
    ' attempts INTEGER NOT NULL DEFAULT 0,'
    ' next_attempt_at DATETIME NOT NULL,'
    ' last_status_code INTEGER,'
    ' last_error TEXT,'
    ' created_at DATETIME NOT NULL,'
    ' finished_at DATETIME)',
    'CREATE INDEX webhook_delivery_due ON webhook_delivery (status, next_attempt_at)',
    'CREATE INDEX webhook_delivery_webhook ON webhook_delivery (webhook_id, created_at)',
    'CREATE TABLE webhook_attempt ('
    ' id INTEGER NOT NULL PRIMARY KEY,'
    ' delivery_id INTEGER NOT NULL REFERENCES webhook_delivery (id) ON DELETE CASCADE,'
    ' webhook_id INTEGER NOT NULL REFERENCES webhook (id) ON DELETE CASCADE,'
    ' attempt INTEGER NOT NULL,'
    ' status_code INTEGER,'
    ' error TEXT,'
    ' attempted_at DATETIME NOT NULL,'
    ' duration_ms INTEGER NOT NULL DEFAULT 0)',
    'CREATE INDEX webhook_attempt_delivery ON webhook_attempt (delivery_id)',
    'CREATE INDEX webhook_attempt_time ON webhook_attempt (attempted_at)',
]


def up(migrator, db):
    for statement in STATEMENTS:
        db.execute_sql(statement)
