"""One crawl at a time per database: the lock itself, a killed holder, and the crawl command's refusal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newscrawl.storage import RunLock, RunLockHeld, open_database
from tests.storage.support import fresh_postgres_schema

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_second_lock_is_refused_until_the_first_is_released(request, backend):
    url = request.getfixturevalue(f"{backend}_url")
    with open_database(url) as first_db, open_database(url) as second_db:
        holder = RunLock(first_db.engine).acquire()
        run_id = first_db.start_run("crawl", {"since": "2024-01-01"})
        holder.describe_holder(run_id)
        with pytest.raises(RunLockHeld, match=f"another crawl is active on this database.*run {run_id}"):
            RunLock(second_db.engine).acquire()
        holder.release()
        second = RunLock(second_db.engine).acquire()
        second.release()


def test_two_newscrawl_databases_in_two_postgres_schemas_have_two_locks(postgres_url):
    with fresh_postgres_schema() as other_url, open_database(postgres_url) as first, \
            open_database(postgres_url) as same, open_database(other_url) as other:
        holder = RunLock(first.engine).acquire()
        try:
            with pytest.raises(RunLockHeld):
                RunLock(same.engine).acquire()
            RunLock(other.engine).acquire().release()  # another schema: another database to newscrawl
        finally:
            holder.release()
        RunLock(same.engine).acquire().release()


def test_one_sqlite_database_has_one_lock_whatever_path_names_it(tmp_path, monkeypatch):
    real = tmp_path / "data" / "newscrawl.sqlite3"
    open_database(f"sqlite:///{real}").close()
    (tmp_path / "link.sqlite3").symlink_to(real)
    (tmp_path / "folder-link").symlink_to(tmp_path / "data", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    with open_database(f"sqlite:///{real}") as db:
        holder = RunLock(db.engine).acquire()
        try:
            for other in (tmp_path / "link.sqlite3", tmp_path / "folder-link" / "newscrawl.sqlite3",
                          Path("data/../data/newscrawl.sqlite3")):
                with open_database(f"sqlite:///{other}") as same:
                    with pytest.raises(RunLockHeld, match=f"lock file {real}.lock$"):
                        RunLock(same.engine).acquire()
        finally:
            holder.release()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_lock_left_by_a_killed_process_does_not_block(request, backend):
    url = request.getfixturevalue(f"{backend}_url")
    open_database(url).close()  # create the schema first
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\n"
         "from newscrawl.storage import RunLock, open_database\n"
         f"lock = RunLock(open_database({url!r}).engine).acquire()\n"
         "print('locked', flush=True)\n"
         "time.sleep(60)\n"],
        stdout=subprocess.PIPE, text=True, cwd=REPO,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with open_database(url) as db:
            with pytest.raises(RunLockHeld):
                RunLock(db.engine).acquire()
            holder.send_signal(signal.SIGKILL)
            holder.wait(timeout=10)
            deadline = time.monotonic() + 10  # PostgreSQL notices the dead session shortly after
            while True:
                try:
                    RunLock(db.engine).acquire().release()
                    break
                except RunLockHeld:
                    assert time.monotonic() < deadline, "the killed holder's lock was never released"
                    time.sleep(0.2)
    finally:
        holder.kill()
        holder.wait()


def test_the_crawl_command_exits_3_naming_the_active_run(sqlite_url, tmp_path):
    with open_database(sqlite_url) as db:
        holder = RunLock(db.engine).acquire()
        holder.describe_holder(db.start_run("crawl", {}))
        try:
            result = subprocess.run(
                [sys.executable, "-m", "scrapy", "crawl", "detikinet",
                 "-a", "urls=https://inet.detik.com/cyberlife/d-6453192/bos-kripto"],
                cwd=REPO, capture_output=True, text=True, timeout=60,
                env={**os.environ, "NEWSCRAWL_DATABASE_URL": sqlite_url},
            )
        finally:
            holder.release()
    assert result.returncode == 3
    last_line = result.stderr.strip().splitlines()[-1]
    assert last_line.startswith("scrapy crawl detikinet: error: another crawl is active on this database: run 1 (pid ")
    assert "Spider opened" not in result.stderr
