"""One crawl at a time per database.

PostgreSQL: a session-level advisory lock held on a dedicated connection for the whole run, keyed
by the schema the connection works in (its search_path), so that two newscrawl databases kept in
two schemas of one PostgreSQL database never refuse each other.
SQLite: an exclusive ``flock`` on a lock file beside the database file.
Both are released by the server or the kernel when the holding process dies, so a lock left
by a killed crawl never blocks the next one. The lock file also records who holds it, so the
refusal can name the active run.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import zlib
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

# An arbitrary constant: the first advisory-lock key of "a newscrawl crawl writes this database";
# the second is the schema's (schema_key).
ADVISORY_KEY = 0x6E657773  # "news"
# The pg_locks row of our advisory lock: taken with two int4 keys, it shows them as classid and objid,
# with objsubid 2.
_OUR_LOCK = ("l.locktype = 'advisory' AND l.granted AND l.classid = :key AND l.objid = :schema AND l.objsubid = 2 "
             "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())")
_KEYS = "CAST(:key AS integer), CAST(:schema AS integer)"


def schema_key(connection) -> int:
    """The advisory-lock key of the schema this connection works in (a non-negative int4)."""
    schema = connection.execute(text("SELECT current_schema()")).scalar() or ""
    return zlib.crc32(schema.encode("utf-8")) & 0x7FFFFFFF


class RunLockHeld(RuntimeError):
    """Another run holds the lock; the message names it."""


def _holder_description() -> dict:
    return {"pid": os.getpid(), "host": socket.gethostname(),
            "since": datetime.now(timezone.utc).replace(microsecond=0).isoformat()}


def _describe(holder: dict | None) -> str:
    if not holder:
        return "another newscrawl run"
    run = f"run {holder['run_id']} " if holder.get("run_id") else ""
    return f"{run}(pid {holder.get('pid')} on {holder.get('host')}, since {holder.get('since')})"


def _lock_path(database: Path) -> Path:
    resolved = database.resolve()
    return resolved.with_name(resolved.name + ".lock")


def run_lock_free(engine: Engine) -> bool:
    """Whether no process holds the run lock of this database, asked without taking it (taking it,
    even briefly, could refuse a crawl starting at that moment). PostgreSQL can tell; for SQLite
    this says False (unknown): its runs are local, and their pids tell."""
    if make_url(str(engine.url)).get_backend_name() != "postgresql":
        return False
    with engine.connect() as connection:
        held = connection.execute(text(f"SELECT 1 FROM pg_locks l WHERE {_OUR_LOCK}"),
                                  {"key": ADVISORY_KEY, "schema": schema_key(connection)}).first()
    return held is None


class RunLock:
    """Held from ``acquire`` until ``release`` (or the end of the process)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._connection = None
        self._keys: dict[str, int] = {}
        self._file = None
        url = make_url(str(engine.url))
        self.is_postgres = url.get_backend_name() == "postgresql"
        database = url.database or ""
        # The lock file sits beside the file the database really is: a symlinked or relative path to
        # the same database must find the same lock.
        self.path = None if self.is_postgres or database in ("", ":memory:") else _lock_path(Path(database))

    def acquire(self) -> "RunLock":
        if self.is_postgres:
            self._acquire_advisory()
        elif self.path is not None:
            self._acquire_file()
        return self

    def describe_holder(self, run_id: int | None) -> None:
        """Record the run id once it is known, for the message a refused run prints."""
        if self._file is not None:
            holder = {**_holder_description(), "run_id": run_id}
            self._file.seek(0)
            self._file.truncate()
            self._file.write(json.dumps(holder))
            self._file.flush()

    def _acquire_advisory(self) -> None:
        connection = self.engine.connect()
        self._keys = {"key": ADVISORY_KEY, "schema": schema_key(connection)}
        got = connection.execute(text(f"SELECT pg_try_advisory_lock({_KEYS})"), self._keys).scalar()
        connection.commit()
        if not got:
            holder = connection.execute(
                text("SELECT l.pid, a.client_addr, a.backend_start FROM pg_locks l JOIN pg_stat_activity a "
                     f"ON a.pid = l.pid WHERE {_OUR_LOCK}"),
                self._keys,
            ).first()
            active = connection.execute(
                text("SELECT id, started_at FROM crawl_runs WHERE kind = 'crawl' AND finished_at IS NULL "
                     "AND outcome IS NULL ORDER BY id DESC LIMIT 1")
            ).first()
            connection.close()
            who = f"server pid {holder.pid}, connected since {holder.backend_start:%Y-%m-%dT%H:%M:%S}" if holder else "unknown"
            run = f"run {active.id} started {active.started_at:%Y-%m-%dT%H:%M:%S}Z, " if active else ""
            raise RunLockHeld(f"another crawl is active on this database ({run}{who})")
        self._connection = connection

    def _acquire_file(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            try:
                holder = json.loads(handle.read() or "null")
            except ValueError:
                holder = None
            handle.close()
            raise RunLockHeld(f"another crawl is active on this database: {_describe(holder)}; lock file {self.path}") from None
        self._file = handle
        self.describe_holder(None)

    def release(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(text(f"SELECT pg_advisory_unlock({_KEYS})"), self._keys)
                self._connection.commit()
            except DBAPIError:
                pass  # the connection was lost, and the server released the session's lock with it
            finally:
                self._connection.close()
                self._connection = None
        if self._file is not None:
            self._file.seek(0)
            self._file.truncate()
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc_info) -> None:
        self.release()
