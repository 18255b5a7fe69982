"""A generated detik network for benchmarks/network.py: every channel of newscrawl's detik declaration
(newscrawl/sites/detik/channels.py) with its own generated articles, built on benchmarks/sitegen.py.

Each channel is a ``sitegen.Site`` whose article ids interleave with the other channels' (one id
space for the whole network, as on detik), whose vocabulary is shuffled per channel (no two
channels' pages have the same text), and whose pages are sitegen's with ``https://inet.detik.com``
rewritten to the channel's root (``https://news.detik.com``, ``https://www.detik.com/jabar``): the
canonical link, the cards and every link name the channel, and each article URL reads as that
channel's article by ``newscrawl.sites.parse_url``. detikSport's sections are its sub-channels'
(``sepakbola``, ``aboutthegame``, ...), and its sub-channel indexes (``/sepakbola/indeks``) list the
articles below them, as the site does.

How many articles a channel publishes a day is ASSUMED (PER_DAY): no figure of detik's own is
known. The floor the crawl checks is the declarations' min_articles_per_day (10, regional 5, small 3),
far below what the big channels publish; PER_DAY are round guesses of a weekday's output, with
detikInet's 50 from sitegen ("detikInet publishes ~40-60 a day"). ``--scale`` multiplies them.

    python -m benchmarks.networkgen [--days 1] [--scale 1.0]   # per channel: articles, index pages, a URL
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import random
from datetime import date

from benchmarks.sitegen import FIRST_ID, LAST_DAY, ORIGIN, PAGE_SIZE, GenArticle, Site
from newscrawl.sites import parse_url
from newscrawl.sites.base import Channel
from newscrawl.sites.detik import DETIK

# Articles a day per channel: an assumption (see the module docstring), not a measurement.
PER_DAY: dict[str, int] = {
    "news": 250, "finance": 150, "inet": 50, "hot": 100, "sport": 150, "oto": 40, "travel": 40, "food": 30,
    "health": 50, "wolipop": 40, "edu": 30, "jabar": 30, "jateng": 30, "jatim": 30, "jogja": 30, "sumut": 30,
    "sulsel": 30, "bali": 30, "sumbagsel": 30, "properti": 15, "pop": 15, "hikmah": 20,
}
SECTIONS: dict[str, tuple[str, ...]] = {
    "news": ("berita", "internasional", "berita-jawa-barat", "kolom"),
    "finance": ("berita-ekonomi-bisnis", "bursa-dan-valas", "energi", "properti"),
    "hot": ("celeb", "music", "movie"),
    "sport": ("sepakbola/liga-inggris", "sepakbola/liga-indonesia", "aboutthegame", "raket", "moto-gp"),
    "oto": ("mobil", "motor"), "travel": ("travel-news", "domestic-destination"), "food": ("info-kuliner", "resep"),
    "health": ("berita-detikhealth", "gaya-hidup"), "wolipop": ("fashion", "wedding"),
}
DEFAULT_SECTIONS = ("berita", "info", "kabar")


class ChannelSite(Site):
    """One channel's generated articles: sitegen's, with ids of its own and its root in every URL."""

    def __init__(self, channel: Channel, position: int, channels: int, per_day: int, days: int,
                 last_day: date = LAST_DAY):
        super().__init__(per_day * days, per_day=per_day, last_day=last_day)
        self.channel = channel
        self.position, self.stride = position, channels
        self.sections = SECTIONS.get(channel.slug, DEFAULT_SECTIONS)
        random.Random(f"words:{channel.slug}").shuffle(self.words)
        self.root = channel.root.encode()
        self.only_below: str | None = None  # set on a sub-channel index's view (sub_index)

    # Ids of all channels interleave: channel k's article n is FIRST_ID + (n * channels + k) * 3 + 1.
    def article_id(self, number: int) -> int:
        return FIRST_ID + (number * self.stride + self.position) * 3 + 1

    def number_of(self, article_id: int) -> int | None:
        offset = article_id - FIRST_ID - 1
        if offset < 0 or offset % 3 or (offset // 3) % self.stride != self.position:
            return None
        number = offset // 3 // self.stride
        return number if number < self.n else None

    def article(self, number: int) -> GenArticle:
        article = super().article(number)
        return dataclasses.replace(article, section=self.sections[number % len(self.sections)])

    def article_url(self, number: int) -> str:
        return self.channel.root + self.article(number).path

    def article_urls(self) -> list[str]:
        return [self.article_url(n) for n in range(self.n)]

    def article_at(self, url: str) -> GenArticle | None:
        target = parse_url(url)
        if target is None or target.kind != "article" or target.channel != self.channel or target.article_id is None:
            return None
        number = self.number_of(target.article_id)
        if number is None:
            return None
        article = self.article(number)
        return article if self.article_url(number) == target.canonical and target.page == 1 else None

    def article_html(self, article: GenArticle) -> bytes:
        return super().article_html(article).replace(ORIGIN.encode(), self.root)

    def numbers_on(self, day: date):
        numbers = super().numbers_on(day)
        if self.only_below is None:
            return numbers
        return [n for n in numbers if self.sections[n % len(self.sections)].startswith(self.only_below + "/")
                or self.sections[n % len(self.sections)] == self.only_below]

    def index_html(self, day: date, page: int, index_path: str = "/indeks") -> bytes:
        html = super().index_html(day, page).replace(ORIGIN.encode(), self.root)
        return html if index_path == "/indeks" else html.replace(b"/indeks?", index_path.encode() + b"?")

    def sub_index(self, index_path: str) -> ChannelSite:
        """The view a sub-channel index (``/sepakbola/indeks``) lists: the articles below it."""
        view = copy.copy(self)
        view.only_below = index_path.strip("/").rsplit("/", 1)[0]
        return view


class Network:
    """Every channel's ChannelSite, in the declaration's order, over the same ``days`` days."""

    def __init__(self, days: int = 1, scale: float = 1.0, last_day: date = LAST_DAY):
        self.channels = DETIK.channels
        self.sites: dict[str, ChannelSite] = {}
        self.indexes: dict[tuple[str, str], ChannelSite] = {}  # (slug, index path) -> what it lists
        for position, channel in enumerate(self.channels):
            per_day = max(1, round(PER_DAY.get(channel.slug, 20) * scale))
            site = ChannelSite(channel, position, len(self.channels), per_day, days, last_day)
            site.templates  # noqa: B018 (built once, shared by the sub-index views)
            self.sites[channel.slug] = site
            for index_path in channel.index_paths:
                self.indexes[channel.slug, index_path] = site if index_path == channel.index_paths[0] \
                    else site.sub_index(index_path)
        first = next(iter(self.sites.values()))
        self.first_day, self.last_day, self.days = first.first_day, first.last_day, days

    @property
    def hosts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(channel.host for channel in self.channels))

    @property
    def articles(self) -> int:
        return sum(site.n for site in self.sites.values())

    def site_at(self, host: str, path: str) -> ChannelSite | None:
        """The channel serving ``path`` on ``host`` (on www.detik.com, the one whose prefix it is under)."""
        for site in self.sites.values():
            channel = site.channel
            if channel.host == host and (not channel.prefix or path == channel.prefix
                                         or path.startswith(channel.prefix + "/")):
                return site
        return None

    def index_pages(self) -> int:
        """Index pages a crawl of the whole range reads (every index path of every channel, every day)."""
        return sum(view.index_pages(day) for (slug, _), view in self.indexes.items()
                   for day in self.sites[slug].days())

    def article_ids(self) -> set[int]:
        return {site.article_id(n) for site in self.sites.values() for n in range(site.n)}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.networkgen", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--scale", type=float, default=1.0)
    args = parser.parse_args()
    network = Network(args.days, args.scale)
    for slug, site in network.sites.items():
        pages = sum(network.indexes[slug, path].index_pages(day) for path in site.channel.index_paths
                    for day in site.days())
        print(f"{slug:10s} {site.channel.root:32s} {site.n:6d} articles, {pages:4d} index pages, "
              f"e.g. {site.article_url(0)}")
    print(f"{len(network.sites)} channels on {len(network.hosts)} hosts, {network.articles} articles, "
          f"{network.index_pages()} index pages, since={network.first_day} until={network.last_day}; "
          f"{PAGE_SIZE} cards an index page")


if __name__ == "__main__":
    main()
