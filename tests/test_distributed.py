"""newscrawl.distributed against the real Redis: keys per crawl, the worker protocol (wait while
another worker is busy, nothing flushed by an early finisher, the last one removes the keys, dead
workers given up, stale leftovers discarded), expiry, the seen-filter, crawl-wide checks, and the
add-on that leaves Scrapy's own scheduler in place without REDIS_URL."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import date, datetime, timezone
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
from scrapy import Request
from scrapy.core.scheduler import Scheduler as ScrapyScheduler
from scrapy.crawler import Crawler
from scrapy.dupefilters import RFPDupeFilter as ScrapyDupeFilter
from scrapy.utils.misc import build_from_crawler, load_object
from scrapy.utils.project import get_project_settings
from scrapy.utils.request import RequestFingerprinter
from scrapy.utils.test import get_reactor_settings

from newscrawl.distributed import (
    CrawlKeys,
    SharedCrawl,
    SharedDupeFilter,
    SharedQueue,
    SharedScheduler,
    crawl_wide_stats,
    plan_key,
)
from newscrawl.archive import capture_of, set_capture
from newscrawl.archive.capture import Capture
from newscrawl.extensions import summarize_crawl
from newscrawl.items import ArticleItem

from newscrawl.sites.detik import DETIK
from newscrawl.spiders.detikinet import DetikInetSpider
from tests.support import inet_plan

REDIS_URL = "redis://127.0.0.1:6379/0"
REPO = Path(__file__).resolve().parents[1]
TODAY = date(2024, 5, 10)


@pytest.fixture
def server():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as error:
        raise RuntimeError(f"Redis is not reachable at {REDIS_URL}: {error}") from error
    yield client
    client.close()


@pytest.fixture
def keys(server):
    crawl_keys = CrawlKeys(f"newscrawl-test-{uuid.uuid4().hex[:12]}:detikinet:plan")
    yield crawl_keys
    for key in server.scan_iter(match=f"{crawl_keys.base}*"):
        server.delete(key)


def worker(server, keys, name, timeout=60.0, ttl=3600) -> SharedCrawl:
    return SharedCrawl(server, keys, name, worker_timeout=timeout, key_ttl=ttl)


def existing(server, keys) -> set[str]:
    return {key for key in keys.all if server.exists(key)}


# -- keys per crawl --------------------------------------------------------------------------------
def key_of(today=TODAY, **arguments) -> str:
    return plan_key(inet_plan(arguments, today=today))


def test_keys_are_per_crawl_plan():
    backfill = key_of(since="2024-05-01", until="2024-05-09")
    assert backfill.startswith("2024-05-01..2024-05-09:")
    assert key_of(since="2024-05-01", until="2024-05-09") == backfill  # every machine of one run agrees
    others = {
        "hourly run": key_of(),
        "tomorrow's run": key_of(today=date(2024, 5, 11)),
        "another range": key_of(since="2024-05-01", until="2024-05-08"),
        "the same days without RSS": key_of(since="2024-05-09", until="2024-05-10"),
        "refresh": key_of(since="2024-05-01", until="2024-05-09", refresh="1"),
        "URL list": key_of(urls="https://inet.detik.com/cyberlife/d-6453192/bos-kripto"),
    }
    assert others["hourly run"].startswith("2024-05-09..2024-05-10:")
    assert others["URL list"].startswith("urls:")
    assert len({backfill, *others.values()}) == 1 + len(others)


def test_crawl_keys_are_named_after_prefix_spider_and_plan():
    spider = SimpleNamespace(name="detikinet", plan=inet_plan({"since": "2024-05-01", "until": "2024-05-09"}, TODAY))
    keys = CrawlKeys.for_spider(spider, "acme")
    assert keys.base == f"acme:detikinet:{plan_key(spider.plan)}"
    assert [key.rsplit(":", 1)[1] for key in keys.all] == ["workers", "requests", "seen", "tally"]


# -- the worker protocol ---------------------------------------------------------------------------
def test_a_worker_waits_while_another_is_busy_and_the_last_one_removes_the_keys(server, keys):
    a, b = worker(server, keys, "a"), worker(server, keys, "b")
    assert a.join() == (0, 0)
    assert b.join() == (1, 0)
    server.zadd(keys.queue, {b"request-1": 0, b"request-2": 0})
    server.sadd(keys.seen, "fp-1", "fp-2")

    assert a.idle({"pages/index": 1}).state == "work"  # requests are waiting
    assert a.take() == b"request-1"
    assert b.take() == b"request-2"
    assert a.take() is None
    waiting = a.idle({"pages/article": 1})
    assert (waiting.state, waiting.busy_worker) == ("wait", "b")  # b may still find links

    done = b.idle({"pages/index": 2})  # a is idle, the queue empty: the crawl is over
    assert done.state == "done"
    assert done.tally == {"workers": 2, "pages/index": 3, "pages/article": 1}
    # b finished first: it leaves, and flushes nothing a might still need.
    assert b.leave({"articles/new": 1}) is None
    assert existing(server, keys) == {keys.workers, keys.seen, keys.tally}
    assert server.smembers(keys.seen) == {b"fp-1", b"fp-2"}

    assert a.idle({}).state == "done"
    assert a.leave({"articles/new": 2}) == {"workers": 2, "pages/index": 3, "pages/article": 1, "articles/new": 3}
    assert existing(server, keys) == set()


def test_a_worker_that_took_a_request_is_busy_at_once(server, keys):
    """Popping and marking busy are one step: the other worker never sees an empty queue and no
    busy worker while a request is in hand."""
    a, b = worker(server, keys, "a"), worker(server, keys, "b")
    a.join()
    b.join()
    a.idle({})
    b.idle({})  # both idle, queue empty: b would be done...
    server.zadd(keys.queue, {b"late-link": 0})
    assert a.take() == b"late-link"
    outcome = b.idle({})
    assert (outcome.state, outcome.busy_worker) == ("wait", "a")


def let_deadline_pass(server, keys, worker_id: str) -> None:
    """As if the worker's timeout had run out without a heartbeat: its deadline (ms of Redis time)
    becomes 0, its state stays. The test moves the clock instead of waiting on it, so the outcome
    does not depend on how many milliseconds pass between two script calls."""
    state, _deadline = server.hget(keys.workers, worker_id).decode().split(" ")
    server.hset(keys.workers, worker_id, f"{state} 0")


def test_a_dead_worker_is_given_up_after_its_timeout(server, keys):
    alive, dead = worker(server, keys, "alive"), worker(server, keys, "dead")
    alive.join()
    dead.join()  # busy, and never heard of again
    waiting = alive.idle({})
    assert (waiting.state, waiting.busy_worker) == ("wait", "dead")  # within its timeout: still live
    let_deadline_pass(server, keys, "dead")
    outcome = alive.idle({})
    assert (outcome.state, outcome.dead_workers) == ("done", ("dead",))
    assert server.hkeys(keys.workers) == [b"alive"]
    assert alive.leave({}) is not None  # no live worker is left: the keys go
    assert existing(server, keys) == set()


def test_a_worker_joining_after_every_worker_died_discards_their_leftovers(server, keys):
    dead = worker(server, keys, "dead")
    dead.join()
    server.zadd(keys.queue, {b"lost": 0})
    server.sadd(keys.seen, "index-page-1")
    let_deadline_pass(server, keys, "dead")
    fresh = worker(server, keys, "fresh")
    others, discarded = fresh.join()
    assert (others, discarded) == (0, 3)  # queue, seen-filter, tally
    assert not server.exists(keys.queue) and not server.exists(keys.seen)
    assert server.hkeys(keys.workers) == [b"fresh"]


def test_every_key_expires_and_heartbeats_push_the_expiry_back(server, keys):
    a = worker(server, keys, "a", ttl=100)
    a.join()
    server.zadd(keys.queue, {b"r": 0})
    server.sadd(keys.seen, "fp")
    server.expire(keys.queue, 5)
    assert a.heartbeat() is True
    for key in keys.all:
        assert 90 <= server.ttl(key) <= 100, key
    server.hdel(keys.workers, "a")  # given up for dead by another worker
    assert a.heartbeat() is False  # ... and registered again
    assert server.hexists(keys.workers, "a")


def test_heartbeats_add_this_workers_latest_counts_to_the_tally(server, keys):
    """So the crawl-wide figures keep what a worker did before it died."""
    a = worker(server, keys, "a")
    a.join()
    a.heartbeat({"pages/index": 3})
    a.heartbeat({"pages/index": 2, "pages/article": 1})
    assert _tally(server, keys) == {"workers": 1, "pages/index": 5, "pages/article": 1}


def _tally(server, keys) -> dict[str, int]:
    return {key.decode(): int(value) for key, value in server.hgetall(keys.tally).items()}


def test_the_spiders_requests_survive_the_shared_queue(server, keys):
    """Callbacks by name, cb_kwargs with dates and with the pages (and their WARC captures) of a
    multi-page article collected so far: another machine can carry on with any of them."""
    spider = DetikInetSpider(since="2023-10-01", until="2023-10-31")
    crawl = worker(server, keys, "a")
    crawl.join()
    queue = SharedQueue(server, spider, crawl)
    page_one = ArticleItem(url="https://inet.detik.com/cyberlife/d-7001/judul", publisher="detik", channel="inet",
                           article_id=7001)
    set_capture(page_one, Capture("warc/detikinet-x-00000.warc.gz", 1234, "2026-11-28T03:00:00Z"))
    queue.push(spider.index_request(spider.channels[0], "/indeks", date(2023, 10, 12), 2))
    queue.push(spider.page_request(page_one["url"], 2, [page_one], 3))
    popped = {request.url: request for request in (queue.pop(), queue.pop())}
    assert queue.pop() is None
    index = popped["https://inet.detik.com/indeks?page=2&date=10/12/2023"]
    assert (index.callback, index.errback) == (spider.parse_index, spider.failed)
    assert index.cb_kwargs == {"day": date(2023, 10, 12), "page": 2, "channel": "inet", "index_path": "/indeks"}
    page = popped["https://inet.detik.com/cyberlife/d-7001/judul/2"]
    assert page.callback == spider.parse_article
    assert page.meta["expected_pages"] == 3
    (carried,) = page.cb_kwargs["previous_pages"]
    assert dict(carried) == dict(page_one)
    assert capture_of(carried) == capture_of(page_one)
    assert server.hget(keys.workers, "a").startswith(b"busy ")


# -- the seen-filter -------------------------------------------------------------------------------
def test_the_seen_filter_is_shared_uses_scrapys_fingerprints_and_survives_close(server, keys):
    fingerprinter = RequestFingerprinter()
    one = SharedDupeFilter(server, keys.seen, fingerprinter, ttl=60)
    two = SharedDupeFilter(server, keys.seen, fingerprinter, ttl=60)
    request = Request("https://inet.detik.com/indeks?date=05/01/2024")
    assert one.request_fingerprint(request) == fingerprinter.fingerprint(request).hex()
    assert one.request_seen(request) is False
    assert two.request_seen(Request("https://inet.detik.com/indeks?date=05%2F01%2F2024")) is True
    one.close("finished")
    assert server.sismember(keys.seen, one.request_fingerprint(request))
    assert 0 < server.ttl(keys.seen) <= 60


# -- crawl-wide checks -----------------------------------------------------------------------------
def test_crawl_wide_stats_keep_this_workers_own_file_and_database_failures():
    stats = {"newscrawl/pages/article": 3, "newscrawl/store_failed": 1,
             "newscrawl/shared/pages/index": 94, "newscrawl/shared/pages/article": 6,
             "newscrawl/shared/warc/write_failed": 1}
    assert crawl_wide_stats(stats) == {"newscrawl/pages/index": 94, "newscrawl/pages/article": 6,
                                       "newscrawl/store_failed": 1}
    assert crawl_wide_stats({"newscrawl/pages/index": 3}) is None


def fake_crawler(stats: dict):
    plan = inet_plan({"since": "2024-05-01", "until": "2024-05-02"}, TODAY)
    spider = SimpleNamespace(plan=plan, run_started_at=datetime(2024, 5, 10, 3, tzinfo=timezone.utc),
                             channels=(DETIK.channel("inet"),))
    settings = get_project_settings()
    settings.set("NEWSCRAWL_MIN_ARTICLES_PER_DAY", 2)
    return SimpleNamespace(spider=spider, settings=settings, stats=SimpleNamespace(get_stats=lambda: stats))


def test_a_worker_that_read_no_index_page_passes_when_the_crawl_read_them():
    mine = {"newscrawl/pages/article": 2, "newscrawl/coverage/items": 0}
    alone = summarize_crawl(fake_crawler(mine))
    assert "no index page could be read" in alone.failures
    shared = {**mine, "newscrawl/shared/pages/index": 2, "newscrawl/shared/pages/article": 4,
              "newscrawl/shared/index/articles/inet/2024-05-01": 2, "newscrawl/shared/index/articles/inet/2024-05-02": 3}
    summary = summarize_crawl(fake_crawler(shared))
    assert summary.outcome == "ok", summary.failures
    assert summary.pages == {"article": 2}  # the counts stay this worker's
    assert {check.name: check.ok for check in summary.checks}["articles_per_day"] is True


def test_the_crawl_wide_checks_fail_every_worker_of_a_bad_crawl():
    shared = {"newscrawl/pages/index": 1, "newscrawl/shared/pages/index": 2,
              "newscrawl/shared/index/articles/inet/2024-05-01": 0, "newscrawl/shared/index/articles/inet/2024-05-02": 3}
    summary = summarize_crawl(fake_crawler(shared))
    assert [check.name for check in summary.checks if not check.ok] == ["articles_per_day"]
    assert "2024-05-01: 0" in summary.failures[0]


# -- the switch: REDIS_URL or not ------------------------------------------------------------------
def crawler_with(redis_url: str | None) -> Crawler:
    settings = get_project_settings()
    settings.setdict(get_reactor_settings(), priority="cmdline")
    settings.set("REDIS_URL", redis_url, priority="cmdline")
    crawler = Crawler(DetikInetSpider, settings)
    crawler._apply_settings()  # what Crawler.crawl() does first: runs the add-ons
    return crawler


def test_without_redis_url_the_scheduler_and_dupefilter_are_scrapys_own():
    crawler = crawler_with(None)
    assert crawler.settings["SCHEDULER"] == "scrapy.core.scheduler.Scheduler"
    assert crawler.settings["DUPEFILTER_CLASS"] == "scrapy.dupefilters.RFPDupeFilter"
    scheduler = build_from_crawler(load_object(crawler.settings["SCHEDULER"]), crawler)
    assert type(scheduler) is ScrapyScheduler
    assert type(scheduler.df) is ScrapyDupeFilter


def test_with_redis_url_the_shared_scheduler_is_used(server):
    crawler = crawler_with(REDIS_URL)
    scheduler = build_from_crawler(load_object(crawler.settings["SCHEDULER"]), crawler)
    assert type(scheduler) is SharedScheduler
    assert crawler.settings["DUPEFILTER_CLASS"] == "newscrawl.distributed.SharedDupeFilter"


@pytest.mark.parametrize("value", [None, REDIS_URL])
def test_settings_read_redis_url_from_the_environment(value):
    env = {name: v for name, v in os.environ.items() if name != "REDIS_URL"}
    if value:
        env["REDIS_URL"] = value
    script = "from scrapy.utils.project import get_project_settings as g; print(g().get('REDIS_URL'))"
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == str(value)
