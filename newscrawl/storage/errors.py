"""Telling a database that cannot be used at all from one that refuses one record.

An outage (server down or unreachable, connection lost, a full or failing disk, a lock never
released) says nothing about the records: they must be kept and stored once the database works
again. Any other error of a write is about what was written, and is isolated to its record.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from newscrawl.storage.records import InvalidRecord

# SQLite result codes of a database file that cannot be written or read right now.
_SQLITE_UNAVAILABLE = {
    sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_READONLY,
    sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_PROTOCOL, sqlite3.SQLITE_NOTADB,
}
# PostgreSQL SQLSTATE classes and codes of a server that cannot serve anyone right now: connection
# exceptions, insufficient resources (disk full, out of memory, too many connections), shutdown
# and recovery, system errors (I/O), and transactions the server rolled back (deadlock,
# serialization): those succeed when tried again.
_POSTGRES_UNAVAILABLE_CLASSES = ("08", "40", "53", "58")
_POSTGRES_UNAVAILABLE_CODES = ("57P01", "57P02", "57P03", "57P04", "57P05")

# What a write of one record can raise when that record is at fault: the schema's validation, the
# database refusing a value or a constraint, a value the driver cannot send.
RECORD_ERRORS = (InvalidRecord, DBAPIError, ValueError, ArithmeticError)


def unavailable_reason(error: BaseException) -> str | None:
    """Why the database cannot be used at all, when ``error`` says so (its first line); None when the
    error is about a statement or a record."""
    if not isinstance(error, DBAPIError):
        return None
    orig = error.orig
    if error.connection_invalidated or _is_unavailable(error, orig):
        return first_line(orig if orig is not None else error)
    return None


def _is_unavailable(error: DBAPIError, orig: BaseException | None) -> bool:
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in _SQLITE_UNAVAILABLE
    if not hasattr(orig, "sqlstate"):  # neither sqlite3 nor psycopg: not a supported driver
        return False
    sqlstate = orig.sqlstate
    if sqlstate is None:
        # psycopg's own errors: connecting failed or the connection broke (Operational, Interface);
        # a value it cannot send (a DataError, e.g. NUL in text) is the record's.
        return isinstance(error, (OperationalError, InterfaceError))
    return sqlstate[:2] in _POSTGRES_UNAVAILABLE_CLASSES or sqlstate in _POSTGRES_UNAVAILABLE_CODES


@dataclass(frozen=True)
class Refusal:
    """A record the schema or the database refused: ``reason`` counts it, ``message`` says why."""

    reason: str  # invalid_record, conflicting_record or refused_by_database
    message: str


def refusal_of(error: BaseException) -> Refusal:
    if isinstance(error, InvalidRecord):
        return Refusal("invalid_record", str(error))
    if isinstance(error, IntegrityError):
        return Refusal("conflicting_record", first_line(error.orig or error))
    if isinstance(error, DBAPIError):
        return Refusal("refused_by_database", first_line(error.orig or error))
    return Refusal("refused_by_database", f"{type(error).__name__}: {first_line(error)}")


def first_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


__all__ = ["RECORD_ERRORS", "Refusal", "first_line", "refusal_of", "unavailable_reason"]
