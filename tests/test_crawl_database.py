"""CrawlDatabase riding out a database outage, and the advice it ends a given-up run with.

The database calls are real (SQLite made full with PRAGMA max_page_count, which SQLite reports as a
full disk); the engine is a recording stand-in, since only its pause, unpause and close matter here.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
import sqlalchemy as sa

from newscrawl.archive import Capture
from newscrawl.crawl_database import CrawlDatabase
from newscrawl.items import ArticleItem
from newscrawl.pipelines import StorePipeline
from newscrawl.spiders.detikinet import DetikInetSpider
from newscrawl.storage import DatabaseUnavailable, open_database
from newscrawl.archive.capture import set_capture
from tests.storage.support import make_article
from tests.support import project_crawler

QUICK = {"NEWSCRAWL_DATABASE_RETRY_BASE": 0.01, "NEWSCRAWL_DATABASE_RETRY_MAX": 0.02}


class RecordingEngine:
    """What CrawlDatabase asks of Scrapy's engine, recorded; ``paused`` is set when it pauses."""

    def __init__(self) -> None:
        self.calls: list = []
        self.spider = object()
        self.paused = asyncio.Event()

    def pause(self) -> None:
        self.calls.append("pause")
        self.paused.set()

    def unpause(self) -> None:
        self.calls.append("unpause")

    async def close_spider_async(self, *, reason: str) -> None:
        self.calls.append(("close", reason))


@pytest.fixture
def crawler(tmp_path, monkeypatch):
    monkeypatch.delenv("NEWSCRAWL_DATABASE_URL", raising=False)
    crawler = project_crawler(DetikInetSpider, NEWSCRAWL_DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
                              NEWSCRAWL_EXPORTS_DIR="exports", NEWSCRAWL_STORE_BATCH_SIZE=2, **QUICK,
                              NEWSCRAWL_DATABASE_OUTAGE_LIMIT=30)
    crawler.spider = crawler._create_spider(since="2022-12-10", until="2022-12-10")
    crawler.stats.open_spider()
    crawler.engine = RecordingEngine()
    return crawler


class DiskLimit:
    """PRAGMA max_page_count on every new connection of an engine: a full disk, and space freed."""

    def __init__(self, engine) -> None:
        self.engine, self.pages = engine, None
        sa.event.listen(engine, "connect", self._on_connect)

    def _on_connect(self, dbapi_connection, _record) -> None:
        if self.pages is not None:
            dbapi_connection.execute(f"PRAGMA max_page_count = {self.pages}")

    def fill(self) -> None:
        with self.engine.connect() as connection:
            self.pages = connection.exec_driver_sql("PRAGMA page_count").scalar()
        self.engine.dispose()

    def free(self) -> None:
        self.pages = 1_000_000
        self.engine.dispose()


def item(article_id: int) -> ArticleItem:
    made = ArticleItem(make_article(article_id, body="kata " * 3000))
    set_capture(made, Capture("warc/run-00000.warc.gz", 1000 + article_id, "2026-11-28T03:00:00+00:00"))
    return made


def test_a_short_outage_is_ridden_out_with_the_crawl_paused(crawler, caplog):
    service = CrawlDatabase.of(crawler)
    answers = iter([DatabaseUnavailable("sqlite:///db", "database or disk is full")] * 2 + ["answer"])

    def call():
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    with caplog.at_level(logging.WARNING, logger="newscrawl.crawl_database"):
        assert asyncio.run(service.ride_out(call)) == "answer"

    assert crawler.engine.calls == ["pause", "unpause"]
    assert service.gave_up is None
    messages = [record.getMessage() for record in caplog.records]
    assert messages[0] == ("database sqlite:///db unavailable (database or disk is full): crawl paused, retrying for "
                           "up to 30 s (NEWSCRAWL_DATABASE_OUTAGE_LIMIT)")
    assert messages[1].startswith(f"database {service.display_url} answers again after ")
    assert messages[1].endswith(" s: crawl resumed")


def test_past_the_limit_the_spider_is_closed_and_later_calls_are_tried_once(crawler):
    service = CrawlDatabase(crawler)
    service.outage_limit = 0.05
    calls = []

    def down():
        calls.append(1)
        raise DatabaseUnavailable("sqlite:///db", "unable to open database file")

    with pytest.raises(DatabaseUnavailable):
        asyncio.run(service.ride_out(down))
    assert len(calls) > 2
    # The close is scheduled, not awaited: it waits for the very callback or item that is calling.
    assert crawler.engine.calls == ["pause", "unpause", ("close", "database_unavailable")]
    assert service.gave_up.reason == "unable to open database file"

    calls.clear()
    with pytest.raises(DatabaseUnavailable):
        asyncio.run(service.ride_out(down))
    assert calls == [1]  # once, no waiting: the crawl is closing


def test_the_store_keeps_its_batch_through_an_outage_and_stores_it_once_the_database_is_back(crawler):
    store = StorePipeline.from_crawler(crawler)
    store.open_spider()
    disk = DiskLimit(store.database.engine)

    async def crawl():
        disk.fill()
        storing = asyncio.ensure_future(asyncio.gather(store.process_item(item(1)), store.process_item(item(2))))
        await crawler.engine.paused.wait()  # the write met the full disk and the crawl paused
        assert store.pending and not storing.done()
        disk.free()
        await storing
        await store.close_spider()

    asyncio.run(crawl())

    assert crawler.engine.calls == ["pause", "unpause"]
    assert crawler.stats.get_value("newscrawl/articles/new") == 2
    assert crawler.stats.get_value("newscrawl/store_failed") is None
    with open_database(CrawlDatabase.of(crawler).url) as database, database.engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT article_id, revision, warc_file, warc_offset FROM article_revisions ORDER BY article_id")).all()
    assert rows == [(1, 1, "warc/run-00000.warc.gz", 1001), (2, 1, "warc/run-00000.warc.gz", 1002)]


def test_what_the_store_could_not_store_is_counted_and_the_advice_names_its_warc_file(crawler, caplog):
    crawler.command_line = ["scrapy", "crawl", "detikinet", "-a", "since=2022-12-10", "-s",
                            "REDIS_URL=redis://:secret@redis.internal:6379/0"]
    service = CrawlDatabase.of(crawler)
    service.outage_limit = 0.05
    store = StorePipeline.from_crawler(crawler)
    store.open_spider()
    DiskLimit(store.database.engine).fill()

    async def crawl():
        await asyncio.gather(store.process_item(item(1)), store.process_item(item(2)), store.process_item(item(3)))
        await store.close_spider()

    with caplog.at_level(logging.ERROR, logger="newscrawl.crawl_database"):
        asyncio.run(crawl())
        service.spider_closed()

    assert crawler.stats.get_value("newscrawl/store_failed") == 3
    assert crawler.stats.get_value("newscrawl/articles/new") is None
    url = service.display_url
    assert [record.getMessage() for record in caplog.records] == [
        f"database {url} still unavailable after 0.05 s (database or disk is full): closing the crawl",
        f"3 articles fetched by this run are not stored: the database {url} was unavailable for more than 0.05 s "
        "(database or disk is full). Nothing fetched is lost: once the database is available again, run "
        f"`newscrawl import --exports-dir exports --database-url {url} exports/warc/run-00000.warc.gz` (stores them "
        "with their WARC location, fetching nothing), then run the same crawl again, `scrapy crawl detikinet -a "
        "since=2022-12-10 -s 'REDIS_URL=redis://:***@redis.internal:6379/0'` (it fetches only what is still missing).",
    ]


def test_advice_without_unstored_articles_and_with_a_password_in_the_database_url(crawler, monkeypatch):
    monkeypatch.setenv("NEWSCRAWL_DATABASE_URL", "postgresql+psycopg://crawler:secret@db.internal/news")
    service = CrawlDatabase(crawler)  # reads the URL from the environment, as the crawl does
    service.gave_up = DatabaseUnavailable(service.url, "connection refused")
    service.outage_limit = 300

    assert service.advice() == (
        "the crawl stopped early: the database postgresql+psycopg://crawler:***@db.internal/news was unavailable "
        "for more than 300 s (connection refused). Once the database is available again, run the same crawl again, "
        "`scrapy crawl detikinet -a since=2022-12-10 -a until=2022-12-10`: it fetches only what is still missing.")
    # The environment gives newscrawl the same database, so the import needs no --database-url.
    assert service.import_command("exports", ["exports/warc/a.warc.gz"]) == [
        "newscrawl", "import", "--exports-dir", "exports", "exports/warc/a.warc.gz"]


def test_advice_for_articles_that_were_not_archived(crawler, monkeypatch):
    monkeypatch.setenv("NEWSCRAWL_DATABASE_URL", "sqlite:///exports/db.sqlite3")
    service = CrawlDatabase(crawler)
    service.gave_up = DatabaseUnavailable(service.url, "database or disk is full")
    capture = Capture("warc/run-00000.warc.gz", 10, "2026-11-28T03:00:00+00:00")
    rerun = "`scrapy crawl detikinet -a since=2022-12-10 -a until=2022-12-10`"

    service.not_stored([None])
    assert service.advice() == (
        "1 articles fetched by this run are not stored: the database sqlite:///exports/db.sqlite3 was unavailable for "
        "more than 30 s (database or disk is full). They were not archived either. Once the database is available "
        f"again, run the same crawl again, {rerun}: it fetches them again and whatever else is still missing.")

    service.not_stored([capture])
    assert service.advice().endswith(
        "Nothing fetched is lost: once the database is available again, run `newscrawl import --exports-dir exports "
        "exports/warc/run-00000.warc.gz` (stores them with their WARC location, fetching nothing); 1 of them were not "
        f"archived, and the next step fetches them again, then run the same crawl again, {rerun} (it fetches only "
        "what is still missing).")
