"""The bare baseline of benchmarks/crawl.py: fetch a list of URLs, do nothing with the responses.

Plain Scrapy (run with ``scrapy runspider`` from a folder without scrapy.cfg, so none of
newscrawl's settings, pipelines, middlewares, extensions or feeds load), with the production
settings that shape the traffic (User-Agent, default headers, cookies off, robots.txt obeyed,
retries, timeout, reactor); the benchmark passes the same ``-s`` politeness overrides as to the
full crawl. ``-a urls_file=PATH``: one URL a line (the index pages and articles the full crawl
fetches).
"""

from __future__ import annotations

import scrapy

# Copied by value from newscrawl/settings.py so the spider needs nothing of newscrawl at run time;
# benchmarks/crawl.py checks they still agree before it runs.
PRODUCTION_NETWORK_SETTINGS = {
    "USER_AGENT": "newscrawl/0.1.0 (+https://github.com/newscrawl/newscrawl)",
    "DEFAULT_REQUEST_HEADERS": {
        "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "Accept-Language": "id-ID,id;q=0.9,en;q=0.5",
    },
    "COOKIES_ENABLED": False,
    "ROBOTSTXT_OBEY": True,
    "DOWNLOAD_TIMEOUT": 30,
    "RETRY_TIMES": 4,
    "RETRY_HTTP_CODES": [429, 500, 502, 503, 504, 522, 524, 408],
    "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
    "CONCURRENT_ITEMS": 8,  # not traffic, but Scrapy's own per-callback cost: the bare spider gets it too
    "LOG_LEVEL": "INFO",
}


class BareSpider(scrapy.Spider):
    name = "bare"
    custom_settings = dict(PRODUCTION_NETWORK_SETTINGS)

    def __init__(self, urls_file: str, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.urls_file = urls_file

    async def start(self):
        with open(self.urls_file, encoding="utf-8") as lines:
            for line in lines:
                url = line.strip()
                if url:
                    yield scrapy.Request(url, callback=self.parse)

    def parse(self, response):
        return None
