"""Archived bodies that expand far past any news page: `newscrawl import` and `reextract` read them
up to the crawl's DOWNLOAD_MAXSIZE, count them too_large and go on with the rest, in little memory
(issue 11, item 7).

The WARC holds, between good article records, a gzip, a deflate and a br body of a few hundred
bytes to a few hundred kilobytes that decode to 100 MiB to 512 MiB, and a record of 100 MiB
that its WARC gzip member shrinks to 100 KB; a second WARC starts with a record whose HTTP
header line is 100 MiB long. Both commands run as subprocesses, and their peak
RSS is read from the kernel's accounting of each one (tests/faults/hostile.py run_measured).
"""

from __future__ import annotations

import os
import sqlite3
import sys
import uuid
import zlib
from pathlib import Path

import pytest
from warcio.warcwriter import WARCWriter

from newscrawl.settings import DOWNLOAD_MAXSIZE
from tests.archive.support import expected_item, page_bytes, response_record
from tests.faults.hostile import MIB, bomb, run_measured

CLI = [sys.executable, "-c", "import sys; from newscrawl.cli import main; sys.exit(main())"]
HTML = ("Content-Type", "text/html; charset=UTF-8")
WARC_DATE = "2026-11-20T10:00:00Z"
A, B, C = "noise-2020s", "seed-2018-layout2017", "detikinet-2022-12-10-d-6453192"
HUGE = 100 * MIB
# What each record is, in file order.
RECORDS = ["good A", "gzip bomb (A)", "deflate bomb (B)", "br bomb (A)", "100 MiB record (B)", "good B", "good C"]


def _url(name: str) -> str:
    return expected_item(name)["url"]


def _huge_record(handle, url: str, size: int, header_line: bool = False) -> None:
    """A response record of a page and ``size`` bytes of spaces, after its HTTP headers (or, with
    ``header_line``, in one of them), written as one gzip member a MiB at a time (warcio's
    writer would hold the whole record to digest it)."""
    page = page_bytes(A)
    start = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\n"
    if header_line:
        start, end = start + b"X-Padding: ", b"\r\n\r\n" + page
    else:
        start, end = start + b"Content-Length: %d\r\n\r\n" % (len(page) + size) + page, b""
    length = len(start) + size + len(end)
    warc = (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:{uuid.uuid4()}>\r\n"
            f"WARC-Date: {WARC_DATE}\r\nWARC-Target-URI: {url}\r\n"
            f"Content-Type: application/http; msgtype=response\r\nContent-Length: {length}\r\n\r\n").encode()
    member = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    handle.write(member.compress(warc) + member.compress(start))
    block = (b"a" if header_line else b" ") * MIB
    for _ in range(size // MIB):
        handle.write(member.compress(block))
    handle.write(member.compress(end + b"\r\n\r\n") + member.flush())


@pytest.fixture(scope="module")
def header_bomb(tmp_path_factory) -> Path:
    """A WARC whose first record has a 100 MiB header line, and a good record after it."""
    path = tmp_path_factory.mktemp("headers") / "headers.warc.gz"
    with open(path, "wb") as handle:
        _huge_record(handle, _url(C), HUGE, header_line=True)
        writer = WARCWriter(handle, gzip=True)
        writer.write_record(response_record(writer, _url(C), page_bytes(C), [HTML], date=WARC_DATE))
    assert path.stat().st_size < 1 * MIB
    return path


@pytest.fixture(scope="module")
def bombs(tmp_path_factory) -> tuple[Path, list[int]]:
    """The WARC file and the offset of each of its RECORDS."""
    path = tmp_path_factory.mktemp("bombs") / "bombs.warc.gz"
    offsets = []
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))

        def record(url: str, body: bytes, encoding: str | None = None) -> None:
            offsets.append(handle.tell())
            headers = [HTML, ("Content-Length", str(len(body)))]
            if encoding:
                headers.append(("Content-Encoding", encoding))
            writer.write_record(response_record(writer, url, body, headers, date=WARC_DATE))

        record(_url(A), page_bytes(A))
        record(_url(A), bomb(page_bytes(A), HUGE, "gzip"), "gzip")
        record(_url(B), bomb(page_bytes(B), HUGE, "deflate"), "deflate")
        record(_url(A), bomb(page_bytes(A), 512 * MIB, "br"), "br")
        offsets.append(handle.tell())
        _huge_record(handle, _url(B), HUGE)
        record(_url(B), page_bytes(B))
        record(_url(C), page_bytes(C))
    assert path.stat().st_size < 1 * MIB
    return path, offsets


def _cli(*arguments: str):
    env = {name: value for name, value in os.environ.items() if not name.upper().startswith("NEWSCRAWL_")}
    return run_measured([*CLI, *arguments], env, timeout=120)


def test_import_counts_the_bombs_too_large_and_imports_the_rest_in_little_memory(bombs, header_bomb, tmp_path):
    warc, offsets = bombs
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "besar.html").write_bytes(page_bytes(C) + b" " * DOWNLOAD_MAXSIZE)  # a saved page past the bound
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"

    run = _cli("import", "--database-url", url, str(header_bomb), str(warc), str(saved))

    assert run.returncode == 1, run.stderr
    assert run.stdout.splitlines() == [
        "imported 3 articles: 3 new, 0 changed, 0 unchanged",
        "skipped 0: none",
        "bad input 6: too_large 6",
    ]
    limit = DOWNLOAD_MAXSIZE
    assert run.stderr.splitlines() == [
        # The record after the long header line cannot be found: its file is given up, the others read.
        f"{header_bomb}@0: too_large: a record's headers run past 1048576 bytes; the rest of the file is not read",
        f"{warc}@{offsets[1]}: too_large: the gzip body decodes to more than {limit} bytes",
        f"{warc}@{offsets[2]}: too_large: the deflate body decodes to more than {limit} bytes",
        f"{warc}@{offsets[3]}: too_large: the br body decodes to more than {limit} bytes",
        f"{warc}@{offsets[4]}: too_large: the archived body is larger than {limit} bytes",
        f"{saved / 'besar.html'}: too_large: the page is larger than {limit} bytes",
    ]
    with sqlite3.connect(tmp_path / "db.sqlite3") as connection:
        stored = connection.execute("SELECT article_id, warc_offset FROM article_revisions ORDER BY article_id").fetchall()
    ids = {name: expected_item(name)["article_id"] for name in (A, B, C)}
    assert stored == sorted([(ids[A], offsets[0]), (ids[B], offsets[5]), (ids[C], offsets[6])])
    # Bombs of 100 MiB to 512 MiB: the import's memory is that of an import.
    assert run.peak_rss_mb < 250, run.peak_rss_mb


def test_reextract_counts_a_bomb_capture_too_large_and_reextracts_the_rest(bombs, tmp_path):
    warc, offsets = bombs
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    assert _cli("import", "--database-url", url, str(warc)).returncode == 1  # the bombs are bad input
    # The archived responses of A and B are now bombs (a replaced file, a damaged index, ...).
    ids = {name: expected_item(name)["article_id"] for name in (A, B, C)}
    with sqlite3.connect(tmp_path / "db.sqlite3") as connection:
        for name, offset in ((A, offsets[3]), (B, offsets[4])):
            connection.execute("UPDATE article_revisions SET warc_offset = ? WHERE article_id = ?", (offset, ids[name]))

    run = _cli("reextract", "--database-url", url, "--exports-dir", str(tmp_path))

    assert run.returncode == 1, run.stderr
    assert run.stdout.splitlines() == [
        "re-extracted 1 of 3 articles: 0 changed (stored as new revisions), 1 unchanged, "
        "0 without an archived response, 2 failed",
        "failed: too_large 2",
    ]
    limit = DOWNLOAD_MAXSIZE
    assert run.stderr.splitlines() == [
        f"article {ids[B]} ({warc}@{offsets[4]}): the archived body is larger than {limit} bytes",
        f"article {ids[A]} ({warc}@{offsets[3]}): the br body decodes to more than {limit} bytes",
    ]
    assert run.peak_rss_mb < 250, run.peak_rss_mb
