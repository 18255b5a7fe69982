"""RunSummary: field coverage counts while the crawl runs, and the one-screen summary at the end.

The summary is made at engine_stopped, when everything that can fail has closed (the store
pipeline's last batch, the feed export, the shared-crawl scheduler): its outcome is the one logged,
recorded in the run's crawl_runs row and turned into the exit code. It sets the stat
``newscrawl/run_failed`` when a check fails; the crawl command exits 1 then.
"""

from __future__ import annotations

import logging

from itemadapter import ItemAdapter
from scrapy import signals

from .crawl_database import CrawlDatabase
from .distributed import crawl_wide_stats
from .items import ARTICLE_FIELDS
from .meta import PAGE_KIND
from .extraction.processors.dates import WIB
from .summary import Check, Summary, Thresholds, summarize

logger = logging.getLogger(__name__)

# Stats of this process's JSON lines and WARC files (each worker of a shared crawl writes its own).
OWN_FILES_STATS = ("newscrawl/feed/", "newscrawl/warc/", "feedexport/")


def summarize_crawl(crawler, reason: str | None = None, run_id: int | None = None) -> Summary:
    """The summary and checks of a crawl, with its thresholds from the settings. ``reason``: why the
    spider closed; any reason but "finished" fails the run. ``run_id``: its crawl_runs row."""
    spider = crawler.spider
    plan = getattr(spider, "plan", None)
    days = plan.days if plan else ()
    started = getattr(spider, "run_started_at", None)
    today = started.astimezone(WIB).date() if started else None
    full_days = [day.isoformat() for day in days if today and day < today]
    site_channels = getattr(spider, "channels", ())
    channels = tuple(channel.slug for channel in site_channels)
    stats, thresholds = crawler.stats.get_stats(), Thresholds.from_settings(crawler.settings, site_channels)
    summary = summarize(stats, thresholds, expects_index=bool(days), full_days=full_days, run_id=run_id,
                        channels=channels)
    crawl_wide = crawl_wide_stats(stats)
    if crawl_wide is not None:
        # Several workers shared this crawl (REDIS_URL): the counts stay this worker's, the checks
        # judge the whole crawl (a worker that happened to read no index page has not failed), but
        # this worker's own files are judged by its own figures.
        crawl_wide.update({key: value for key, value in stats.items() if key.startswith(OWN_FILES_STATS)})
        summary.checks = summarize(crawl_wide, thresholds, expects_index=bool(days), full_days=full_days,
                                   run_id=run_id, channels=channels).checks
    if reason is not None and reason != "finished":
        summary.checks.append(Check("finished", False, message=f"crawl ended early: {reason}"))
    return summary


class RunSummary:
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls(crawler)
        crawler.signals.connect(extension.count_fields, signal=signals.item_scraped)
        crawler.signals.connect(extension.count_fields, signal=signals.item_dropped)
        crawler.signals.connect(extension.count_spider_error, signal=signals.spider_error)
        crawler.signals.connect(extension.engine_stopped, signal=signals.engine_stopped)
        return extension

    def count_fields(self, item, **kwargs):
        adapter = ItemAdapter(item)
        self.stats.inc_value("newscrawl/coverage/items")
        for name in ARTICLE_FIELDS:
            value = adapter.get(name)
            if value not in (None, "", [], {}):
                self.stats.inc_value(f"newscrawl/coverage/{name}")

    def count_spider_error(self, failure, response, spider=None):
        """A page whose callback (or errback) raised is a failed page of its kind, counted by the
        exception's type (Scrapy logs the traceback), so the error_share check sees it."""
        request = getattr(response, "request", None) or getattr(failure, "request", None)
        kind = (request.meta.get(PAGE_KIND) if request is not None else None) or "other"
        self.stats.inc_value(f"newscrawl/failed/{kind}/spider_{type(failure.value).__name__}")

    def engine_stopped(self):
        spider = self.crawler.spider
        if spider is None:  # the engine never opened a spider
            return
        service = CrawlDatabase.of(self.crawler)
        summary = summarize_crawl(self.crawler, self.stats.get_value("finish_reason") or "unknown",
                                  service.run_id if service is not None else None)
        self.stats.set_value("newscrawl/outcome", summary.outcome)
        if summary.failures:
            self.stats.set_value("newscrawl/run_failed", 1)
        header = f"run summary of {spider.name} (started {getattr(spider, 'run_started', '?')} UTC)"
        log = logger.error if summary.failures else logger.info
        log("\n".join([header, *("  " + line for line in summary.lines())]))
        if service is not None:
            service.finish_run(summary.counts(), summary.outcome)
            service.close()
