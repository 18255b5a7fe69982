"""Article extraction off the reactor thread, on worker processes (issue 14).

A crawl process does everything on one core: Scrapy's own work, the pipelines, and the parse and
extraction of each article (about a third of its CPU per page). ``ExtractionWorkers`` (an
extension, EXTENSIONS) runs ``newscrawl.extraction.extract`` for the spider on
NEWSCRAWL_EXTRACTION_PROCESSES worker processes, so the reactor thread fetches and stores while
other cores parse. The spider finds it with ``ExtractionWorkers.of(crawler)``; with the setting 0
the extension is off (NotConfigured) and the spider extracts in its own thread, as before.

A worker that dies (killed, or crashed by a page) breaks the pool: the page whose extraction was
lost is extracted again in the crawl's own process, a new pool is started for the pages after it,
and ``newscrawl/extraction/workers_restarted`` counts it. Workers ignore SIGINT and SIGTERM, which
a terminal or systemd sends to the whole process group: the crawl decides how to stop, and closes
the pool (waiting for its workers) when the spider closes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import partial

from scrapy import signals
from scrapy.exceptions import NotConfigured

from . import near_duplicates
from .extraction import Extraction, extract, extract_response
from .process_pool import preload_workers, worker_pool

logger = logging.getLogger(__name__)


def extract_signed(url: str, body: bytes, fetched_at: str | None,
                   encoding: str) -> tuple[Extraction, near_duplicates.Signed | None]:
    """The extraction of a page and the near-duplicate signature of its article's body (what the store
    would otherwise compute on the crawl's thread): the worker process's part."""
    extraction = extract(url, body, fetched_at, encoding=encoding)
    return extraction, None if extraction.item is None else near_duplicates.signed(extraction.item["body"])


def default_processes() -> int:
    """One worker per core but one (the crawl's own thread keeps a core); none on a single core."""
    cores = os.cpu_count() or 1
    return cores - 1 if cores > 1 else 0


def extraction_processes(settings) -> int:
    """NEWSCRAWL_EXTRACTION_PROCESSES, checked (the crawl command refuses a bad one before starting):
    auto (or empty) is default_processes(), else a whole number, 0 or more."""
    setting = settings.get("NEWSCRAWL_EXTRACTION_PROCESSES")
    if setting in (None, "", "auto"):
        return default_processes()
    try:
        processes = int(str(setting).strip())
    except ValueError:
        processes = -1
    if processes < 0:
        from .warc_middlewares import BadSetting  # here: the workers, which import this module, need none of it

        raise BadSetting(f"NEWSCRAWL_EXTRACTION_PROCESSES must be 0 or more, or auto, not {setting!r}")
    return processes


class ExtractionWorkers:
    def __init__(self, crawler, processes: int) -> None:
        self.crawler = crawler
        self.processes = processes
        self.pool: ProcessPoolExecutor | None = None

    @classmethod
    def from_crawler(cls, crawler) -> "ExtractionWorkers":
        processes = extraction_processes(crawler.settings)
        if processes == 0:
            raise NotConfigured("NEWSCRAWL_EXTRACTION_PROCESSES is 0: the spider extracts in its own thread")
        workers = cls(crawler, processes)
        preload_workers([__name__])  # the workers' imports happen while the crawl starts, not at its first article
        crawler.signals.connect(workers.spider_closed, signal=signals.spider_closed)
        return workers

    @classmethod
    def of(cls, crawler) -> "ExtractionWorkers | None":
        return crawler.get_extension(cls)

    def _pool(self) -> ProcessPoolExecutor:
        if self.pool is None:
            self.pool = worker_pool(self.processes, ignored_signals=(signal.SIGINT, signal.SIGTERM))
        return self.pool

    async def extract(self, response, fetched_at: str | None) -> Extraction:
        """The extraction of an article response, done by a worker process; its item carries the
        near-duplicate signature of its body (near_duplicates.signed_of), which the store uses."""
        pool = self._pool()
        loop = asyncio.get_running_loop()
        try:
            # The bytes and the encoding Scrapy detected: the worker parses them as extract_response would.
            extraction, signed = await loop.run_in_executor(pool, partial(extract_signed, encoding=response.encoding),
                                                            response.url, response.body, fetched_at)
        except BrokenProcessPool:
            if self.pool is pool:  # the first page to find it broken starts the next pool
                self.pool = None
                pool.shutdown(wait=False, cancel_futures=True)
                self.crawler.stats.inc_value("newscrawl/extraction/workers_restarted")
                logger.error("an extraction worker process died; extracting %s in the crawl's own process "
                             "and starting new workers", response.url)
            return extract_response(response, fetched_at=fetched_at)
        if extraction.item is not None:
            near_duplicates.set_signed(extraction.item, signed)
        return extraction

    def spider_closed(self, spider=None) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


__all__ = ["ExtractionWorkers", "default_processes", "extract", "extract_signed", "extraction_processes"]
