"""A paired device can be made an administrator by this computer (a laptop that uses an Output Hub
running on a home server administers it from its browser)."""


def up(migrator, db):
    db.execute_sql('ALTER TABLE device ADD COLUMN is_admin INTEGER NOT NULL DEFAULT 0')
