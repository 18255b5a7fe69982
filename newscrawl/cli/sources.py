"""What `newscrawl import` reads: responses from WARC files and saved HTML pages from folders.

Each input yields ``Page`` objects (something to extract) or ``Passed`` objects (a response or
file that is not used, with the reason), never raising for bad input, so one broken file or
record never stops the rest.

Pages travel from import's reader to its --jobs workers, so this module imports neither the
extraction (Scrapy, lxml) nor the database (SQLAlchemy): each process imports only what it runs,
and the caller and the workers' forkserver start in parallel in half the time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from newscrawl import settings
from newscrawl.archive import ArchivedResponse, UnreadableArchive, iter_responses
from newscrawl.archive.capture import stored_name
from newscrawl.archive.reader import is_warc_name
from newscrawl.sites import parse_url

# An archived body (as stored, and once its Content-Encoding is undone) and a saved page are read
# up to the crawl's DOWNLOAD_MAXSIZE and no further: what the crawl would not take is too_large here.
MAX_BODY_BYTES = settings.DOWNLOAD_MAXSIZE

HTML_SUFFIXES = (".html", ".htm")
_CANONICAL = re.compile(rb"<link\b[^>]*\brel=[\"']?canonical\b[^>]*>", re.IGNORECASE)
_HREF = re.compile(rb"\bhref=(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))", re.IGNORECASE)


@dataclass
class Page:
    where: str  # file, or file@offset, for messages
    url: str
    response: ArchivedResponse | None = None  # a WARC response ...
    html: bytes | None = None  # ... or a saved page
    fetched_at: str | None = None
    capture: tuple[str, int] | None = None  # (warc_file as stored, offset) of a WARC response


@dataclass
class Passed:
    where: str
    reason: str
    message: str
    skipped: bool  # True: not ours (another site, a gallery, ...); False: bad input


def url_kind(url: str) -> str | None:
    """None for an article URL of a site newscrawl knows (any of its channels), else the reason it is
    passed over: another site, or a page of the site that is no article (gallery, video, index)."""
    target = parse_url(url)
    if target.kind == "article":
        return None
    return "other_site" if target.publisher is None else "not_article_url"


def input_files(paths: list[Path]) -> Iterator[Path]:
    """The given files, and the WARC files and HTML pages inside the given folders (name order)."""
    for path in paths:
        if path.is_dir():
            yield from sorted(file for file in path.rglob("*") if file.is_file() and _wanted(file))
        else:
            yield path


def _wanted(file: Path) -> bool:
    return is_warc_name(file) or file.suffix.lower() in HTML_SUFFIXES


def read_inputs(paths: list[Path], exports_dir: Path) -> Iterator[Page | Passed]:
    for file in input_files(paths):
        if file.suffix.lower() in HTML_SUFFIXES:
            yield _saved_page(file)
        else:
            yield from _warc_pages(file, exports_dir)


def _warc_pages(file: Path, exports_dir: Path) -> Iterator[Page | Passed]:
    name = stored_name(file, exports_dir)
    for found in iter_responses(file, max_bytes=MAX_BODY_BYTES):
        if isinstance(found, UnreadableArchive):
            where = str(file) if found.offset is None else f"{file}@{found.offset}"
            yield Passed(where, found.reason, str(found), skipped=False)
            continue
        where = f"{file}@{found.offset}"
        reason = url_kind(found.url)
        if reason is not None:
            yield Passed(where, reason, found.url, skipped=True)
            continue
        yield Page(where, found.url, response=found, capture=(name, found.offset))


def _saved_page(file: Path) -> Page | Passed:
    where = str(file)
    try:
        with open(file, "rb") as handle:
            html = handle.read(MAX_BODY_BYTES + 1)
        if len(html) > MAX_BODY_BYTES:
            return Passed(where, "too_large", f"the page is larger than {MAX_BODY_BYTES} bytes", skipped=False)
        url = _sidecar_url(file) or _canonical_url(html)
        fetched_at = datetime.fromtimestamp(file.stat().st_mtime, timezone.utc).replace(microsecond=0).isoformat()
    except (OSError, UnicodeDecodeError) as error:
        return Passed(where, "unreadable_page", str(error), skipped=False)
    if not url:
        return Passed(where, "no_url", f"no <link rel=canonical> and no {file.stem}.url beside it", skipped=False)
    reason = url_kind(url)
    if reason is not None:
        return Passed(where, reason, url, skipped=True)
    return Page(where, url, html=html, fetched_at=fetched_at)


def _sidecar_url(file: Path) -> str | None:
    sidecar = file.with_suffix(".url")
    if not sidecar.is_file():
        return None
    lines = [line.strip() for line in sidecar.read_text(encoding="utf-8").splitlines()]
    return next((line for line in lines if line and not line.startswith("#")), None)


def _canonical_url(html: bytes) -> str | None:
    head = html[: 256 * 1024]
    tag = _CANONICAL.search(head)
    if tag is None:
        return None
    href = _HREF.search(tag.group(0))
    if href is None:
        return None
    value = next(group for group in href.groups() if group is not None)
    return value.decode("utf-8", "replace").strip() or None


__all__ = ["MAX_BODY_BYTES", "Page", "Passed", "input_files", "read_inputs", "url_kind"]
