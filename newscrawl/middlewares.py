"""Downloader middlewares: retries that wait before asking again; a ceiling on the request rate to
each site as a whole."""

from __future__ import annotations

import asyncio
from email.utils import parsedate_to_datetime
from datetime import datetime, timezone

from scrapy.downloadermiddlewares.retry import RetryMiddleware, get_retry_request
from scrapy.exceptions import NotConfigured
from scrapy.utils.response import response_status_message

from .sites import parse_url


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - (now or datetime.now(timezone.utc))).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retry of 429/5xx and timeouts, plus a wait before each retry: Retry-After when the
    server gives one, else an exponential backoff (base * 2**attempt, capped). 404/410 are not in
    RETRY_HTTP_CODES, so they are never retried. Waiting here delays only this request."""

    def __init__(self, settings):
        super().__init__(settings)
        self.backoff_base = settings.getfloat("NEWSCRAWL_RETRY_BACKOFF_BASE")
        self.backoff_max = settings.getfloat("NEWSCRAWL_RETRY_BACKOFF_MAX")

    def retry_request(self, request, reason):
        """The next attempt of ``request`` (Scrapy's public get_retry_request, with the limits
        RetryMiddleware reads from settings and meta), or None when retries are used up."""
        return get_retry_request(
            request,
            spider=self.crawler.spider,
            reason=reason,
            max_retry_times=request.meta.get("max_retry_times", self.max_retry_times),
            priority_adjust=request.meta.get("priority_adjust", self.priority_adjust),
            give_up_log_level=request.meta.get("give_up_log_level", self.give_up_log_level),
        )

    def delay_for(self, request, response=None) -> float:
        attempt = request.meta.get("retry_times", 0)
        header = retry_after_seconds(response.headers.get(b"Retry-After")) if response is not None else None
        delay = header if header is not None else self.backoff_base * (2 ** attempt)
        return min(delay, self.backoff_max)

    async def process_response(self, request, response, spider=None):
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry = self.retry_request(request, response_status_message(response.status))
        if retry is None:
            return response
        await asyncio.sleep(self.delay_for(request, response))
        self.crawler.stats.inc_value(f"newscrawl/retried/{response.status}")
        return retry

    async def process_exception(self, request, exception, spider=None):
        if not isinstance(exception, self.exceptions_to_retry) or request.meta.get("dont_retry", False):
            return None
        retry = self.retry_request(request, exception)
        if retry is None:
            return None
        await asyncio.sleep(self.delay_for(request))
        self.crawler.stats.inc_value(f"newscrawl/retried/{type(exception).__name__}")
        return retry


class SiteThrottle:
    """At most one request every NEWSCRAWL_SITE_MIN_INTERVAL seconds to all the hosts of one site.

    Scrapy's politeness (CONCURRENT_REQUESTS_PER_DOMAIN, DOWNLOAD_DELAY, AutoThrottle) is per host,
    and a site such as detik serves twenty channels from one company's servers: crawling all of them
    would multiply the load by the number of hosts. Requests are given slots in the order they come;
    waiting delays only the request that waits. Off (NotConfigured) with an interval of 0."""

    def __init__(self, interval: float):
        self.interval = interval
        self.next_slot: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler):
        interval = crawler.settings.getfloat("NEWSCRAWL_SITE_MIN_INTERVAL")
        if interval <= 0:
            raise NotConfigured("NEWSCRAWL_SITE_MIN_INTERVAL is 0")
        return cls(interval)

    async def process_request(self, request, spider=None):
        site = parse_url(request.url).publisher
        if site is None:
            return None
        loop = asyncio.get_running_loop()
        now = loop.time()
        slot = max(now, self.next_slot.get(site, now))
        self.next_slot[site] = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)
        return None
