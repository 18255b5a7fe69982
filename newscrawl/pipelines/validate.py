"""Drop items that are not articles a dataset can use; count why."""

from __future__ import annotations

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

REQUIRED = ("url", "headline", "body")


class ValidatePipeline:
    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    def process_item(self, item, spider=None):
        adapter = ItemAdapter(item)
        for name in REQUIRED:
            if not adapter.get(name):
                self.stats.inc_value(f"newscrawl/dropped/missing_{name}")
                raise DropItem(f"no {name}: {adapter.get('url') or 'unknown url'}", log_level="WARNING")
        if not adapter.get("published_at"):
            # Kept: an undated article is still an article; the count shows how many there are.
            self.stats.inc_value("newscrawl/articles_undated")
        return item
