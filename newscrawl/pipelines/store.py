"""Persist articles through the storage layer, in batches; record the run in crawl_runs.

Writes are batched (NEWSCRAWL_STORE_BATCH_SIZE articles per transaction) and flushed when the
spider closes: a killed process loses at most the last unflushed batch, and a batch is one
transaction, so no article is ever half-written. If the database fails mid-run the items are
still in the run's JSON lines file (the feed export is not behind this pipeline) and the log
says how to load them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from itemadapter import ItemAdapter
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ..archive import capture_of
from ..storage import DatabaseUnavailable, InvalidRecord, open_database, resolve_database_url
from ..extensions import summarize_crawl

logger = logging.getLogger(__name__)


class StoredArticles:
    """What the spider may ask of, and tell, the archive about articles it meets."""

    def __init__(self, database):
        self.database = database
        # Articles a skip lookup found neither stored nor gone, until the dedupe pipeline takes them.
        self.found_unstored: set[int] = set()

    def reasons_to_skip(self, article_ids: Iterable[int], young_since: datetime) -> dict[int, str]:
        """Those of these articles that need no fetch, each with why: 'already_stored' (and not
        published since ``young_since``) or 'gone' (404/410 before). Two queries for any number of
        ids, so an index page asks once for all its cards."""
        ids = list(dict.fromkeys(article_ids))
        known = self.database.known_articles(ids)
        reasons = {
            article_id: "already_stored"
            for article_id, published in known.items()
            if published is None or datetime.fromisoformat(published) < young_since
        }
        # A stored article is never 'gone': a young one is fetched again even after a 404.
        unknown = [article_id for article_id in ids if article_id not in known]
        gone = self.database.gone_articles(unknown)
        reasons.update(dict.fromkeys(gone, "gone"))
        self.found_unstored.update(article_id for article_id in unknown if article_id not in gone)
        return reasons

    def take_found_unstored(self, article_id: int) -> bool:
        """Whether a skip lookup of this run found the article not stored; answered once per article.

        The dedupe pipeline then has no stored version to compare with and skips its query. Should
        another process store the article meanwhile, the store's upsert still sorts it out.
        """
        if article_id in self.found_unstored:
            self.found_unstored.discard(article_id)
            return True
        return False

    def record_gone(self, article_id: int, url: str, status: int) -> None:
        self.database.mark_gone(article_id, url, status)


class StorePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        settings = crawler.settings
        self.batch_size = max(1, settings.getint("NEWSCRAWL_STORE_BATCH_SIZE", 50))
        self.database_url = resolve_database_url(settings.get("NEWSCRAWL_DATABASE_URL"))
        self.batch: list[dict] = []
        # Where each batched article's response is archived (article_id -> (warc_file, warc_offset)).
        self.captures: dict[int, tuple[str, int]] = {}
        self.database = None
        self.run_id = None
        self.failed = False

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self, spider=None):
        spider = spider or self.crawler.spider
        # Unreachable databases are refused before crawling by the crawl command; this raise
        # covers programmatic runs.
        self.database = open_database(self.database_url)
        spider.database = self.database
        spider.archive = StoredArticles(self.database)
        plan = getattr(spider, "plan", None)
        self.run_id = self.database.start_run("crawl", dict(plan.arguments) if plan else {})
        lock = getattr(self.crawler, "run_lock", None)
        if lock is not None:
            lock.describe_holder(self.run_id)  # so a refused second run can name this one
        logger.info("storing to %s (run %s)", self.database.display_url, self.run_id)

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
        if self.database is None:
            return
        self.flush()
        summary = summarize_crawl(self.crawler)
        try:
            self.database.finish_run(self.run_id, summary.counts(), summary.outcome)
        except SQLAlchemyError as error:
            logger.error("could not record the run's outcome: %s", str(error).splitlines()[0])
        self.database.close()
