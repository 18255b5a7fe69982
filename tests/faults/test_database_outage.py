"""The database goes away in the middle of a crawl, for real, and nothing is lost.

PostgreSQL: the crawl reaches the server through a TCP relay on 127.0.0.1 (tests/faults/relay.py)
that the test cuts at an exact point of the crawl: when the replica is about to answer the busy
day's second index page (the spider's skip lookup meets the outage) or the all-pages view of its
multi-page article (the store's write meets it). A short outage is ridden out; a long one (over a
lowered NEWSCRAWL_DATABASE_OUTAGE_LIMIT) stops the run with exit 1, and the commands its advice
prints, run as printed, leave every article the replica serves stored with its WARC location.

SQLite: the database file lives on a small tmpfs that the test fills when the replica is about to
answer that all-pages view; after the run gave up, the test frees the space and follows the advice.

`newscrawl load`: the relay is cut between two batches; the message says what was stored and that
loading the file again finishes the job, which it does.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from newscrawl.cli import main
from newscrawl.cli.formats import jsonl
from newscrawl.storage import open_database
from tests.replica.sitemap import index_url
from tests.storage.support import fresh_postgres_schema, make_article

from .relay import Relay
from .support import (
    BUSY_DAY,
    advice_line,
    advised_commands,
    assert_every_article_stored_once_with_its_capture,
    crawl,
    environment,
    run_advised,
    stored,
)

POSTGRES_PORT = 5432
SHORT_LIMIT = ("-s", "NEWSCRAWL_DATABASE_OUTAGE_LIMIT=60")  # far above the outage the test makes
LONG_LIMIT = ("-s", "NEWSCRAWL_DATABASE_OUTAGE_LIMIT=1")  # the outage lasts until the crawl has exited


def busy_day_arguments(replica) -> tuple[str, ...]:
    day = replica.site.busy_day
    return ("-a", f"since={day}", "-a", f"until={day}", *BUSY_DAY)


def cut_points(replica) -> dict[str, str]:
    """Where the test cuts: a target (path and query) of inet.detik.com, by what meets the outage."""
    index_page_2 = index_url(replica.site.busy_day, 2).removeprefix("https://inet.detik.com")
    multipage = replica.site.role("multipage")
    return {"lookup": index_page_2, "store": f"{multipage.path}?single=1"}


@pytest.fixture
def relay():
    with Relay(POSTGRES_PORT) as opened:
        yield opened


@pytest.fixture
def schema_via_relay(relay):
    """A fresh PostgreSQL schema, reached through the relay (created and migrated directly)."""
    with fresh_postgres_schema() as direct_url:
        open_database(direct_url).close()
        yield make_url(direct_url).set(port=relay.port).render_as_string(hide_password=False)


@pytest.fixture
def cut_when_served(replica):
    """cut_when_served(target, action): run action() once, as the replica is about to answer target."""
    def arm(target: str, action) -> None:
        def before_answer(requested: str) -> None:
            if requested == target and not fired:
                fired.append(requested)
                action()
        replica.before_answer = before_answer

    fired: list[str] = []
    yield arm
    replica.before_answer = None


@pytest.mark.parametrize("meets_it", ["lookup", "store"])
def test_a_short_outage_is_ridden_out_and_loses_nothing(meets_it, replica, relay, schema_via_relay, cut_when_served,
                                                        tmp_path):
    # Restored by the relay itself once the crawl has tried to connect three times: a real event.
    cut_when_served(cut_points(replica)[meets_it], lambda: relay.cut(restore_after=3))

    run = crawl(replica, tmp_path, schema_via_relay, *busy_day_arguments(replica), *SHORT_LIMIT)

    assert run.returncode == 0, run.stderr[-4000:]
    assert (relay.cuts, relay.refused) == (1, 3)
    # The first failure may be a connection lost mid-statement or a refused one: either is an outage.
    assert re.search(r"database \S+ unavailable \(.+\): crawl paused, retrying for up to 60 s", run.stderr)
    assert "answers again after" in run.stderr and "crawl resumed" in run.stderr
    assert run.summary()["outcome"] == "ok"
    day = replica.site.busy_day
    assert_every_article_stored_once_with_its_capture(schema_via_relay, replica.site.articles_listed(day, day), tmp_path)
    with open_database(schema_via_relay, migrate_schema=False) as database:
        [last] = database.recent_runs(1)
    assert last["outcome"] == "ok"


@pytest.mark.parametrize("meets_it", ["lookup", "store"])
def test_a_long_outage_stops_the_run_and_its_advice_restores_everything(meets_it, replica, relay, schema_via_relay,
                                                                         cut_when_served, tmp_path):
    cut_when_served(cut_points(replica)[meets_it], relay.cut)

    run = crawl(replica, tmp_path, schema_via_relay, *busy_day_arguments(replica), *LONG_LIMIT)

    assert run.returncode == 1, run.stderr[-4000:]
    assert relay.is_cut and relay.refused >= 2
    assert "still unavailable after 1 s (connection failed: " in run.stderr
    assert "crawl ended early: database_unavailable" in run.summary()["outcome"]
    # The database is down to the end, so the run's row cannot be finished: one line says so.
    [unrecorded] = [line for line in run.stderr.splitlines() if "could not be recorded in crawl_runs" in line]
    assert "the outcome of run 1 (failed) could not be recorded in crawl_runs" in unrecorded
    advice = advice_line(run.stderr)
    commands = advised_commands(run.stderr)
    assert commands[-1][:3] == ["scrapy", "crawl", "detikinet"]
    if meets_it == "store":
        # The all-pages view was fetched and archived but could not be stored: the advice imports it.
        assert [command[:2] for command in commands] == [["newscrawl", "import"], ["scrapy", "crawl"]]
        assert "articles fetched by this run are not stored" in advice

    relay.restore()
    env = environment(replica, tmp_path, schema_via_relay)
    stored_before = set(stored(schema_via_relay))
    for command in commands[:-1]:
        imported = run_advised(command, env)
        assert imported.returncode == 0, imported.stderr
        # Exactly the articles the advice counted as not stored are new to the database.
        not_stored = int(re.search(r"(\d+) articles fetched by this run are not stored", advice)[1])
        assert f": {not_stored} new, 0 changed, " in imported.stdout.splitlines()[0]
    stored_after_import = set(stored(schema_via_relay))
    replica.reset()
    rerun = run_advised(commands[-1], env)
    assert rerun.returncode == 0, rerun.stderr[-4000:]

    day = replica.site.busy_day
    articles = replica.site.articles_listed(day, day)
    assert_every_article_stored_once_with_its_capture(schema_via_relay, articles, tmp_path)
    # "It fetches only what is still missing": nothing stored before the rerun is fetched again.
    fetched = {request.url for request in replica.requests() if request.method == "GET"}
    for article in articles:
        if article.article_id in stored_after_import:
            assert not fetched & set(article.fetch_urls), article.url
    assert stored_before <= stored_after_import


# -- a full disk under the SQLite file -------------------------------------------------------------
@pytest.fixture
def small_disk(tmp_path):
    """A 2 MB tmpfs, unmounted afterwards."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)], check=True)
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


def fill(folder: Path) -> Path:
    """Write zeros into folder/filler until the disk is full; return the file."""
    filler = folder / "filler"
    block = bytes(64 * 1024)
    with open(filler, "wb", buffering=0) as handle:
        try:
            while True:
                handle.write(block)
        except OSError:
            pass
    # What is left is less than a block: write it in small pieces until nothing fits at all.
    with open(filler, "ab", buffering=0) as handle:
        try:
            while True:
                handle.write(bytes(512))
        except OSError:
            pass
    return filler


def test_a_full_disk_under_the_sqlite_file_stops_the_run_with_true_advice(replica, small_disk, cut_when_served,
                                                                          tmp_path):
    database_url = f"sqlite:///{small_disk / 'db.sqlite3'}"
    open_database(database_url).close()
    filled: list[Path] = []
    cut_when_served(cut_points(replica)["store"], lambda: filled.append(fill(small_disk)))
    exports = tmp_path / "exports"

    run = crawl(replica, exports, database_url, *busy_day_arguments(replica), *LONG_LIMIT)

    assert filled and run.returncode == 1, run.stderr[-4000:]
    assert "still unavailable after 1 s (database or disk is full): closing the crawl" in run.stderr
    advice = advice_line(run.stderr)
    assert "(database or disk is full)" in advice and "articles fetched by this run are not stored" in advice
    commands = advised_commands(run.stderr)
    assert [command[:2] for command in commands] == [["newscrawl", "import"], ["scrapy", "crawl"]]

    os.remove(filled[0])  # the operator frees space, then follows the advice
    env = environment(replica, exports, database_url)
    for command in commands:
        done = run_advised(command, env)
        assert done.returncode == 0, done.stderr[-4000:]
    day = replica.site.busy_day
    assert_every_article_stored_once_with_its_capture(database_url, replica.site.articles_listed(day, day), exports)


# -- newscrawl load ----------------------------------------------------------------------------------
def test_an_outage_during_a_load_says_what_was_stored_and_that_loading_again_finishes_it(
        relay, schema_via_relay, tmp_path, monkeypatch, capsys):
    source = tmp_path / "feed.jsonl"
    source.write_text("".join(json.dumps(make_article(article_id)) + "\n" for article_id in (1, 2, 3)), encoding="utf-8")
    monkeypatch.setattr("newscrawl.cli.load.BATCH_SIZE", 1)
    read_records = jsonl.read_records

    def cut_after_two_records(path):
        for number, record in enumerate(read_records(path), start=1):
            if number == 3:
                relay.cut()  # the first two are stored, batch by batch
            yield record

    monkeypatch.setattr(jsonl, "read_records", cut_after_two_records)
    assert main(["load", str(source), "--database-url", schema_via_relay]) == 1
    [error] = capsys.readouterr().err.splitlines()
    assert error.startswith(f"newscrawl: error: database {schema_via_relay} is unavailable: ")
    assert error.endswith(f"; 2 records of {source} were stored before that: once the database is available, load "
                          "the file again (what is stored already is left as it is)")

    relay.restore()
    monkeypatch.setattr(jsonl, "read_records", read_records)
    assert main(["load", str(source), "--database-url", schema_via_relay]) == 0
    assert capsys.readouterr().out == f"loaded {source}: 1 new, 0 changed, 2 unchanged, 0 invalid\n"
    assert sorted(stored(schema_via_relay)) == [1, 2, 3]
