"""The database opener, the migrations and the schema they build."""

from __future__ import annotations

import sqlite3 as std_sqlite3

import peewee
import pytest
from playhouse.schema_diff import diff_models

from app.data import db as dbmod
from app.data import migrations
from app.data.models import CORE_MODELS, AccuracyLevel, LlmModel, Output, PromptVersion, SensitivityLevel, Tag
from app.errors import UserError


def test_connect_sets_pragmas_and_loads_sqlite_vec(db):
    assert db.execute_sql('PRAGMA journal_mode').fetchone()[0] == 'wal'
    assert db.execute_sql('PRAGMA foreign_keys').fetchone()[0] == 1
    assert db.execute_sql('PRAGMA busy_timeout').fetchone()[0] >= 5000
    assert db.execute_sql('PRAGMA synchronous').fetchone()[0] == 1  # NORMAL
    assert dbmod.vec_version(db).startswith('v')
    assert db.execute_sql('PRAGMA integrity_check').fetchone()[0] == 'ok'


def test_vec_works_even_where_the_standard_sqlite3_cannot_load_extensions(db):
    # This machine's Python cannot load extensions; the app's opener must still give us vec0.
    if hasattr(std_sqlite3.Connection, 'enable_load_extension'):
        pytest.skip('the standard sqlite3 can load extensions here')
    db.execute_sql('CREATE VIRTUAL TABLE t_vec USING vec0(embedding float[3])')
    db.execute_sql("INSERT INTO t_vec(rowid, embedding) VALUES (1, '[1,0,0]')")
    assert (
        db.execute_sql("SELECT rowid FROM t_vec WHERE embedding MATCH '[1,0,0]' AND k = 1").fetchone()[0] == 1
    )


def test_every_connection_gets_sqlite_vec(db_path):
    import threading

    database = dbmod.connect(db_path)
    versions = []

    def worker():
        versions.append(database.execute_sql('SELECT vec_version()').fetchone()[0])
        database.close()

    t = threading.Thread(target=worker)
    t.start()
    t.join()
    assert versions and versions[0].startswith('v')


def schema_drift(database):
    """Differences between the migrated schema and the models, ignoring the partial indexes that
    migrations add on purpose (models cannot declare them)."""
    diff = diff_models(database, CORE_MODELS)
    return diff._replace(drop_indexes=[i for i in diff.drop_indexes if i.columns is not None])


def test_migrated_schema_matches_the_models(db):
    diff = schema_drift(db)
    assert not diff, str(diff)


def test_defaults_are_created_once(db):
    assert AccuracyLevel.select().count() == 4
    assert SensitivityLevel.get(SensitivityLevel.name == 'Secret').restricted
    assert LlmModel.select().count() >= 12
    AccuracyLevel.delete().where(AccuracyLevel.name == 'Wrong').execute()
    dbmod.connect(db.database)  # reopening must not bring back a row the user deleted
    assert AccuracyLevel.select().count() == 3


def test_upgrade_from_the_first_migration_keeps_everything(db_path):
    names = migrations.all_names()
    assert names[0] == '0001_initial'
    raw = dbmod.open_database(db_path)
    assert migrations.upgrade(raw, target=names[0]) == [names[0]]
    raw.execute_sql(
        "INSERT INTO tag (created_at, updated_at, name) VALUES ('2024-01-01 00:00:00', '2024-01-01 00:00:00', 'keepme')"
    )
    raw.execute_sql(
        'INSERT INTO output (created_at, updated_at, favourite, keep, title, body, body_hash) '
        "VALUES ('2024-01-02 00:00:00', '2024-01-02 00:00:00', 1, 0, 'Old output', 'old body', 'h')"
    )
    raw.close()
    database = dbmod.connect(db_path)
    assert migrations.pending(database) == []
    assert Tag.get(Tag.name == 'keepme')
    out = Output.get(Output.title == 'Old output')
    assert out.body == 'old body' and out.favourite
    assert not schema_drift(database)


def test_a_file_that_is_not_a_database_gives_a_clear_error(tmp_path):
    bad = tmp_path / 'notes.db'
    bad.write_bytes(b'this is not sqlite' * 100)
    with pytest.raises(dbmod.DatabaseUnavailable, match='not a readable Output Hub database'):
        dbmod.open_database(bad)


def test_versions_are_immutable(db):
    from app.data import prompts

    p = prompts.create_prompt('T', 'body one')
    with pytest.raises(peewee.IntegrityError, match='immutable'):
        PromptVersion.update(body='changed').where(PromptVersion.prompt == p.id).execute()
    assert PromptVersion.get(PromptVersion.prompt == p.id).body == 'body one'


def test_a_database_a_newer_version_migrated_is_refused_with_a_sentence(db_path) -> None:
    raw = dbmod.open_database(db_path)
    migrations.upgrade(raw)
    raw.execute_sql(
        'INSERT INTO schema_migration (name, applied) VALUES (?, ?)', ('9999_from_the_future', '2030-01-01')
    )
    raw.close()
    with pytest.raises(UserError, match='newer version of Output Hub') as info:
        dbmod.connect(db_path)
    assert db_path.name in str(info.value)
