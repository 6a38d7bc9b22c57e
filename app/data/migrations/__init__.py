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
    """Apply pending migrations (up to ``target`` if given); returns the names applied.

    A database some newer version of the app has migrated further is refused: this version does not know
    what the newer schema means, and writing to it could corrupt the user's library."""
    newer = unknown_applied(db)
    if newer:
        from ...errors import UserError

        raise UserError(
            f'{_file_of(db)} was upgraded by a newer version of Output Hub (schema {newer[-1]}); '
            'update Output Hub to open it.'
        )
    return runner(db).up(target)


def unknown_applied(db: peewee.Database) -> list[str]:
    """Migrations recorded as applied that this version does not have (a newer app ran on the file)."""
    return [m.name for m in runner(db).status() if m.path is None and m.applied is not None]


def _file_of(db: peewee.Database) -> str:
    name = str(getattr(db, 'database', '') or '')
    return Path(name).name if name and name != ':memory:' else 'This database'


def pending(db: peewee.Database) -> list[str]:
    return [m.name for m in runner(db).status() if m.applied is None and m.path is not None]


def all_names() -> list[str]:
    """Every migration file, in order."""
    return [m.name for m in Migration.load_directory(str(DIRECTORY))]
