"""The WARC archive: writing what the crawl fetched, reading it back (no Scrapy here).

* ``writer.WarcFiles`` writes request/response pairs into rotating ``.warc.gz`` files;
* ``reader`` reads one response record at an offset (re-extraction), or every response of a file
  (import, replay);
* ``capture.Capture`` says where one response lies; it travels from the capture middleware to the
  store pipeline on the item and ends in ``article_revisions.warc_file``/``warc_offset``.
"""

from newscrawl.archive.capture import Capture, capture_of, set_capture
from newscrawl.archive.reader import (
    ArchivedResponse,
    UnreadableArchive,
    index_responses,
    iter_responses,
    read_response,
    warc_files_in,
)
from newscrawl.archive.writer import Exchange, WarcFiles

__all__ = [
    "ArchivedResponse",
    "Capture",
    "Exchange",
    "UnreadableArchive",
    "WarcFiles",
    "capture_of",
    "index_responses",
    "iter_responses",
    "read_response",
    "set_capture",
    "warc_files_in",
]
