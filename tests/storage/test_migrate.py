"""The schema's revision is known without alembic: its migration scripts are read, and alembic imported,
only to migrate or stamp, so every command opens an up-to-date database quickly, and a new database is
made at the newest revision from the models, as the migrations would make it."""

from __future__ import annotations

import subprocess
import sys

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from newscrawl.storage import DatabaseUnavailable, migrate, open_database
from tests.storage.support import make_article, migrated_by_alembic

# Prints the schema revision open_database finds and whether alembic was imported to find it.
OPEN_AND_REPORT = (
    "import sys\n"
    "from newscrawl.storage import open_database\n"
    "with open_database(sys.argv[1]) as database:\n"
    "    print(database.schema_revision(), 'alembic' in sys.modules)\n"
)


def _run(code: str, *arguments: str) -> str:
    done = subprocess.run([sys.executable, "-c", code, *arguments], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_revisions_named_in_code_are_the_migration_scripts_oldest_first():
    scripts = ScriptDirectory.from_config(migrate.alembic_config())
    walked = [script.revision for script in reversed(list(scripts.walk_revisions()))]
    assert migrate.revisions() == walked
    assert migrate.head_revision() == scripts.get_current_head() == walked[-1]


def test_only_an_older_schema_imports_alembic_a_new_or_current_one_is_opened_without(database_url):
    head = migrate.head_revision()
    assert _run(OPEN_AND_REPORT, database_url) == f"{head} False"  # new: made at the head from the models
    assert _run(OPEN_AND_REPORT, database_url) == f"{head} False"  # current: one query
    engine = sa.create_engine(database_url)
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = '0006'"))
    engine.dispose()
    assert _run(OPEN_AND_REPORT, database_url) == f"{head} True"  # older: alembic ran 0007


def test_an_older_revision_is_still_found_and_migrated(sqlite_url):
    with open_database(sqlite_url) as database:
        with database.engine.begin() as connection:
            connection.execute(sa.text("UPDATE alembic_version SET version_num = '0006'"))
        assert migrate.current_revision(database.engine) == "0006"
    with open_database(sqlite_url) as database:
        assert database.schema_revision() == migrate.head_revision()


def test_the_parser_imports_no_command_and_neither_pyarrow_nor_alembic():
    code = (
        "import sys\n"
        "from newscrawl.cli.app import build_parser\n"
        "build_parser()\n"
        "print(sorted(name for name in sys.modules if name in ('pyarrow', 'alembic', 'scrapy')\n"
        "             or name.startswith('newscrawl.cli.') and name.rsplit('.', 1)[1] in\n"
        "             ('export', 'load', 'stats', 'diff', 'db', 'imports', 'reextract', 'wacz', 'dedupe')))\n"
    )
    assert _run(code) == "[]"


def _schema_and_rows(engine: sa.Engine) -> dict:
    """What a migration or a query by column name could see of a database: each table's columns
    (name, type, nullability, default), keys, indexes and constraints by name, and every row. Not the
    columns' order: a migrated table has its later columns last (on PostgreSQL; SQLite's rebuilds
    reorder them), a new one the models' order, and newscrawl names every column it reads or writes."""
    inspector = sa.inspect(engine)
    described = {}
    with engine.connect() as connection:
        for table in sorted(inspector.get_table_names()):
            described[table] = {
                "columns": sorted((column["name"], str(column["type"]), column["nullable"], column.get("default"),
                                   column.get("autoincrement")) for column in inspector.get_columns(table)),
                "primary key": inspector.get_pk_constraint(table),
                "foreign keys": sorted(inspector.get_foreign_keys(table), key=repr),
                "indexes": sorted(inspector.get_indexes(table), key=repr),
                "unique": sorted(inspector.get_unique_constraints(table), key=repr),
                "checks": sorted(inspector.get_check_constraints(table), key=repr),
                "rows": sorted((sorted(row.items())
                                for row in connection.execute(sa.text(f"SELECT * FROM {table}")).mappings()), key=repr),
            }
    return described


def test_a_new_database_made_at_the_head_is_the_one_the_migrations_make(database_url, tmp_path):
    """open_database makes a new database from the models and migrate.SEED_ROWS; every revision's
    script run by alembic from an empty database must leave exactly the same schema and rows."""
    with open_database(database_url) as made:
        direct = _schema_and_rows(made.engine)
    with migrated_by_alembic(database_url, tmp_path) as migrated:
        assert _schema_and_rows(migrated) == direct
    assert direct["alembic_version"]["rows"] == [[("version_num", migrate.head_revision())]]
    assert [dict(row)["scheme"] for row in direct["near_duplicate_settings"]["rows"]] == ["words32"]
    assert direct["articles"]["rows"] == [] and len(direct["articles"]["columns"]) == 34


def test_a_new_database_that_cannot_be_made_is_left_empty_and_made_at_the_next_open(database_url, monkeypatch):
    bad_seed = {"near_duplicate_settings": [{**migrate.SEED_ROWS["near_duplicate_settings"][0], "threshold": None}]}
    monkeypatch.setattr(migrate, "SEED_ROWS", bad_seed)  # NOT NULL fails after every table was created
    with pytest.raises(DatabaseUnavailable, match="(?i)not[- ]null"):
        open_database(database_url)
    engine = sa.create_engine(database_url)
    assert sa.inspect(engine).get_table_names() == []  # the one transaction was rolled back
    engine.dispose()
    monkeypatch.undo()
    with open_database(database_url) as database:
        assert database.schema_revision() == migrate.head_revision()
        assert database.store_articles([make_article(1)]) == ["new"]
