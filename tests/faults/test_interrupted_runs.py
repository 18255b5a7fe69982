"""A run whose process died (SIGKILL, a crash, a reboot) is marked interrupted by the next crawl or by
`newscrawl stats`, once that is known for sure; a run that may still be going never is."""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from newscrawl.cli import main
from newscrawl.storage import RunLock, open_database
from newscrawl.storage.models import CrawlRun
from newscrawl.storage import runs
from tests.e2e.conftest import REPO

from .support import newscrawl, read_until, run_crawl, sqlite_rows, start_crawl

ARTICLE = "https://inet.detik.com/mobile-apps/d-7098314/whatsapp-rilis-fitur-sekali-lihat-untuk-pesan-suara"


def run_in_a_process_that_exits(url: str, kind: str = "load") -> tuple[int, int]:
    """(run id, pid) of a run started by a process that then exited without finishing it."""
    script = ("import os\nfrom newscrawl.storage import open_database\n"
              f"database = open_database({url!r})\n"
              f"print(database.start_run({kind!r}), os.getpid(), flush=True)\n"
              "os._exit(0)\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60,
                            check=True)
    run_id, pid = result.stdout.split()
    return int(run_id), int(pid)


def run_of_another_machine(database, run_lock: bool) -> int:
    with database.engine.begin() as connection:
        return connection.scalar(sa.insert(CrawlRun).values(
            kind="crawl", started_at=datetime.now(timezone.utc), arguments={}, host="crawler2", pid=4242,
            pid_space="another-boot/pid:[1]", run_lock=run_lock).returning(CrawlRun.id))


def outcomes(database) -> dict[int, str | None]:
    with database.engine.connect() as connection:
        return dict(connection.execute(sa.select(CrawlRun.id, CrawlRun.outcome)).all())


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_run_whose_process_is_gone_is_marked_and_a_live_one_is_not(backend, request):
    url = request.getfixturevalue(f"{backend}_url")
    dead, pid = run_in_a_process_that_exits(url)
    with open_database(url) as database:
        alive = database.start_run("reextract")  # this process: still running
        assert database.mark_interrupted_runs() == [dead]
        assert outcomes(database) == {dead: "interrupted", alive: None}
        [run] = [run for run in database.recent_runs() if run["id"] == dead]
        assert run["finished_at"] is None  # when it died is not known
        assert run["counts"]["failures"] == [
            f"ended without recording an outcome (killed?): its process (pid {pid} on {run['host']}) is gone"]
        assert database.mark_interrupted_runs() == []  # once


def test_a_lock_holding_run_of_another_machine_is_marked_only_by_a_holder_of_the_lock(sqlite_url):
    with open_database(sqlite_url) as database:
        locked = run_of_another_machine(database, run_lock=True)
        shared = run_of_another_machine(database, run_lock=False)  # a shared crawl: takes no lock
        assert database.mark_interrupted_runs() == []  # SQLite cannot tell a free lock without taking it
        with RunLock(database.engine):
            assert database.mark_interrupted_runs(holding_run_lock=True) == [locked]
        assert outcomes(database) == {locked: "interrupted", shared: None}
        [run] = [run for run in database.recent_runs() if run["id"] == locked]
        assert run["counts"]["failures"] == ["ended without recording an outcome (killed?): the run lock its process "
                                             "(pid 4242 on crawler2) held is free"]


def test_on_postgresql_stats_see_that_the_lock_is_free(postgres_url):
    with open_database(postgres_url) as database, open_database(postgres_url) as other:
        locked = run_of_another_machine(database, run_lock=True)
        shared = run_of_another_machine(database, run_lock=False)
        with RunLock(other.engine):  # some crawl holds it: the run may be that crawl
            assert database.mark_interrupted_runs() == []
        assert database.mark_interrupted_runs() == [locked]
        assert outcomes(database) == {locked: "interrupted", shared: None}


def test_a_pid_of_another_pid_numbering_is_never_looked_up(sqlite_url):
    with open_database(sqlite_url) as database:
        with database.engine.begin() as connection:
            other = connection.scalar(sa.insert(CrawlRun).values(
                kind="import", started_at=datetime.now(timezone.utc), host="container", pid=999999,
                pid_space="another-boot/pid:[7]", run_lock=False).returning(CrawlRun.id))
        assert runs.pid_space() is not None
        assert database.mark_interrupted_runs(holding_run_lock=True) == []
        assert outcomes(database) == {other: None}


@pytest.fixture
def held_article_pages(replica):
    """The replica holds article pages (a crawl cannot finish) until the test is done."""
    replica.hold_article_pages(parties=1000, timeout=60)
    yield
    replica.hold_article_pages(None)


def killed_crawl(replica, url: str, exports) -> int:
    """The run id of a real crawl killed with SIGKILL while it waits for an article page."""
    crawl = start_crawl(replica, url, exports, "-a", f"urls={ARTICLE}")
    try:
        match, _ = read_until(crawl.stderr, r"storing to .* \(run (\d+)\)")
        crawl.send_signal(signal.SIGKILL)
        assert crawl.wait(timeout=30) == -signal.SIGKILL
    finally:
        crawl.kill()
        crawl.stderr.close()
    return int(match.group(1))


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_a_killed_crawl_shows_as_interrupted_in_stats(backend, request, replica, held_article_pages, tmp_path):
    url = request.getfixturevalue(f"{backend}_url")
    run_id = killed_crawl(replica, url, tmp_path / "exports")

    stats = newscrawl("stats", "--runs", "--database-url", url)
    assert stats.returncode == 0, stats.stderr
    lines = stats.stdout.splitlines()
    assert lines[0].startswith(f"run #{run_id} crawl  ") and lines[0].endswith(" -> -  interrupted")
    assert lines[2].startswith("  FAIL finished                 ended without recording an outcome (killed?): "
                               "its process (pid ")


def test_the_next_crawl_marks_a_killed_one_interrupted(sqlite_url, replica, held_article_pages, tmp_path):
    killed = killed_crawl(replica, sqlite_url, tmp_path / "exports")
    replica.hold_article_pages(None)
    crawl = run_crawl(replica, sqlite_url, tmp_path / "exports", "-a", f"urls={ARTICLE}")
    assert crawl.returncode == 0, crawl.stderr[-3000:]
    assert len(crawl.lines(rf"INFO: run {killed} had ended without recording an outcome: marked interrupted$")) == 1
    database = sqlite_url.removeprefix("sqlite:///")
    assert sqlite_rows(database, "SELECT id, outcome FROM crawl_runs ORDER BY id") == [
        (killed, "interrupted"), (killed + 1, "ok")]


def test_stats_of_a_database_with_a_live_crawl_leave_it_running(sqlite_url, replica, held_article_pages, tmp_path,
                                                               capsys):
    crawl = start_crawl(replica, sqlite_url, tmp_path / "exports", "-a", f"urls={ARTICLE}")
    try:
        match, _ = read_until(crawl.stderr, r"storing to .* \(run (\d+)\)")
        assert main(["stats", "--runs", "--database-url", sqlite_url]) == 0
        assert capsys.readouterr().out.splitlines()[0].endswith(" -> -  running")
    finally:
        crawl.kill()
        crawl.wait(timeout=30)
        crawl.stderr.close()
