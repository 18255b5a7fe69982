"""The feed storage of the run's JSON lines file: a write that fails is noticed, counted and said once.

Scrapy's own FileFeedStorage counts a failure only when closing the file fails
(``feedexport/failed_count/...``); an OSError while an item is written (a full disk) is raised
inside FeedExporter's item_scraped handler, logged with a traceback for every later item, and the
feed is then reported as stored with all its items. ``FeedStorage`` (FEED_STORAGES, for plain
paths and file:// URIs) opens a ``FeedFile`` instead, which writes each item whole or not at all:

* on the first failed write the file is cut back to its last complete item, one line says what
  happened, and no later item is written to it (the file holds the run's first items, no gap);
* the stats ``newscrawl/feed/items`` (items given to the file), ``newscrawl/feed/items_not_written``,
  ``newscrawl/feed/write_failed``, ``newscrawl/feed/file`` and ``newscrawl/feed/error`` feed the run
  check ``exported`` (newscrawl/summary.py), which fails the run;
* at the end ``store`` raises FeedIncomplete, so Scrapy logs "Error storing ..." rather than
  "Stored ...", and counts its failed_count. Its traceback says nothing the line above did not,
  so it is left out of the log.

Items are counted per write: Scrapy's line exporters (jsonlines, csv) write each item in one call.
"""

from __future__ import annotations

import io
import logging
import os
from pathlib import Path

from scrapy.extensions.feedexport import FileFeedStorage

logger = logging.getLogger(__name__)

STATS = "newscrawl/feed/"


class FeedIncomplete(OSError):
    """The feed file lacks items because writing it failed; its message is one line."""


def failure_text(error: OSError) -> str:
    """'no space left on device' rather than '[Errno 28] No space left on device'."""
    text = error.strerror or str(error) or type(error).__name__
    return text[:1].lower() + text[1:]


class FeedFile(io.RawIOBase):
    """An unbuffered feed file: each write lands whole, or the file is cut back to before it and
    nothing more is written. A file that cannot even be opened writes nothing, said once."""

    def __init__(self, path: Path, mode: str, stats) -> None:
        super().__init__()
        self.path = path
        self.stats = stats
        self.failure: OSError | None = None
        self.written = 0
        self.complete = 0  # bytes of whole items (an appended file's earlier ones too)
        self.file: io.FileIO | None = None
        try:
            self.file = io.FileIO(path, mode)
            self.complete = os.fstat(self.file.fileno()).st_size
        except OSError as error:
            self.fail(error)

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        self.stats.inc_value(f"{STATS}items")
        if self.failure is None:
            view = memoryview(data).cast("B")
            try:
                while view:
                    view = view[self.file.write(view):]
            except OSError as error:
                self.fail(error)
            else:
                self.complete += len(data)
                self.written += 1
                return len(data)
        self.stats.inc_value(f"{STATS}items_not_written")
        return 0

    def fail(self, error: OSError) -> None:
        if self.failure is not None:
            return
        self.failure = error
        holds = f"it holds the run's first {self.written} items" if self.written else "it holds no item"
        if self.file is not None and not self.file.closed:
            try:
                os.ftruncate(self.file.fileno(), self.complete)  # no half-written item at the end
            except OSError:
                holds += " and may end in part of the next one"
        self.stats.set_value(f"{STATS}write_failed", 1)
        self.stats.set_value(f"{STATS}file", str(self.path))
        self.stats.set_value(f"{STATS}error", failure_text(error))
        logger.error("%s writing %s: %s; no further items are written to it", failure_text(error), self.path, holds)

    def close(self) -> None:
        try:
            if self.file is not None:
                self.file.close()
        finally:
            super().close()


class _NoTracebackForIncompleteFeeds(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], FeedIncomplete):
            record.exc_info = record.exc_text = None
        return True


class FeedStorage(FileFeedStorage):
    def __init__(self, uri: str, *, feed_options=None, crawler=None) -> None:
        super().__init__(uri, feed_options=feed_options)
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler, uri: str, *, feed_options=None) -> "FeedStorage":
        scrapy_logger = logging.getLogger("scrapy.extensions.feedexport")
        if not any(isinstance(existing, _NoTracebackForIncompleteFeeds) for existing in scrapy_logger.filters):
            scrapy_logger.addFilter(_NoTracebackForIncompleteFeeds())
        return cls(uri, feed_options=feed_options, crawler=crawler)

    def open(self, spider) -> FeedFile:
        path = Path(self.path)
        path.parent.mkdir(parents=True, exist_ok=True)
        return FeedFile(path, self.write_mode, self.stats)

    def store(self, file: FeedFile) -> None:
        try:
            file.close()
        except OSError as error:  # a file system that reports write errors only on close
            file.fail(error)
        if file.failure is not None:
            raise FeedIncomplete(f"{file.path} lacks items: {failure_text(file.failure)}")
