"""Helpers shared by the subcommands."""

from __future__ import annotations

import argparse

from newscrawl.storage import Database, open_database, resolve_database_url


def database_url(args: argparse.Namespace) -> str:
    """--database-url, else $NEWSCRAWL_DATABASE_URL, else the default SQLite file."""
    return args.database_url or resolve_database_url()


def open_from_args(args: argparse.Namespace) -> Database:
    return open_database(database_url(args))
