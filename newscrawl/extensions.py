"""RunSummary: field coverage counts while the crawl runs, and the one-screen summary at the end.

It sets the stat ``newscrawl/run_failed`` when a run-level check fails; the crawl command turns
that into a non-zero exit code.
"""

from __future__ import annotations

import logging

from itemadapter import ItemAdapter
from scrapy import signals

from .items import ARTICLE_FIELDS
from .summary import summarize

logger = logging.getLogger(__name__)


class RunSummary:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.max_failed_share = crawler.settings.getfloat("NEWSCRAWL_MAX_FAILED_SHARE", 0.2)

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls(crawler)
        crawler.signals.connect(extension.count_fields, signal=signals.item_scraped)
        crawler.signals.connect(extension.count_fields, signal=signals.item_dropped)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def count_fields(self, item, **kwargs):
        adapter = ItemAdapter(item)
        self.stats.inc_value("newscrawl/coverage/items")
        for name in ARTICLE_FIELDS:
            value = adapter.get(name)
            if value not in (None, "", [], {}):
                self.stats.inc_value(f"newscrawl/coverage/{name}")

    def spider_closed(self, spider, reason):
        plan = getattr(spider, "plan", None)
        summary = summarize(self.stats.get_stats(), bool(plan and plan.days), self.max_failed_share)
        if reason != "finished":
            summary.failures.append(f"crawl ended early: {reason}")
        self.stats.set_value("newscrawl/outcome", summary.outcome)
        if summary.failures:
            self.stats.set_value("newscrawl/run_failed", 1)
        header = f"run summary of {spider.name} (started {getattr(spider, 'run_started', '?')} UTC)"
        logger.info("\n".join([header, *("  " + line for line in summary.lines())]))
