"""The replica of the whole detik network (tests/replica/network.py): every channel's host in CONNECT
tunnels under one certificate, www.detik.com's channels by prefix, every channel's index pages,
sub-channel indexes, pagination, RSS, and the cards the crawl tests rely on. Fast (no crawl); when
these fail, the network crawl results mean nothing."""

from __future__ import annotations

import http.client
import ssl
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from parsel import Selector

from newscrawl.sites.detik import DETIK
from tests.conftest import page_cases
from tests.replica import CRAWL_RANGE, build_network
from tests.replica.network import BESIDE
from tests.replica.sitemap import OTHER_CHANNEL_URL, PAGE_SIZE, WIB, under


class Tunnels:
    """HTTPS through the replica's CONNECT tunnels, one kept open per host (certificates not
    verified, as Scrapy does not)."""

    def __init__(self, replica):
        self.replica = replica
        self.connections: dict[str, http.client.HTTPSConnection] = {}

    def connection(self, host: str) -> http.client.HTTPSConnection:
        if host not in self.connections:
            connection = http.client.HTTPSConnection(self.replica.host, self.replica.port, timeout=10,
                                                     context=ssl._create_unverified_context())
            connection.set_tunnel(host, 443)
            self.connections[host] = connection
        return self.connections[host]

    def get(self, url: str) -> tuple[int, dict, bytes]:
        parts = urlsplit(url)
        connection = self.connection(parts.hostname)
        connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()

    def certificate(self, host: str) -> x509.Certificate:
        """The certificate the replica presented in the tunnel to ``host`` (opened by a get)."""
        return x509.load_der_x509_certificate(self.connections[host].sock.getpeercert(binary_form=True))

    def close(self) -> None:
        for connection in self.connections.values():
            connection.close()


def card_hrefs(body: bytes) -> list[str]:
    """The title links of an index page's day cards (not those of the Terpopuler box)."""
    selector = Selector(text=body.decode())
    return selector.css("div.grid-row.list-content article.list-content__item h3.media__title a::attr(href)").getall()


@pytest.fixture
def fresh(replica):
    replica.reset()
    yield replica
    replica.reset()


@pytest.fixture
def tunnels(fresh):
    client = Tunnels(fresh)
    yield client
    client.close()


def test_every_fixture_is_served_by_one_channel_or_explained():
    network = build_network()
    served = [name for site in network.sites.values() for name in site.pages.values()]
    assert len(served) == len(set(served)), "a fixture served by two channels"
    names = {path.stem for path in page_cases()}
    assert names - set(served) == {reason.split(":", 1)[0] for reason in network.left_out}
    assert list(network.sites) == [channel.slug for channel in DETIK.channels]
    for slug, site in network.sites.items():
        assert site.articles, f"channel {slug} serves no article"
        for article in site.articles.values():
            # The fixture's expected channel is the channel whose root serves it.
            assert (article.item["publisher"], article.channel) == ("detik", slug)
            assert under(article.url, site.root)


def test_detikinets_site_map_is_the_networks(replica):
    assert replica.network["inet"] is replica.site
    hosts = replica.hosts
    assert hosts[0] == "inet.detik.com"  # the certificate's common name, as before
    assert sorted(hosts) == sorted({channel.host for channel in DETIK.channels})
    assert len(hosts) == 11


def test_every_host_is_tunnelled_under_one_certificate_naming_them_all(fresh, tunnels):
    hosts = fresh.hosts
    assert {"news.detik.com", "sport.detik.com", "travel.detik.com", "www.detik.com"} <= set(hosts)
    for host in hosts:
        status, headers, body = tunnels.get(f"https://{host}/robots.txt")
        assert (status, headers["Content-Type"]) == (200, "text/plain; charset=UTF-8")
        assert "User-agent: GPTBot\nDisallow: /\n" in body.decode()
        names = tunnels.certificate(host).extensions.get_extension_for_class(x509.SubjectAlternativeName)
        assert names.value.get_values_for_type(x509.DNSName) == list(hosts)
    assert [(r.method, r.url, r.status) for r in fresh.requests() if r.method == "CONNECT"] == [
        ("CONNECT", f"{host}:443", 200) for host in hosts]


@pytest.mark.parametrize("target", ["www.cnnindonesia.com:443", "20.detik.com:443", "m.detik.com:443",
                                    "news.detik.com:80"])
def test_hosts_and_ports_outside_the_network_are_refused(fresh, target):
    host, _, port = target.partition(":")
    connection = http.client.HTTPSConnection(fresh.host, fresh.port, timeout=10,
                                             context=ssl._create_unverified_context())
    connection.set_tunnel(host, int(port))
    with pytest.raises(OSError, match="403"):
        try:
            connection.request("GET", "/")
        finally:
            connection.close()
    assert [(r.method, r.url, r.status) for r in fresh.requests()] == [("CONNECT", target, 403)]


def test_www_channels_share_one_host_by_prefix(fresh, tunnels):
    network = fresh.network
    jabar, edu = network["jabar"], network["edu"]
    for site in (jabar, edu):
        (article,) = site.articles.values()
        status, _, body = tunnels.get(article.url)
        assert (status, body) == (200, site.fixture(article.pages[1])[1])
    status, _, body = tunnels.get(jabar.index_url(jabar.busy_day))
    assert status == 200 and card_hrefs(body) == [card.url for card in jabar.days[jabar.busy_day]]
    assert tunnels.get("https://www.detik.com/jabar/rss")[0] == 404  # jabar declares no RSS
    status, headers, body = tunnels.get("https://www.detik.com/edu/rss")
    assert (status, headers["Content-Type"]) == (200, "application/rss+xml; charset=UTF-8")
    assert Selector(text=body.decode(), type="xml").xpath("//item/link/text()").getall() == [*edu.articles]
    status, _, body = tunnels.get("https://www.detik.com/")
    www = [site.root + "/" for site in network.sites.values() if site.channel.host == "www.detik.com"]
    assert status == 200 and Selector(text=body.decode()).css("li a::attr(href)").getall() == www
    assert tunnels.get("https://www.detik.com/nochannel/berita/d-7006615/x")[0] == 404


def test_every_index_page_of_every_channel_lists_its_cards_in_pages(fresh, tunnels):
    for slug, site in fresh.network.sites.items():
        for index_path in site.channel.index_paths:
            for day, cards in site.listing(index_path).items():
                pages = site.index_page_count(day, index_path)
                hrefs = []
                for page in range(1, pages + 1):
                    status, _, body = tunnels.get(site.index_url(day, page, index_path))
                    assert status == 200
                    selector = Selector(text=body.decode())
                    shown = card_hrefs(body)
                    assert 1 <= len(shown) <= PAGE_SIZE, (slug, index_path, day, page)
                    hrefs += shown
                    linked = selector.css("div.pagination a.pagination__item::attr(href)").getall()
                    assert (site.index_url(day, page + 1, index_path) in linked) == (page < pages)
                    assert selector.css("div.cb-mostpop article a::attr(href)").getall() == [site.popular.url]
                assert hrefs == [card.url for card in cards], (slug, index_path, day)


def test_sub_channel_indexes_list_the_cards_below_them(fresh, tunnels):
    sport = fresh.network["sport"]
    day = sport.busy_day
    below = {index_path: card_hrefs(tunnels.get(sport.index_url(day, 1, index_path))[2])
             for index_path in ("/sepakbola/indeks", "/aboutthegame/indeks")}
    sepakbola = [card.url for card in sport.days[day] if urlsplit(card.url).path.startswith("/sepakbola/")]
    assert below == {"/sepakbola/indeks": sepakbola, "/aboutthegame/indeks": []}
    assert [card.kind for card in sport.sub_days["/sepakbola/indeks"][day]] == ["gallery", "article"]
    old = next(article for article in sport.articles.values() if article.item["section"] == "aboutthegame")
    assert card_hrefs(tunnels.get(sport.index_url(old.day, 1, "/aboutthegame/indeks"))[2]) == [old.url]


def test_each_channel_feed_lists_its_own_pages_and_a_channel_without_rss_answers_404(fresh, tunnels):
    for slug, site in fresh.network.sites.items():
        if not site.channel.rss_paths:
            assert tunnels.get(f"{site.root}/rss")[0] == 404, slug
            continue
        for url in site.rss_urls:
            status, _, body = tunnels.get(url)
            assert status == 200
            links = Selector(text=body.decode(), type="xml").xpath("//item/link/text()").getall()
            assert sorted(links) == sorted([*site.articles, *site.others]), slug


def test_the_network_holds_what_the_crawl_tests_need(replica):
    """Guards the crawl tests: the cards they count are listed, in CRAWL_RANGE."""
    network = replica.network
    since, until = CRAWL_RANGE
    cards = network.cards_listed(since, until)
    assert {card.kind for card in cards} == {"article", "gallery", "video", "other"}
    for slug in ("news", "sport"):  # a busy day that paginates, beside detikInet's
        assert network[slug].index_page_count(network[slug].busy_day) >= 2, slug
    cross = [(site.channel.slug, card) for site in network.sites.values() for card in site.cards_listed(since, until)
             if card.kind == "article" and card.channel != site.channel.slug]
    fixture_channel = {name: network["inet"].fixture(name)[0]["item"]["channel"]
                       for beside in BESIDE.values() for name in beside.articles}
    expected = {(slug, fixture_channel[name]) for slug, beside in BESIDE.items() for name in beside.articles}
    assert {(slug, card.channel) for slug, card in cross} == {("inet", "news"), *expected}
    for _, card in cross:
        target = network.article(card.url)
        assert target is not None and target.channel == card.channel
        assert since <= target.day <= until and card.url in [c.url for c in network[card.channel].days[target.day]]
    assert network.article(OTHER_CHANNEL_URL).channel == "news"
    for site in network.sites.values():
        assert site.popular.published.astimezone(WIB).date() < since
