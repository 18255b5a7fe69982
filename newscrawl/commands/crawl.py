"""`scrapy crawl` with additions for unattended runs: bad -a arguments and an unreachable or
misconfigured database are refused in one line (exit 2) before anything is fetched, and a run
that the RunSummary extension marks failed ends with exit code 1, so cron and monitoring notice."""

from __future__ import annotations

import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from newscrawl.spiders.arguments import ArgumentError, plan_crawl
from newscrawl.storage import DatabaseUnavailable, open_database, resolve_database_url

EXIT_BAD_ARGUMENTS = 2
EXIT_RUN_FAILED = 1


class Command(ScrapyCrawlCommand):
    def run(self, args, opts):
        if len(args) == 1 and args[0] == "detikinet":
            try:
                plan_crawl(dict(opts.spargs))
            except ArgumentError as error:
                return self.refuse(str(error))
            try:
                open_database(resolve_database_url(self.settings.get("NEWSCRAWL_DATABASE_URL"))).close()
            except DatabaseUnavailable as error:
                return self.refuse(str(error))
        if len(args) != 1:
            return super().run(args, opts)
        # Keep our own reference: the process forgets its crawlers once they finish.
        crawler = self._create_crawler(args[0])
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = EXIT_RUN_FAILED
        elif crawler.stats.get_value("newscrawl/run_failed"):
            self.exitcode = EXIT_RUN_FAILED

    def refuse(self, message: str) -> None:
        print(f"scrapy crawl detikinet: error: {message}", file=sys.stderr)
        self.exitcode = EXIT_BAD_ARGUMENTS
