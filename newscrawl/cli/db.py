"""newscrawl db upgrade: bring the database schema to the newest migration."""

from __future__ import annotations

import argparse

from newscrawl.cli.common import database_url
from newscrawl.storage import open_database


def run_upgrade(args: argparse.Namespace) -> int:
    # open_database migrates; this command makes that an explicit, reportable step.
    with open_database(database_url(args)) as database:
        print(f"database {database.display_url} is at schema revision {database.schema_revision()}")
    return 0
