"""The replica itself: proxy behaviour, TLS tunnel, special answers, and a site map that follows the
fixtures. Fast (no crawl); when these fail, the end-to-end results mean nothing."""

from __future__ import annotations

import http.client
import json
import ssl
from datetime import date, datetime, time

import pytest
from parsel import Selector

from newscrawl.extraction import extract
from newscrawl.items import ARTICLE_FIELDS
from tests.replica import CRAWL_RANGE, ROLES, build, index_url
from tests.replica.sitemap import GONE_PATH, HOST, PAGE_SIZE, PAGES_DIR, WIB

def proxy_get(replica, url: str) -> tuple[int, dict, bytes]:
    """GET an absolute http:// URL through the replica as a plain proxy."""
    connection = http.client.HTTPConnection(replica.host, replica.port, timeout=10)
    try:
        connection.request("GET", url)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def tunnel(replica, host: str = HOST, port: int = 443) -> http.client.HTTPSConnection:
    """An HTTPS connection through a CONNECT tunnel, certificate not verified (as Scrapy does)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    connection = http.client.HTTPSConnection(replica.host, replica.port, timeout=10, context=context)
    connection.set_tunnel(host, port)
    return connection


def tunnel_get(connection, target: str) -> tuple[int, dict, bytes]:
    connection.request("GET", target)
    response = connection.getresponse()
    return response.status, dict(response.getheaders()), response.read()


@pytest.fixture
def fresh(replica):
    replica.reset()
    yield replica
    replica.reset()


def test_plain_proxy_request_serves_robots_txt(fresh):
    status, headers, body = proxy_get(fresh, f"http://{HOST}/robots.txt")
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    text = body.decode()
    for bot in ("GPTBot", "CCBot"):
        assert f"User-agent: {bot}\nDisallow: /\n" in text
    assert "User-agent: *\nAllow: /\n" in text
    ((logged),) = fresh.requests()
    assert (logged.order, logged.method, logged.url, logged.status, logged.via) == (
        1, "GET", f"http://{HOST}/robots.txt", 200, "proxy")


def test_other_hosts_are_refused_and_logged(fresh):
    status, _, _ = proxy_get(fresh, "http://news.detik.com/berita/d-1/x")
    assert status == 502
    with pytest.raises(OSError, match="403"):
        connection = tunnel(fresh, "20.detik.com")
        try:
            tunnel_get(connection, "/")
        finally:
            connection.close()
    direct = http.client.HTTPConnection(fresh.host, fresh.port, timeout=10)
    direct.request("GET", "/robots.txt")
    assert direct.getresponse().status == 400
    direct.close()
    assert [(r.method, r.url, r.status, r.via) for r in fresh.requests()] == [
        ("GET", "http://news.detik.com/berita/d-1/x", 502, "proxy"),
        ("CONNECT", "20.detik.com:443", 403, "connect"),
        ("GET", "/robots.txt", 400, "direct"),
    ]


def test_tls_tunnel_serves_several_requests_on_one_connection(fresh):
    site = fresh.site
    connection = tunnel(fresh)
    try:
        first = tunnel_get(connection, "/robots.txt")
        index = tunnel_get(connection, f"/indeks?date={site.busy_day:%m/%d/%Y}")
        peer = connection.sock.getpeercert(binary_form=True)
    finally:
        connection.close()
    assert first[0] == 200 and index[0] == 200
    assert peer  # a certificate was presented
    assert [(r.method, r.url, r.via) for r in fresh.requests()] == [
        ("CONNECT", f"{HOST}:443", "connect"),
        ("GET", f"https://{HOST}/robots.txt", "tunnel"),
        ("GET", index_url(site.busy_day), "tunnel"),
    ]


def test_index_markup_and_pagination(fresh):
    site = fresh.site
    day = site.busy_day
    pages = site.index_page_count(day)
    connection = tunnel(fresh)
    try:
        bodies = [tunnel_get(connection, index_url(day, page).removeprefix(f"https://{HOST}"))[2]
                  for page in range(1, pages + 1)]
        # Accepted as on the real site: /indeks/<N> and an encoded date.
        alternative = tunnel_get(connection, f"/indeks/2?date={day:%m}%2F{day:%d}%2F{day:%Y}")[2]
    finally:
        connection.close()
    assert alternative == bodies[1]
    hrefs = []
    for page, body in enumerate(bodies, start=1):
        selector = Selector(text=body.decode())
        cards = selector.css("div.grid-row.list-content article.list-content__item")
        assert 1 <= len(cards) <= PAGE_SIZE
        for card in cards:
            image_link, title_link = card.css("a.media__link::attr(href)").getall()
            assert image_link == title_link == card.css("h3.media__title a::attr(href)").get()
            assert card.attrib["d-time"].isdigit()
            hrefs.append(title_link)
        numbers = {a.xpath("normalize-space()").get() for a in selector.css("div.pagination a.pagination__item[href]")}
        assert (str(page + 1) in numbers) == (page < pages)
        assert selector.css("div.cb-mostpop div.list-content article a::attr(href)").get() == site.role("out_of_range").url
    assert len(hrefs) == len(site.days[day])
    multipage = site.role("multipage").url
    assert hrefs.count(multipage) == 1 and hrefs[-1] == f"{multipage}?utm_source=x&tag_from=y"
    assert f"https://{HOST}{GONE_PATH}" in hrefs
    assert any("/fotoinet/" in href for href in hrefs) and any("/detiktv/" in href for href in hrefs)
    assert any(href.startswith("https://20.detik.com/") for href in hrefs)
    assert any(href.startswith("https://news.detik.com/") for href in hrefs)


def test_special_answers(fresh):
    site = fresh.site
    retry, legacy, multipage = site.role("retry_once"), site.role("legacy_linked"), site.role("multipage")
    path = lambda url: url.removeprefix(f"https://{HOST}")  # noqa: E731
    connection = tunnel(fresh)
    try:
        first, second = tunnel_get(connection, path(retry.url)), tunnel_get(connection, path(retry.url))
        moved = tunnel_get(connection, path(legacy.link))
        gone = tunnel_get(connection, GONE_PATH)
        single = tunnel_get(connection, path(multipage.url) + "?single=1")[2]
        page_2 = tunnel_get(connection, path(multipage.url) + "/2")[2]
        tracked = tunnel_get(connection, path(multipage.url) + "?utm_source=x&tag_from=y")[2]
    finally:
        connection.close()
    assert (first[0], first[1]["Retry-After"], second[0]) == (503, "0", 200)
    assert (moved[0], moved[1]["Location"]) == (301, legacy.url)
    assert legacy.link.startswith(f"https://{HOST}/read/") and f"/{legacy.article_id}/" in legacy.link
    assert gone[0] == 404
    assert single == site.fixture(multipage.single)[1]
    assert page_2 == site.fixture(multipage.pages[2])[1]
    assert tracked == site.fixture(multipage.pages[1])[1]


def test_berita_terkait_card_is_added_without_changing_the_extraction(fresh):
    site = fresh.site
    host = site.role("related_host")
    target = site.role("out_of_range")
    connection = tunnel(fresh)
    try:
        status, _, body = tunnel_get(connection, host.url.removeprefix(f"https://{HOST}"))
    finally:
        connection.close()
    assert status == 200
    links = Selector(text=body.decode()).css("div.cb-berita-terkait a::attr(href)").getall()
    assert target.url in links
    expected, _ = site.fixture(ROLES["related_host"])
    item = extract(host.url, body, fetched_at=expected["item"]["fetched_at"]).item
    assert {name: item[name] for name in ARTICLE_FIELDS} == expected["item"]
    assert not CRAWL_RANGE[0] <= target.published.astimezone(WIB).date() <= CRAWL_RANGE[1]


def test_site_map_follows_the_fixture_folder(tmp_path):
    """A page dropped into the folder is served and listed on its day, with no list to edit."""
    for source in PAGES_DIR.iterdir():
        (tmp_path / source.name).write_bytes(source.read_bytes())
    expected, page = json.loads((PAGES_DIR / "no-lead-image.json").read_text()), (PAGES_DIR / "no-lead-image.html").read_bytes()
    item = dict(expected["item"], article_id=7046999,
                url="https://inet.detik.com/telecommunication/d-7046999/artikel-baru",
                published_at="2023-11-09T08:00:00+07:00")
    (tmp_path / "new-page.json").write_text(json.dumps({**expected, "request_url": item["url"], "item": item}))
    (tmp_path / "new-page.html").write_bytes(page)
    site = build(tmp_path)
    article = site.articles[item["url"]]
    assert site.pages[("/telecommunication/d-7046999/artikel-baru", False)] == "new-page"
    assert article.day == article.published.astimezone(WIB).date() == date(2023, 11, 9)
    assert [card.url for card in site.days[article.day]] == [item["url"]]
    assert item["url"] in {a.url for a in site.articles_listed(*CRAWL_RANGE)}


def test_every_article_fixture_is_served_or_explained():
    site = build()
    names = {path.stem for path in PAGES_DIR.glob("*.json") if path.with_suffix(".html").exists()}
    served = set(site.pages.values())
    assert names - served == {reason.split(":", 1)[0] for reason in site.left_out}
    for article in site.articles.values():
        if article.published is not None:
            assert article.day == article.published.astimezone(WIB).date()
        else:
            assert article.day == site.busy_day
        card = next(card for card in site.days[article.day] if card.url == article.link)
        busy_noon = datetime.combine(site.busy_day, time(12), tzinfo=WIB)
        assert card.d_time == int((article.published or busy_noon).timestamp())
