"""Spider pieces without a network: argument planning, index parsing, backoff, the run summary."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone

import pytest
from scrapy.http import HtmlResponse, Request

from newscrawl.middlewares import retry_after_seconds
from newscrawl.crawl_database import CrawlDatabase, StoredArticles
from newscrawl.spiders.arguments import ArgumentError
from newscrawl.spiders.detikinet import DetikInetSpider, index_url
from tests.support import inet_plan, project_crawler

TODAY = date(2026, 11, 28)


def test_default_plan_reads_yesterday_today_and_rss():
    plan = inet_plan({}, today=TODAY)
    assert plan.days == (date(2026, 11, 27), date(2026, 11, 28))
    assert plan.read_rss and not plan.bounded and not plan.refresh


def test_range_plan_is_inclusive():
    plan = inet_plan({"since": "2024-02-27", "until": "2024-03-01", "refresh": "1"}, today=TODAY)
    assert plan.days == (date(2024, 2, 27), date(2024, 2, 28), date(2024, 2, 29), date(2024, 3, 1))
    assert plan.bounded and plan.refresh and not plan.read_rss


def test_url_plan_canonicalises_and_dedupes(tmp_path):
    listing = tmp_path / "urls.txt"
    listing.write_text("# mine\nhttps://inet.detik.com/cyberlife/d-1/a?utm_source=x\n\n", encoding="utf-8")
    plan = inet_plan({"urls": "https://inet.detik.com/cyberlife/d-1/a", "url_file": str(listing)}, today=TODAY)
    assert plan.article_urls == ("https://inet.detik.com/cyberlife/d-1/a",)
    assert plan.days == ()


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"since": "2024-13-01"}, "since='2024-13-01' is not a date in the form YYYY-MM-DD"),
        ({"since": "2024-03-02", "until": "2024-03-01"}, "since=2024-03-02 is after until=2024-03-01"),
        ({"until": "2026-12-01"}, "until=2026-12-01 is in the future (today is 2026-11-28 WIB)"),
        ({"sinse": "2024-01-01"}, "unknown argument 'sinse'"),
        ({"refresh": "maybe"}, "refresh='maybe' must be 1 or 0"),
        ({"urls": "https://inet.detik.com/fotoinet/d-1/galeri"}, "is not a detikInet article URL"),
        ({"urls": "https://inet.detik.com/cyberlife/d-1/a", "since": "2024-01-01"}, "cannot be combined"),
        ({"url_file": "/nonexistent/list.txt"}, "cannot be read"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(arguments, message):
    with pytest.raises(ArgumentError, match=message.replace("(", r"\(").replace(")", r"\)")):
        inet_plan(arguments, today=TODAY)


def collect(outputs) -> list:
    """Everything an async callback yields, run to its end."""
    async def gather():
        return [output async for output in outputs]

    return asyncio.run(gather())


def test_index_urls_repeat_the_date_on_every_page():
    assert index_url(date(2022, 12, 10)) == "https://inet.detik.com/indeks?date=12/10/2022"
    assert index_url(date(2022, 12, 10), 3) == "https://inet.detik.com/indeks?page=3&date=12/10/2022"


INDEX_PAGE = """<html><body>
<div class="grid-row list-content">
 <article class="list-content__item" d-time="1670631395">
  <div class="media__image"><a class="media__link" href="https://inet.detik.com/cyberlife/d-6453192/bos-kripto?tagfrom=framebar">img</a></div>
  <h3 class="media__title"><a class="media__link" href="https://inet.detik.com/cyberlife/d-6453192/bos-kripto?tagfrom=framebar">Bos Kripto</a></h3>
 </article>
 <article class="list-content__item" d-time="1670631000">
  <h3 class="media__title"><a href="https://inet.detik.com/fotoinet/d-6453100/galeri">Galeri</a></h3></article>
 <article class="list-content__item" d-time="1670631000">
  <h3 class="media__title"><a href="https://news.detik.com/berita/d-6453101/lain">Lain</a></h3></article>
 <article class="list-content__item" d-time="1670000000">
  <h3 class="media__title"><a href="https://inet.detik.com/consumer/d-6440000/lama">Lama</a></h3></article>
</div>
<div class="pagination"><a class="pagination__item" href="https://inet.detik.com/indeks?page=2&date=12/10/2022">2</a></div>
<div class="box cb-berita-terkait"><div class="list-content">
 <article class="list-content__item"><h3><a href="https://inet.detik.com/cyberlife/d-6441419/terkait">Terkait</a></h3></article>
</div></div>
</body></html>"""


def test_index_parsing_follows_only_the_days_articles_and_the_next_page():
    crawler = project_crawler(DetikInetSpider, NEWSCRAWL_MAX_INDEX_PAGES=5)
    spider = DetikInetSpider.from_crawler(crawler, since="2022-12-10", until="2022-12-10")
    crawler.stats.open_spider()
    url = index_url(date(2022, 12, 10))
    response = HtmlResponse(url, body=INDEX_PAGE.encode(), encoding="utf-8", request=Request(url))
    requests = collect(spider.parse_index(response, day=date(2022, 12, 10), page=1, channel="inet", index_path="/indeks"))

    assert [request.url for request in requests] == [
        "https://inet.detik.com/cyberlife/d-6453192/bos-kripto",  # one request per card, not per link
        "https://inet.detik.com/indeks?page=2&date=12/10/2022",
    ]
    stats = crawler.stats.get_stats()
    assert stats["newscrawl/skipped/gallery"] == 1
    assert stats["newscrawl/skipped/other"] == 1
    assert stats["newscrawl/skipped/outside_range"] == 1  # d-time 1670000000 is 2022-12-03 WIB
    assert stats["newscrawl/index/cards"] == 4


class RecordingDatabase:
    """The two lookups StoredArticles makes, answered from a dict and a set; every call recorded."""

    def __init__(self, known: dict[int, str | None], gone: set[int]) -> None:
        self.known, self.gone, self.calls = known, gone, []

    def known_articles(self, publisher, article_ids):
        ids = list(article_ids)
        self.calls.append(("known", publisher, sorted(ids)))
        return {article_id: self.known[article_id] for article_id in ids if article_id in self.known}

    def gone_articles(self, publisher, article_ids):
        ids = list(article_ids)
        self.calls.append(("gone", publisher, sorted(ids)))
        return {article_id for article_id in ids if article_id in self.gone}


def _card(article_id: int, query: str = "", d_time: int = 1670631395) -> str:
    return (f'<article class="list-content__item" d-time="{d_time}"><h3 class="media__title">'
            f'<a href="https://inet.detik.com/cyberlife/d-{article_id}/judul{query}">Judul</a></h3></article>')


def test_index_parsing_asks_the_archive_once_per_page_and_skips_for_the_same_reasons():
    crawler = project_crawler(DetikInetSpider)
    spider = DetikInetSpider.from_crawler(crawler, since="2022-12-10", until="2022-12-10")
    crawler.stats.open_spider()
    young = (spider.run_started_at - timedelta(hours=1)).isoformat()
    database = RecordingDatabase(
        known={1: "2022-12-10T07:16:35+07:00", 2: young, 3: None, 5: young},
        gone={4, 5},  # 5 came back after a 404 and is young: fetched again
    )
    CrawlDatabase.of(crawler).stored_articles = StoredArticles(database)
    gallery = '<article><h3><a href="https://inet.detik.com/fotoinet/d-7/galeri">Galeri</a></h3></article>'
    outside = _card(8, d_time=1669852800)  # 2022-12-01: outside the run, so not even asked about
    cards = [_card(1), _card(2), _card(3), _card(4), _card(5), _card(6), _card(1, "?tagfrom=framebar"), gallery, outside]
    body = f'<html><body><div class="list-content">{"".join(cards)}</div></body></html>'
    url = index_url(date(2022, 12, 10))
    response = HtmlResponse(url, body=body.encode(), encoding="utf-8", request=Request(url))
    requests = collect(spider.parse_index(response, day=date(2022, 12, 10), page=1, channel="inet", index_path="/indeks"))

    assert [request.url for request in requests] == [
        f"https://inet.detik.com/cyberlife/d-{article_id}/judul" for article_id in (2, 5, 6)
    ]
    stats = crawler.stats.get_stats()
    assert stats["newscrawl/skipped/already_stored"] == 3  # 1 (twice) and 3, stored without a date
    assert stats["newscrawl/skipped/gone"] == 1
    assert stats["newscrawl/skipped/gallery"] == 1
    assert stats["newscrawl/skipped/outside_range"] == 1
    assert database.calls == [("known", "detik", [1, 2, 3, 4, 5, 6]), ("gone", "detik", [4, 6])]

    spider.plan = inet_plan({"since": "2022-12-10", "until": "2022-12-10", "refresh": "1"})
    database.calls.clear()
    assert len(collect(spider.parse_index(response, day=date(2022, 12, 10), page=1, channel="inet", index_path="/indeks"))) == 7
    assert database.calls == []  # refresh: nothing is asked


def test_retry_after_header_forms():
    now = datetime(2026, 11, 28, 3, 0, 0, tzinfo=timezone.utc)
    assert retry_after_seconds(b"7") == 7.0
    assert retry_after_seconds("Sat, 28 Nov 2026 03:00:30 GMT", now=now) == 30.0
    assert retry_after_seconds("Sat, 28 Nov 2026 02:00:00 GMT", now=now) == 0.0
    assert retry_after_seconds(b"soon") is None
    assert retry_after_seconds(None) is None
