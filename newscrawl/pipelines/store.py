"""Persist articles through the storage layer, in batches.

Writes are batched (NEWSCRAWL_STORE_BATCH_SIZE articles per transaction) and flushed when the
spider closes: a killed process loses at most the last unflushed batch, and a batch is one
transaction, so no article is ever half-written. If the database fails mid-run the items are
still in the run's JSON lines file (the feed export is not behind this pipeline) and the log
says how to load them.
"""

from __future__ import annotations

import logging

from itemadapter import ItemAdapter
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ..archive import capture_of
from ..crawl_database import CrawlDatabase
from ..storage import DatabaseUnavailable, InvalidRecord

logger = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        settings = crawler.settings
        self.batch_size = max(1, settings.getint("NEWSCRAWL_STORE_BATCH_SIZE"))
        self.batch: list[dict] = []
        # Where each batched article's response is archived (article_id -> (warc_file, warc_offset)).
        self.captures: dict[int, tuple[str, int]] = {}
        self.service: CrawlDatabase | None = None
        self.failed = False

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self, spider=None):
        self.service = CrawlDatabase.of(self.crawler)
        if self.service is None:
            raise RuntimeError("StorePipeline needs newscrawl.crawl_database.CrawlDatabase in EXTENSIONS")
        self.service.open(spider or self.crawler.spider)

    @property
    def database(self):
        return self.service.database

    @property
    def run_id(self):
        return self.service.run_id

    def process_item(self, item, spider=None):
        if not self.failed:
            record = ItemAdapter(item).asdict()
            self.batch.append(record)
            capture = capture_of(item)
            if capture is not None and record.get("article_id") is not None:
                self.captures[record["article_id"]] = (capture.warc_file, capture.warc_offset)
            if len(self.batch) >= self.batch_size:
                self.flush()
        return item

    def flush(self) -> None:
        batch, self.batch = self.batch, []
        captures, self.captures = self.captures, {}
        if not batch or self.failed:
            return
        try:
            statuses = self.store(batch, captures)
        except (SQLAlchemyError, DatabaseUnavailable, OSError) as error:
            self.failed = True
            self.stats.set_value("newscrawl/store_failed", 1)
            spider = self.crawler.spider
            feed = f"{spider.exports_dir}/{spider.name}/{spider.run_started}.jsonl"
            logger.error(
                "storing to %s failed (%s); this run's articles are in %s: load them with `newscrawl load %s`",
                self.database.display_url, str(error).splitlines()[0], feed, feed,
            )
            return
        for status in statuses:
            self.stats.inc_value(f"newscrawl/articles/{status}")

    def store(self, batch: list[dict], captures: dict[int, tuple[str, int]] | None = None) -> list[str]:
        try:
            return self.database.store_articles(batch, reason="crawl", run_id=self.run_id, captures=captures)
        except (InvalidRecord, IntegrityError):
            # One bad record (invalid, or its URL taken by another article id) must not cost the
            # batch: store the records one by one and count the ones refused.
            statuses = []
            for record in batch:
                try:
                    statuses.extend(self.database.store_articles([record], reason="crawl", run_id=self.run_id,
                                                                 captures=captures))
                except InvalidRecord as error:
                    self.stats.inc_value("newscrawl/dropped/invalid_record")
                    logger.warning("not stored, invalid: %s (%s)", record.get("url"), error)
                except IntegrityError as error:
                    self.stats.inc_value("newscrawl/dropped/conflicting_record")
                    logger.warning("not stored, conflicts with a stored article: %s (%s)",
                                   record.get("url"), str(error.orig).splitlines()[0])
            return statuses

    def close_spider(self, spider=None):
        # The run's outcome is recorded by RunSummary once the feed export has closed too.
        if self.service is not None and self.service.database is not None:
            self.flush()
