"""Bookkeeping of crawl, load and re-extraction runs, and of runs whose process died.

Arguments and counts are stored with secrets masked: a spider argument such as ``urls=`` may carry
credentials too. A run's row records the process running it: host, pid, the pid's numbering
(``pid_space``: the machine's boot and the pid namespace, Linux only) and whether it held the
one-crawl-per-database run lock. A row left unfinished by a killed process is marked
``interrupted`` once that is known for sure: its pid is gone from the same pid numbering, or it held
the run lock and the lock is now free (the lock is released only after the row is finished, or with
the dead process).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, update

from newscrawl.masking import mask_values
from newscrawl.storage.models import CrawlRun
from newscrawl.storage.writes import utcnow

INTERRUPTED = "interrupted"


def pid_space() -> str | None:
    """Where this process's pid is unique: the boot id and the pid namespace; None off Linux."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        return None
    return f"{boot}/{namespace}"


def start_run(engine: Engine, kind: str, arguments: dict[str, Any] | None = None, run_lock: bool = False) -> int:
    with engine.begin() as connection:
        return connection.scalar(
            insert(CrawlRun)
            .values(kind=kind, started_at=utcnow(), arguments=mask_values(arguments or {}), host=socket.gethostname(),
                    pid=os.getpid(), pid_space=pid_space(), run_lock=run_lock)
            .returning(CrawlRun.id)
        )


def finish_run(engine: Engine, run_id: int, counts: dict[str, Any], outcome: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(CrawlRun)
            .where(CrawlRun.id == run_id)
            .values(finished_at=utcnow(), counts=mask_values(counts), outcome=outcome)
        )


def _process_gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def mark_interrupted(engine: Engine, run_lock_free: Callable[[], bool], spare: int | None = None) -> list[int]:
    """Mark the unfinished runs whose process is known to be gone as interrupted; their ids.

    ``run_lock_free()`` says whether no process holds the run lock now (the caller holding it
    itself counts as free for every other run); it is asked after the rows are read, so a crawl
    that starts in between is not among them. ``spare``: the caller's own run.
    """
    with engine.connect() as connection:
        rows = connection.execute(
            select(CrawlRun.id, CrawlRun.host, CrawlRun.pid, CrawlRun.pid_space, CrawlRun.run_lock)
            .where(CrawlRun.finished_at.is_(None), CrawlRun.outcome.is_(None))
        ).all()
    rows = [row for row in rows if row.id != spare]
    here = pid_space()
    gone = {row.id: f"its process (pid {row.pid} on {row.host}) is gone" for row in rows
            if here is not None and row.pid_space == here and row.pid and _process_gone(row.pid)}
    lock_holders = [row for row in rows if row.run_lock and row.id not in gone]
    if lock_holders and run_lock_free():
        gone.update({row.id: f"the run lock its process (pid {row.pid} on {row.host}) held is free"
                     for row in lock_holders})
    for run_id, why in gone.items():
        message = f"ended without recording an outcome (killed?): {why}"
        counts = {"checks": [{"name": "finished", "ok": False, "value": None, "limit": None, "message": message}],
                  "failures": [message]}
        with engine.begin() as connection:
            connection.execute(
                update(CrawlRun)
                .where(CrawlRun.id == run_id, CrawlRun.finished_at.is_(None), CrawlRun.outcome.is_(None))
                .values(outcome=INTERRUPTED, counts=counts)
            )
    return sorted(gone)
