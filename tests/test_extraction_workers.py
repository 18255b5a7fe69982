"""Article extraction on worker processes (newscrawl/extraction_workers.py, issue 14 item 2)."""

from __future__ import annotations

import asyncio
import os
import re
import signal

import pytest
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse

from newscrawl import near_duplicates
from newscrawl.extraction import extract
from newscrawl.extraction_workers import ExtractionWorkers, default_processes
from newscrawl.spiders.detikinet import DetikInetSpider
from tests.conftest import FETCHED_AT, PAGES, load_case
from newscrawl.warc_middlewares import BadSetting
from tests.support import project_crawler, wait_for

CASE = PAGES / "detikinet-2022-12-10-d-6453192.json"


def _response() -> HtmlResponse:
    expected, html = load_case(CASE)
    return HtmlResponse(expected["request_url"], body=html, encoding="utf-8")


def test_the_setting_switches_the_workers_off_and_auto_keeps_a_core():
    with pytest.raises(NotConfigured):
        ExtractionWorkers.from_crawler(project_crawler(DetikInetSpider, NEWSCRAWL_EXTRACTION_PROCESSES=0))
    with pytest.raises(ValueError, match="NEWSCRAWL_EXTRACTION_PROCESSES must be 0 or more"):
        ExtractionWorkers.from_crawler(project_crawler(DetikInetSpider, NEWSCRAWL_EXTRACTION_PROCESSES=-1))
    for value in ("two", "1.5"):
        message = f"NEWSCRAWL_EXTRACTION_PROCESSES must be 0 or more, or auto, not '{value}'"
        with pytest.raises(BadSetting, match="^" + re.escape(message) + "$"):
            ExtractionWorkers.from_crawler(project_crawler(DetikInetSpider, NEWSCRAWL_EXTRACTION_PROCESSES=value))
    cores = os.cpu_count() or 1
    assert default_processes() == (cores - 1 if cores > 1 else 0)


def test_a_worker_extracts_what_the_crawl_would_and_a_dead_worker_is_replaced():
    crawler = project_crawler(DetikInetSpider, NEWSCRAWL_EXTRACTION_PROCESSES=1)
    crawler.stats.open_spider()
    workers = ExtractionWorkers.from_crawler(crawler)
    expected, html = load_case(CASE)
    same_process = extract(expected["request_url"], html, fetched_at=FETCHED_AT)

    async def scenario():
        first = await workers.extract(_response(), FETCHED_AT)
        pool = workers.pool
        for process in list(pool._processes.values()):  # the worker dies, as if killed by the OOM killer
            os.kill(process.pid, signal.SIGKILL)
        wait_for(lambda: pool._broken)
        second = await workers.extract(_response(), FETCHED_AT)  # extracted in this process instead
        third = await workers.extract(_response(), FETCHED_AT)  # by a new pool
        assert workers.pool is not None and workers.pool is not pool
        return first, second, third, pool

    try:
        first, second, third, broken_pool = asyncio.run(scenario())
    finally:
        workers.spider_closed()
    for extraction in (first, second, third):
        assert dict(extraction.item) == dict(same_process.item)
        assert extraction.warnings == same_process.warnings
    # The workers also sign the body for the store; the page extracted in this process goes unsigned
    # (the store signs it).
    signature = near_duplicates.signature(same_process.item["body"])
    for extraction in (first, third):
        signed = near_duplicates.signed_of(extraction.item)
        assert signed.body == same_process.item["body"] and (signed.signature == signature).all()
    assert near_duplicates.signed_of(second.item) is None
    assert crawler.stats.get_value("newscrawl/extraction/workers_restarted") == 1
    assert workers.pool is None  # closed with the spider
    assert broken_pool._broken
