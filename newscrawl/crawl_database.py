"""The crawl's database: one service per crawler, shared by the spider and the pipelines.

``CrawlDatabase`` is an extension (EXTENSIONS). The store pipeline opens it when the spider opens,
which records the run in ``crawl_runs``; the spider asks it which articles need no fetch
(``stored_articles``), the dedupe and store pipelines read and write through its ``database``, and
RunSummary records the run's outcome in it and closes it once everything else has closed
(engine_stopped). Components find it with
``CrawlDatabase.of(crawler)`` (Scrapy's ``crawler.get_extension``), never through spider attributes.

An outage of the database (unreachable, connection lost, disk full) is ridden out: every call the
crawl makes goes through ``ride_out``, which pauses the engine while the database does not answer
(nothing is fetched that could neither be checked nor stored), tries the call again with backoff
without blocking the reactor, and resumes the crawl once it answers. An outage longer than
NEWSCRAWL_DATABASE_OUTAGE_LIMIT closes the spider (reason ``database_unavailable``, so the run
exits 1), and at the end the log says in one line how to store what the run fetched and fetch
what it did not.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shlex
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from scrapy import signals
from scrapy.utils.defer import deferred_from_coro
from sqlalchemy.exc import SQLAlchemyError

from .archive.capture import Capture
from .masking import mask_secrets
from .storage import DATABASE_URL_ENV, DEFAULT_DATABASE_URL, Database, DatabaseUnavailable, mask_password
from .storage import open_database, resolve_database_url

logger = logging.getLogger(__name__)

Result = TypeVar("Result")
CLOSE_REASON = "database_unavailable"


class StoredArticles:
    """What the spider may ask of, and tell, the archive about articles it meets."""

    def __init__(self, database):
        self.database = database
        # Articles (publisher, article_id) a skip lookup found neither stored nor gone, until the
        # dedupe pipeline takes them.
        self.found_unstored: set[tuple[str, int]] = set()

    def reasons_to_skip(self, publisher: str, article_ids: Iterable[int], young_since: datetime) -> dict[int, str]:
        """Those of these articles of the publisher that need no fetch, each with why: 'already_stored'
        (and not published since ``young_since``) or 'gone' (404/410 before). Two queries for any
        number of ids, so an index page asks once for all its cards."""
        ids = list(dict.fromkeys(article_ids))
        known = self.database.known_articles(publisher, ids)
        reasons = {
            article_id: "already_stored"
            for article_id, published in known.items()
            if published is None or datetime.fromisoformat(published) < young_since
        }
        # A stored article is never 'gone': a young one is fetched again even after a 404.
        unknown = [article_id for article_id in ids if article_id not in known]
        gone = self.database.gone_articles(publisher, unknown)
        reasons.update(dict.fromkeys(gone, "gone"))
        self.found_unstored.update((publisher, article_id) for article_id in unknown if article_id not in gone)
        return reasons

    def take_found_unstored(self, publisher: str, article_id: int) -> bool:
        """Whether a skip lookup of this run found the article not stored; answered once per article.

        The dedupe pipeline then has no stored version to compare with and skips its query. Should
        another process store the article meanwhile, the store's upsert still sorts it out.
        """
        if (publisher, article_id) in self.found_unstored:
            self.found_unstored.discard((publisher, article_id))
            return True
        return False

    def record_gone(self, publisher: str, article_id: int, url: str, status: int) -> None:
        self.database.mark_gone(publisher, article_id, url, status)


class CrawlDatabase:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.url = resolve_database_url(settings.get("NEWSCRAWL_DATABASE_URL"))
        self.database: Database | None = None
        self.stored_articles: StoredArticles | None = None
        self.run_id: int | None = None
        self.outage_limit = settings.getfloat("NEWSCRAWL_DATABASE_OUTAGE_LIMIT")
        self.retry_base = settings.getfloat("NEWSCRAWL_DATABASE_RETRY_BASE")
        self.retry_max = settings.getfloat("NEWSCRAWL_DATABASE_RETRY_MAX")
        self._riding_out = 0  # calls waiting for the database now
        self._outage_began: float | None = None
        self.gave_up: DatabaseUnavailable | None = None  # the outage that outlasted the limit
        self._not_stored: list[Capture | None] = []  # articles fetched and not stored, with their capture
        self._closing = None

    @classmethod
    def from_crawler(cls, crawler) -> "CrawlDatabase":
        service = cls(crawler)
        crawler.signals.connect(service.spider_closed, signal=signals.spider_closed)
        return service

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
        lock = getattr(self.crawler, "run_lock", None)  # set by the crawl command
        self.run_id = database.start_run("crawl", dict(plan.arguments) if plan else {}, run_lock=lock is not None)
        self.database = database
        self.stored_articles = StoredArticles(database)
        if lock is not None:
            lock.describe_holder(self.run_id)  # so a refused second run can name this one
        logger.info("storing to %s (run %s)", database.display_url, self.run_id)
        self.mark_interrupted_runs(holding_run_lock=lock is not None)
        return database

    def mark_interrupted_runs(self, holding_run_lock: bool) -> None:
        """Runs left unfinished by a process that died are marked interrupted: holding the run lock,
        this crawl knows every other crawl that held it is over."""
        try:
            interrupted = self.database.mark_interrupted_runs(holding_run_lock, spare=self.run_id)
        except (SQLAlchemyError, DatabaseUnavailable) as error:  # bookkeeping of other runs must not stop this one
            logger.warning("could not check for interrupted runs: %s", str(error).splitlines()[0])
            return
        for run_id in interrupted:
            logger.info("run %s had ended without recording an outcome: marked interrupted", run_id)

    # -- riding out an outage ---------------------------------------------------------------------
    async def ride_out(self, operation: Callable[..., Result], *args: Any, **kwargs: Any) -> Result:
        """``operation(*args, **kwargs)``, a call of the database, tried again while the database is
        unavailable (DatabaseUnavailable): the engine is paused meanwhile and the waits double from
        NEWSCRAWL_DATABASE_RETRY_BASE to NEWSCRAWL_DATABASE_RETRY_MAX seconds. Past
        NEWSCRAWL_DATABASE_OUTAGE_LIMIT seconds the spider is closed and DatabaseUnavailable raised;
        after that every call is tried once. Each call retries itself, so a call that keeps failing
        (a write to a full disk while reads still work) is never taken for recovered."""
        try:
            return operation(*args, **kwargs)
        except DatabaseUnavailable as error:
            if self.gave_up is not None:
                raise
            failure = error
        started = time.monotonic()
        delay = self.retry_base
        self._pause(failure)
        try:
            while True:
                remaining = self.outage_limit - (time.monotonic() - started)
                if remaining <= 0 or self.gave_up is not None:
                    self._give_up(failure)
                    raise failure
                await asyncio.sleep(min(delay, remaining))
                delay = min(delay * 2, self.retry_max)
                try:
                    return operation(*args, **kwargs)
                except DatabaseUnavailable as error:
                    failure = error
        finally:
            self._resume()

    def _pause(self, error: DatabaseUnavailable) -> None:
        self._riding_out += 1
        if self._riding_out > 1:
            return
        self._outage_began = time.monotonic()
        engine = self.crawler.engine
        if engine is not None:
            engine.pause()
        logger.warning("database %s unavailable (%s): crawl paused, retrying for up to %g s "
                       "(NEWSCRAWL_DATABASE_OUTAGE_LIMIT)", error.url, error.reason, self.outage_limit)

    def _resume(self) -> None:
        self._riding_out -= 1
        if self._riding_out or self.gave_up is not None:
            return
        engine = self.crawler.engine
        if engine is not None:
            engine.unpause()
        logger.warning("database %s answers again after %.1f s: crawl resumed", self.display_url,
                       time.monotonic() - (self._outage_began or time.monotonic()))

    def _give_up(self, error: DatabaseUnavailable) -> None:
        if self.gave_up is not None:
            return
        self.gave_up = error
        logger.error("database %s still unavailable after %g s (%s): closing the crawl",
                     error.url, self.outage_limit, error.reason)
        engine = self.crawler.engine
        if engine is not None and engine.spider is not None:
            # Scheduled, not awaited: closing waits for the callback or item that is calling us.
            self._closing = deferred_from_coro(engine.close_spider_async(reason=CLOSE_REASON))
            engine.unpause()

    @property
    def display_url(self) -> str:
        return self.database.display_url if self.database is not None else mask_password(self.url)

    def not_stored(self, captures: Sequence[Capture | None]) -> None:
        """The store pipeline could not store these articles (the database was unavailable)."""
        self._not_stored.extend(captures)

    def spider_closed(self, spider=None, reason=None) -> None:
        if self.gave_up is not None or self._not_stored:
            logger.error(self.advice())

    def advice(self) -> str:
        """What the operator does after an outage that outlasted the limit, in one line."""
        error = self.gave_up
        cause = (f"the database {error.url} was unavailable for more than {self.outage_limit:g} s ({error.reason})"
                 if error is not None else f"the database {self.display_url} was unavailable")
        rerun = f"run the same crawl again, `{shlex.join(self.rerun_command())}`"
        if not self._not_stored:
            return (f"the crawl stopped early: {cause}. Once the database is available again, {rerun}: it fetches "
                    "only what is still missing.")
        exports_dir = self.crawler.settings.get("NEWSCRAWL_EXPORTS_DIR")
        files = sorted({str(capture.path(exports_dir)) for capture in self._not_stored if capture is not None})
        unarchived = sum(capture is None for capture in self._not_stored)
        lead = f"{len(self._not_stored)} articles fetched by this run are not stored: {cause}."
        if not files:
            return (f"{lead} They were not archived either. Once the database is available again, {rerun}: it "
                    "fetches them again and whatever else is still missing.")
        importing = (f"run `{shlex.join(self.import_command(exports_dir, files))}` (stores them with their WARC "
                     "location, fetching nothing)")
        if unarchived:
            importing += f"; {unarchived} of them were not archived, and the next step fetches them again"
        return (f"{lead} Nothing fetched is lost: once the database is available again, {importing}, then {rerun} "
                "(it fetches only what is still missing).")

    def import_command(self, exports_dir: str, files: list[str]) -> list[str]:
        command = ["newscrawl", "import", "--exports-dir", exports_dir]
        # newscrawl reads $NEWSCRAWL_DATABASE_URL as the crawl did; a URL given as a setting is not.
        if not os.environ.get(DATABASE_URL_ENV) and self.url != DEFAULT_DATABASE_URL:
            command += ["--database-url", mask_password(self.url)]
        return command + files

    def rerun_command(self) -> list[str]:
        """This crawl's command line (set by the crawl command), passwords masked; else one made of
        the spider's arguments."""
        line = getattr(self.crawler, "command_line", None)
        if line is None:
            spider = self.crawler.spider
            plan = getattr(spider, "plan", None)
            arguments = plan.arguments.items() if plan is not None else ()
            line = ["scrapy", "crawl", getattr(spider, "name", "detikinet")]
            for name, value in arguments:
                line += ["-a", f"{name}={value}"]
        return [_masked_argument(argument) for argument in line]

    # -- the end of the run ------------------------------------------------------------------------
    def finish_run(self, counts: dict, outcome: str) -> None:
        if self.database is None:
            return
        try:
            self.database.finish_run(self.run_id, counts, outcome)
        except Exception as error:  # noqa: BLE001 - the run is over; say so and go on closing
            message = mask_secrets(str(error).splitlines()[0] if str(error) else type(error).__name__, self.url)
            logger.error("the outcome of run %s (%s) could not be recorded in crawl_runs of %s, where it stays "
                         "unfinished: %s", self.run_id, outcome, self.database.display_url, message)

    def close(self) -> None:
        if self.database is not None:
            self.database.close()
            self.database = None


def _masked_argument(argument: str) -> str:
    """A command-line argument with any URL password in it masked (-s NAME=URL, or a URL)."""
    name, equals, value = argument.partition("=")
    if equals and "://" in value:
        return f"{name}={mask_password(value)}"
    return mask_password(argument) if "://" in argument else argument
