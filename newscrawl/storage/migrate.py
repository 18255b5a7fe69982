"""Alembic migrations shipped inside the package, run without an alembic.ini.

Alembic is imported only to migrate or stamp: every command opens its database, and importing
alembic and reading its scripts to learn that the schema is current cost more than the rest of
opening it (a fifth of a second here). An up-to-date schema is told by REVISIONS and one query.
A new, empty database is made at the newest revision directly, from the models and SEED_ROWS,
without walking the seven migrations (0.12-0.18 s each time); a test makes one both ways and
compares their schemas and rows on SQLite and PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Column, Connection, Engine, MetaData, PrimaryKeyConstraint, String, Table, inspect, text

from newscrawl.storage.engine import write_connection
from newscrawl.storage.models import Base

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

# Every revision in migrations/versions, oldest first (a test checks this against alembic's own walk
# of the scripts, so a new migration that is not added here fails the tests).
REVISIONS = ("0001", "0002", "0003", "0004", "0005", "0006", "0007")
VERSION_TABLE = "alembic_version"

# The rows the migrations leave in a new database besides its schema (0006's settings row, with the
# scheme 0007 names): a database made at the newest revision directly starts with these. A migration
# that adds or changes such rows must change them here too (the test of a new database fails until then).
SEED_ROWS = {
    "near_duplicate_settings": [{"id": 1, "threshold": 0.8, "bands": 25, "rows": 5, "num_perm": 128,
                                 "shingle_words": 5, "scheme": "words32"}],
}

# newscrawl's tables, and the revision whose migrations leave exactly these (a table, or table.column).
REVISION_MARKS = {
    "0001": ("articles", "article_revisions", "crawl_runs"),
    "0002": ("gone_articles",),
    "0003": ("crawl_runs.pid", "crawl_runs.pid_space", "crawl_runs.run_lock"),
    "0004": ("articles.publisher", "articles.channel", "articles.section_path", "gone_articles.publisher"),
    "0005": ("articles.syndicated_from", "article_revisions.syndicated_from"),
    "0006": ("near_duplicate_settings", "near_duplicates", "near_duplicate_buckets"),
}


class UnknownRevision(RuntimeError):
    """The schema has newscrawl's tables but no record of its revision; the message says what to do."""


# Any constant works if every newscrawl process uses it and no other lock does (locks.py uses "news").
_PG_MIGRATION_LOCK = 0x6E636D67  # "ncmg"


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    return REVISIONS[-1]


def revisions() -> list[str]:
    """Every revision, oldest first."""
    return list(REVISIONS)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return _recorded_revision(connection)


def _recorded_revision(connection: Connection) -> str | None:
    """The revision in the version table, as alembic reads it (None: no table, or no row)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    versions = connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    if len(versions) > 1:  # branches, which newscrawl never makes: alembic says what is wrong
        from alembic.runtime.migration import MigrationContext

        return MigrationContext.configure(connection).get_current_revision()
    return versions[0] if versions else None


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest revision.

    On PostgreSQL an advisory lock held for the transaction lets only one process
    migrate at a time; the next one finds the schema already current. A database without
    newscrawl's tables is made at the newest revision in the same transaction, without alembic.
    """
    with write_connection(engine) as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        recorded = _recorded_revision(connection)
        if recorded is None:
            refuse_unversioned_tables(connection)
            create_at_head(connection)  # none of newscrawl's tables, or they were refused above
            return
        if recorded == head_revision():  # another process made or migrated it while this one waited
            return
        from alembic import command

        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def create_at_head(connection: Connection) -> None:
    """Make newscrawl's tables as the models declare them, their SEED_ROWS and the version row of
    the newest revision: what the migrations leave in an empty database, in one transaction."""
    Base.metadata.create_all(connection)
    for table, rows in SEED_ROWS.items():
        connection.execute(Base.metadata.tables[table].insert(), rows)
    version = Table(VERSION_TABLE, MetaData(), Column("version_num", String(32), nullable=False),
                    PrimaryKeyConstraint("version_num", name="alembic_version_pkc"))  # as alembic makes it
    version.create(connection, checkfirst=True)
    connection.execute(version.insert(), [{"version_num": head_revision()}])


def refuse_unversioned_tables(connection: Connection) -> None:
    """Raise UnknownRevision when newscrawl's tables exist; for a database with no alembic_version row.

    Migrating from "no revision" would try to create the tables again and fail halfway; which
    revision they are is the operator's to say (newscrawl db stamp). Checked inside the migration
    transaction, so a process that finds the tables another one has just created is not refused.
    """
    inspector = inspect(connection)
    tables = set(inspector.get_table_names())
    ours = sorted(tables & {mark for marks in REVISION_MARKS.values() for mark in marks if "." not in mark})
    if not ours:
        return
    present = set(tables)
    for table in ours:
        present.update(f"{table}.{column['name']}" for column in inspector.get_columns(table))
    matching = None
    for revision, marks in REVISION_MARKS.items():  # in order: the last whose marks are all there
        if not present.issuperset(marks):
            break
        matching = revision
    advice = (f"its tables match revision {matching}: if that is right, record it with "
              f"`newscrawl db stamp {matching}`, or restore the alembic_version table from a backup"
              if matching else "restore the alembic_version table from a backup, or use another database")
    raise UnknownRevision(f"has newscrawl's tables ({', '.join(ours)}) but no alembic_version table, so its "
                          f"schema revision is unknown and it was left unchanged; {advice}")


def stamp(engine: Engine, revision: str) -> None:
    """Record ``revision`` as the schema's revision without running any migration."""
    from alembic import command

    config = alembic_config()
    with write_connection(engine) as connection, connection.begin():
        config.attributes["connection"] = connection
        command.stamp(config, revision)


def ensure_current(engine: Engine) -> None:
    """Migrate only when needed, so opening an up-to-date database stays cheap."""
    if current_revision(engine) != head_revision():
        upgrade(engine)
