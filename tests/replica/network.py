"""The detik network the replica serves: one SiteMap (sitemap.py) per channel of newscrawl's detik
declaration (newscrawl/sites/detik/channels.py), detikInet's among them exactly as ``build()``
makes it.

Every channel serves, below its root (``https://news.detik.com``, ``https://www.detik.com/jabar``,
...): the article, gallery and video fixtures whose URL lies there, its index by day at each of its
index paths (detikSport's sub-channel indexes list the cards below ``/sepakbola/`` and
``/aboutthegame/``), its RSS at each of its rss_paths (none where it declares none: 404), and one
robots.txt per host (the www.detik.com channels share theirs). A channel without fixtures serves
empty index pages. Every index page's Terpopuler box links to POPULAR, a detikNews article
published outside CRAWL_RANGE.

Beside a channel's own articles, its index lists on one day (the day of the fixture BESIDE names,
its busy day, which then has more than PAGE_SIZE cards on detikNews and detikSport: they paginate):

* galleries and videos of the channel or of 20.detik.com, for which no page is served: a crawl
  must count them and never ask for them;
* a page of another site (a crawl must not follow it);
* other channels' articles: ``scrapy crawl detik`` fetches each once (its URL is canonical on its
  own channel's host, where its own index lists it too) and stores it under its own channel; a
  channel spider counts the card as ``other``.

detikInet's busy day lists a detikNews article the same way (sitemap.OTHER_CHANNEL_URL). The
fixtures' own "Berita Terkait" boxes link other channels too; a crawler follows no link of an
article page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from newscrawl.sites.detik import DETIK

from .sitemap import (
    CRAWL_RANGE, INET, OTHER_CHANNEL_URL, PAGES_DIR, PLACEHOLDER_IMAGE, WIB, Article, Card, SiteMap,
    build, epoch, list_articles, read_channel, sort_cards, under,
)


@dataclass(frozen=True)
class Link:
    """A card for a page the replica does not serve."""

    kind: str  # "gallery", "video" or "other" (a page of another site)
    url: str
    title: str


@dataclass(frozen=True)
class Beside:
    """What a channel's index lists on the day of fixture ``day_of`` besides its own articles."""

    day_of: str
    links: tuple[Link, ...] = ()
    articles: tuple[str, ...] = ()  # fixtures of other channels' articles (cross-channel cards)


BESIDE: dict[str, Beside] = {
    "news": Beside("news-credit-only-cross-channel-related", links=(
        Link("gallery", "https://news.detik.com/foto-news/d-7006901/potret-kereta-tanpa-masinis-melintas-di-pedesaan-jepang",
             "Foto: Kereta Tanpa Masinis Melintas di Pedesaan Jepang"),
        Link("video", "https://news.detik.com/detiktv/d-7006905/video-kereta-tanpa-masinis-mulai-diuji-di-jepang",
             "Video: Kereta Tanpa Masinis Mulai Diuji di Jepang"),
        Link("video", "https://20.detik.com/detikupdate/20231012-231012090/video-uji-coba-kereta-otonom-jepang",
             "Video: Uji Coba Kereta Otonom Jepang"),
        Link("other", "https://www.cnnindonesia.com/internasional/20231012130000-113-1010101/jepang-uji-kereta-otonom",
             "Jepang Uji Kereta Otonom di Pedesaan"),
    ), articles=("travel-read-layout-syndicated",)),
    "sport": Beside("sport-two-segment-section-rubric-byline", links=(
        # Below /sepakbola/: the sub-channel's index lists it too.
        Link("gallery", "https://sport.detik.com/sepakbola/foto-sepakbola/d-7006801/potret-latihan-klub-liga-inggris-usai-jeda",
             "Foto: Latihan Klub Liga Inggris Usai Jeda Internasional"),
        Link("video", "https://20.detik.com/detiksport/20231012-231012055/video-gol-terbaik-pekan-kedelapan-liga-inggris",
             "Video: Gol Terbaik Pekan Kedelapan Liga Inggris"),
    ), articles=("news-credit-only-cross-channel-related",)),
    "travel": Beside("travel-read-layout-syndicated", links=(
        Link("gallery", "https://travel.detik.com/fototravel/d-7007025/potret-festival-subak-di-tabanan",
             "Foto: Festival Subak di Tabanan"),
    ), articles=("jabar-team-byline",)),
    "jabar": Beside("jabar-team-byline", links=(
        Link("gallery", "https://www.detik.com/jabar/foto/d-7006620/potret-jembatan-gantung-cianjur-yang-putus",
             "Foto: Jembatan Gantung Cianjur yang Putus"),
    ), articles=("sumut-section-hukum-dan-kriminal",)),
}
POPULAR = "detiknews-2022-12-10-d-6453785"
_OUTSIDE = " not under "  # the reason read_channel gives for another channel's fixture


@dataclass
class NetworkMap:
    """Every channel's SiteMap, by slug, in the site declaration's order."""

    sites: dict[str, SiteMap]
    left_out: list[str]  # fixtures no channel serves, with why

    def __getitem__(self, slug: str) -> SiteMap:
        return self.sites[slug]

    def selected(self, channels: tuple[str, ...] | list[str] | None = None) -> list[SiteMap]:
        return [site for slug, site in self.sites.items() if channels is None or slug in channels]

    @property
    def hosts(self) -> tuple[str, ...]:
        """Every host served, detikInet's first."""
        hosts = dict.fromkeys([INET.host, *(site.channel.host for site in self.sites.values())])
        return tuple(hosts)

    def site_at(self, host: str, path: str) -> SiteMap | None:
        """The channel serving ``path`` on ``host`` (on a shared host, the one whose prefix it is under)."""
        url = f"https://{host}{path}"
        found = [site for site in self.sites.values() if under(url, site.root)]
        return max(found, key=lambda site: len(site.channel.prefix), default=None)

    def article(self, url: str) -> Article | None:
        for site in self.sites.values():
            if url in site.articles:
                return site.articles[url]
        return None

    # -- what a crawl of a range must do -----------------------------------------------------------
    def articles_listed(self, since: date, until: date, channels=None) -> list[Article]:
        return sorted((article for site in self.selected(channels) for article in site.articles_listed(since, until)),
                      key=lambda article: article.article_id)

    def index_urls(self, since: date, until: date, channels=None) -> list[str]:
        return [url for site in self.selected(channels) for url in site.index_urls(since, until)]

    def cards_listed(self, since: date, until: date, channels=None) -> list[Card]:
        return [card for site in self.selected(channels) for card in site.cards_listed(since, until)]

    def robots_urls(self, channels=None) -> list[str]:
        return sorted({site.robots_url for site in self.selected(channels)})

    def rss_urls(self, channels=None) -> list[str]:
        return [url for site in self.selected(channels) for url in site.rss_urls]


def build_network(pages_dir: Path = PAGES_DIR, inet: SiteMap | None = None) -> NetworkMap:
    """Every channel's site map; ``inet``: detikInet's, when already built."""
    sites = {channel.slug: (inet or build(pages_dir)) if channel.slug == INET.slug else read_channel(channel, pages_dir)
             for channel in DETIK.channels}
    popular = _article(sites, POPULAR, "POPULAR")
    for slug, site in sites.items():
        if site.channel.slug != INET.slug:
            _lay_out(sites, site, BESIDE.get(slug), popular)
        site.sub_days = _sub_listings(site)
    other_channel = next((article for site in sites.values() for article in site.articles.values()
                          if article.url == OTHER_CHANNEL_URL), None)
    if other_channel is None or other_channel.channel == INET.slug or not _in_range(other_channel):
        raise RuntimeError(f"replica: OTHER_CHANNEL_URL {OTHER_CHANNEL_URL} must be an article of another "
                           "channel published in CRAWL_RANGE")
    return NetworkMap(sites, _left_out(sites))


def _article(sites: dict[str, SiteMap], fixture: str, wanted_as: str) -> Article:
    for site in sites.values():
        for article in site.articles.values():
            if fixture in (article.pages.get(1), article.single):
                return article
    raise RuntimeError(f"replica: {wanted_as} needs fixture {fixture!r} served as an article")


def _in_range(article: Article) -> bool:
    since, until = CRAWL_RANGE
    return article.published is not None and since <= article.published.astimezone(WIB).date() <= until


def _lay_out(sites: dict[str, SiteMap], site: SiteMap, beside: Beside | None, popular: Article) -> None:
    site.popular = popular
    dated = sorted(article.published.astimezone(WIB).date() for article in site.articles.values()
                   if _in_range(article))
    if beside is not None:
        anchor = site.article_of(beside.day_of, f"BESIDE[{site.channel.slug!r}]")
        site.busy_day = anchor.published.astimezone(WIB).date()
    else:  # where an undated article would be listed
        site.busy_day = dated[0] if dated else CRAWL_RANGE[0]
    listed = list_articles(site)
    if beside is not None:
        noon = datetime.combine(site.busy_day, time(12, 0), tzinfo=WIB)
        cards = [Card(link.url, link.title, epoch(noon - timedelta(hours=1 + n)), kind=link.kind)
                 for n, link in enumerate(beside.links)]
        for fixture in beside.articles:
            target = _article(sites, fixture, f"BESIDE[{site.channel.slug!r}]")
            if target.channel == site.channel.slug or not _in_range(target):
                raise RuntimeError(f"replica: BESIDE[{site.channel.slug!r}] must list another channel's article "
                                   f"published in CRAWL_RANGE, not {fixture}")
            cards.append(Card(target.url, target.item["headline"], epoch(target.published),
                              target.item.get("image_url") or PLACEHOLDER_IMAGE, channel=target.channel))
        listed.setdefault(site.busy_day, []).extend(cards)
    sort_cards(listed)
    site.days = listed


def _sub_listings(site: SiteMap) -> dict[str, dict[date, list[Card]]]:
    """Each further index path (``/sepakbola/indeks``) lists the index's cards below its sub-channel."""
    listings = {}
    for index_path in site.channel.index_paths[1:]:
        below = site.root + index_path.rsplit("/", 1)[0]
        listings[index_path] = {day: kept for day, cards in site.days.items()
                                if (kept := [card for card in cards if under(card.url, below)])}
    return listings


def _left_out(sites: dict[str, SiteMap]) -> list[str]:
    served = {name for site in sites.values() for name in site.pages.values()}
    reasons: dict[str, str] = {}
    for site in sites.values():
        for reason in site.left_out:
            name = reason.split(":", 1)[0]
            if name not in served and _OUTSIDE not in reason:
                reasons.setdefault(name, reason)
    for site in sites.values():
        for reason in site.left_out:
            name = reason.split(":", 1)[0]
            if name not in served and name not in reasons:
                reasons[name] = f"{name}: under no channel's root"
    return [reasons[name] for name in sorted(reasons)]


__all__ = ["BESIDE", "POPULAR", "Beside", "Link", "NetworkMap", "build_network"]
