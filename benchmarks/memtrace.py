"""A Scrapy extension for benchmarks/crawl.py --trace-memory: what grows while the crawl runs.

Enabled only by the benchmark (``-s EXTENSIONS=...``), never by newscrawl's settings. Every
``every`` scraped items it logs the process RSS (/proc/self/status), the memory Python allocated
(tracemalloc), and the live objects by type (gc); at the first mark and at spider close it takes
tracemalloc snapshots and logs the allocation sites that grew most between them, so growth of
Python objects can be told apart from growth of the allocator's heap (fragmentation) or of
C libraries' memory (lxml, SQLite), which tracemalloc does not see.

Settings: BENCH_MEMTRACE_EVERY (items between marks, default 1000), BENCH_MEMTRACE_FRAMES
(traceback depth, default 1), BENCH_MEMTRACE_OUT (JSON lines file of the marks).
"""

from __future__ import annotations

import gc
import json
import logging
import tracemalloc
from collections import Counter

from scrapy import signals

logger = logging.getLogger(__name__)


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


class MemTrace:
    def __init__(self, crawler):
        settings = crawler.settings
        self.crawler = crawler
        self.every = settings.getint("BENCH_MEMTRACE_EVERY", 1000)
        self.frames = settings.getint("BENCH_MEMTRACE_FRAMES", 1)
        self.out = settings.get("BENCH_MEMTRACE_OUT")
        self.items = 0
        self.first = None
        self.first_types: Counter | None = None

    @classmethod
    def from_crawler(cls, crawler):
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider):
        tracemalloc.start(self.frames)
        self.mark("opened")

    def item_scraped(self, item, **kwargs):
        self.items += 1
        if self.items % self.every == 0:
            self.mark(f"{self.items} items")
            if self.first is None:
                gc.collect()
                self.first = tracemalloc.take_snapshot()
                self.first_types = self.types()

    @staticmethod
    def types() -> Counter:
        return Counter(type(o).__name__ for o in gc.get_objects())

    def mark(self, label: str) -> None:
        current, peak = tracemalloc.get_traced_memory()
        entry = {"mark": label, "items": self.items, "rss_mb": round(rss_mb(), 1),
                 "traced_mb": round(current / 2**20, 1), "traced_peak_mb": round(peak / 2**20, 1),
                 "gc_objects": len(gc.get_objects())}
        logger.info("memtrace %s", json.dumps(entry))
        if self.out:
            with open(self.out, "a") as out:
                out.write(json.dumps(entry) + "\n")

    def spider_closed(self, spider):
        gc.collect()
        self.mark("closed")
        if self.first is None:
            return
        last = tracemalloc.take_snapshot()
        filters = [tracemalloc.Filter(False, tracemalloc.__file__)]
        diff = last.filter_traces(filters).compare_to(self.first.filter_traces(filters), "traceback")
        lines = ["memtrace: allocation sites that grew most since the first mark:"]
        for stat in diff[:25]:
            where = " <- ".join(f"{frame.filename}:{frame.lineno}" for frame in stat.traceback)
            lines.append(f"  {stat.size_diff / 2**20:+8.2f} MB {stat.count_diff:+9d} blocks  {where}")
        grown = self.types() - self.first_types
        lines.append("memtrace: object types that grew most since the first mark:")
        lines += [f"  {count:+9d}  {name}" for name, count in grown.most_common(15)]
        logger.info("\n".join(lines))
        if self.out:
            with open(self.out, "a") as out:
                out.write(json.dumps({"top_growth": lines}) + "\n")
