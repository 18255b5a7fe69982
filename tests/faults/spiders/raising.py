"""detikinet whose article callback raises on one article, as a bug in the spider would.

Named ``detikinet``, so ``scrapy crawl detikinet -s SPIDER_MODULES=tests.faults.spiders`` runs it
through newscrawl's own crawl command (database, run lock, exit codes) unchanged."""

from __future__ import annotations

from newscrawl.spiders.detikinet import DetikInetSpider

RAISES_ON = "/d-7098314/"


class RaisingDetikInetSpider(DetikInetSpider):
    name = "detikinet"

    def parse_article(self, response, *args, **kwargs):
        if RAISES_ON in response.url:
            raise ValueError(f"a bug in the spider, met on {response.url}")
        return super().parse_article(response, *args, **kwargs)
