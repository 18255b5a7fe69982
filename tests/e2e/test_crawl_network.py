"""The real `scrapy crawl detik` (every channel), a channel spider and `-a channels=` against the loopback
replica of the whole detik network (tests/replica/network.py).

Expected values come from the replica's network map, computed from the saved pages and their expected
items: a crawl of a range must store exactly the articles that the run's channels list on those days'
index pages, each once and under its own channel however many channels list it, ask for every index
page of every index path of every channel of the run, and for nothing of galleries, videos or other
sites. The range is the span of every channel's articles in CRAWL_RANGE.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from newscrawl import settings as project_settings
from newscrawl.items import ARTICLE_FIELDS
from newscrawl.storage import open_database
from tests.replica import CRAWL_RANGE, NetworkMap
from tests.replica.sitemap import OTHER_CHANNEL_URL, WIB, Article

from .conftest import Run, run_crawl

COMPARED = [name for name in ARTICLE_FIELDS if name != "fetched_at"]
TIMEOUT = 180


def network_span(network: NetworkMap) -> tuple[date, date]:
    """From the first to the last day listing an article of any channel in CRAWL_RANGE."""
    days = [article.day for article in network.articles_listed(*CRAWL_RANGE)]
    return min(days), max(days)


def shown(counts: Counter) -> str:
    """As the run summary shows counts: 'gallery 6, other 1, video 5', or 'none'."""
    return ", ".join(f"{key} {count}" for key, count in sorted(counts.items()) if count) or "none"


@dataclass(frozen=True)
class Plan:
    """What a crawl of ``channels`` (None: every channel) over since..until must do, read from the network map."""

    network: NetworkMap
    since: date
    until: date
    channels: tuple[str, ...] | None = None

    @property
    def sites(self):
        return self.network.selected(self.channels)

    @property
    def slugs(self) -> set[str]:
        return {site.channel.slug for site in self.sites}

    @property
    def hosts(self) -> set[str]:
        return {site.channel.host for site in self.sites}

    @property
    def arguments(self) -> tuple[str, ...]:
        chosen = ("-a", f"channels={','.join(self.channels)}") if self.channels else ()
        return ("-a", f"since={self.since}", "-a", f"until={self.until}", *chosen)

    def cards(self):
        """(listing channel, card) of every card of every index page the crawl reads."""
        return [(site.channel.slug, card) for site in self.sites for card in site.cards_listed(self.since, self.until)]

    def gone(self) -> set[str]:
        return {f"https://{site.channel.host}{path}" for site in self.sites for path in site.gone}

    def articles(self) -> list[Article]:
        """What the crawl must store: the run's channels' articles listed on its days, and those that another
        channel of the run lists there (cross-channel cards), each once."""
        listed = self.network.articles_listed(self.since, self.until, self.channels)
        found = {article.url: article for article in listed}
        for _, card in self.cards():
            target = self.network.article(card.url)
            if card.kind == "article" and card.channel in self.slugs and target is not None:
                found.setdefault(target.url, target)
        return sorted(found.values(), key=lambda article: article.article_id)

    def items(self) -> dict[int, dict]:
        return {article.article_id: article.item for article in self.articles()}

    def index_urls(self) -> list[str]:
        return self.network.index_urls(self.since, self.until, self.channels)

    def gets(self) -> Counter:
        """Every URL the first crawl must GET, with how often: robots.txt of each host, each index page,
        each article page once (the 503-once page twice), its all-pages view, a legacy link that redirects,
        and a gone article."""
        expected = Counter(self.network.robots_urls(self.channels))
        expected.update(self.index_urls())
        for article in self.articles():
            expected.update(article.fetch_urls)
            if article.link != article.url:
                expected[article.link] += 1
        for site in self.sites:
            expected.update(article.url for article in site.articles.values()
                            if article.path in site.retry_once and article.url in expected)
        expected.update(self.gone() & {card.url for _, card in self.cards()})
        return expected

    def article_pages(self) -> int:
        return sum(len(article.fetch_urls) for article in self.articles())

    def skipped(self, stored: bool = False) -> Counter:
        """The links not followed: galleries, videos, other sites and channels outside the run; with
        ``stored`` (a second run), every article card too, as already stored or gone."""
        counts = Counter()
        for _, card in self.cards():
            if card.kind in ("gallery", "video"):
                counts[card.kind] += 1
            elif card.kind == "other" or card.channel not in self.slugs:
                counts["other"] += 1
            elif stored:
                counts["gone" if card.url in self.gone() else "already_stored"] += 1
        return counts

    def summary_channels(self) -> str:
        return shown(Counter(item["channel"] for item in self.items().values()))


def read_database(run: Run) -> dict:
    """What the crawl left in its SQLite database, read right after it (later runs add to it)."""
    database = open_database(f"sqlite:///{run.database}", migrate_schema=False)
    try:
        records = list(database.iter_articles())
    finally:
        database.close()
    return {
        "records": records,
        "by_id": {record["article_id"]: record for record in records},
        "rows": run.sql("SELECT publisher, article_id, url, current_revision, revision_count FROM articles "
                        "ORDER BY article_id"),
        "revisions": run.sql("SELECT article_id, revision, reason FROM article_revisions ORDER BY article_id"),
        "runs": run.sql("SELECT kind, outcome, arguments FROM crawl_runs ORDER BY id"),
    }


def crawl(replica, workdir, arguments: tuple[str, ...], spider: str = "detik") -> Run:
    run = run_crawl(replica, workdir, *arguments, spider=spider, timeout=TIMEOUT)
    run.db = read_database(run) if run.database.exists() else None
    return run


def log_errors(run: Run) -> list[str]:
    return [line for line in run.stderr.splitlines() if "] ERROR:" in line or line.startswith("Traceback")]


def assert_stored_exactly(run: Run, plan: Plan) -> None:
    expected = plan.items()
    stored = run.db["by_id"]
    assert sorted(stored) == sorted(expected)
    for article_id, item in expected.items():
        record = stored[article_id]
        assert list(record) == list(ARTICLE_FIELDS)
        for name in COMPARED:
            assert record[name] == item[name], f"article {article_id} ({item['channel']}), field {name!r}"
        fetched = datetime.fromisoformat(record["fetched_at"])
        assert fetched.utcoffset().total_seconds() == 0
        assert run.started - 2 <= fetched.timestamp() <= run.finished + 2


def assert_asked_only_its_hosts(run: Run, plan: Plan) -> None:
    connects = [request for request in run.requests if request.method != "GET"]
    assert {(r.method, r.url, r.status) for r in connects} == {("CONNECT", f"{host}:443", 200) for host in plan.hosts}
    assert {request.via for request in run.gets} == {"tunnel"}
    # robots.txt is each host's first request.
    first = {}
    for request in run.gets:
        first.setdefault(urlsplit(request.url).hostname, request.url)
    assert first == {host: f"https://{host}/robots.txt" for host in plan.hosts}


@pytest.fixture(scope="module")
def network(replica) -> NetworkMap:
    return replica.network


@pytest.fixture(scope="module")
def plan(network) -> Plan:
    return Plan(network, *network_span(network))


@pytest.fixture(scope="module")
def network_run(replica, tmp_path_factory, plan):
    return crawl(replica, tmp_path_factory.mktemp("network"), plan.arguments)


@pytest.fixture(scope="module")
def second_network_run(replica, network_run, plan):
    jsonl_before = {path.name: path.read_bytes() for path in network_run.jsonl_files()}
    run = crawl(replica, network_run.workdir, plan.arguments)
    run.jsonl_before = jsonl_before
    return run


# -- the range ------------------------------------------------------------------------------------------
def test_the_range_holds_every_channels_articles_and_the_cross_channel_cards(plan):
    """Guards the tests below."""
    network = plan.network
    assert CRAWL_RANGE[0] <= plan.since <= plan.until <= CRAWL_RANGE[1]
    assert {article.channel for article in plan.articles()} == set(network.sites)  # every channel has some
    assert plan.articles() == network.articles_listed(*CRAWL_RANGE)
    for site in network.sites.values():
        assert plan.since <= site.busy_day <= plan.until, site.channel.slug
    cross = [(slug, card) for slug, card in plan.cards() if card.kind == "article" and card.channel != slug]
    pairs = {(slug, card.channel) for slug, card in cross}  # (listing channel, the article's channel)
    # What the channel spider and channels= tests count: sport lists a news article, news a travel
    # one, travel one of a channel outside news and travel.
    assert {("sport", "news"), ("news", "travel")} <= pairs
    assert {target for slug, target in pairs if slug == "travel"} - {"news", "travel"}
    assert OTHER_CHANNEL_URL in {card.url for _, card in cross}
    # Fewer articles than a store batch: none is in the database before the run ends, so a second card
    # of an article is dropped by the scheduler's duplicate filter, never counted as already stored.
    assert len(plan.articles()) < project_settings.NEWSCRAWL_STORE_BATCH_SIZE


# -- scrapy crawl detik: every channel --------------------------------------------------------------------
def test_network_run_exits_0_with_the_expected_summary(network_run, plan):
    assert network_run.returncode == 0, network_run.stderr[-3000:]
    summary = network_run.summary()
    assert summary["pages fetched"] == f"article {plan.article_pages()}, index {len(plan.index_urls())}"
    assert summary["articles"] == f"new {len(plan.articles())}"
    assert summary["dropped"] == "none"
    assert summary["non-article pages"] == "none"
    assert summary["links not followed"] == shown(plan.skipped())
    assert summary["errors by status"] == "404 1"
    assert summary["layouts"] == shown(Counter(item["layout"] for item in plan.items().values()))
    assert summary["channels"] == plan.summary_channels()
    assert summary["outcome"] == "ok"


def test_network_run_logs_no_error(network_run):
    assert log_errors(network_run) == []


def test_network_run_stores_every_channels_articles_exactly(network_run, plan):
    assert_stored_exactly(network_run, plan)


def test_network_run_stores_each_article_once_under_its_own_channel(network_run, plan):
    expected = plan.items()
    rows = network_run.db["rows"]
    assert [row[:3] for row in rows] == [("detik", id_, expected[id_]["url"]) for id_ in sorted(expected)]
    assert all(row[3:] == (1, 1) for row in rows), rows
    assert network_run.db["revisions"] == [(article_id, 1, "crawl") for article_id in sorted(expected)]
    stored = network_run.db["by_id"]
    for site in plan.sites:  # each channel's articles under that channel, whoever else lists them
        for article in site.articles_listed(plan.since, plan.until):
            assert stored[article.article_id]["channel"] == site.channel.slug
    ((kind, outcome, arguments),) = network_run.db["runs"]
    assert (kind, outcome) == ("crawl", "ok")
    assert json.loads(arguments) == {"since": str(plan.since), "until": str(plan.until)}
    records = network_run.jsonl_records()
    assert sorted(record["article_id"] for record in records) == sorted(expected)
    for record in records:
        item = expected[record["article_id"]]
        assert {name: record[name] for name in COMPARED} == {name: item[name] for name in COMPARED}


def test_network_run_requests(network_run, plan):
    assert_asked_only_its_hosts(network_run, plan)
    asked = Counter(request.url for request in network_run.gets)
    assert asked == plan.gets()

    # Listed by detikInet, detikSport and detikNews itself; fetched once.
    assert asked[OTHER_CHANNEL_URL] == 1
    never = {card.url for _, card in plan.cards() if card.kind != "article"}
    never |= {site.popular.url for site in plan.sites}  # Terpopuler boxes, out of range
    assert {"gallery", "video", "other"} <= {card.kind for _, card in plan.cards()}
    assert not never & set(asked)
    assert {urlsplit(url).hostname for url in asked} == plan.hosts
    statuses = Counter(request.status for request in network_run.gets)
    assert statuses == Counter({200: sum(asked.values()) - 3, 301: 1, 404: 1, 503: 1})

    order = {request.url: request.order for request in network_run.gets}
    for slug in ("news", "sport"):  # the busy days that paginate, in order
        site = plan.network[slug]
        pages = [site.index_url(site.busy_day, page) for page in range(1, site.index_page_count(site.busy_day) + 1)]
        assert len(pages) >= 2 and [order[url] for url in pages] == sorted(order[url] for url in pages)


# -- a second run of the same range: everything is stored -----------------------------------------------
def test_second_network_run_fetches_no_article_page(second_network_run, network_run, plan):
    run = second_network_run
    assert run.returncode == 0, run.stderr[-3000:]
    assert_asked_only_its_hosts(run, plan)
    assert Counter(request.url for request in run.gets) == Counter([*plan.network.robots_urls(), *plan.index_urls()])
    summary = run.summary()
    assert summary["pages fetched"] == f"index {len(plan.index_urls())}"
    assert summary["articles"] == "none"
    assert summary["links not followed"] == shown(plan.skipped(stored=True))
    assert summary["outcome"] == "ok"
    assert run.db["records"] == network_run.db["records"]
    assert run.db["revisions"] == network_run.db["revisions"]
    assert {path.name: path.read_bytes() for path in run.jsonl_files()} == run.jsonl_before


# -- one channel's spider -------------------------------------------------------------------------------
def test_a_channel_spider_crawls_its_channel_alone(replica, tmp_path, plan):
    """detikSport: three index paths, two-segment sections; the detikNews article its index lists is
    another channel's, counted as ``other`` and not fetched."""
    sport = Plan(plan.network, plan.since, plan.until, ("sport",))
    run = crawl(replica, tmp_path, plan.arguments, spider="detiksport")
    assert run.returncode == 0, run.stderr[-3000:]
    assert_asked_only_its_hosts(run, sport)
    assert Counter(request.url for request in run.gets) == sport.gets()
    assert {"/indeks", "/sepakbola/indeks", "/aboutthegame/indeks"} == {
        urlsplit(url).path for url in sport.index_urls()}
    assert_stored_exactly(run, sport)
    assert {item["section_path"] for item in sport.items().values()} == {"sepakbola/liga-inggris"}
    summary = run.summary()
    assert summary["pages fetched"] == f"article {sport.article_pages()}, index {len(sport.index_urls())}"
    skipped = sport.skipped()
    assert skipped["other"] == 1 and skipped["gallery"] == 2  # the news card; a gallery on two indexes
    assert summary["links not followed"] == shown(skipped)
    assert summary["channels"] == "sport 1"
    assert summary["outcome"] == "ok"


# -- -a channels= -----------------------------------------------------------------------------------------
def test_the_channels_argument_chooses_the_channels(replica, tmp_path, plan):
    """news and travel: only their hosts and indexes are asked for; detikNews's card of the travel
    article is followed (fetched once), detikTravel's card of a jabar article is ``other``."""
    chosen = Plan(plan.network, plan.since, plan.until, ("news", "travel"))
    run = crawl(replica, tmp_path, chosen.arguments)
    assert run.returncode == 0, run.stderr[-3000:]
    assert_asked_only_its_hosts(run, chosen)
    asked = Counter(request.url for request in run.gets)
    assert asked == chosen.gets()
    assert chosen.hosts == {"news.detik.com", "travel.detik.com"}
    assert_stored_exactly(run, chosen)
    summary = run.summary()
    assert summary["channels"] == chosen.summary_channels() == "news 1, travel 1"
    assert summary["links not followed"] == shown(chosen.skipped())
    assert chosen.skipped()["other"] == 2  # a page of another site, and the jabar article
    assert summary["outcome"] == "ok"
    ((kind, outcome, arguments),) = run.db["runs"]
    assert (kind, outcome, json.loads(arguments)["channels"]) == ("crawl", "ok", "news,travel")


# -- the scheduled run: no arguments ----------------------------------------------------------------------
def test_a_run_without_arguments_reads_every_channels_feed(replica, tmp_path, network):
    """Yesterday and today (WIB) of every index path, and every declared RSS feed: every article of a
    channel with a feed is stored; a channel without one is read from its index alone."""
    days_before = {datetime.now(WIB).date()}
    run = crawl(replica, tmp_path, ())
    days_after = {datetime.now(WIB).date()}
    assert run.returncode == 0, run.stderr[-3000:]
    asked = Counter(request.url for request in run.gets)
    inet = network["inet"]
    # The run's today: the later of the two days around its start that it asked for (midnight may pass).
    today = max(day for day in days_before | days_after if inet.index_url(day) in asked)
    expected = Counter([*network.robots_urls(), *network.rss_urls()])
    expected.update(network.index_urls(today - timedelta(days=1), today))
    with_feed = [site for site in network.sites.values() if site.channel.rss_paths]
    articles = [article for site in with_feed for article in site.articles.values()]
    for article in articles:
        expected.update(article.fetch_urls)
    expected[inet.role("retry_once").url] += 1
    assert asked == expected
    assert {site.channel.slug for site in network.sites.values()} - {site.channel.slug for site in with_feed} == {
        "jabar", "sumut", "bali", "sumbagsel", "pop", "hikmah"}

    stored = run.db["by_id"]
    assert sorted(stored) == sorted(article.article_id for article in articles)
    for article in articles:
        for name in COMPARED:
            assert stored[article.article_id][name] == article.item[name], (article.article_id, name)
    summary = run.summary()
    index_pages = len(network.index_urls(today - timedelta(days=1), today))
    pages = sum(len(article.fetch_urls) for article in articles)
    assert summary["pages fetched"] == f"article {pages}, index {index_pages}, rss {len(network.rss_urls())}"
    feeds_others = Counter(site.fixture(name)[0]["kind"] for site in with_feed for name in site.others.values())
    assert summary["links not followed"] == shown(feeds_others)
    assert summary["outcome"] == "ok"
