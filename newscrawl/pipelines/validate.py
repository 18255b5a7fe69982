"""Drop items that are not articles a dataset can use; count why.

The schema's own validation (``storage.normalise_record``, the one the store, ``newscrawl load`` and
``newscrawl import`` apply) runs here, so an item the schema refuses is dropped and counted with its
reason and URL instead of failing in the database, and the cleaned values (control characters
removed) are what the later pipelines and the feed export see.
"""

from __future__ import annotations

from itemadapter import ItemAdapter
from scrapy.exceptions import DropItem

from ..storage import InvalidRecord, normalise_record

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
        try:
            # A shallow copy: the fields hold plain values and lists of them (ItemAdapter.asdict's recursive
            # search for nested items cost 120 us an article).
            record = normalise_record(dict(adapter))
        except InvalidRecord as error:
            self.stats.inc_value("newscrawl/dropped/invalid_record")
            raise DropItem(f"invalid record: {adapter.get('url')}: {error}", log_level="WARNING") from None
        for name, value in record.items():
            # Only what cleaning changed; a field the item lacks stays absent rather than null.
            if value != adapter.get(name) and (value is not None or name in adapter):
                adapter[name] = value
        if not adapter.get("published_at"):
            # Kept: an undated article is still an article; the count shows how many there are.
            self.stats.inc_value("newscrawl/articles_undated")
        return item
