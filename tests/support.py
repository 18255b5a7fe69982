"""Crawlers for unit tests that carry newscrawl's own settings.

Scrapy's ``get_crawler`` starts from Scrapy's defaults; newscrawl's components read their defaults
from ``newscrawl/settings.py`` only (never an inline fallback), so unit tests build crawlers from
the project's settings plus the overrides a test needs.
"""

from __future__ import annotations

from scrapy.utils.test import get_crawler

from newscrawl import settings as project_settings_module


def project_settings(**overrides) -> dict:
    values = {name: getattr(project_settings_module, name) for name in dir(project_settings_module) if name.isupper()}
    values.update(overrides)
    return values


def project_crawler(spidercls, **overrides):
    """A crawler with newscrawl's settings (its extensions built, so CrawlDatabase.of() works)."""
    return get_crawler(spidercls, project_settings(**overrides))


def inet_plan(arguments: dict, today=None):
    """The crawl plan ``scrapy crawl detikinet`` makes of these -a arguments."""
    from newscrawl.sites.detik import DETIK
    from newscrawl.spiders.arguments import plan_crawl

    return plan_crawl(arguments, DETIK, ("inet",), today=today)


def wait_for(condition, timeout: float = 60.0) -> None:
    """Return once ``condition()`` is true; fail after ``timeout`` seconds. Polls a condition (every
    20 ms), never waits a fixed time."""
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.02)
