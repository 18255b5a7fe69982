"""`scrapy crawl` with additions for unattended runs:
* bad -a arguments and an unreachable or misconfigured database are refused in one line (exit 2)
  before anything is fetched;
* one crawl at a time per database: a second run while one is active exits at once (exit 3)
  naming the active run (with REDIS_URL set, several processes share one crawl on purpose, so
  the lock is not taken);
* a run that the RunSummary extension marks failed ends with exit 1, so cron and monitoring notice."""

from __future__ import annotations

import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from newscrawl.spiders.arguments import ArgumentError, plan_crawl
from newscrawl.storage import DatabaseUnavailable, RunLock, RunLockHeld, open_database, resolve_database_url

EXIT_RUN_FAILED = 1
EXIT_BAD_ARGUMENTS = 2
EXIT_ANOTHER_RUN_ACTIVE = 3


class Command(ScrapyCrawlCommand):
    def run(self, args, opts):
        if len(args) != 1 or args[0] != "detikinet":
            return super().run(args, opts)
        try:
            plan_crawl(dict(opts.spargs))
        except ArgumentError as error:
            return self.refuse(str(error), EXIT_BAD_ARGUMENTS)
        try:
            database = open_database(resolve_database_url(self.settings.get("NEWSCRAWL_DATABASE_URL")))
        except DatabaseUnavailable as error:
            return self.refuse(str(error), EXIT_BAD_ARGUMENTS)
        lock = None if self.settings.get("REDIS_URL") else RunLock(database.engine)
        try:
            if lock is not None:
                lock.acquire()
        except RunLockHeld as error:
            database.close()
            return self.refuse(str(error), EXIT_ANOTHER_RUN_ACTIVE)
        try:
            self.crawl(args[0], opts, lock)
        finally:
            if lock is not None:
                lock.release()
            database.close()

    def crawl(self, name: str, opts, lock) -> None:
        # Keep our own reference: the process forgets its crawlers once they finish.
        crawler = self._create_crawler(name)
        crawler.run_lock = lock
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed or crawler.stats.get_value("newscrawl/run_failed"):
            self.exitcode = EXIT_RUN_FAILED

    def refuse(self, message: str, exitcode: int) -> None:
        print(f"scrapy crawl detikinet: error: {message}", file=sys.stderr)
        self.exitcode = exitcode
