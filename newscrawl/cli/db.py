"""newscrawl db upgrade: bring the database schema to the newest migration; db stamp: record its revision."""

from __future__ import annotations

import argparse

from newscrawl.cli.common import database_url
from newscrawl.storage import migrate, open_database


def run_upgrade(args: argparse.Namespace) -> int:
    # open_database migrates; this command makes that an explicit, reportable step.
    with open_database(database_url(args)) as database:
        print(f"database {database.display_url} is at schema revision {database.schema_revision()}")
    return 0


def run_stamp(args: argparse.Namespace) -> int:
    """For a schema whose alembic_version table was lost: say which revision its tables are, migrating nothing."""
    with open_database(database_url(args), migrate_schema=False) as database:
        migrate.stamp(database.engine, args.revision)
        print(f"database {database.display_url} is recorded at schema revision {database.schema_revision()}")
    return 0
