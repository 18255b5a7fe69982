"""What a run reports about pages it could not handle: an exception in the spider is a failed page,
a page robots.txt disallows is a link not followed (no error), and a day whose index was never read
is "not read", not "0 articles"."""

from __future__ import annotations

import signal
import threading
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from scrapy.http import HtmlResponse, Request
from twisted.python.failure import Failure

from newscrawl.extensions import RunSummary
from newscrawl.meta import PAGE_KIND
from newscrawl.spiders.detikinet import DetikInetSpider
from newscrawl.summary import Thresholds, summarize
from tests.replica import CRAWL_RANGE, Replica
from tests.replica import render
from tests.support import project_crawler

from .support import read_until, run_crawl, sqlite_rows, start_crawl
from .spiders.raising import RAISES_ON

LIMITS = Thresholds(max_error_share=0.2, min_articles_per_day=10, min_coverage=0.95,
                    coverage_fields=("headline", "body", "published_at", "authors"), max_fallback_share=0.05)
RAISING = "https://inet.detik.com/mobile-apps/d-7098314/whatsapp-rilis-fitur-sekali-lihat-untuk-pesan-suara"
OTHER = "https://inet.detik.com/science/d-7003518/gerhana-matahari-cincin-14-oktober-tak-terlihat-dari-indonesia-ini-sebabnya"
DISALLOWED = "https://inet.detik.com/consumer/d-7891234/hp-lipat-tipis-resmi-masuk-indonesia-segini-harganya"


# -- an exception in the spider ---------------------------------------------------------------------
def test_a_raising_callback_counts_its_page_as_failed_by_kind_and_type():
    crawler = project_crawler(DetikInetSpider)
    crawler.stats.open_spider()
    extension = crawler.get_extension(RunSummary)
    request = Request(RAISING, meta={PAGE_KIND: "article"})
    response = HtmlResponse(RAISING, body=b"<html></html>", request=request)
    try:
        raise RecursionError("maximum recursion depth exceeded")
    except RecursionError:
        failure = Failure()
    extension.count_spider_error(failure=failure, response=response, spider=None)
    assert crawler.stats.get_value("newscrawl/failed/article/spider_RecursionError") == 1


def test_spider_failures_count_in_the_error_share():
    summary = summarize({"newscrawl/pages/article": 3, "newscrawl/failed/article/spider_ValueError": 1}, LIMITS)
    assert summary.errors_by_status == {"spider_ValueError": 1}
    assert summary.failures == ["1 of 4 pages failed (limit 20%)"]


def test_a_crawl_whose_spider_raises_on_a_page_fails_with_the_page_counted(replica, tmp_path):
    assert RAISES_ON in RAISING and RAISES_ON not in OTHER
    database = tmp_path / "db.sqlite3"
    crawl = run_crawl(replica, f"sqlite:///{database}", tmp_path / "exports", "-a", f"urls={RAISING},{OTHER}",
                      "-s", "SPIDER_MODULES=tests.faults.spiders")

    assert crawl.returncode == 1
    assert crawl.stat("newscrawl/failed/article/spider_ValueError") == 1
    assert crawl.stat("spider_exceptions/ValueError") == 1  # Scrapy's own count, and its traceback in the log
    assert len(crawl.lines(rf"ERROR: Spider error processing <GET {RAISING}>")) == 1
    assert "  errors by status: spider_ValueError 1" in crawl.stderr.splitlines()
    assert crawl.outcome_line() == "  outcome: failed (1 of 2 pages failed (limit 20%))"
    assert sqlite_rows(database, "SELECT outcome FROM crawl_runs") == [("failed",)]
    assert [row[0] for row in sqlite_rows(database, "SELECT url FROM articles")] == [OTHER]


# -- robots.txt -------------------------------------------------------------------------------------
class DisallowingReplica(Replica):
    """The replica, with a robots.txt that disallows one article to every user agent."""

    def answer(self, target):
        answer = super().answer(target)
        if target == "/robots.txt":
            path = urlsplit(DISALLOWED).path
            answer.body = render.ROBOTS_TXT.replace("User-agent: *\nAllow: /\n",
                                                    f"User-agent: *\nDisallow: {path}\nAllow: /\n").encode()
        return answer


@pytest.fixture(scope="module")
def disallowing_replica():
    with DisallowingReplica() as server:
        yield server


def test_a_page_robots_txt_disallows_is_not_fetched_and_not_an_error(disallowing_replica, tmp_path):
    database = tmp_path / "db.sqlite3"
    crawl = run_crawl(disallowing_replica, f"sqlite:///{database}", tmp_path / "exports",
                      "-a", f"urls={DISALLOWED},{OTHER}")

    assert crawl.returncode == 0, crawl.stderr[-3000:]
    assert [line.split("] ", 1)[1] for line in crawl.lines(r"disallowed|failed: IgnoreRequest")] == [
        f"INFO: {DISALLOWED} not fetched: disallowed by robots.txt"]
    assert crawl.stat("newscrawl/skipped/robots_txt") == 1
    assert "  non-article pages: none; links not followed: robots_txt 1" in crawl.stderr.splitlines()
    assert "  errors by status: none" in crawl.stderr.splitlines()
    assert crawl.outcome_line() == "  outcome: ok"
    assert DISALLOWED not in [request.url for request in disallowing_replica.requests()]
    assert [row[0] for row in sqlite_rows(database, "SELECT url FROM articles")] == [OTHER]


# -- days whose index was never read ------------------------------------------------------------------
def test_a_day_never_read_is_shown_as_not_read_not_as_0_articles():
    days = ["2024-05-01", "2024-05-02", "2024-05-03"]
    stats = {"newscrawl/pages/index": 2, "newscrawl/index/pages/inet/2024-05-01": 1, "newscrawl/index/pages/inet/2024-05-02": 1,
             "newscrawl/index/articles/inet/2024-05-01": 12}
    summary = summarize(stats, LIMITS, True, full_days=days, channels=("inet",))
    # 05-02 was read and listed nothing; 05-03 was never read.
    assert summary.failures == [
        "2 of 3 finished days were not read or listed fewer than 10 articles (2024-05-02: 0, 2024-05-03: not read)"]
    unread_only = summarize({**stats, "newscrawl/index/articles/inet/2024-05-02": 10}, LIMITS, True, full_days=days, channels=("inet",))
    assert unread_only.failures == ["1 of 3 finished days were not read (2024-05-03: not read)"]
    read = {**stats, "newscrawl/index/articles/inet/2024-05-02": 10, "newscrawl/index/pages/inet/2024-05-03": 3,
            "newscrawl/index/articles/inet/2024-05-03": 11}
    assert summarize(read, LIMITS, True, full_days=days, channels=("inet",)).outcome == "ok"


class GatedIndexReplica(Replica):
    """Answers the first index page asked for at once, and every later one only once ``gate`` is set."""

    def __init__(self):
        super().__init__()
        self.gate = threading.Event()
        self.first_answered = threading.Event()
        self._asked_lock = threading.Lock()
        self._index_asked = 0

    def _index(self, path, query):
        with self._asked_lock:
            self._index_asked += 1
            first = self._index_asked == 1
        if not first:
            self.gate.wait(timeout=60)
        answer = super()._index(path, query)
        if first:
            self.first_answered.set()
        return answer


def test_an_interrupted_crawl_shows_the_days_it_never_read_as_not_read(tmp_path):
    since, until = CRAWL_RANGE
    database = tmp_path / "db.sqlite3"
    with GatedIndexReplica() as replica:
        crawl = start_crawl(replica, f"sqlite:///{database}", tmp_path / "exports",
                            "-a", f"since={since}", "-a", f"until={until}")
        try:
            read_until(crawl.stderr, r"storing to .* \(run 1\)")
            assert replica.first_answered.wait(timeout=60)
            crawl.send_signal(signal.SIGINT)  # one Ctrl-C: the graceful shutdown
            read_until(crawl.stderr, r"Received SIGINT, shutting down gracefully")
            replica.gate.set()  # the index pages in flight are answered; nothing more is asked
            log = crawl.stderr.read()
            assert crawl.wait(timeout=60) == 1
        finally:
            replica.gate.set()
            crawl.kill()
            crawl.stderr.close()
        served = {datetime.strptime(parse_qs(urlsplit(request.url).query)["date"][0], "%m/%d/%Y").date()
                  for request in replica.requests() if "/indeks" in request.url}

    days = [since + timedelta(days=n) for n in range((until - since).days + 1)]
    unread = [day for day in days if day not in served]
    assert 0 < len(served) < len(days)
    shown = ", ".join(f"{day}: not read" for day in unread[:5]) + (", ..." if len(unread) > 5 else "")
    [outcome] = [line for line in log.splitlines() if line.startswith("  outcome: ")]
    assert outcome == (f"  outcome: failed ({len(unread)} of {len(days)} finished days were not read ({shown}) | "
                       "crawl ended early: shutdown)")
    assert sqlite_rows(database, "SELECT outcome FROM crawl_runs") == [("failed",)]
