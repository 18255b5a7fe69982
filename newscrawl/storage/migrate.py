"""Alembic migrations shipped inside the package, run without an alembic.ini."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from newscrawl.storage.engine import write_connection

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

# Any constant works if every newscrawl process uses it and no other lock does (locks.py uses "news").
_PG_MIGRATION_LOCK = 0x6E636D67  # "ncmg"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest revision.

    On PostgreSQL an advisory lock held for the transaction lets only one process
    migrate at a time; the next one finds the schema already current.
    """
    config = alembic_config()
    with write_connection(engine) as connection, connection.begin():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def ensure_current(engine: Engine) -> None:
    """Migrate only when needed, so opening an up-to-date database stays cheap."""
    if current_revision(engine) != head_revision():
        upgrade(engine)
