"""The real `scrapy crawl detikinet` against the loopback replica of inet.detik.com.

Expected values come from the replica's site map (tests/replica/sitemap.py), which is computed from
the saved pages and their expected items in tests/fixtures/pages: what a crawl of CRAWL_RANGE must
store is exactly the articles the replica lists on the index pages of those days.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta

import pytest

from newscrawl import settings as project_settings
from newscrawl.items import ARTICLE_FIELDS
from newscrawl.storage import open_database
from tests.replica import CRAWL_RANGE
from tests.replica.sitemap import GONE_PATH, ORIGIN, OTHER_CHANNEL_URL, VIDEO_20DETIK_URL, WIB, index_url

from .conftest import Run, run_crawl

SINCE, UNTIL = CRAWL_RANGE
RANGE_ARGUMENTS = ("-a", f"since={SINCE}", "-a", f"until={UNTIL}")
ROBOTS = f"{ORIGIN}/robots.txt"
GONE = f"{ORIGIN}{GONE_PATH}"
COMPARED = [name for name in ARTICLE_FIELDS if name != "fetched_at"]


# -- what the site map says a crawl of the range must do ----------------------------------------------
def listed(site):
    return site.articles_listed(SINCE, UNTIL)


def expected_items(site) -> dict[int, dict]:
    return {article.article_id: article.item for article in listed(site)}


def expected_first_run_gets(site) -> Counter:
    """Every URL the first crawl must GET, with how often: robots.txt, each index page, each article
    page (the 503-once page twice), the legacy link that redirects, and the gone article."""
    expected = Counter({ROBOTS: 1, GONE: 1})
    expected.update(site.index_urls(SINCE, UNTIL))
    for article in listed(site):
        expected.update(article.fetch_urls)
        if article.link != article.url:
            expected[article.link] += 1
    expected[site.role("retry_once").url] += 1
    return expected


def skipped_kinds(site) -> dict[str, int]:
    kinds = Counter(site.fixture(name)[0]["kind"] for name in site.others.values())
    return {"gallery": kinds["gallery"], "video": kinds["video"] + 1, "other": 1}  # + 20.detik.com, news.detik.com


def read_database(run: Run) -> dict:
    """What the crawl left in its SQLite database, read right after it (later runs add to it)."""
    database = open_database(f"sqlite:///{run.database}", migrate_schema=False)
    try:
        records = list(database.iter_articles())
    finally:
        database.close()
    return {
        "records": records,
        "by_id": {record["article_id"]: record for record in records},
        "rows": run.sql("SELECT article_id, url, current_revision, revision_count FROM articles ORDER BY article_id"),
        "revisions": run.sql("SELECT article_id, revision, reason FROM article_revisions ORDER BY article_id"),
        "runs": run.sql("SELECT id, kind, outcome, arguments FROM crawl_runs ORDER BY id"),
    }


def log_errors(run: Run) -> list[str]:
    return [line for line in run.stderr.splitlines() if "] ERROR:" in line or line.startswith("Traceback")]


@pytest.fixture(scope="module")
def first_run(replica, tmp_path_factory):
    run = run_crawl(replica, tmp_path_factory.mktemp("range"), *RANGE_ARGUMENTS)
    run.db = read_database(run) if run.database.exists() else None
    return run


@pytest.fixture(scope="module")
def second_run(replica, first_run):
    jsonl_before = {path.name: path.read_bytes() for path in first_run.jsonl_files()}
    run = run_crawl(replica, first_run.workdir, *RANGE_ARGUMENTS)
    run.db = read_database(run)
    run.jsonl_before = jsonl_before
    return run


# -- first run: an empty database ---------------------------------------------------------------------
def test_first_run_exits_0_with_the_expected_summary(first_run, replica):
    site = replica.site
    assert first_run.returncode == 0, first_run.stderr[-3000:]
    summary = first_run.summary()
    article_pages = sum(len(article.fetch_urls) for article in listed(site))
    assert summary["pages fetched"] == f"article {article_pages}, index {len(site.index_urls(SINCE, UNTIL))}"
    assert summary["articles"] == f"new {len(listed(site))}"
    assert summary["dropped"] == "none"
    assert summary["non-article pages"] == "none"
    skipped = skipped_kinds(site)
    assert summary["links not followed"] == ", ".join(f"{kind} {skipped[kind]}" for kind in sorted(skipped))
    assert summary["errors by status"] == "404 1"
    assert summary["outcome"] == "ok"


def test_first_run_logs_no_error(first_run):
    assert log_errors(first_run) == []


def test_no_telnet_console_or_remote_control_server_is_opened(first_run):
    """Both would hand the process (and its database credentials) to whoever reaches the port."""
    assert "Telnet" not in first_run.stderr
    assert "Remote control" not in first_run.stderr
    assert "Enabled extensions" in first_run.stderr
    enabled = first_run.stderr.split("Enabled extensions:", 1)[1].split("]", 1)[0]
    assert "TelnetConsole" not in enabled and "RemoteControl" not in enabled
    assert "newscrawl.crawl_database.CrawlDatabase" in enabled


def test_a_recorded_range_crawl_replays_out_of_the_box(first_run, replica, tmp_path):
    """Everything the crawl fetched is archived by default, index pages included, so replaying it
    with the same arguments stores the same articles and asks the network for nothing."""
    replay = run_crawl(replica, tmp_path / "replay", *RANGE_ARGUMENTS, "-a", f"replay={first_run.workdir / 'warc'}")
    assert replay.returncode == 0, replay.stderr[-3000:]
    assert replay.requests == []
    assert read_database(replay)["records"] == first_run.db["records"]
    assert replay.summary()["outcome"] == "ok"


def test_the_range_holds_what_the_scenario_needs(replica):
    """Guards the test itself: the roles and the busy day lie in the crawled range."""
    site = replica.site
    ids = set(expected_items(site))
    for role in ("multipage", "retry_once", "legacy_linked", "related_host"):
        assert site.role(role).article_id in ids, role
    assert site.role("out_of_range").article_id not in ids
    assert SINCE <= site.busy_day <= UNTIL
    assert any(article.published is None for article in listed(site)), "an undated article is listed"
    assert site.index_page_count(site.busy_day) >= 3


def test_stored_articles_are_exactly_the_fixtures_items(first_run, replica):
    expected = expected_items(replica.site)
    stored = first_run.db["by_id"]
    assert sorted(stored) == sorted(expected)
    for article_id, item in expected.items():
        record = stored[article_id]
        assert list(record) == list(ARTICLE_FIELDS)
        for name in COMPARED:
            assert record[name] == item[name], f"article {article_id}, field {name!r}"
        fetched = datetime.fromisoformat(record["fetched_at"])
        assert fetched.utcoffset().total_seconds() == 0
        assert first_run.started - 2 <= fetched.timestamp() <= first_run.finished + 2


def test_each_article_is_stored_once_with_one_revision(first_run, replica):
    expected = expected_items(replica.site)
    rows = first_run.db["rows"]
    assert [row[0] for row in rows] == sorted(expected)
    assert len({row[1] for row in rows}) == len(rows)
    assert {row[1] for row in rows} == {item["url"] for item in expected.values()}
    assert all(row[2:] == (1, 1) for row in rows), rows
    assert first_run.db["revisions"] == [(article_id, 1, "crawl") for article_id in sorted(expected)]
    ((_, kind, outcome, arguments),) = first_run.db["runs"]
    assert (kind, outcome) == ("crawl", "ok")
    assert json.loads(arguments) == {"since": str(SINCE), "until": str(UNTIL)}


def test_first_run_requests(first_run, replica):
    site = replica.site
    others = [request for request in first_run.requests if request.method != "GET"]
    assert {(request.method, request.url, request.status) for request in others} == {("CONNECT", "inet.detik.com:443", 200)}
    gets = first_run.gets
    assert {request.via for request in gets} == {"tunnel"}
    assert gets[0].url == ROBOTS
    assert Counter(request.url for request in gets) == expected_first_run_gets(site)

    statuses: dict[str, list[int]] = {}
    for request in gets:
        statuses.setdefault(request.url, []).append(request.status)
    retry, legacy, multipage = site.role("retry_once"), site.role("legacy_linked"), site.role("multipage")
    assert statuses.pop(retry.url) == [503, 200]
    assert statuses.pop(legacy.link) == [301]
    assert statuses.pop(GONE) == [404]
    assert set(map(tuple, statuses.values())) == {(200,)}

    order = {request.url: request.order for request in gets}
    assert order[legacy.link] < order[legacy.url]
    assert order[multipage.url] < order[f"{multipage.url}?single=1"]
    busy = [index_url(site.busy_day, page) for page in range(1, site.index_page_count(site.busy_day) + 1)]
    assert [order[url] for url in busy] == sorted(order[url] for url in busy)

    asked = set(order)
    assert site.role("out_of_range").url not in asked  # linked from a Berita Terkait box and a cb-mostpop box
    assert not {url for url in asked if "/fotoinet/" in url or "/detiktv/" in url}
    assert not asked & {VIDEO_20DETIK_URL, OTHER_CHANNEL_URL, *site.others}
    assert not {url for url in asked if "utm_source" in url or url.startswith(f"{multipage.url}/")}


def test_first_run_jsonl_holds_exactly_the_new_articles(first_run, replica):
    expected = expected_items(replica.site)
    (path,) = first_run.jsonl_files()
    records = first_run.jsonl_records()
    assert sorted(record["article_id"] for record in records) == sorted(expected)
    stored = first_run.db["by_id"]
    for record in records:
        assert list(record) == list(ARTICLE_FIELDS)
        item = expected[record["article_id"]]
        for name in COMPARED:
            assert record[name] == item[name], f"article {record['article_id']}, field {name!r}"
        assert record["fetched_at"] == stored[record["article_id"]]["fetched_at"]


# -- second run of the same range: everything is stored -----------------------------------------------
def test_second_run_fetches_no_article_page_and_exits_0(second_run, replica):
    site = replica.site
    assert second_run.returncode == 0, second_run.stderr[-3000:]
    gets = second_run.gets
    assert gets[0].url == ROBOTS
    # Not even the gone article: its 404 was remembered by the first run.
    expected = Counter({ROBOTS: 1})
    expected.update(site.index_urls(SINCE, UNTIL))
    assert Counter(request.url for request in gets) == expected

    summary = second_run.summary()
    assert summary["pages fetched"] == f"index {len(site.index_urls(SINCE, UNTIL))}"
    assert summary["articles"] == "none"
    # Every in-range article card is skipped as stored, the duplicate card with tracking parameters too.
    skipped = {**skipped_kinds(site), "already_stored": len(listed(site)) + 1, "gone": 1}
    assert summary["links not followed"] == ", ".join(f"{kind} {skipped[kind]}" for kind in sorted(skipped))
    assert summary["outcome"] == "ok"


def test_second_run_changes_no_article_and_writes_no_jsonl(second_run, first_run):
    assert second_run.db["records"] == first_run.db["records"]
    assert second_run.db["revisions"] == first_run.db["revisions"]
    assert {path.name: path.read_bytes() for path in second_run.jsonl_files()} == second_run.jsonl_before
    assert [(kind, outcome) for _, kind, outcome, _ in second_run.db["runs"]] == [("crawl", "ok"), ("crawl", "ok")]


# -- runs that must fail -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "arguments, message",
    [
        (("-a", "since=2024-99-01"), "since='2024-99-01' is not a date in the form YYYY-MM-DD"),
        (("-a", "since=2023-10-01", "-a", "colour=blue"), "unknown argument 'colour'; known arguments: since, until, "),
    ],
    ids=["bad-date", "unknown-argument"],
)
def test_bad_arguments_exit_2_with_one_error_line_and_no_request(replica, tmp_path, arguments, message):
    run = run_crawl(replica, tmp_path, *arguments, timeout=30)
    assert run.returncode == 2
    errors = [line for line in run.stderr.splitlines() if "error" in line.lower()]
    assert len(errors) == 1 and errors[0].startswith(f"scrapy crawl detikinet: error: {message}"), run.stderr
    assert run.stderr.rstrip("\n").splitlines()[-1] == errors[0]
    assert "Traceback" not in run.stderr
    assert run.requests == []
    assert not run.database.exists()


def test_bad_arguments_print_nothing_but_the_error(replica, tmp_path):
    run = run_crawl(replica, tmp_path, "-a", "since=2024-99-01", timeout=30)
    assert run.stderr.splitlines() == [
        "scrapy crawl detikinet: error: since='2024-99-01' is not a date in the form YYYY-MM-DD"]


def test_index_pages_answering_503_fail_the_run_with_exit_1(replica, tmp_path):
    day = replica.site.busy_day
    replica.index_status = 503
    try:
        run = run_crawl(replica, tmp_path, "-a", f"since={day}", "-a", f"until={day}")
    finally:
        replica.index_status = None
    assert run.returncode == 1, run.stderr[-3000:]
    tries = 1 + project_settings.RETRY_TIMES
    assert [(request.url, request.status) for request in run.gets] == [(ROBOTS, 200)] + [(index_url(day), 503)] * tries
    # Each retry waited NEWSCRAWL_RETRY_BACKOFF_BASE (0.05 s) * 2**n first.
    times = [request.at for request in run.gets[1:]]
    for n, (before, after) in enumerate(zip(times, times[1:], strict=False)):
        assert after - before >= 0.9 * 0.05 * 2**n, (n, after - before)
    summary = run.summary()
    assert summary["pages fetched"] == "none"
    assert summary["errors by status"] == "503 1"
    assert summary["outcome"] == ("failed (no index page could be read | 1 of 1 pages failed (limit 20%) | "
                                  f"1 of 1 finished days were not read ({day}: not read))")
    assert [(kind, outcome) for _, kind, outcome, _ in read_database(run)["runs"]] == [("crawl", "failed")]
    assert run.jsonl_files() == []


# -- the scheduled run: no arguments ------------------------------------------------------------------
def test_run_without_arguments_reads_the_rss_and_stores_every_served_article(replica, tmp_path):
    site = replica.site
    days_before = {datetime.now(WIB).date()}
    run = run_crawl(replica, tmp_path)
    days_after = {datetime.now(WIB).date()}
    assert run.returncode == 0, run.stderr[-3000:]
    gets = run.gets
    assert gets[0].url == ROBOTS
    asked = Counter(request.url for request in gets)
    # Yesterday and today (WIB): nothing listed there, one index page each.
    today = asked.keys() & {index_url(day) for day in days_before | days_after}
    assert len(today) == 1
    (today_day,) = {day for day in days_before | days_after if index_url(day) in today}
    expected = Counter({ROBOTS: 1, f"{ORIGIN}/rss": 1, index_url(today_day - timedelta(days=1)): 1, index_url(today_day): 1})
    for article in site.articles.values():
        expected.update(article.fetch_urls)
    expected[site.role("retry_once").url] += 1
    assert asked == expected

    stored = read_database(run)["by_id"]
    assert sorted(stored) == sorted(article.article_id for article in site.articles.values())
    for article in site.articles.values():
        for name in COMPARED:
            assert stored[article.article_id][name] == article.item[name], f"article {article.article_id}, field {name!r}"
    summary = run.summary()
    assert summary["pages fetched"] == f"article {sum(len(a.fetch_urls) for a in site.articles.values())}, index 2, rss 1"
    assert summary["links not followed"] == ", ".join(f"{kind} {count}" for kind, count in sorted(
        Counter(site.fixture(name)[0]["kind"] for name in site.others.values()).items()))
    assert summary["outcome"] == "ok"


def test_a_run_that_ends_early_is_stored_as_failed(replica, tmp_path):
    """The outcome in crawl_runs is the one the run exits with and logs, the "finished" check included."""
    run = run_crawl(replica, tmp_path, *RANGE_ARGUMENTS, "-s", "CLOSESPIDER_PAGECOUNT=5")
    assert run.returncode == 1, run.stderr[-3000:]
    assert run.summary()["outcome"].startswith("failed (")
    assert "crawl ended early: closespider_pagecount" in run.summary()["outcome"]
    [(_, kind, outcome, _)] = read_database(run)["runs"]
    assert (kind, outcome) == ("crawl", "failed")
