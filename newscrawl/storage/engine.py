"""Engines for the two supported databases, each set up for safe concurrent writers."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url

SUPPORTED_DIALECTS = ("postgresql", "sqlite")

# Execution option marking a transaction that will write (see _use_immediate_transactions).
WRITE = {"newscrawl_write": True}


class UnsupportedDatabase(ValueError):
    pass


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() not in SUPPORTED_DIALECTS:
        raise UnsupportedDatabase(
            f"unsupported database kind {parsed.get_backend_name()!r} (use postgresql or sqlite)"
        )
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in parsed.query:
        # Fail in seconds, not minutes, when the server is unreachable.
        connect_args["connect_timeout"] = 10
    return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)


def write_connection(engine: Engine) -> Connection:
    """A connection whose transactions take the write lock up front (SQLite) and behave normally elsewhere."""
    return engine.connect().execution_options(**WRITE)


def _sqlite_engine(url: URL) -> Engine:
    database = url.database
    if database and database != ":memory:" and not database.startswith("file:"):
        folder = Path(database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise OSError(f"cannot create folder {folder}: {error.strerror}") from error
    engine = create_engine(url, connect_args={"timeout": 30})
    _use_immediate_transactions(engine)
    return engine


def _use_immediate_transactions(engine: Engine) -> None:
    """Make SQLite writers queue instead of failing or racing.

    pysqlite starts transactions lazily, so two writers could both read a row and then
    both write. Write transactions therefore begin with BEGIN IMMEDIATE (the write lock
    before the first read); WAL lets exports keep reading meanwhile.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        try:
            # WAL is kept in the file, so this only switches a new database once.
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode = WAL")
        except sqlite3.OperationalError:
            # Another process holds the file while it is created; WAL only spares readers
            # from waiting, correctness comes from BEGIN IMMEDIATE, so go on without it.
            pass
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        writes = connection.get_execution_options().get("newscrawl_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")
