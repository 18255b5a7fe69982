"""Pieces of the archive on their own: flushed records survive a kill, what is captured, storage."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from types import SimpleNamespace

import scrapy
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector

from newscrawl.archive import iter_responses, read_response
from newscrawl.archive.capture import META_KEY
from newscrawl.warc_middlewares import WarcCaptureMiddleware
from tests.storage.support import make_article, revisions


def test_every_finished_record_is_readable_after_the_writer_is_killed(tmp_path):
    script = textwrap.dedent(f"""
        import os, signal
        from newscrawl.archive import Exchange, WarcFiles
        files = WarcFiles({str(tmp_path)!r}, "detikinet-killed", {{"software": "test"}})
        for n in range(3):
            files.write_exchange(Exchange(f"https://inet.detik.com/cyberlife/d-{{n + 1}}/a", "GET", [], 200, "OK",
                                          [("Content-Type", "text/html")], b"<p>%d</p>" % n))
        os.kill(os.getpid(), signal.SIGKILL)  # no close, no flush at exit
    """)
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert killed.returncode == -9
    (path,) = tmp_path.glob("*.warc.gz")
    found = list(iter_responses(path))
    assert [(response.url, response.body) for response in found] == [
        (f"https://inet.detik.com/cyberlife/d-{n + 1}/a", b"<p>%d</p>" % n) for n in range(3)
    ]
    checked = subprocess.run([sys.executable, "-c", "import sys; from warcio.cli import main; sys.exit(main())",
                              "check", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout


def _middleware(tmp_path, **settings) -> WarcCaptureMiddleware:
    values = {"NEWSCRAWL_EXPORTS_DIR": str(tmp_path), **settings}
    crawler = SimpleNamespace(settings=Settings(values), stats=MemoryStatsCollector(SimpleNamespace(settings=Settings())),
                              signals=SimpleNamespace(connect=lambda *a, **k: None))
    middleware = WarcCaptureMiddleware.from_crawler(crawler)
    spider = SimpleNamespace(name="detikinet", run_started="2026-11-28T03-00-00", run_started_at=None,
                             plan=SimpleNamespace(arguments={}, replay=None))
    middleware.spider_opened(spider)
    return middleware


def _fetch(middleware, url: str, kind: str | None):
    request = scrapy.Request(url, meta={"page_kind": kind} if kind else {})
    middleware.process_request(request)
    middleware.process_response(request, HtmlResponse(url, body=b"<html></html>", request=request))
    return request.meta.get(META_KEY)


def test_index_pages_are_archived_only_when_asked(tmp_path):
    index = "https://inet.detik.com/indeks?date=10/12/2023"
    article = "https://inet.detik.com/cyberlife/d-1/a"
    name = "warc/detikinet-2026-11-28T03-00-00-00000.warc.gz"
    default = _middleware(tmp_path / "default")
    assert _fetch(default, index, "index") is None
    assert _fetch(default, "https://inet.detik.com/rss", "rss") is None
    capture = _fetch(default, article, "article")
    assert capture.warc_file == name
    assert read_response(tmp_path / "default" / name, capture.warc_offset).url == article
    robots = _fetch(default, "https://inet.detik.com/robots.txt", None)
    assert read_response(tmp_path / "default" / name, robots.warc_offset).url == "https://inet.detik.com/robots.txt"
    assert default.crawler.stats.get_value("newscrawl/warc/responses") == 2

    asked = _middleware(tmp_path / "asked", NEWSCRAWL_WARC_INDEX_PAGES=True)
    capture = _fetch(asked, index, "index")
    assert read_response(tmp_path / "asked" / name, capture.warc_offset).url == index
    assert asked.crawler.stats.get_value("newscrawl/warc/responses") == 1


def test_store_articles_records_captures_and_fills_a_version_that_had_none(database):
    first, second = make_article(101), make_article(102)
    assert database.store_articles([first, second], reason="load") == ["new", "new"]
    # The same versions imported from a WARC: the loaded revisions get the capture, nothing is added.
    assert database.store_articles([first, second], reason="import",
                                   captures={101: ("warc/a.warc.gz", 640)}) == ["unchanged", "unchanged"]
    changed = make_article(102, body="Jakarta - Teks baru.")
    assert database.store_articles([changed], reason="crawl", captures={102: ("/abs/b.warc.gz", 9)}) == ["changed"]
    rows = {(record["article_id"], record["body"]): (warc_file, warc_offset)
            for record, warc_file, warc_offset in database.iter_current_captures()}
    assert rows == {(101, first["body"]): ("warc/a.warc.gz", 640), (102, "Jakarta - Teks baru."): ("/abs/b.warc.gz", 9)}
    assert [reason for _, _, reason in revisions(database, 102)] == ["load", "crawl"]
    # A capture never overwrites one a version already has.
    database.store_articles([first], reason="import", captures={101: ("warc/other.warc.gz", 1)})
    assert next(database.iter_current_captures(article_id=101))[1:] == ("warc/a.warc.gz", 640)
