"""What the replica serves on one channel, computed from the saved pages in tests/fixtures/pages.

Nothing here is a list of fixtures to keep up to date: every ``<name>.html`` with a ``<name>.json``
beside it is picked up when a site map is built, served by the channel whose root (host and path
prefix, from newscrawl's site declaration) its URL lies under, and the index pages are laid out
from the fixtures' expected ``published_at``. Only the pages with a special part to play are named
(ROLES below, and network.py's BESIDE), and building the map fails loudly if one of them is missing.

A ``SiteMap`` is one channel's pages; ``build()`` makes detikInet's, with the roles below, and
network.py builds every other channel's the same way (``read_channel``, ``list_articles``) and puts
them together. What each channel serves (paths below its root, ``https://inet.detik.com`` here;
``https://www.detik.com/jabar`` for a channel under www.detik.com):

``/robots.txt`` (once per host)
    ``User-agent: *`` ``Allow: /`` plus the Googlebot rules and the ``Disallow: /`` blocks for
    ChatGPT-User, OpenAI, CCBot and GPTBot, as on the real site (detik-markup.md §5).
article pages
    An article fixture (``kind`` article) is served at the path of its expected item's ``url`` (the
    canonical URL). A fixture whose ``request_url`` ends in ``/<n>`` is page n of that article and
    is served at ``<canonical>/<n>``; one whose request_url has ``single=1`` is the all-pages view,
    served for ``<canonical>?single=1``. Any other query (tracking parameters) is ignored, as on the
    real site, and so is ``single=1`` on an article without an all-pages fixture (page 1 is served).
    When two fixtures claim one URL (seed-2018-layout2017 and seed-2018-layout2020s render the same
    article in two layouts) the first by name is served and the other is left out.
galleries, videos
    Fixtures of kind gallery/video are served at the path of their request_url.
``/indeks?date=MM/DD/YYYY`` and ``/indeks?page=N&date=MM/DD/YYYY``
    (also ``/indeks/<N>?date=…`` and ``%2F`` in the date) the 2020s index markup of §4.1, PAGE_SIZE
    cards a page, newest first, with ``div.pagination`` links while more pages follow. Each article
    fixture is listed on the WIB day of its expected ``published_at`` with ``d-time`` = that time.
    Every index page also has a "Terpopuler" box (``div.box.cb-mostpop`` holding a
    ``div.list-content``, like the real boxes) linking to an out-of-range article (``popular``)
    without a ``d-time``: only its ``cb-`` ancestry keeps a crawler from following it.
    A channel with more index paths (detikSport's ``/sepakbola/indeks``, ``/aboutthegame/indeks``)
    serves them alike, each listing the cards of the channel's index whose URL lies below that
    sub-channel (``/sepakbola/...``).
the busy day (detikInet)
    The WIB day of the multi-page article (ROLES["multipage"]) additionally lists: every undated
    article fixture (``d-time`` = that day, 12:00 WIB), every gallery and video fixture, a video on
    20.detik.com, an article of detikNews (OTHER_CHANNEL_URL, served by the news channel), the gone
    article (GONE_PATH, 404) and, on its last page, the multi-page article again with
    ``?utm_source=x&tag_from=y``.
special answers (detikInet)
    ROLES["retry_once"]: its article page answers 503 with ``Retry-After: 0`` the first time it is
    asked for, 200 after. ROLES["legacy_linked"]: its index card links to its legacy
    ``/read/YYYY/MM/DD/HHMMSS/<id>/398/<slug>`` URL, which answers 301 to the canonical d- URL.
    ROLES["related_host"]: its "Berita Terkait" box gets one more card, linking to
    ROLES["out_of_range"] (an article published outside CRAWL_RANGE, served like any other).
    GONE_PATH answers 404.
``/rss`` (each of the channel's declared rss_paths; a channel that declares none answers 404)
    RSS 2.0 with every article (and gallery/video) the channel serves, newest first, ``pubDate`` in GMT.

CRAWL_RANGE is the since/until of the end-to-end tests: it holds the busy day and the role pages.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from newscrawl.sites import Channel
from newscrawl.sites.detik import DETIK

INET: Channel = DETIK.channel("inet")
HOST = INET.host
ORIGIN = INET.root
PAGES_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "pages"
WIB = timezone(timedelta(hours=7))
PAGE_SIZE = 3

# Fixtures with a part to play (by file name without extension).
ROLES = {
    "multipage": "multipage-p1",  # its day is the busy day
    "retry_once": "no-lead-image",  # 503 once, then 200
    "legacy_linked": "date-okt-padded",  # listed by its legacy /read/ URL, which redirects
    "related_host": "caption-no-credit",  # its Berita Terkait box links to the out-of-range article
    "out_of_range": "detikinet-2022-12-10-d-6453192",  # published outside CRAWL_RANGE
}
CRAWL_RANGE = (date(2023, 10, 1), date(2023, 12, 31))

GONE_PATH = "/cyberlife/d-7010001/artikel-ini-sudah-dihapus-redaksi"
LEGACY_KANAL = 398
# An article of detikNews (news-credit-only-cross-channel-related), listed on detikInet's busy day:
# `detikinet` counts it as another channel's, `detik` fetches it (once) and stores it under news.
OTHER_CHANNEL_URL = "https://news.detik.com/internasional/d-7006871/jepang-uji-coba-kereta-tanpa-masinis-di-jalur-pedesaan"
VIDEO_20DETIK_URL = "https://20.detik.com/detikupdate/20231012-231012071/video-penampakan-gerhana-dari-amerika"
TRACKING_QUERY = "utm_source=x&tag_from=y"
PLACEHOLDER_IMAGE = "https://akcdn.detik.net.id/community/media/visual/2023/10/12/placeholder_169.jpeg"

_DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")


def attr(text: str) -> str:
    """Escape for an HTML attribute or text node, apostrophes as detik writes them (&#039;)."""
    return html.escape(text, quote=True).replace("&#x27;", "&#039;")


def wib_label(moment: datetime) -> str:
    """'Kamis, 12 Okt 2023 15:47 WIB', the form of the index's date spans."""
    local = moment.astimezone(WIB)
    return f"{_DAYS[local.weekday()]}, {local.day:02d} {_MONTHS[local.month - 1]} {local.year} {local:%H:%M} WIB"


def under(url: str, root: str) -> bool:
    """Whether ``url`` lies below ``root`` (``https://host`` or ``https://host/prefix``), scheme aside."""
    parts, base = urlsplit(url), urlsplit(root)
    if (parts.hostname or "").lower() != base.hostname:
        return False
    prefix = base.path.rstrip("/")
    return not prefix or parts.path == prefix or parts.path.startswith(prefix + "/")


@dataclass(frozen=True)
class Card:
    """One card of an index page."""

    url: str
    title: str
    d_time: int
    image: str = PLACEHOLDER_IMAGE
    # What it links: "article" (of ``channel``, maybe another channel's), "gallery", "video", or
    # "other" (a page of another site).
    kind: str = "article"
    channel: str | None = None  # the slug of the channel an article card's article belongs to


@dataclass
class Article:
    """An article the replica serves, with what a crawl of it must store."""

    url: str  # canonical
    article_id: int
    item: dict  # expected stored item: the all-pages view's if there is one, else page 1's
    published: datetime | None
    pages: dict[int, str] = field(default_factory=dict)  # page number -> fixture name
    single: str | None = None  # fixture name of the ?single=1 view
    pages_in_nav: int = 1  # as the page-1 fixture says
    day: date | None = None  # the index day listing it
    link: str = ""  # the href of its index card

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def channel(self) -> str:
        return self.item["channel"]

    @property
    def fetch_urls(self) -> list[str]:
        """The article URLs a crawl should ask for: page 1, and the all-pages view of a multi-page one."""
        urls = [self.url]
        if self.pages_in_nav > 1:
            urls.append(f"{self.url}?single=1")
        return urls


@dataclass
class SiteMap:
    """One channel's pages. Paths are the full paths on the channel's host (its prefix included)."""

    pages: dict[tuple[str, bool], str]  # (path, single view) -> fixture name
    articles: dict[str, Article]  # canonical URL -> article
    others: dict[str, str]  # gallery/video URL -> fixture name
    days: dict[date, list[Card]]  # the cards of the channel's (first) index, by day
    redirects: dict[str, str]  # path -> Location
    gone: set[str]
    retry_once: set[str]  # paths answering 503 the first time
    related_card_for: dict[str, Article]  # fixture name -> article its Berita Terkait box links to
    busy_day: date
    pages_dir: Path = PAGES_DIR
    left_out: list[str] = field(default_factory=list)  # fixtures not served, with why
    channel: Channel = INET
    sub_days: dict[str, dict[date, list[Card]]] = field(default_factory=dict)  # other index paths' cards
    popular: Article | None = None  # what the Terpopuler box of every index page links to

    # -- where things are ------------------------------------------------------------------------
    @property
    def root(self) -> str:
        return self.channel.root

    @property
    def robots_url(self) -> str:
        return f"https://{self.channel.host}/robots.txt"

    @property
    def rss_urls(self) -> list[str]:
        return [f"{self.root}{path}" for path in self.channel.rss_paths]

    def index_url(self, day: date, page: int = 1, index_path: str | None = None) -> str:
        return channel_index_url(self.channel, index_path or self.channel.index_paths[0], day, page)

    def listing(self, index_path: str | None = None) -> dict[date, list[Card]]:
        """The cards of one of the channel's index paths (default: its first), by day."""
        if index_path is None or index_path == self.channel.index_paths[0]:
            return self.days
        return self.sub_days.get(index_path, {})

    # -- what a crawl of a range must do -----------------------------------------------------------
    def articles_listed(self, since: date, until: date) -> list[Article]:
        return sorted((a for a in self.articles.values() if a.day and since <= a.day <= until),
                      key=lambda a: a.article_id)

    def index_page_count(self, day: date, index_path: str | None = None) -> int:
        return max(1, -(-len(self.listing(index_path).get(day, [])) // PAGE_SIZE))

    def index_urls(self, since: date, until: date) -> list[str]:
        """Every index page of these days, of every index path of the channel."""
        urls = []
        day = since
        while day <= until:
            for index_path in self.channel.index_paths:
                for page in range(1, self.index_page_count(day, index_path) + 1):
                    urls.append(self.index_url(day, page, index_path))
            day += timedelta(days=1)
        return urls

    def cards_listed(self, since: date, until: date) -> list[Card]:
        """Every card of every index page of these days (a card listed by two index paths twice)."""
        return [card for index_path in self.channel.index_paths
                for day, cards in sorted(self.listing(index_path).items()) if since <= day <= until
                for card in cards]

    def role(self, name: str) -> Article:
        """The served article that plays ROLES[name]."""
        fixture = ROLES[name]
        return self.article_of(fixture, f"role {name!r}")

    def article_of(self, fixture: str, wanted_as: str = "") -> Article:
        """The served article whose page 1 (or all-pages view) is that fixture."""
        for article in self.articles.values():
            if fixture in (article.pages.get(1), article.single):
                return article
        raise KeyError(f"replica: {wanted_as or fixture} needs fixture {fixture!r} served as an article "
                       f"of {self.channel.label}")

    def fixture(self, name: str) -> tuple[dict, bytes]:
        """A fixture's expected JSON and its saved page."""
        expected = json.loads((self.pages_dir / f"{name}.json").read_text(encoding="utf-8"))
        return expected, (self.pages_dir / f"{name}.html").read_bytes()


def channel_index_url(channel: Channel, index_path: str, day: date, page: int = 1) -> str:
    query = f"date={day:%m/%d/%Y}"
    base = f"{channel.root}{index_path}"
    return f"{base}?{query}" if page <= 1 else f"{base}?page={page}&{query}"


def index_url(day: date, page: int = 1) -> str:
    """detikInet's index of a day (result page ``page``)."""
    return channel_index_url(INET, INET.index_paths[0], day, page)


def legacy_url(article: Article) -> str:
    local = article.published.astimezone(WIB)
    slug = article.path.rstrip("/").rsplit("/", 1)[-1]
    return f"{ORIGIN}/read/{local:%Y/%m/%d/%H%M%S}/{article.article_id}/{LEGACY_KANAL}/{slug}"


def title_of(page_html: bytes) -> str:
    match = re.search(rb"<h1[^>]*>(.*?)</h1>", page_html, re.S) or re.search(rb"<title>(.*?)</title>", page_html, re.S)
    text = re.sub(r"<[^>]+>", "", match.group(1).decode("utf-8", "replace")) if match else "detik"
    return " ".join(html.unescape(text).split())


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def read_channel(channel: Channel, pages_dir: Path = PAGES_DIR) -> SiteMap:
    """The pages of ``channel`` among the fixtures, not yet laid out on index days (busy_day unset)."""
    pages: dict[tuple[str, bool], str] = {}
    articles: dict[str, Article] = {}
    others: dict[str, str] = {}
    left_out: list[str] = []
    for json_path in sorted(pages_dir.glob("*.json")):
        name = json_path.stem
        if not json_path.with_suffix(".html").exists():
            continue  # e.g. multipage-merged.json: an expected merge, no page of its own
        expected = json.loads(json_path.read_text(encoding="utf-8"))
        request = urlsplit(expected["request_url"])
        single = "1" in parse_qs(request.query).get("single", [])
        if expected.get("kind") == "article":
            item = expected["item"]
            if not under(item["url"], channel.root):
                left_out.append(f"{name}: canonical URL not under {channel.root}")
                continue
            # The live site serves few pages no known layout reads. Only detikInet's replica has enough
            # articles to serve one and stay under the run's fallback limit (NEWSCRAWL_MAX_FALLBACK_SHARE).
            if item["layout"] == "fallback" and channel.slug != "inet":
                left_out.append(f"{name}: read by the fallback; {channel.slug} would fail the run's layout check")
                continue
            canonical = urlsplit(item["url"])
            rest = request.path[len(canonical.path):].strip("/") if request.path.startswith(canonical.path) else ""
            page = int(rest) if rest.isdigit() else 1
            key = (canonical.path if page == 1 else f"{canonical.path}/{page}", single)
            if key in pages:
                left_out.append(f"{name}: {key[0]} already served from {pages[key]}")
                continue
            pages[key] = name
            article = articles.setdefault(item["url"], Article(
                url=item["url"], article_id=item["article_id"], item=item,
                published=datetime.fromisoformat(item["published_at"]) if item["published_at"] else None))
            if single:
                article.single, article.item = name, item
            else:
                article.pages[page] = name
                if page == 1:
                    article.pages_in_nav = expected.get("pages_in_nav", 1)
                    if article.single is None:
                        article.item = item
        elif expected.get("kind") in ("gallery", "video") and under(expected["request_url"], channel.root):
            key = (request.path, False)
            if key in pages:
                left_out.append(f"{name}: {request.path} already served from {pages[key]}")
                continue
            pages[key] = name
            others[f"https://{channel.host}{request.path}"] = name
        elif expected.get("kind") in ("gallery", "video"):
            left_out.append(f"{name}: request URL not under {channel.root}")
        else:
            left_out.append(f"{name}: kind {expected.get('kind')!r} is not linked or served")
    for url, article in list(articles.items()):
        if 1 not in article.pages:
            left_out.append(f"{article.single}: no page 1 for {url}")
            del articles[url]
    return SiteMap(pages=pages, articles=articles, others=others, days={}, redirects={}, gone=set(),
                   retry_once=set(), related_card_for={}, busy_day=date.min, pages_dir=pages_dir,
                   left_out=left_out, channel=channel)


def build(pages_dir: Path = PAGES_DIR) -> SiteMap:
    """detikInet's site map, with its roles and its busy day."""
    missing = [name for name in ROLES.values() if not (pages_dir / f"{name}.html").exists()]
    if missing:
        raise RuntimeError(f"replica: role fixtures missing from {pages_dir}: {', '.join(missing)}")
    site = read_channel(INET, pages_dir)
    site.gone.add(GONE_PATH)
    multipage = site.role("multipage")
    site.busy_day = multipage.published.astimezone(WIB).date()
    legacy = site.role("legacy_linked")
    legacy.link = legacy_url(legacy)
    site.redirects[urlsplit(legacy.link).path] = legacy.url
    site.retry_once.add(site.role("retry_once").path)
    site.related_card_for[ROLES["related_host"]] = site.role("out_of_range")
    site.popular = site.role("out_of_range")
    _lay_out_index(site)
    return site


def list_articles(site: SiteMap) -> dict[date, list[Card]]:
    """Each article on the WIB day of its publication (an undated one on the busy day, at noon)."""
    busy_noon = datetime.combine(site.busy_day, time(12, 0), tzinfo=WIB)
    listed: dict[date, list[Card]] = {}
    for article in site.articles.values():
        article.link = article.link or article.url
        when = article.published or busy_noon
        article.day = when.astimezone(WIB).date()
        first = site.pages[(article.path, False)]
        image = article.item.get("image_url") or PLACEHOLDER_IMAGE
        listed.setdefault(article.day, []).append(
            Card(article.link, article.item["headline"] or title_of(site.fixture(first)[1]), epoch(when), image,
                 channel=site.channel.slug))
    return listed


def sort_cards(listed: dict[date, list[Card]]) -> None:
    for cards in listed.values():
        cards.sort(key=lambda card: (-card.d_time, card.url))


def _lay_out_index(site: SiteMap) -> None:
    busy_noon = datetime.combine(site.busy_day, time(12, 0), tzinfo=WIB)
    listed = list_articles(site)
    # The busy day's extra cards: things a crawler must count but never fetch, and one 404.
    extras = [Card(url, title_of(site.fixture(name)[1]), epoch(busy_noon - timedelta(hours=1 + n)),
                   kind=site.fixture(name)[0]["kind"])
              for n, (url, name) in enumerate(sorted(site.others.items()))]
    extras += [
        Card(VIDEO_20DETIK_URL, "Video: Penampakan Gerhana dari Amerika", epoch(busy_noon + timedelta(hours=2)),
             kind="video"),
        Card(OTHER_CHANNEL_URL, "Jepang Uji Coba Kereta Tanpa Masinis di Jalur Pedesaan",
             epoch(busy_noon + timedelta(hours=3)), channel="news"),
        Card(f"{ORIGIN}{GONE_PATH}", "Artikel Ini Sudah Dihapus Redaksi", epoch(busy_noon - timedelta(hours=4)),
             channel=INET.slug),
    ]
    busy = listed.setdefault(site.busy_day, [])
    busy.extend(extras)
    sort_cards(listed)
    multipage = site.role("multipage")
    original = next(card for card in busy if card.url == multipage.link)
    duplicate = Card(f"{multipage.link}?{TRACKING_QUERY}", original.title, original.d_time, original.image,
                     channel=INET.slug)
    busy.append(duplicate)  # last card of the last page
    site.days = listed
