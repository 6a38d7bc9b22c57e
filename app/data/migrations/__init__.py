"""Numbered schema migrations (playhouse.migrations): the schema only moves forward.

Each ``NNNN_name.py`` defines ``up(migrator, db)`` and runs in one transaction. New tables are
written as frozen SQL or frozen model copies, never by importing ``app.data.models``.
"""

from __future__ import annotations

from pathlib import Path

import peewee
from playhouse.migrations import Migration, Runner

DIRECTORY = Path(__file__).resolve().parent
HISTORY_TABLE = 'schema_migration'


def runner(db: peewee.Database) -> Runner:
    return Runner(db, directory=str(DIRECTORY), table_name=HISTORY_TABLE)


def upgrade(db: peewee.Database, target: str | None = None) -> list[str]:
    """Apply pending migrations (up to ``target`` if given); returns the names applied."""
    return runner(db).up(target)


def pending(db: peewee.Database) -> list[str]:
    return [m.name for m in runner(db).status() if m.applied is None and m.path is not None]


def all_names() -> list[str]:
    """Every migration file, in order."""
    return [m.name for m in Migration.load_directory(str(DIRECTORY))]
