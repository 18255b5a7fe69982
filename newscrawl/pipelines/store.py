"""Persist articles through the storage layer, in batches.

Writes are batched (NEWSCRAWL_STORE_BATCH_SIZE articles per transaction) and flushed when the
spider closes: a killed process loses at most the last unflushed batch, and a batch is one
transaction, so no article is ever half-written. A record the schema or the database refuses costs
only itself (counted as ``newscrawl/dropped/<reason>``, logged with its URL). An outage of the
database is ridden out by CrawlDatabase; a batch it could not store stays pending, and what is
still pending when the spider closes is counted (``newscrawl/store_failed``) and handed to
CrawlDatabase, whose advice at the end says how to store it from the run's WARC files.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from itemadapter import ItemAdapter

from ..archive import Capture, capture_of
from ..crawl_database import CrawlDatabase
from ..near_duplicates import Signed, signed_of
from ..storage import DatabaseUnavailable, Refusal

logger = logging.getLogger(__name__)


@dataclass
class _Pending:
    record: dict
    capture: Capture | None  # where the article's response is archived
    signed: Signed | None = None  # its body's near-duplicate signature, if an extraction worker made it
    done: bool = False


class StorePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        settings = crawler.settings
        self.batch_size = max(1, settings.getint("NEWSCRAWL_STORE_BATCH_SIZE"))
        self.pending: list[_Pending] = []
        self.flushing = False
        self.service: CrawlDatabase | None = None

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

    async def process_item(self, item, spider=None):
        # Shallow: normalise_record copies what it keeps (asdict's search for nested items was 120 us an item).
        self.pending.append(_Pending(dict(ItemAdapter(item)), capture_of(item), signed_of(item)))
        if len(self.pending) >= self.batch_size:
            await self.flush()
        return item

    async def flush(self, final: bool = False) -> None:
        """Store the pending articles a batch at a time (with ``final``, the last partial batch too).
        Items that arrive meanwhile join the queue; an outage the crawl gave up on leaves them pending."""
        if self.flushing:
            return
        self.flushing = True
        try:
            while self.pending and (final or len(self.pending) >= self.batch_size):
                await self.store(self.pending[: self.batch_size])
        except DatabaseUnavailable:
            pass  # the crawl is closing on the outage; close_spider reports what is pending
        finally:
            self.flushing = False

    async def store(self, batch: list[_Pending]) -> None:
        records = [entry.record for entry in batch]
        captures = {(entry.record.get("publisher"), entry.record.get("article_id")):
                    (entry.capture.warc_file, entry.capture.warc_offset)
                    for entry in batch if entry.capture is not None and entry.record.get("article_id") is not None}
        signatures = {(entry.record.get("publisher"), entry.record.get("article_id")): entry.signed
                      for entry in batch if entry.signed is not None}
        # Kept across the retries of an outage, so records stored before it are not stored (or counted) again.
        results = [None] * len(batch)
        try:
            await self.service.ride_out(self.database.store_isolated, records, "crawl", self.run_id, captures, results,
                                        signatures)
        finally:
            for entry, result in zip(batch, results):
                if result is not None:
                    self.count(entry, result)
            self.pending = [entry for entry in self.pending if not entry.done]

    def count(self, entry: _Pending, result) -> None:
        entry.done = True
        if isinstance(result, Refusal):
            self.stats.inc_value(f"newscrawl/dropped/{result.reason}")
            logger.warning("not stored (%s): %s: %s", result.reason, entry.record.get("url"), result.message)
        else:
            self.stats.inc_value(f"newscrawl/articles/{result}")

    async def close_spider(self, spider=None):
        # The run's outcome is recorded by RunSummary once the feed export has closed too.
        if self.service is None or self.service.database is None:
            return
        await self.flush(final=True)
        if self.pending:
            self.stats.set_value("newscrawl/store_failed", len(self.pending))
            self.service.not_stored([entry.capture for entry in self.pending])
            self.pending = []
