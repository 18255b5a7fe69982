"""`scrapy crawl` with additions for unattended runs:
* bad -a arguments, a bad NEWSCRAWL_WARC_GZIP_LEVEL, NEWSCRAWL_GC_THRESHOLD or
  NEWSCRAWL_EXTRACTION_PROCESSES and an unreachable or misconfigured database (or Redis, with REDIS_URL)
  are refused in one line (exit 2) before anything is fetched;
* one crawl at a time per database: a second run while one is active exits at once (exit 3)
  naming the active run (with REDIS_URL set, several processes share one crawl on purpose, so
  the lock is not taken);
* a run that the RunSummary extension marks failed ends with exit 1, so cron and monitoring notice."""

from __future__ import annotations

import sys

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.spiderloader import get_spider_loader

from newscrawl.distributed import SharedCrawlUnavailable, check_redis
from newscrawl.extraction_workers import extraction_processes
from newscrawl.gc_tuning import gc_threshold
from newscrawl.masking import mask_secrets
from newscrawl.spiders.arguments import ArgumentError, plan_crawl
from newscrawl.spiders.site import SiteSpider
from newscrawl.storage import DatabaseUnavailable, RunLock, RunLockHeld, open_database, resolve_database_url
from newscrawl.warc_middlewares import BadSetting, warc_compressor, warc_gzip_level

EXIT_RUN_FAILED = 1
EXIT_BAD_ARGUMENTS = 2
EXIT_ANOTHER_RUN_ACTIVE = 3


class Command(ScrapyCrawlCommand):
    """The checks run in process_options, which Scrapy calls before it starts logging: a refused
    run prints its one error line and nothing else."""

    database = None
    lock = None
    spider_name = "crawl"

    def process_options(self, args, opts):
        super().process_options(args, opts)
        spider = self._site_spider(args)
        if spider is None:
            return  # not one of newscrawl's site spiders (or a usage error Scrapy reports itself)
        self.spider_name = spider.name
        try:
            plan_crawl(dict(opts.spargs), spider.site, spider.fixed_channels)
        except ArgumentError as error:
            self.refuse(str(error), EXIT_BAD_ARGUMENTS)
        try:
            warc_gzip_level(self.settings)
            warc_compressor(self.settings)
            gc_threshold(self.settings)
            extraction_processes(self.settings)
        except BadSetting as error:
            self.refuse(str(error), EXIT_BAD_ARGUMENTS)
        if self.settings.get("REDIS_URL"):
            try:
                check_redis(self.settings.get("REDIS_URL"))
            except SharedCrawlUnavailable as error:
                self.refuse(str(error), EXIT_BAD_ARGUMENTS)
        try:
            self.database = open_database(resolve_database_url(self.settings.get("NEWSCRAWL_DATABASE_URL")))
        except DatabaseUnavailable as error:
            self.refuse(str(error), EXIT_BAD_ARGUMENTS)
        if not self.settings.get("REDIS_URL"):
            try:
                self.lock = RunLock(self.database.engine).acquire()
            except RunLockHeld as error:
                self.database.close()
                self.refuse(str(error), EXIT_ANOTHER_RUN_ACTIVE)

    def run(self, args, opts):
        if self.database is None:
            return super().run(args, opts)
        try:
            # Keep our own reference: the process forgets its crawlers once they finish.
            crawler = self._create_crawler(args[0])
            crawler.run_lock = self.lock
            # For advice that says "run it again": Scrapy took the command name out of sys.argv and
            # parsed the rest as this command's arguments.
            crawler.command_line = ["scrapy", "crawl", *sys.argv[1:]]
            self.crawler_process.crawl(crawler, **opts.spargs)
            self.crawler_process.start()
            if self.crawler_process.bootstrap_failed or crawler.stats.get_value("newscrawl/run_failed"):
                self.exitcode = EXIT_RUN_FAILED
        finally:
            if self.lock is not None:
                self.lock.release()
            self.database.close()

    def _site_spider(self, args) -> type[SiteSpider] | None:
        if len(args) != 1:
            return None
        try:
            spider = get_spider_loader(self.settings).load(args[0])
        except KeyError:
            return None
        return spider if isinstance(spider, type) and issubclass(spider, SiteSpider) else None

    def refuse(self, message: str, exitcode: int):
        # The messages mask their URLs already; this also covers an argument (urls=) quoted back.
        urls = (self.settings.get("REDIS_URL"), resolve_database_url(self.settings.get("NEWSCRAWL_DATABASE_URL")))
        print(f"scrapy crawl {self.spider_name}: error: {mask_secrets(message, *urls)}", file=sys.stderr)
        sys.exit(exitcode)
