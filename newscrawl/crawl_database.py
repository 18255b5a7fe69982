"""The crawl's database: one service per crawler, shared by the spider and the pipelines.

``CrawlDatabase`` is an extension (EXTENSIONS). The store pipeline opens it when the spider opens,
which records the run in ``crawl_runs``; the spider asks it which articles need no fetch
(``stored_articles``), the dedupe and store pipelines read and write through its ``database``, and
RunSummary records the run's outcome in it and closes it once everything else has closed
(engine_stopped). Components find it with
``CrawlDatabase.of(crawler)`` (Scrapy's ``crawler.get_extension``), never through spider attributes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from .masking import mask_secrets
from .storage import Database, open_database, resolve_database_url

logger = logging.getLogger(__name__)


class StoredArticles:
    """What the spider may ask of, and tell, the archive about articles it meets."""

    def __init__(self, database):
        self.database = database
        # Articles a skip lookup found neither stored nor gone, until the dedupe pipeline takes them.
        self.found_unstored: set[int] = set()

    def reasons_to_skip(self, article_ids: Iterable[int], young_since: datetime) -> dict[int, str]:
        """Those of these articles that need no fetch, each with why: 'already_stored' (and not
        published since ``young_since``) or 'gone' (404/410 before). Two queries for any number of
        ids, so an index page asks once for all its cards."""
        ids = list(dict.fromkeys(article_ids))
        known = self.database.known_articles(ids)
        reasons = {
            article_id: "already_stored"
            for article_id, published in known.items()
            if published is None or datetime.fromisoformat(published) < young_since
        }
        # A stored article is never 'gone': a young one is fetched again even after a 404.
        unknown = [article_id for article_id in ids if article_id not in known]
        gone = self.database.gone_articles(unknown)
        reasons.update(dict.fromkeys(gone, "gone"))
        self.found_unstored.update(article_id for article_id in unknown if article_id not in gone)
        return reasons

    def take_found_unstored(self, article_id: int) -> bool:
        """Whether a skip lookup of this run found the article not stored; answered once per article.

        The dedupe pipeline then has no stored version to compare with and skips its query. Should
        another process store the article meanwhile, the store's upsert still sorts it out.
        """
        if article_id in self.found_unstored:
            self.found_unstored.discard(article_id)
            return True
        return False

    def record_gone(self, article_id: int, url: str, status: int) -> None:
        self.database.mark_gone(article_id, url, status)


class CrawlDatabase:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.url = resolve_database_url(crawler.settings.get("NEWSCRAWL_DATABASE_URL"))
        self.database: Database | None = None
        self.stored_articles: StoredArticles | None = None
        self.run_id: int | None = None

    @classmethod
    def from_crawler(cls, crawler) -> "CrawlDatabase":
        return cls(crawler)

    @classmethod
    def of(cls, crawler) -> "CrawlDatabase | None":
        """The crawler's service, or None when it is not in EXTENSIONS."""
        return crawler.get_extension(cls)

    def open(self, spider=None) -> Database:
        """Connect and record the run; later calls return the same database. Unreachable databases
        are refused by the crawl command before crawling; this raise covers programmatic runs."""
        if self.database is not None:
            return self.database
        database = open_database(self.url)
        plan = getattr(spider, "plan", None)
        self.run_id = database.start_run("crawl", dict(plan.arguments) if plan else {})
        self.database = database
        self.stored_articles = StoredArticles(database)
        lock = getattr(self.crawler, "run_lock", None)  # set by the crawl command
        if lock is not None:
            lock.describe_holder(self.run_id)  # so a refused second run can name this one
        logger.info("storing to %s (run %s)", database.display_url, self.run_id)
        return database

    def finish_run(self, counts: dict, outcome: str) -> None:
        if self.database is None:
            return
        try:
            self.database.finish_run(self.run_id, counts, outcome)
        except Exception as error:  # noqa: BLE001 - the run is over; say so and go on closing
            logger.error("could not record the run's outcome in %s: %s", self.database.display_url,
                         mask_secrets(str(error).splitlines()[0] if str(error) else type(error).__name__, self.url))

    def close(self) -> None:
        if self.database is not None:
            self.database.close()
            self.database = None
