"""Pass on only articles that are new or changed: once per run, and not again if stored unchanged.

Unchanged articles are dropped here, before the feed export, so each run's JSON lines file holds
exactly its new and changed articles. The store pipeline's upsert remains the real guard against
concurrent writers; this read only avoids needless writes and exports, and is skipped for articles
the spider's index lookup already found not stored. It rides out a database outage like every
database call of the crawl (CrawlDatabase.ride_out).
"""

from __future__ import annotations

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from ..crawl_database import CrawlDatabase
from ..storage import DatabaseUnavailable, fields_hash


class DedupePipeline:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.seen: set[tuple[str, int]] = set()  # (publisher, article_id) of the run's items
        self.service: CrawlDatabase | None = None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self, spider=None):
        self.service = CrawlDatabase.of(self.crawler)

    async def process_item(self, item, spider=None):
        adapter = ItemAdapter(item)
        publisher, article_id = adapter.get("publisher"), adapter.get("article_id")
        if (publisher, article_id) in self.seen:
            self.stats.inc_value("newscrawl/dropped/duplicate_in_run")
            raise DropItem(f"already scraped in this run: {adapter.get('url')}", log_level="DEBUG")
        self.seen.add((publisher, article_id))
        database = self.service.database if self.service is not None else None
        if database is not None and article_id is not None and not self.found_unstored(publisher, article_id):
            try:
                stored = (await self.service.ride_out(database.current_fields_hashes, publisher, [article_id])
                          ).get(article_id)
            except DatabaseUnavailable:
                return item  # the crawl is closing on the outage: the store (or the advised import) decides
            if stored is not None and stored == fields_hash(dict(adapter)):
                self.stats.inc_value("newscrawl/articles/unchanged")
                raise DropItem(f"unchanged since last stored: {adapter.get('url')}", log_level="DEBUG")
        return item

    def found_unstored(self, publisher: str, article_id: int) -> bool:
        """Whether the spider's skip lookup already found this article not stored: nothing to compare."""
        stored = self.service.stored_articles if self.service is not None else None
        return stored is not None and stored.take_found_unstored(publisher, article_id)
