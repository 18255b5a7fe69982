"""The spider of a site's channels: what to fetch, in what order, read from the site's declaration
(newscrawl/sites). Extraction lives in newscrawl.extraction.

  -a since=YYYY-MM-DD -a until=YYYY-MM-DD   index pages of each day (WIB) of every channel of the run
  (no arguments)                             yesterday and today (WIB) plus the channels' RSS feeds
  -a urls=URL1,URL2 / -a url_file=PATH       these article URLs only
  -a refresh=1                               fetch articles already stored too
  -a replay=PATH                             answer every request from WARC files
  -a channels=news,inet                      (the whole site's spider only) these channels only

A link found while crawling one channel that leads to an article of another channel of the run is
fetched (once: its URL is canonical on its own channel's host) and stored under its own channel; an
article of a channel outside the run is not fetched, and counted as ``other``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import scrapy
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest

from ..archive import capture_of, set_capture
from ..crawl_database import CrawlDatabase, StoredArticles
from ..extraction import extract_response, merge_pages
from ..extraction_workers import ExtractionWorkers
from ..extraction.processors.dates import WIB
from ..meta import CAPTURE, EXPECTED_PAGES, PAGE_KIND, SINGLE_VIEW, SOURCE
from ..sites import Channel, Site, parse_url
from ..storage import DatabaseUnavailable
from .arguments import plan_crawl


class SiteSpider(scrapy.Spider):
    site: Site  # set by each site's spider
    fixed_channels: tuple[str, ...] | None = None  # a channel spider's channels; None: the whole site

    def __init__(self, *args, **kwargs):
        self.plan = plan_crawl(kwargs, self.site, self.fixed_channels)
        super().__init__(*args)
        self.channels: tuple[Channel, ...] = tuple(self.site.channel(slug) for slug in self.plan.channels)
        self.allowed_domains = sorted({channel.host for channel in self.channels})
        started = datetime.now(timezone.utc).replace(microsecond=0)
        self.run_started_at = started
        self.run_started = started.strftime("%Y-%m-%dT%H-%M-%S")  # used in export/WARC file names

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.exports_dir = crawler.settings.get("NEWSCRAWL_EXPORTS_DIR")
        spider.revisit_window = timedelta(hours=crawler.settings.getfloat("NEWSCRAWL_REVISIT_HOURS"))
        spider.max_index_pages = crawler.settings.getint("NEWSCRAWL_MAX_INDEX_PAGES")
        spider.max_article_pages = crawler.settings.getint("NEWSCRAWL_MAX_ARTICLE_PAGES")
        return spider

    @property
    def archive(self) -> StoredArticles | None:
        """What the crawl's database says about stored articles; None before it is open (or
        without CrawlDatabase), when every article is fetched."""
        service = CrawlDatabase.of(self.crawler)
        return service.stored_articles if service is not None else None

    # -- discovery -------------------------------------------------------------------------------
    async def start(self):
        for url in self.plan.article_urls:
            yield self.article_request(url, source="argument")
        for day in self.plan.days:
            for channel in self.channels:
                for index_path in channel.index_paths:
                    yield self.index_request(channel, index_path, day, 1)
        if self.plan.read_rss:
            for channel in self.channels:
                for rss_path in channel.rss_paths:
                    yield scrapy.Request(self.site.urls.rss_url(channel, rss_path), callback=self.parse_rss,
                                         errback=self.failed, meta={PAGE_KIND: "rss"})

    def index_request(self, channel: Channel, index_path: str, day: date, page: int) -> scrapy.Request:
        return scrapy.Request(self.site.urls.index_url(channel, index_path, day, page), callback=self.parse_index,
                              errback=self.failed, meta={PAGE_KIND: "index"},
                              cb_kwargs={"day": day, "page": page, "channel": channel.slug, "index_path": index_path})

    async def failed(self, failure):
        """A page that failed for good (after retries): counted by kind and HTTP status or error.
        A page robots.txt disallows is not fetched, and that is no error: counted as a link not followed."""
        request = failure.request
        kind = request.meta.get(PAGE_KIND, "other")
        if _disallowed_by_robots(failure):
            self.crawler.stats.inc_value("newscrawl/skipped/robots_txt")
            self.logger.info("%s not fetched: disallowed by robots.txt", request.url)
            return
        response = getattr(failure.value, "response", None)
        status = str(response.status) if response is not None else type(failure.value).__name__
        if _too_large(failure.value):
            status = "too_large"
        self.crawler.stats.inc_value(f"newscrawl/failed/{kind}/{status}")
        self.logger.warning("%s failed: %s", request.url, status)
        target = self.site.parse_url(request.url)
        if kind == "article" and status in ("404", "410") and self.archive is not None and target and target.article_id:
            # Gone for good: later runs skip it (unless -a refresh=1).
            try:
                await CrawlDatabase.of(self.crawler).ride_out(
                    self.archive.record_gone, self.site.name, target.article_id, target.canonical or request.url,
                    int(status))
            except DatabaseUnavailable:
                pass  # the crawl is closing on the outage: the next run asks again and remembers it then

    def article_request(self, url: str, source: str) -> scrapy.Request:
        return scrapy.Request(parse_url(url).canonical or url, callback=self.parse_article, errback=self.failed,
                              meta={PAGE_KIND: "article", SOURCE: source})

    async def parse_index(self, response, day: date, page: int, channel: str, index_path: str):
        stats = self.crawler.stats
        stats.inc_value("newscrawl/pages/index")
        # What the channel's day index lists, fetched or not: the run checks expect a minimum. A
        # sub-channel's index lists the channel's articles again, so only the first index counts.
        counted = index_path == self.site.channel(channel).index_paths[0]
        if counted:
            stats.inc_value(f"newscrawl/index/pages/{channel}/{day.isoformat()}")  # the day was read
        cards = self.site.index.cards(response.selector)
        stats.inc_value("newscrawl/index/cards", len(cards))
        links = []
        for href, card_time in cards:
            if href:
                url = response.urljoin(href)
                if counted and parse_url(url).kind == "article":
                    stats.inc_value(f"newscrawl/index/articles/{channel}/{day.isoformat()}")
                links.append((url, card_time))
        for request in await self.follow_links(links, source="index"):
            yield request
        next_page = page + 1
        if cards and next_page in self.site.index.linked_pages(response.selector, response.url):
            if next_page > self.max_index_pages:
                self.logger.warning("index %s of %s: stopped at page %d (NEWSCRAWL_MAX_INDEX_PAGES)",
                                    response.url, day, page)
                return
            yield self.index_request(self.site.channel(channel), index_path, day, next_page)

    async def parse_rss(self, response):
        self.crawler.stats.inc_value("newscrawl/pages/rss")
        response.selector.remove_namespaces()
        # An item's <guid> is usually its <link> again: each URL once, or skipped links count twice.
        links = response.xpath("//item/link/text() | //item/guid/text()").getall()
        unique = dict.fromkeys(link.strip() for link in links)
        for request in await self.follow_links([(link, None) for link in unique], source="rss"):
            yield request

    async def follow_links(self, links: list[tuple[str, str | None]], source: str) -> list[scrapy.Request]:
        """Requests for the articles among ``links`` (URL, card time) that this run should fetch."""
        articles = []
        for url, card_time in links:
            target = parse_url(url)
            kind = target.kind
            if kind == "article" and (target.publisher != self.site.name or target.channel.slug not in self.plan.channels):
                kind = "other"  # an article of another site, or of a channel outside this run
            if kind != "article":
                # Galleries, videos and other channels are never fetched, only counted.
                self.crawler.stats.inc_value(f"newscrawl/skipped/{kind}")
            elif self.outside_range(card_time):
                self.crawler.stats.inc_value("newscrawl/skipped/outside_range")
            else:
                articles.append((url, target.article_id))
        skip_reasons = await self.stored_skip_reasons([article_id for _, article_id in articles])
        requests = []
        for url, article_id in articles:
            reason = skip_reasons.get(article_id)
            if reason is None:
                requests.append(self.article_request(url, source=source))
            else:
                self.crawler.stats.inc_value(f"newscrawl/skipped/{reason}")
        return requests

    async def stored_skip_reasons(self, article_ids: list[int]) -> dict[int, str]:
        """What the archive says about these articles, asked once for a whole page or feed. A database
        outage is ridden out (the crawl pauses until it answers): no page's links are dropped."""
        if self.plan.refresh or self.archive is None:
            return {}
        ids = {article_id for article_id in article_ids if article_id is not None}
        if not ids:
            return {}
        try:
            return await CrawlDatabase.of(self.crawler).ride_out(
                self.archive.reasons_to_skip, self.site.name, ids, self.run_started_at - self.revisit_window)
        except DatabaseUnavailable:
            # The crawl is closing on the outage: the links go to the scheduler unchecked, where a
            # JOBDIR keeps them for the resumed run (the store tells unchanged articles apart).
            return {}

    def outside_range(self, card_time: str | None) -> bool:
        """Whether an index card's time puts its article outside a bounded run's days."""
        published = _epoch_seconds(card_time)
        return self.plan.bounded and published is not None and not self.in_range(published)

    def in_range(self, published: datetime) -> bool:
        day = published.astimezone(WIB).date()
        return self.plan.first_day <= day <= self.plan.last_day

    # -- articles --------------------------------------------------------------------------------
    async def parse_article(self, response, previous_pages=()):
        # The WARC capture of this response (capture or replay middleware): its WARC-Date is the
        # fetch time, and the store pipeline records where it lies.
        capture = _capture(response)
        fetched_at = capture.fetched_at if capture else None
        workers = ExtractionWorkers.of(self.crawler)
        if workers is not None:  # on a worker process: the reactor thread goes on fetching meanwhile
            extraction = await workers.extract(response, fetched_at)
        else:
            extraction = extract_response(response, fetched_at=fetched_at)
        stats = self.crawler.stats
        stats.inc_value("newscrawl/pages/article")
        if extraction.kind != "article":
            stats.inc_value(f"newscrawl/non_article/{extraction.kind}")
            return
        for warning in extraction.warnings:
            self.logger.warning("%s: %s", response.url, warning)
            stats.inc_value("newscrawl/extraction_warnings")
        item = extraction.item
        set_capture(item, capture)
        expected_pages = response.meta.get(EXPECTED_PAGES, extraction.pages_in_nav)
        if response.meta.get(SINGLE_VIEW):
            if extraction.pages_in_nav > 1:
                # The site ignored ?single=1: collect the pages one by one instead.
                for output in self.collect_pages([item], extraction.pages_in_nav):
                    yield output
                return
            item["page_count"] = max(item["page_count"], min(expected_pages, self.max_article_pages))
            if expected_pages > self.max_article_pages:
                self.pages_capped(item["url"], expected_pages,
                                  f"its ?single=1 view is read whole, page_count {item['page_count']}")
        elif previous_pages:
            for output in self.collect_pages([*previous_pages, item], expected_pages):
                yield output
            return
        elif extraction.pages_in_nav > 1:
            yield scrapy.Request(self.site.urls.single_view_url(item["url"]), callback=self.parse_article,
                                 errback=self.failed, meta={PAGE_KIND: "article", SINGLE_VIEW: True,
                                                            EXPECTED_PAGES: extraction.pages_in_nav})
            return
        for output in self.emit(item):
            yield output

    def collect_pages(self, pages: list, expected_pages: int):
        """The request for the next page of a multi-page article, or, once the pages its navigation
        promised are in (at most NEWSCRAWL_MAX_ARTICLE_PAGES), the item merged from them."""
        if len(pages) < min(expected_pages, self.max_article_pages):
            yield self.page_request(pages[0]["url"], len(pages) + 1, pages, expected_pages)
            return
        if expected_pages > len(pages):
            self.pages_capped(pages[0]["url"], expected_pages, f"the article is read from its first {len(pages)} pages")
        item = merge_pages(pages)
        set_capture(item, capture_of(pages[0]))  # the page the merged item's fields come from
        yield from self.emit(item)

    def pages_capped(self, url: str, claimed: int, outcome: str) -> None:
        self.crawler.stats.inc_value("newscrawl/capped/article_pages")
        self.logger.warning("%s: its page navigation claims %d pages, more than NEWSCRAWL_MAX_ARTICLE_PAGES (%d); %s",
                            url, claimed, self.max_article_pages, outcome)

    def page_request(self, url: str, page: int, pages: list, expected_pages: int) -> scrapy.Request:
        return scrapy.Request(self.site.urls.page_url(url, page), callback=self.parse_article, errback=self.failed,
                              cb_kwargs={"previous_pages": tuple(pages)},
                              meta={PAGE_KIND: "article", EXPECTED_PAGES: expected_pages})

    def emit(self, item):
        stats = self.crawler.stats
        stats.inc_value(f"newscrawl/layout/{item['layout']}")
        stats.inc_value(f"newscrawl/channel_layout/{item['channel']}/{item['layout']}")
        if self.plan.bounded:
            # An undated article listed on a day's index is kept: dropping it would lose it silently.
            published = item["published_at"] and datetime.fromisoformat(item["published_at"])
            if published and not self.in_range(published):
                stats.inc_value("newscrawl/skipped/outside_range")
                return
        yield item


def _too_large(error: BaseException) -> bool:
    """DOWNLOAD_MAXSIZE at work: the download cut off (Scrapy cancels a download for nothing else),
    or the body refused while it was decompressed (HttpCompressionMiddleware's IgnoreRequest)."""
    return isinstance(error, DownloadCancelledError) or (
        isinstance(error, IgnoreRequest) and "DOWNLOAD_MAXSIZE" in str(error))


def _disallowed_by_robots(failure) -> bool:
    # Scrapy's RobotsTxtMiddleware raises a plain IgnoreRequest with this message, and no subclass.
    return failure.check(IgnoreRequest) is not None and str(failure.value) == "Forbidden by robots.txt"


def _capture(response):
    try:
        return response.meta.get(CAPTURE)
    except AttributeError:  # a response not tied to a request (unit tests)
        return None


def _epoch_seconds(value: str | None) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(str(value).strip()), tz=timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return None
