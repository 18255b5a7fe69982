"""Several machines, one crawl: two `scrapy crawl detikinet` processes with REDIS_URL share the
request queue and the seen-filter in the real Redis and store into one real PostgreSQL schema.

Each process stands for a machine: its own exports folder (JSON lines, WARC files), the same
arguments, database and Redis. CONCURRENT_REQUESTS=2 keeps either from doing all the work alone,
and the replica's article-page barrier (hold_article_pages(3)) makes that certain: no article page
is answered until three are asked for at once, which two requests per process can only reach
when both processes are fetching articles. Nothing waits on a clock except the barrier's safety
timeout, whose expiry the tests report as a failure.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa

from newscrawl.sites import parse_url
from newscrawl.items import ARTICLE_FIELDS
from newscrawl.storage import open_database
from tests.replica import CRAWL_RANGE
from tests.replica.sitemap import GONE_PATH, ORIGIN
from tests.storage.support import fresh_postgres_schema

from .conftest import FAST, REPO, Run, crawl_env, killable_temp

SINCE, UNTIL = CRAWL_RANGE
RANGE_ARGUMENTS = ("-a", f"since={SINCE}", "-a", f"until={UNTIL}")
REDIS_URL = "redis://127.0.0.1:6379/0"
ROBOTS = f"{ORIGIN}/robots.txt"
GONE = f"{ORIGIN}{GONE_PATH}"
COMPARED = [name for name in ARTICLE_FIELDS if name != "fetched_at"]
WORKERS = 2
# Per process; the barrier needs WORKERS * CONCURRENT_REQUESTS > HOLD_PARTIES > CONCURRENT_REQUESTS.
CONCURRENT_REQUESTS = 2
HOLD_PARTIES = 3


@dataclass
class SharedRun:
    workers: list[Run]
    requests: list  # the replica's log of the whole shared crawl
    hold_timed_out: bool
    keys_left: list[str]
    database_url: str
    db: dict


def start_worker(replica, workdir: Path, database_url: str, prefix: str, *arguments: str, redis_url: str = REDIS_URL,
                 options: tuple[str, ...] = ()):
    """``scrapy crawl detikinet <arguments>`` in the background, as one machine of a shared crawl;
    ``options`` (``-s`` settings) come last and win."""
    workdir.mkdir(parents=True, exist_ok=True)
    env = crawl_env(replica, workdir)
    env.update(NEWSCRAWL_DATABASE_URL=database_url, REDIS_URL=redis_url, TMPDIR=str(killable_temp(workdir)))
    command = [sys.executable, "-m", "scrapy", "crawl", "detikinet", *arguments,
               "-s", f"NEWSCRAWL_EXPORTS_DIR={workdir}", *FAST,
               "-s", f"CONCURRENT_REQUESTS={CONCURRENT_REQUESTS}", "-s", f"NEWSCRAWL_REDIS_PREFIX={prefix}", *options]
    stdout = open(workdir / "stdout.txt", "w", encoding="utf-8")
    stderr = open(workdir / "stderr.txt", "w", encoding="utf-8")
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=stdout, stderr=stderr, text=True)
    stdout.close()
    stderr.close()
    return process


def finish(process, workdir: Path, started: float, timeout: float = 120) -> Run:
    try:
        returncode = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        returncode = -9
    return Run(returncode, (workdir / "stdout.txt").read_text(encoding="utf-8"),
               (workdir / "stderr.txt").read_text(encoding="utf-8"), [], workdir, started, time.time())


def run_workers(replica, root: Path, database_url: str, prefix: str, count: int) -> tuple[list[Run], list]:
    replica.reset()
    started = time.time()
    processes = [(start_worker(replica, root / f"machine-{n}", database_url, prefix, *RANGE_ARGUMENTS),
                  root / f"machine-{n}") for n in range(1, count + 1)]
    runs = [finish(process, workdir, started) for process, workdir in processes]
    return runs, replica.requests()


def read_postgres(database_url: str) -> dict:
    with open_database(database_url, migrate_schema=False) as database:
        records = list(database.iter_articles())
        with database.engine.connect() as connection:
            def rows(query):
                return [tuple(row) for row in connection.execute(sa.text(query))]

            return {
                "by_id": {record["article_id"]: record for record in records},
                "rows": rows("SELECT article_id, url, current_revision, revision_count FROM articles ORDER BY article_id"),
                "revisions": rows("SELECT article_id, revision, reason FROM article_revisions ORDER BY article_id, revision"),
                "runs": rows("SELECT id, kind, outcome FROM crawl_runs ORDER BY id"),
            }


def keys_with_prefix(client, prefix: str) -> list[str]:
    return sorted(key.decode() for key in client.scan_iter(match=f"{prefix}*"))


def pages(summary: dict) -> dict[str, int]:
    """'article 3, index 40' -> {'article': 3, 'index': 40} ('none' -> {})."""
    text = summary["pages fetched"]
    return {} if text == "none" else {kind: int(n) for kind, n in (part.split(" ") for part in text.split(", "))}


def new_articles(summary: dict) -> int:
    counts = dict(part.split(" ") for part in summary["articles"].split(", ")) if summary["articles"] != "none" else {}
    return int(counts.get("new", 0))


# -- fixtures: one fresh PostgreSQL schema and one Redis key prefix for the module ------------------
@pytest.fixture(scope="module")
def redis_client():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as error:
        # Never skipped: .ci/run starts Redis, and this test exists to run against it.
        raise RuntimeError(f"Redis is not reachable at {REDIS_URL}: {error}") from error
    yield client
    client.close()


@pytest.fixture(scope="module")
def prefix(redis_client):
    name = f"newscrawl-test-{uuid.uuid4().hex[:12]}"
    yield name
    for key in redis_client.scan_iter(match=f"{name}*"):
        redis_client.delete(key)


@pytest.fixture(scope="module")
def shared_database_url():
    with fresh_postgres_schema() as url:
        yield url


@pytest.fixture(scope="module")
def shared_run(replica, tmp_path_factory, shared_database_url, prefix, redis_client) -> SharedRun:
    replica.hold_article_pages(HOLD_PARTIES, timeout=20)
    try:
        runs, requests = run_workers(replica, tmp_path_factory.mktemp("shared"), shared_database_url, prefix, WORKERS)
        timed_out = replica.hold_timed_out
    finally:
        replica.hold_article_pages(None)
    return SharedRun(runs, requests, timed_out, keys_with_prefix(redis_client, prefix), shared_database_url,
                     read_postgres(shared_database_url))


def listed(site):
    return site.articles_listed(SINCE, UNTIL)


def log_errors(run: Run) -> list[str]:
    return [line for line in run.stderr.splitlines() if "] ERROR:" in line or line.startswith("Traceback")]


# -- two workers, one crawl --------------------------------------------------------------------------
def test_both_workers_exit_0_without_errors(shared_run):
    for run in shared_run.workers:
        assert run.returncode == 0, run.stderr[-3000:]
        assert log_errors(run) == []
        assert "shared crawl newscrawl-test-" in run.stderr


def test_every_article_is_stored_once_with_one_revision(shared_run, replica):
    expected = {article.article_id: article.item for article in listed(replica.site)}
    db = shared_run.db
    assert [row[0] for row in db["rows"]] == sorted(expected)
    assert all(row[2:] == (1, 1) for row in db["rows"]), db["rows"]
    assert db["revisions"] == [(article_id, 1, "crawl") for article_id in sorted(expected)]
    for article_id, item in expected.items():
        for name in COMPARED:
            assert db["by_id"][article_id][name] == item[name], f"article {article_id}, field {name!r}"


def test_no_page_is_fetched_twice_across_the_workers(shared_run, replica):
    """Each index page (the start requests of both) and each article page is asked for once by one
    of the two; only robots.txt is fetched by each, and the 503-once page is retried once."""
    site = replica.site
    expected = Counter({ROBOTS: WORKERS, GONE: 1})
    expected.update(site.index_urls(SINCE, UNTIL))
    for article in listed(site):
        expected.update(article.fetch_urls)
        if article.link != article.url:
            expected[article.link] += 1
    expected[site.role("retry_once").url] += 1
    gets = [request for request in shared_run.requests if request.method == "GET"]
    assert Counter(request.url for request in gets) == expected


def test_both_workers_did_part_of_the_work(shared_run):
    assert not shared_run.hold_timed_out, "the article-page barrier timed out: one worker never fetched an article"
    for run in shared_run.workers:
        assert pages(run.summary()).get("article", 0) >= 1, run.summary()


def test_the_summaries_add_up_to_the_crawl(shared_run, replica):
    site = replica.site
    summaries = [run.summary() for run in shared_run.workers]
    assert sum(new_articles(summary) for summary in summaries) == len(listed(site))
    totals = Counter()
    for summary in summaries:
        totals.update(pages(summary))
    assert totals == {"article": sum(len(article.fetch_urls) for article in listed(site)),
                      "index": len(site.index_urls(SINCE, UNTIL))}
    assert sorted(summary["errors by status"] for summary in summaries) in (["404 1", "none"], ["none", "404 1"])
    # The checks judge the whole crawl: both pass, whichever worker read which pages.
    assert [summary["outcome"] for summary in summaries] == ["ok", "ok"]
    assert [(kind, outcome) for _, kind, outcome in shared_run.db["runs"]] == [("crawl", "ok")] * WORKERS
    for run in shared_run.workers:
        assert "Crawl-wide: workers 2;" in run.stderr or "other workers remain" in run.stderr


def test_the_last_worker_removes_the_crawls_keys(shared_run, replica):
    assert shared_run.keys_left == []
    last = [run for run in shared_run.workers if "was the last (finished); its keys are removed" in run.stderr]
    assert len(last) == 1
    article_pages = sum(len(article.fetch_urls) for article in listed(replica.site))
    assert f"Crawl-wide: workers 2; pages fetched: article {article_pages}, index" in last[0].stderr


def test_a_later_run_of_the_range_reads_every_index_page_again(shared_run, replica, tmp_path, prefix,
                                                                  redis_client):
    """The first crawl's seen-filter is gone with it: a later run of the same range (same keys)
    reads the index pages again, and fetches no article (all stored)."""
    (run,), requests = run_workers(replica, tmp_path, shared_run.database_url, prefix, 1)
    assert run.returncode == 0, run.stderr[-3000:]
    expected = Counter({ROBOTS: 1})
    expected.update(replica.site.index_urls(SINCE, UNTIL))
    assert Counter(request.url for request in requests if request.method == "GET") == expected
    assert run.summary()["articles"] == "none"
    assert keys_with_prefix(redis_client, prefix) == []


def test_an_unreachable_redis_is_refused_before_anything_is_fetched(replica, tmp_path, shared_database_url):
    replica.reset()
    process = start_worker(replica, tmp_path, shared_database_url, "unused", *RANGE_ARGUMENTS,
                           redis_url="redis://127.0.0.1:1/0")
    run = finish(process, tmp_path, time.time(), timeout=30)
    assert run.returncode == 2
    (line,) = run.stderr.splitlines()
    assert line.startswith("scrapy crawl detikinet: error: Redis at redis://127.0.0.1:1/0 is unreachable: ")
    assert replica.requests() == []


# -- a worker dies -----------------------------------------------------------------------------------
def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def stored_ids(database_url: str) -> set[int]:
    return set(read_postgres(database_url)["by_id"])


def test_a_worker_that_dies_is_given_up_and_the_next_run_fetches_what_it_lost(replica, tmp_path, redis_client):
    """A worker is killed (SIGKILL) with two article pages in hand: the other worker waits for it
    until its heartbeat is NEWSCRAWL_REDIS_WORKER_TIMEOUT old, gives it up, finishes the crawl
    (exit 0) and removes the keys; the killed worker's pages are not fetched again in that crawl,
    and the next run of the range fetches exactly the articles that are not stored.

    Every step waits for a state, not a time: the barrier (never opening by count) holds the doomed
    worker's two article pages, then the survivor's, and only then is the doomed worker killed."""
    site = replica.site
    expected = {article.article_id for article in listed(site)}
    prefix = f"newscrawl-test-{uuid.uuid4().hex[:12]}"
    # Two articles are lost on purpose: the coverage of what is left says nothing here.
    options = ("-s", "NEWSCRAWL_REDIS_WORKER_TIMEOUT=3", "-s", "NEWSCRAWL_MIN_COVERAGE=0")
    try:
        with fresh_postgres_schema() as database_url:
            replica.reset()
            replica.hold_article_pages(100, timeout=25)
            try:
                doomed = start_worker(replica, tmp_path / "doomed", database_url, prefix, *RANGE_ARGUMENTS,
                                      options=options)
                wait_for(lambda: len(replica.held()) == CONCURRENT_REQUESTS, 20, "the doomed worker's article pages")
                lost = replica.held()
                # Its heartbeat has told the crawl about the index pages it read.
                index_read = sum(1 for request in replica.requests() if "/indeks" in request.url)
                (tally,) = [key for key in redis_client.scan_iter(match=f"{prefix}*:tally")]
                wait_for(lambda: int(redis_client.hget(tally, "pages/index") or 0) >= index_read, 10,
                         "the doomed worker's heartbeat")
                survivor = start_worker(replica, tmp_path / "survivor", database_url, prefix, *RANGE_ARGUMENTS,
                                        options=options)
                wait_for(lambda: len(replica.held()) == 2 * CONCURRENT_REQUESTS, 20, "the survivor's article pages")
                doomed.kill()
                doomed.wait()
            finally:
                replica.hold_article_pages(None)
            run = finish(survivor, tmp_path / "survivor", time.time())

            assert run.returncode == 0, run.stderr[-3000:]
            assert "is given up for dead; requests it had taken are not fetched in this crawl" in run.stderr
            assert keys_with_prefix(redis_client, prefix) == []
            # The barrier held every article page the doomed worker asked for: it finished none, and
            # the two in its hands are exactly what the crawl lost.
            lost_ids = {parse_url(f"{ORIGIN}{target}").article_id for target in lost}
            after_survivor = stored_ids(database_url)
            assert len(lost_ids) == 2
            assert after_survivor == expected - lost_ids

            replica.reset()
            later = finish(start_worker(replica, tmp_path / "later", database_url, prefix, *RANGE_ARGUMENTS,
                                        options=options), tmp_path / "later", time.time())
            assert later.returncode == 0, later.stderr[-3000:]
            assert stored_ids(database_url) == expected
            assert new_articles(later.summary()) == len(lost_ids)
            fetched = {parse_url(request.url).article_id for request in replica.requests()
                       if request.method == "GET" and parse_url(request.url).article_id}
            assert fetched == lost_ids
    finally:
        for key in redis_client.scan_iter(match=f"{prefix}*"):
            redis_client.delete(key)
