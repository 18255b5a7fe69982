"""Downloader middlewares of the WARC archive: capture what the crawl fetched, or replay it.

WarcCaptureMiddleware (priority 650) sits closer to the downloader than HttpCompressionMiddleware
(590) and RedirectMiddleware (600), so it archives every response as it came off the wire: still
gzipped, redirects and retried errors included. WarcReplayMiddleware (960, after robots.txt
handling and every header-setting middleware) answers requests from WARC files instead of the
network when the spider runs with ``-a replay=PATH``.
"""

from __future__ import annotations

import asyncio
import json
from importlib.metadata import version
import logging
import socket
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from http import HTTPStatus
from pathlib import Path
from urllib.parse import urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Headers, Response
from scrapy.responsetypes import responsetypes

from newscrawl import __version__
from newscrawl.archive import Exchange, UnreadableArchive, WarcFiles
from newscrawl.meta import CAPTURE, PAGE_KIND
from newscrawl.archive.replay import ReplayArchive
from newscrawl.archive.writer import checked_compressor, checked_gzip_level
from newscrawl.feeds import failure_text
from newscrawl.masking import mask_values

logger = logging.getLogger(__name__)

# Credentials for the proxy never go into an archive.
UNRECORDED_REQUEST_HEADERS = {b"proxy-authorization", b"proxy-connection"}


class BadSetting(ValueError):
    """A setting newscrawl cannot work with; its message is the one line shown to the user."""


def warc_gzip_level(settings) -> int:
    """NEWSCRAWL_WARC_GZIP_LEVEL, checked (the crawl command refuses a bad one before starting)."""
    try:
        return checked_gzip_level(settings.get("NEWSCRAWL_WARC_GZIP_LEVEL"))
    except ValueError as error:
        raise BadSetting(f"NEWSCRAWL_WARC_GZIP_LEVEL: {error}") from None


def warc_compressor(settings) -> str:
    """NEWSCRAWL_WARC_COMPRESSOR, checked (the crawl command refuses a bad one before starting)."""
    try:
        return checked_compressor(settings.get("NEWSCRAWL_WARC_COMPRESSOR"))
    except ValueError as error:
        raise BadSetting(f"NEWSCRAWL_WARC_COMPRESSOR: {error}") from None


def _is_robots(url: str) -> bool:
    return urlsplit(url).path == "/robots.txt"


def _header_list(headers: Headers, skip: set[bytes] = frozenset()) -> list[tuple[str, str]]:
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        if name.lower() not in skip
        for value in values
    ]


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def exchange_of(request: scrapy.Request, response: Response) -> Exchange:
    ip_address = getattr(response, "ip_address", None)
    return Exchange(
        url=request.url,
        method=request.method,
        request_headers=_header_list(request.headers, UNRECORDED_REQUEST_HEADERS),
        status=response.status,
        reason=_reason(response.status),
        response_headers=_header_list(response.headers),
        body=response.body,
        protocol=getattr(response, "protocol", None) or "HTTP/1.1",
        ip_address=str(ip_address) if ip_address is not None else None,
        date=datetime.now(timezone.utc),
    )


def _replay_path(crawler) -> str | None:
    """The spider's -a replay=PATH (the spider exists before the downloader middlewares)."""
    return getattr(getattr(crawler.spider, "plan", None), "replay", None)


class WarcCaptureMiddleware:
    """Off (NotConfigured) with NEWSCRAWL_WARC_ENABLED=False, and while replaying an archive."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.index_pages = settings.getbool("NEWSCRAWL_WARC_INDEX_PAGES")
        self.max_bytes = settings.getint("NEWSCRAWL_WARC_MAX_BYTES")
        self.gzip_level = warc_gzip_level(settings)
        self.compressor = warc_compressor(settings)
        self.exports_dir = Path(settings.get("NEWSCRAWL_EXPORTS_DIR"))
        self.files: WarcFiles | None = None
        self.failed = False
        # One thread writes (and gzips) the records, in the order they were handed over, while the
        # reactor thread goes on: zlib releases the GIL, so the compression runs on another core.
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="warc-writer")

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("NEWSCRAWL_WARC_ENABLED"):
            raise NotConfigured("NEWSCRAWL_WARC_ENABLED is off")
        replay = _replay_path(crawler)
        if replay:
            logger.info("replaying %s: responses are not archived again", replay)
            raise NotConfigured("replaying an archive")
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider) -> None:
        run = f"{spider.name}-{getattr(spider, 'run_started', datetime.now(timezone.utc).strftime('%Y-%m-%dT%H-%M-%S'))}"
        self.files = WarcFiles(self.exports_dir / "warc", run, self.warcinfo(spider, run), self.max_bytes, self.exports_dir,
                               self.gzip_level, self.compressor)

    def warcinfo(self, spider, run: str) -> dict[str, str]:
        plan = getattr(spider, "plan", None)
        started = getattr(spider, "run_started_at", None)
        settings = self.crawler.settings
        return {
            "software": f"newscrawl/{__version__} (Scrapy {scrapy.__version__}, warcio {version('warcio')})",
            "format": "WARC File Format 1.0",
            "isPartOf": run,
            "run-started": started.strftime("%Y-%m-%dT%H:%M:%SZ") if started else "",
            "arguments": json.dumps(mask_values(dict(plan.arguments) if plan else {}), ensure_ascii=False,
                                    sort_keys=True),
            "http-header-user-agent": settings.get("USER_AGENT") or "",
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "hostname": socket.gethostname(),
        }

    def spider_closed(self, spider) -> None:
        self.writer.shutdown(wait=True)  # every record handed over is written before the file closes
        if self.files is not None:
            self.files.close()

    def wanted(self, request: scrapy.Request) -> bool:
        kind = request.meta.get(PAGE_KIND)
        if kind == "article":
            return True
        if kind in ("index", "rss"):
            return self.index_pages
        return _is_robots(request.url)

    def process_request(self, request, spider=None):
        # A redirected or retried request carries its predecessor's meta: never its capture.
        request.meta.pop(CAPTURE, None)
        return None

    async def process_response(self, request, response, spider=None):
        if self.files is None or not self.wanted(request):
            return response
        stats = self.crawler.stats
        if self.failed:
            stats.inc_value("newscrawl/warc/not_archived")
            return response
        exchange = exchange_of(request, response)
        try:
            capture = await asyncio.get_running_loop().run_in_executor(self.writer, self.files.write_exchange, exchange)
        except OSError as error:
            if self.failed:  # handed over before the first failure was known: said already
                stats.inc_value("newscrawl/warc/not_archived")
                return response
            # Crawling on without an archive beats losing the run; the summary marks it failed. The
            # writer has cut the file back to its last whole record.
            self.failed = True
            stats.set_value("newscrawl/warc/write_failed", 1)
            stats.set_value("newscrawl/warc/file", str(self.files.path))
            stats.set_value("newscrawl/warc/error", failure_text(error))
            stats.inc_value("newscrawl/warc/not_archived")
            logger.error("%s writing %s: no further responses are archived in this run (%d archived before)",
                         failure_text(error), self.files.path, stats.get_value("newscrawl/warc/responses", 0))
            return response
        request.meta[CAPTURE] = capture
        stats.inc_value("newscrawl/warc/responses")
        stats.set_value("newscrawl/warc/files", len(self.files.files_written))
        return response


class ReplayMissing(IgnoreRequest):
    """The request's URL is not in the replayed archive; nothing is fetched instead."""


class WarcReplayMiddleware:
    """On only with -a replay=PATH (NotConfigured otherwise)."""

    def __init__(self, crawler, path: str) -> None:
        self.crawler = crawler
        self.archive = ReplayArchive(path, crawler.settings.get("NEWSCRAWL_EXPORTS_DIR"),
                                     max_bytes=crawler.settings.getint("DOWNLOAD_MAXSIZE"))
        logger.info("replaying from %s: %d responses in %d WARC files, nothing is fetched",
                    path, len(self.archive), len(self.archive.files))

    @classmethod
    def from_crawler(cls, crawler):
        path = _replay_path(crawler)
        if not path:
            raise NotConfigured("no -a replay=PATH")
        return cls(crawler, path)

    def process_request(self, request, spider=None):
        stats = self.crawler.stats
        try:
            found = self.archive.next_response(request.url)
        except UnreadableArchive as error:
            stats.inc_value("newscrawl/replay/unreadable")
            logger.warning("replay: archived response of %s is unreadable: %s", request.url, error)
            raise ReplayMissing(f"archived response unreadable: {request.url}") from None
        if found is None:
            if _is_robots(request.url):
                # No robots.txt in the archive: answer as a site without one would.
                return Response(request.url, status=404, request=request, flags=["replay"])
            stats.inc_value("newscrawl/replay/missing")
            logger.warning("replay: not in the archive, not fetched: %s", request.url)
            raise ReplayMissing(f"not in the archive: {request.url}")
        archived, capture = found
        stats.inc_value("newscrawl/replay/served")
        request.meta[CAPTURE] = capture
        headers = Headers()
        for name, value in archived.replay_headers():
            headers.appendlist(name, value)
        response_class = responsetypes.from_args(headers=headers, url=request.url, body=archived.body)
        return response_class(
            url=request.url, status=archived.status, headers=headers, body=archived.body,
            request=request, flags=["replay"], protocol=archived.protocol,
        )
