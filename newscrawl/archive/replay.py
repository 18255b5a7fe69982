"""Answering requests from WARC files: which archived response serves a URL (no Scrapy here)."""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

from w3lib.url import canonicalize_url

from newscrawl.archive.capture import Capture, stored_name
from newscrawl.archive.reader import ArchivedResponse, index_responses, read_response, warc_files_in


def replay_key(url: str) -> str:
    return canonicalize_url(url, keep_fragments=False)


class ReplayArchive:
    """An index of the response records of some WARC files by URL.

    A URL captured several times (a retried page, or several runs in one folder) is answered with
    its captures in archive order, one per request, the last one repeating: a retry is answered
    as it was answered when the archive was made.
    """

    def __init__(self, path: str | os.PathLike[str], exports_dir: str | os.PathLike[str], *, max_bytes: int) -> None:
        self.files = warc_files_in(path)
        self.exports_dir = Path(exports_dir)
        self.max_bytes = max_bytes  # of a body read back (the crawl's DOWNLOAD_MAXSIZE)
        self.locations: dict[str, list[tuple[Path, int]]] = defaultdict(list)
        for file in self.files:
            for url, offset in index_responses(file):
                self.locations[replay_key(url)].append((file, offset))
        self.served: dict[str, int] = defaultdict(int)

    def __len__(self) -> int:
        return sum(len(entries) for entries in self.locations.values())

    def next_response(self, url: str) -> tuple[ArchivedResponse, Capture] | None:
        key = replay_key(url)
        entries = self.locations.get(key)
        if not entries:
            return None
        file, offset = entries[min(self.served[key], len(entries) - 1)]
        self.served[key] += 1
        archived = read_response(file, offset, max_bytes=self.max_bytes)
        return archived, Capture(stored_name(file, self.exports_dir), offset, archived.fetched_at)
