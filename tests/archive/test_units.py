"""Pieces of the archive on their own: flushed records survive a kill, gzip members and levels,
what is captured, storage."""

from __future__ import annotations

import asyncio
import errno

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
import zlib
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
import scrapy
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse
from scrapy.settings import Settings
from scrapy.statscollectors import MemoryStatsCollector

from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from newscrawl.archive import Exchange, UnreadableArchive, WarcFiles, iter_responses, read_response
from newscrawl.meta import CAPTURE
from newscrawl.settings import DOWNLOAD_MAXSIZE
from newscrawl.warc_middlewares import BadSetting, WarcCaptureMiddleware, WarcReplayMiddleware
from tests.archive.support import ROOT, page_bytes, response_record
from tests.support import project_settings
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
    found = list(iter_responses(path, max_bytes=DOWNLOAD_MAXSIZE))
    assert [(response.url, response.body) for response in found] == [
        (f"https://inet.detik.com/cyberlife/d-{n + 1}/a", b"<p>%d</p>" % n) for n in range(3)
    ]
    checked = subprocess.run([sys.executable, "-c", "import sys; from warcio.cli import main; sys.exit(main())",
                              "check", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout


# Headers that differ between any two writes of the same exchanges.
_PER_WRITE_HEADERS = {"WARC-Record-ID", "WARC-Concurrent-To", "WARC-Date"}


def _write_pages(folder, level: int, compressor: str = "zlib") -> list[int]:
    """Three exchanges (a real 130 KB page among them) at this gzip level; the response offsets."""
    files = WarcFiles(folder, "detikinet-level", {"software": "test"}, gzip_level=level, compressor=compressor)
    bodies = [page_bytes("detikinet-2022-12-10-d-6453192"), b"", b"<p>kecil</p>"]
    offsets = [
        files.write_exchange(Exchange(f"https://inet.detik.com/cyberlife/d-{n + 1}/a", "GET", [("Accept", "*/*")],
                                      200, "OK", [("Content-Type", "text/html")], body,
                                      date=datetime(2026, 11, 28, 3, tzinfo=timezone.utc))).warc_offset
        for n, body in enumerate(bodies)
    ]
    files.close()
    return offsets


def _records(path) -> list[tuple[int, str, list, bytes]]:
    """(offset, type, WARC headers that do not change per write, payload) of each record, as warcio reads it."""
    found = []
    with open(path, "rb") as handle:
        records = ArchiveIterator(handle)
        for record in records:
            headers = [(name, value) for name, value in record.rec_headers.headers if name not in _PER_WRITE_HEADERS]
            payload = record.content_stream().read()
            found.append((records.get_record_offset(), record.rec_type, headers, payload))
    return found


def _gzip_member_starts(data: bytes) -> list[int]:
    """Where each gzip member of ``data`` starts."""
    starts, position = [], 0
    while position < len(data):
        starts.append(position)
        member = zlib.decompressobj(zlib.MAX_WBITS | 16)
        member.decompress(data[position:])
        assert member.eof, f"the gzip member at {position} is cut short"
        position = len(data) - len(member.unused_data)
    return starts


def test_every_gzip_level_writes_one_member_per_record_that_warcio_reads_back_the_same(tmp_path):
    read = {}
    for level in (1, 9):
        response_offsets = _write_pages(tmp_path / str(level), level)
        (path,) = (tmp_path / str(level)).glob("*.warc.gz")
        records = _records(path)
        assert [kind for _, kind, _, _ in records] == ["warcinfo"] + ["request", "response"] * 3
        # Each record is exactly one gzip member, and the writer's offsets are where its responses start.
        assert _gzip_member_starts(path.read_bytes()) == [offset for offset, *_ in records]
        assert response_offsets == [offset for offset, kind, _, _ in records if kind == "response"]
        read[level] = [record[1:] for record in records]
    assert read[1] == read[9]
    assert read[1][2][2] == page_bytes("detikinet-2022-12-10-d-6453192")  # the page's payload, whole
    sizes = {level: next((tmp_path / str(level)).glob("*.warc.gz")).stat().st_size for level in (1, 9)}
    assert sizes[9] < sizes[1]  # the level is really applied


def test_isal_writes_the_same_records_as_standard_gzip_members(tmp_path):
    """ISA-L's gzip (the default compressor): one standard gzip member per record, which warcio,
    Python's gzip module and `warcio check` read exactly as the zlib-written file."""
    import gzip

    offsets = {name: _write_pages(tmp_path / name, 6, compressor=name) for name in ("zlib", "isal")}
    paths = {name: next((tmp_path / name).glob("*.warc.gz")) for name in offsets}
    records = {name: _records(path) for name, path in paths.items()}
    assert [record[1:] for record in records["isal"]] == [record[1:] for record in records["zlib"]]
    assert _gzip_member_starts(paths["isal"].read_bytes()) == [offset for offset, *_ in records["isal"]]
    assert offsets["isal"] == [offset for offset, kind, _, _ in records["isal"] if kind == "response"]
    # Python's own gzip reads it whole (record ids and dates differ per write, their lengths do not).
    unpacked = {name: gzip.decompress(path.read_bytes()) for name, path in paths.items()}
    assert unpacked["isal"].startswith(b"WARC/1.0\r\n") and len(unpacked["isal"]) == len(unpacked["zlib"])
    checked = subprocess.run([str(Path(sys.executable).with_name("warcio")), "check", "-v", str(paths["isal"])],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("digest pass") == 2 * 3 + 1  # every record: warcinfo, requests, responses


def test_a_compressor_other_than_isal_or_zlib_is_refused(tmp_path):
    message = "'gzip9' is not a compressor: use isal (fast) or zlib (with the gzip level setting)"
    with pytest.raises(ValueError, match=re.escape(message)):
        WarcFiles(tmp_path, "detikinet-bad", {"software": "test"}, compressor="gzip9")
    with pytest.raises(BadSetting, match="^" + re.escape(f"NEWSCRAWL_WARC_COMPRESSOR: {message}")):
        _middleware(tmp_path, NEWSCRAWL_WARC_COMPRESSOR="gzip9")


@pytest.mark.parametrize("level", [0, 10, "6.5", "ten", ""])
def test_a_gzip_level_outside_1_to_9_is_refused_with_a_clear_message(tmp_path, level):
    message = f"{level!r} is not a gzip level: use a whole number from 1 (fastest) to 9 (smallest files)"
    with pytest.raises(ValueError, match=re.escape(message)):
        WarcFiles(tmp_path, "detikinet-bad", {"software": "test"}, gzip_level=level)
    with pytest.raises(BadSetting, match="^" + re.escape(f"NEWSCRAWL_WARC_GZIP_LEVEL: {message}")):
        _middleware(tmp_path, NEWSCRAWL_WARC_GZIP_LEVEL=level)
    assert not list(tmp_path.iterdir())


def test_the_crawl_command_refuses_a_bad_gzip_level_before_starting(tmp_path):
    refused = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "detikinet", "-a", "urls=https://inet.detik.com/cyberlife/d-1/a",
         "-s", "NEWSCRAWL_WARC_GZIP_LEVEL=0", "-s", f"NEWSCRAWL_EXPORTS_DIR={tmp_path}"],
        cwd=ROOT, env={**os.environ, "NEWSCRAWL_DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"},
        capture_output=True, text=True, timeout=120,
    )
    assert refused.returncode == 2
    assert refused.stderr == ("scrapy crawl detikinet: error: NEWSCRAWL_WARC_GZIP_LEVEL: '0' is not a gzip level: "
                              "use a whole number from 1 (fastest) to 9 (smallest files)\n")


def _middleware(tmp_path, **settings) -> WarcCaptureMiddleware:
    spider = SimpleNamespace(name="detikinet", run_started="2026-11-28T03-00-00", run_started_at=None,
                             plan=SimpleNamespace(arguments={}, replay=None))
    crawler = SimpleNamespace(settings=Settings(project_settings(NEWSCRAWL_EXPORTS_DIR=str(tmp_path), **settings)),
                              stats=MemoryStatsCollector(SimpleNamespace(settings=Settings())),
                              signals=SimpleNamespace(connect=lambda *a, **k: None), spider=spider)
    middleware = WarcCaptureMiddleware.from_crawler(crawler)
    middleware.spider_opened(spider)
    return middleware


def _fetch(middleware, url: str, kind: str | None):
    request = scrapy.Request(url, meta={"page_kind": kind} if kind else {})
    middleware.process_request(request)
    asyncio.run(middleware.process_response(request, HtmlResponse(url, body=b"<html></html>", request=request)))
    return request.meta.get(CAPTURE)


def test_after_a_failed_write_nothing_more_is_archived_not_even_what_was_handed_over_before(tmp_path):
    # The disk fills on the first of two responses in flight; the file, cut back, would take the second.
    middleware = _middleware(tmp_path, NEWSCRAWL_WARC_INDEX_PAGES=False)
    write_record = middleware.files.writer.write_record
    calls = []  # the exchanges' records written or tried (the file's warcinfo record is written)

    def full_once(record):
        if record.rec_type != "warcinfo":
            calls.append(record.rec_headers.get_header("WARC-Target-URI"))
            if len(calls) == 1:
                raise OSError(errno.ENOSPC, "No space left on device")
        return write_record(record)

    middleware.files.writer.write_record = full_once
    urls = ["https://inet.detik.com/cyberlife/d-1/a", "https://inet.detik.com/cyberlife/d-2/b"]
    requests = [scrapy.Request(url, meta={"page_kind": "article"}) for url in urls]

    async def both():
        await asyncio.gather(*(middleware.process_response(request, HtmlResponse(request.url, body=b"<html></html>",
                                                                                 request=request))
                               for request in requests))

    asyncio.run(both())
    middleware.spider_closed(None)
    stats = middleware.crawler.stats
    assert calls == urls[:1]
    assert [request.meta.get(CAPTURE) for request in requests] == [None, None]
    assert (stats.get_value("newscrawl/warc/responses"), stats.get_value("newscrawl/warc/not_archived")) == (None, 2)
    assert [response for path in tmp_path.glob("warc/*.warc.gz")
            for response in iter_responses(path, max_bytes=DOWNLOAD_MAXSIZE)] == []


def test_everything_fetched_is_archived_by_default_index_pages_can_be_left_out(tmp_path):
    index = "https://inet.detik.com/indeks?date=10/12/2023"
    rss = "https://inet.detik.com/rss"
    article = "https://inet.detik.com/cyberlife/d-1/a"
    name = "warc/detikinet-2026-11-28T03-00-00-00000.warc.gz"
    default = _middleware(tmp_path / "default")
    for url, kind in ((index, "index"), (rss, "rss"), (article, "article"), ("https://inet.detik.com/robots.txt", None)):
        capture = _fetch(default, url, kind)
        assert capture.warc_file == name
        assert read_response(tmp_path / "default" / name, capture.warc_offset, max_bytes=DOWNLOAD_MAXSIZE).url == url
    assert default.crawler.stats.get_value("newscrawl/warc/responses") == 4

    articles_only = _middleware(tmp_path / "articles", NEWSCRAWL_WARC_INDEX_PAGES=False)
    assert _fetch(articles_only, index, "index") is None
    assert _fetch(articles_only, rss, "rss") is None
    capture = _fetch(articles_only, article, "article")
    assert read_response(tmp_path / "articles" / name, capture.warc_offset, max_bytes=DOWNLOAD_MAXSIZE).url == article
    assert articles_only.crawler.stats.get_value("newscrawl/warc/responses") == 1


def test_the_capture_middleware_is_off_when_disabled_or_replaying(tmp_path):
    with pytest.raises(NotConfigured):
        _middleware(tmp_path, NEWSCRAWL_WARC_ENABLED=False)
    replaying = SimpleNamespace(settings=Settings(project_settings()), spider=SimpleNamespace(
        plan=SimpleNamespace(replay=str(tmp_path))))
    with pytest.raises(NotConfigured):
        WarcCaptureMiddleware.from_crawler(replaying)
    with pytest.raises(NotConfigured):
        WarcReplayMiddleware.from_crawler(SimpleNamespace(settings=Settings(project_settings()),
                                                          spider=SimpleNamespace(plan=SimpleNamespace(replay=None))))


def test_store_articles_records_captures_and_fills_a_version_that_had_none(database):
    first, second = make_article(101), make_article(102)
    assert database.store_articles([first, second], reason="load") == ["new", "new"]
    # The same versions imported from a WARC: the loaded revisions get the capture, nothing is added.
    assert database.store_articles([first, second], reason="import",
                                   captures={("detik", 101): ("warc/a.warc.gz", 640)}) == ["unchanged", "unchanged"]
    changed = make_article(102, body="Jakarta - Teks baru.")
    assert database.store_articles([changed], reason="crawl", captures={("detik", 102): ("/abs/b.warc.gz", 9)}) == ["changed"]
    rows = {(record["article_id"], record["body"]): (warc_file, warc_offset)
            for record, warc_file, warc_offset in database.iter_current_captures()}
    assert rows == {(101, first["body"]): ("warc/a.warc.gz", 640), (102, "Jakarta - Teks baru."): ("/abs/b.warc.gz", 9)}
    assert [reason for _, _, reason in revisions(database, 102)] == ["load", "crawl"]
    # A capture never overwrites one a version already has.
    database.store_articles([first], reason="import", captures={("detik", 101): ("warc/other.warc.gz", 1)})
    assert next(database.iter_current_captures(article_id=101))[1:] == ("warc/a.warc.gz", 640)


def _article_warc(path, bodies: list[bytes], gzip: bool) -> list[int]:
    """A WARC of one response per body, at https://inet.detik.com/cyberlife/d-<n>/a (n from 1); the
    records' offsets."""
    offsets = []
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=gzip)
        for number, body in enumerate(bodies):
            offsets.append(handle.tell())
            writer.write_record(response_record(writer, f"https://inet.detik.com/cyberlife/d-{number + 1}/a", body,
                                                [("Content-Type", "text/html")]))
    return offsets


def test_an_uncompressed_warc_is_read_as_a_gzipped_one(tmp_path):
    # The reader's gzip inflater is isal's; a file that is not gzip at all must still be read (warcio
    # drops the decompressor when the first block does not inflate).
    path = tmp_path / "plain.warc"
    offsets = _article_warc(path, [b"<html>page %d</html>" % number for number in range(3)], gzip=False)

    found = list(iter_responses(path, max_bytes=DOWNLOAD_MAXSIZE))

    assert [(item.url, item.offset, item.body) for item in found] == [
        (f"https://inet.detik.com/cyberlife/d-{number + 1}/a", offsets[number], b"<html>page %d</html>" % number)
        for number in range(3)]
    assert read_response(path, offsets[2], max_bytes=DOWNLOAD_MAXSIZE).body == b"<html>page 2</html>"


def test_isal_inflater_stays_broken_after_an_error_as_zlibs_does():
    """The WARC reader inflates with ISA-L. isal's own inflater, after an error, takes the rest of
    its input for data after the member (warcio would read that as the next record); the reader's
    stays broken like zlib's, so only the damaged record is lost."""
    import base64
    import gzip
    import random

    from isal import isal_zlib

    from newscrawl.archive.reader import _IsalGunzip

    member = bytearray(gzip.compress(base64.b64encode(random.Random(1).randbytes(30000))))
    member[20000:20040] = b"\xff" * 40
    after = gzip.compress(b"WARC/1.0\r\n" * 100)

    inflater = _IsalGunzip()
    with pytest.raises(isal_zlib.error):
        for start in range(0, len(member), 4096):
            inflater.decompress(bytes(member[start:start + 4096]))
    with pytest.raises(isal_zlib.error):
        inflater.decompress(after)
    assert (inflater.eof, inflater.unused_data, inflater.unconsumed_tail, inflater.flush()) == (False, b"", b"", b"")

    whole = _IsalGunzip()
    assert whole.decompress(after + b"rest") == b"WARC/1.0\r\n" * 100
    assert (whole.eof, whole.unused_data) == (True, b"rest")


def test_damaged_compressed_data_costs_only_its_record(tmp_path):
    """warcio takes corrupt deflate data inside a gzip member for the end of the file; the reader
    reports that record and reads on from the next member (each record is one member)."""
    import base64
    import random

    path = tmp_path / "damaged.warc.gz"
    # Incompressible bodies, so the damage lands in the middle of a member's deflate data.
    offsets = _article_warc(path, [b"<html>" + base64.b64encode(random.Random(number).randbytes(30000)) + b"</html>"
                                   for number in range(12)], gzip=True)
    data = bytearray(path.read_bytes())
    middle = (offsets[4] + offsets[5]) // 2
    data[middle:middle + 40] = b"\xff" * 40
    path.write_bytes(bytes(data))

    found = list(iter_responses(path, max_bytes=DOWNLOAD_MAXSIZE))

    assert [(item.reason, item.offset) for item in found if isinstance(item, UnreadableArchive)] == [
        ("truncated_record", offsets[4])]
    read = [(item.url, item.offset) for item in found if not isinstance(item, UnreadableArchive)]
    assert read == [(f"https://inet.detik.com/cyberlife/d-{n + 1}/a", offsets[n]) for n in range(12) if n != 4]
