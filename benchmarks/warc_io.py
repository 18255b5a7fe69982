"""WARC reading and gzip speed: FastWARC vs warcio, ISA-L (isal) vs zlib, on the crawler's own files.

Run from the repository root (fastwarc comes with the bench extra; isal is a dependency of newscrawl)::

    .venv/bin/pip install -e '.[test,bench]'
    .venv/bin/python -m benchmarks.warc_io                       # 5,000 responses x 5 reps (~4-6 min)
    .venv/bin/python -m benchmarks.warc_io --responses 1000 --reps 3 --json /tmp/warc_io.json

The test WARC is written in a temporary folder by newscrawl's own writer
(newscrawl.archive.writer.WarcFiles.write_exchange: a request and a response record per page,
one gzip member per record at zlib level 6, WARC-Block-Digest and WARC-Payload-Digest set by
warcio), so it is byte for byte what a crawl writes. Pages are benchmarks.sitegen article pages
(~113-146 KB); their bodies are stored as a crawl of detikInet stores them, Content-Encoding gzip
(zlib level 6), except every 8th page as identity and every 8th (shifted by one) as identity sent
with Transfer-Encoding: chunked (8 KB chunks), so both decode paths of the reader are exercised.

Sections, each a loop over repetitions (the first one a warm-up, not counted), the variants
inside a repetition in an order rotated from one repetition to the next; ratios are taken
inside one repetition and their median is reported:

1. Reading the whole file, every record, decoded bodies of the responses (what ``import`` does,
   without the extraction):
   ``newscrawl`` - newscrawl.archive.iter_responses + ArchivedResponse.decoded_body(): today's path;
   ``warcio``    - warcio ArchiveIterator(check_digests=True), raw_stream read whole, de-chunked
                   with ChunkedDataReader, gunzipped with zlib: the same work without newscrawl's checks;
   ``fastwarc``  - fastwarc ArchiveIterator(file, parse_http=True, verify_digests=True,
                   auto_decode="all"), record.reader.read(): de-chunking and gunzip done by FastWARC;
   floors (decompression only, no WARC parsing): ``zlib members`` / ``isal members`` (the file read
   in 64 KB chunks, one decompressobj(wbits=31) per gzip member, zlib's or isal.isal_zlib's) and
   ``gzip.open`` / ``igzip.open`` (the file read through gzip.GzipFile / isal.igzip.IGzipFile, every
   member, 1 MB reads). gzip.decompress(bytes) is not a floor here: it copies the rest of its
   input once per member, quadratic in members (a single-run line shows it on 1-16 MB prefixes).
   MB/s is of the file on disk (compressed).
2. Random access (what ``reextract`` does): for every response offset, in a shuffled order, open
   the file, seek, read that one record and decode its body: newscrawl.archive.read_response
   (+ decoded_body), bare warcio, fastwarc.
3. Compression of one gzip member per page (HTTP headers + the identity page, as a record of an
   uncompressed page) and per actual response record of the test file (the mix above, whose
   gzip bodies barely compress again): zlib levels 1 and 6 (zlib.compressobj, wbits=31) and isal
   levels 0-3 (isal.isal_zlib.compressobj, wbits=31). And the writer end to end: WarcFiles.
   write_exchange per exchange with its members made by zlib 6 and by isal at the level chosen
   below (GzipMemberPerRecord swapped for a subclass in this process only).
4. Compatibility (not timed): a second WARC written by the same writer with isal members (the
   fastest isal level whose page members are within 5% of zlib 6's size); on both files warcio
   check, newscrawl's iter_responses, Python's gzip module and fastwarc must agree; then a file
   with a bad payload digest, one cut off mid-record and one with a corrupt deflate stream show
   what each reader does with damage.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from contextlib import contextmanager, redirect_stderr
from importlib import metadata
from pathlib import Path

import isal.igzip
import isal.isal_zlib
from fastwarc.warc import ArchiveIterator as FastIterator
from warcio.archiveiterator import ArchiveIterator as WarcioIterator
from warcio.bufferedreaders import ChunkedDataReader

import newscrawl.archive.writer as writer_module
from benchmarks.sitegen import Site
from newscrawl.archive import iter_responses, read_response
from newscrawl.archive.decoding import decode
from newscrawl.archive.reader import ArchivedResponse, UnreadableArchive
from newscrawl.archive.writer import Exchange, GzipMemberPerRecord, WarcFiles

ROOT = Path(__file__).resolve().parent.parent
MAX_BODY_BYTES = 4 * 1024 * 1024  # settings.DOWNLOAD_MAXSIZE, the bound import and reextract read with
CHUNK = 64 * 1024
SAMPLE = 500  # pages / records for the compression tables
WRITER_SAMPLE = 1000  # exchanges for the writer end to end
ISAL_LEVELS = (0, 1, 2, 3)
ZLIB_LEVELS = (1, 6)
MB = 1_000_000


# -- the test archive ---------------------------------------------------------------------------


def chunked(body: bytes, size: int = 8192) -> bytes:
    parts = [b"%x\r\n%s\r\n" % (len(body[i:i + size]), body[i:i + size]) for i in range(0, len(body), size)]
    return b"".join(parts) + b"0\r\n\r\n"


def exchange(site: Site, number: int) -> tuple[Exchange, bytes]:
    """The exchange for article ``number`` and the page (the decoded body a reader must return)."""
    article = site.article(number)
    page = site.article_html(article)
    headers = [("Server", "nginx"), ("Date", "Wed, 01 Jan 2025 00:00:00 GMT"),
               ("Content-Type", "text/html; charset=UTF-8"), ("Vary", "Accept-Encoding"),
               ("Cache-Control", "max-age=60")]
    kind = number % 8
    if kind == 6:  # identity
        body = page
        headers.append(("Content-Length", str(len(body))))
    elif kind == 7:  # identity, chunked on the wire
        body = chunked(page)
        headers.append(("Transfer-Encoding", "chunked"))
    else:  # gzip, as detikInet serves it
        body = gzip.compress(page, 6, mtime=0)
        headers += [("Content-Encoding", "gzip"), ("Content-Length", str(len(body)))]
    request_headers = [("Accept", "text/html,application/xhtml+xml"), ("Accept-Encoding", "gzip, deflate, br"),
                       ("User-Agent", "newscrawl-bench/1")]
    return Exchange(article.url, "GET", request_headers, 200, "OK", headers, body, ip_address="203.190.242.211"), page


def member_class(level: int):
    class IsalMemberPerRecord(GzipMemberPerRecord):
        def _new_member(self):
            return isal.isal_zlib.compressobj(level, isal.isal_zlib.DEFLATED, 31)

    return IsalMemberPerRecord


@contextmanager
def isal_members(level: int | None):
    """newscrawl's writer with its gzip members made by isal at ``level`` (None: unchanged, zlib)."""
    original = writer_module.GzipMemberPerRecord
    if level is not None:
        writer_module.GzipMemberPerRecord = member_class(level)
    try:
        yield
    finally:
        writer_module.GzipMemberPerRecord = original


def write_warc(folder: Path, site: Site, count: int, isal_level: int | None = None):
    """Write ``count`` exchanges; return (path, response offsets, sha1 of each decoded page)."""
    files = WarcFiles(folder, "bench", {"software": "newscrawl benchmarks.warc_io"}, max_bytes=1 << 40)
    offsets, digests = [], []
    with isal_members(isal_level):
        for number in range(count):
            item, page = exchange(site, number)
            offsets.append(files.write_exchange(item).warc_offset)
            digests.append(hashlib.sha1(page).digest())
        files.close()
    assert len(files.files_written) == 1
    return files.files_written[0], offsets, digests


# -- readers ------------------------------------------------------------------------------------


def _gunzip(body: bytes) -> bytes:
    out = []
    while body:
        d = zlib.decompressobj(31)
        out.append(d.decompress(body))
        if not d.eof:
            raise zlib.error("truncated gzip body")
        body = d.unused_data
    return b"".join(out)


def warcio_body(record) -> bytes:
    raw = record.raw_stream.read()
    if record.digest_checker.passed is False:
        raise ValueError("digest mismatch")
    http = record.http_headers
    if (http.get_header("Transfer-Encoding") or "").lower() == "chunked":
        raw = ChunkedDataReader(io.BytesIO(raw)).read()
    if (http.get_header("Content-Encoding") or "").lower() == "gzip":
        raw = _gunzip(raw)
    return raw


def read_newscrawl(path: Path) -> tuple[int, int]:
    responses = size = 0
    for found in iter_responses(path, max_bytes=MAX_BODY_BYTES):
        if not isinstance(found, ArchivedResponse):
            raise found
        size += len(found.decoded_body())
        responses += 1
    return responses, size


def read_warcio(path: Path) -> tuple[int, int]:
    responses = size = 0
    with open(path, "rb") as handle:
        for record in WarcioIterator(handle, check_digests=True):
            if record.rec_type == "response":
                size += len(warcio_body(record))
                responses += 1
            else:
                record.raw_stream.read()
    return responses, size


def fast_iterator(handle, **options):
    return FastIterator(handle, parse_http=True, verify_digests=True, auto_decode="all", **options)


def fastwarc_checked_body(record) -> bytes:
    """newscrawl's checks on a fastwarc record: payload digest verified explicitly (a mismatch is
    reported, not skipped), the body read with the bound, de-chunked, Content-Encoding undone by
    newscrawl.archive.decoding.decode (bounded)."""
    if not record.verify_payload_digest():
        raise ValueError("payload digest mismatch")
    raw = record.reader.read(MAX_BODY_BYTES + 1)
    if len(raw) > MAX_BODY_BYTES:
        raise ValueError("too large")
    http = record.http_headers
    if (http.get("Transfer-Encoding") or "").lower() == "chunked":
        raw = ChunkedDataReader(io.BytesIO(raw)).read()
    encoding = (http.get("Content-Encoding") or "").strip().lower()
    return decode(raw, encoding, MAX_BODY_BYTES) if encoding and encoding != "identity" else raw


def read_fastwarc_checked(path: Path) -> tuple[int, int]:
    responses = size = 0
    with open(path, "rb") as handle:
        for record in FastIterator(handle, parse_http=True):
            if record.headers.get("WARC-Type") == "response":
                size += len(fastwarc_checked_body(record))
                responses += 1
            else:
                record.reader.read()
    return responses, size


def read_fastwarc(path: Path) -> tuple[int, int]:
    responses = size = 0
    with open(path, "rb") as handle:
        for record in fast_iterator(handle):
            data = record.reader.read()
            if record.headers.get("WARC-Type") == "response":
                size += len(data)
                responses += 1
    return responses, size


def gunzip_members(path: Path, decompressobj) -> tuple[int, int]:
    members = size = 0
    with open(path, "rb", buffering=0) as handle:
        d = decompressobj(31)
        while chunk := handle.read(CHUNK):
            while chunk:
                size += len(d.decompress(chunk))
                if d.eof:
                    members += 1
                    chunk = d.unused_data
                    d = decompressobj(31)
                else:
                    chunk = b""
    return members, size


def read_zlib_members(path: Path):
    return gunzip_members(path, zlib.decompressobj)


def read_isal_members(path: Path):
    return gunzip_members(path, isal.isal_zlib.decompressobj)


def read_gzip_open(path: Path):
    with gzip.open(path, "rb") as handle:
        return 0, sum(len(block) for block in iter(lambda: handle.read(1 << 20), b""))


def read_igzip_open(path: Path):
    with isal.igzip.open(path, "rb") as handle:
        return 0, sum(len(block) for block in iter(lambda: handle.read(1 << 20), b""))


def one_call_scaling(path: Path) -> dict:
    """gzip.decompress / igzip.decompress of the whole file's first 1, 4 and 16 MB (whole members):
    CPython's gzip.decompress slices the rest of its input once per member (quadratic in members)."""
    data = path.read_bytes()
    out = {}
    for target in (1 * MB, 4 * MB, 16 * MB):
        end = 0
        while end < min(target, len(data)):
            d = zlib.decompressobj(31)
            d.decompress(data[end:end + 4 * MAX_BODY_BYTES])
            end = min(end + 4 * MAX_BODY_BYTES, len(data)) - len(d.unused_data)
        part = data[:end]
        for name, function in (("gzip.decompress", gzip.decompress), ("igzip.decompress", isal.igzip.decompress)):
            start = time.perf_counter()
            function(part)
            out[f"{name} {len(part) / MB:.0f} MB"] = round(time.perf_counter() - start, 3)
    return out


READERS = {
    "newscrawl": read_newscrawl, "warcio": read_warcio, "fastwarc": read_fastwarc,
    "fastwarc+checks": read_fastwarc_checked,
    "zlib members": read_zlib_members, "isal members": read_isal_members,
    "gzip.open": read_gzip_open, "igzip.open": read_igzip_open,
}


def seek_newscrawl(path: Path, offset: int) -> int:
    return len(read_response(path, offset, max_bytes=MAX_BODY_BYTES).decoded_body())


def seek_warcio(path: Path, offset: int) -> int:
    with open(path, "rb") as handle:
        handle.seek(offset)
        record = next(iter(WarcioIterator(handle, check_digests=True)))
        assert record.rec_type == "response"
        return len(warcio_body(record))


def seek_fastwarc(path: Path, offset: int) -> int:
    with open(path, "rb") as handle:
        handle.seek(offset)
        record = next(iter(fast_iterator(handle)))
        assert record.headers.get("WARC-Type") == "response"
        return len(record.reader.read())


def seek_fastwarc_checked(path: Path, offset: int) -> int:
    with open(path, "rb") as handle:
        handle.seek(offset)
        record = next(iter(FastIterator(handle, parse_http=True)))
        assert record.headers.get("WARC-Type") == "response"
        return len(fastwarc_checked_body(record))


SEEKERS = {"newscrawl": seek_newscrawl, "warcio": seek_warcio, "fastwarc": seek_fastwarc,
           "fastwarc+checks": seek_fastwarc_checked}


# -- compression --------------------------------------------------------------------------------


def compressors() -> dict:
    out = {}
    for level in ZLIB_LEVELS:
        out[f"zlib {level}"] = lambda data, level=level: _member(zlib.compressobj(level, zlib.DEFLATED, 31), data)
    for level in ISAL_LEVELS:
        out[f"isal {level}"] = lambda data, level=level: _member(
            isal.isal_zlib.compressobj(level, isal.isal_zlib.DEFLATED, 31), data)
    return out


def _member(compressor, data: bytes) -> bytes:
    return compressor.compress(data) + compressor.flush()


def page_records(site: Site, count: int) -> list[bytes]:
    """HTTP response head + identity page, as the block of a record of an uncompressed page."""
    out = []
    for number in range(count):
        page = site.article_html(site.article(number))
        head = (f"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/html; charset=UTF-8\r\n"
                f"Content-Length: {len(page)}\r\n\r\n").encode()
        out.append(head + page)
    return out


def file_records(path: Path, offsets: list[int], count: int) -> list[bytes]:
    """The uncompressed response records (WARC headers included) at the first ``count`` offsets."""
    data = path.read_bytes()
    return [zlib.decompressobj(31).decompress(data[offset:offset + 4 * MAX_BODY_BYTES]) for offset in offsets[:count]]


def write_exchanges(folder: Path, items: list[Exchange], level: int | None) -> None:
    shutil.rmtree(folder, ignore_errors=True)
    with isal_members(level):
        files = WarcFiles(folder, "w", {"software": "bench"}, max_bytes=1 << 40)
        for item in items:
            files.write_exchange(item)
        files.close()


# -- timing -------------------------------------------------------------------------------------


def rotated(names: list[str], rep: int) -> list[str]:
    k = rep % len(names)
    return names[k:] + names[:k]


def timed_reps(reps: int, names: list[str], run) -> dict[str, list[float]]:
    """Seconds of ``run(name)`` per counted repetition (repetition 0 is a warm-up)."""
    seconds = {name: [] for name in names}
    for rep in range(reps + 1):
        for name in rotated(names, rep):
            start = time.perf_counter()
            run(name)
            elapsed = time.perf_counter() - start
            if rep:
                seconds[name].append(elapsed)
    return seconds


def ratio(seconds: dict[str, list[float]], top: str, bottom: str) -> float:
    """Median over repetitions of speed(top)/speed(bottom) = time(bottom)/time(top)."""
    return statistics.median(b / t for t, b in zip(seconds[top], seconds[bottom]))


# -- compatibility and damage -------------------------------------------------------------------


def listing_warcio(path: Path) -> list[tuple]:
    rows = []
    with open(path, "rb") as handle:
        iterator = WarcioIterator(handle, check_digests=True)
        for record in iterator:
            offset = iterator.offset
            uri = record.rec_headers.get_header("WARC-Target-URI")
            if record.rec_type == "response":
                body = warcio_body(record)
            else:
                body = record.raw_stream.read()
            if record.digest_checker.passed is False:
                raise ValueError(f"warcio: digest mismatch at {offset}")
            rows.append((record.rec_type, offset, uri, hashlib.sha1(body).hexdigest()))
    return rows


def listing_fastwarc(path: Path, source: str = "file") -> list[tuple]:
    rows = []
    from fastwarc.stream_io import GzipReader

    stream = GzipReader(str(path)) if source == "GzipReader" else open(path, "rb")
    for record in fast_iterator(stream):
        offset = record.stream_pos
        kind = record.headers.get("WARC-Type")
        rows.append((kind, offset, record.headers.get("WARC-Target-URI"), hashlib.sha1(record.reader.read()).hexdigest()))
    return rows


def compatibility(path: Path, offsets: list[int], digests: list[bytes]) -> dict:
    out: dict = {}
    proc = subprocess.run([str(Path(sys.executable).with_name("warcio")), "check", "-v", str(path)],
                          capture_output=True, text=True)
    lines = proc.stdout.splitlines()
    out["warcio check"] = {"exit": proc.returncode, "lines": len(lines),
                           "digest pass lines": sum("digest pass" in line for line in lines),
                           "problems": [line for line in lines if "fail" in line.lower()][:3]}
    found = list(iter_responses(path, max_bytes=MAX_BODY_BYTES))
    good = [f for f in found if isinstance(f, ArchivedResponse)]
    out["newscrawl iter_responses"] = {
        "responses": len(good), "unreadable": [f"{f.reason}: {f}" for f in found if not isinstance(f, ArchivedResponse)][:3],
        "offsets == writer's": [f.offset for f in good] == offsets,
        "decoded bodies == pages": [hashlib.sha1(f.decoded_body()).digest() for f in good] == digests,
    }
    sample = offsets[:: max(1, len(offsets) // 50)]
    out["newscrawl read_response at 50 offsets"] = all(
        hashlib.sha1(read_response(path, o, max_bytes=MAX_BODY_BYTES).decoded_body()).digest() == digests[offsets.index(o)]
        for o in sample)
    with gzip.open(path, "rb") as handle:
        text = handle.read()
    members, size = gunzip_members(path, zlib.decompressobj)
    out["python gzip module"] = {"bytes": len(text), "== zlib member-wise bytes": len(text) == size,
                                 "WARC/1 record starts": text.count(b"\r\n\r\nWARC/1.") + text.startswith(b"WARC/1."),
                                 "gzip members": members}
    w = listing_warcio(path)
    f = listing_fastwarc(path)
    g = listing_fastwarc(path, "GzipReader")
    resp_f = [row for row in f if row[0] == "response"]
    out["fastwarc vs warcio"] = {
        "records": (len(f), len(w)), "identical (type, offset, URI, sha1 of decoded body)": f == w,
        "mismatching rows": sum(a != b for a, b in zip(f, w)),
        "response offsets == writer's": [row[1] for row in resp_f] == offsets,
        "decoded bodies == pages": [bytes.fromhex(row[3]) for row in resp_f] == digests,
        "GzipReader(path) offsets differ at": [i for i, (a, b) in enumerate(zip(g, w)) if a[1] != b[1]][:5],
        "GzipReader(path) first offset": g[0][1] if g else None,
    }
    return out


def attempt(function) -> str:
    try:
        return f"ok: {function()}"
    except Exception as error:  # noqa: BLE001 - what each library raises is the finding
        return f"{type(error).__module__}.{type(error).__name__}: {str(error).splitlines()[0][:90] if str(error) else ''}"


def seek_report(path: Path, offset: int) -> str:
    with open(path, "rb") as handle:
        handle.seek(offset)
        record = next(iter(fast_iterator(handle)), None)
        if record is None:
            return "no record"
        return f"a {record.headers.get('WARC-Type')} record, stream_pos {record.stream_pos} (asked {offset})"


def damage(folder: Path, path: Path, offsets: list[int]) -> dict:
    data = path.read_bytes()
    k = 14 if len(offsets) > 16 else 6  # an identity body (number % 8 == 6), not the last record
    start = offsets[k]
    d = zlib.decompressobj(31)
    record = d.decompress(data[start:])
    member_end = len(data) - len(d.unused_data)
    # 1. bad payload digest: one byte of response k's body changed, recompressed as a valid member
    at = record.rindex(b"</html>")
    bad = data[:start] + gzip.compress(record[:at] + b"</HTML>" + record[at + 7:], 6) + data[member_end:]
    # 2. cut off in the middle of response k's member; 3. deflate data of response k garbled
    cut = data[:start + (member_end - start) // 2]
    middle = start + (member_end - start) // 2
    garbled = data[:middle] + bytes(b ^ 0x5A for b in data[middle:middle + 64]) + data[middle + 64:]
    cases = {"bad payload digest": bad, "truncated mid-record": cut, "corrupt deflate data": garbled}
    out = {"damaged response": f"#{k} of {len(offsets)}, offset {start}"}
    for name, content in cases.items():
        file = folder / f"damaged-{name.replace(' ', '-')}.warc.gz"
        file.write_bytes(content)

        def warcio_all():
            rows = 0
            with open(file, "rb") as handle:
                for record in WarcioIterator(handle, check_digests=True):
                    warcio_body(record) if record.rec_type == "response" else record.raw_stream.read()
                    rows += 1
            return f"{rows} records"

        def warcio_raise():
            rows = 0
            with open(file, "rb") as handle:
                for record in WarcioIterator(handle, check_digests="raise"):
                    record.raw_stream.read()
                    rows += 1
            return f"{rows} records"

        def fast_all():
            rows = responses = 0
            with open(file, "rb") as handle:
                for record in fast_iterator(handle):
                    record.reader.read()
                    rows += 1
                    responses += record.headers.get("WARC-Type") == "response"
            return f"{rows} records ({responses} responses)"

        def fast_explicit():
            failed = 0
            rows = 0
            with open(file, "rb") as handle:
                for record in FastIterator(handle, parse_http=True):
                    if record.headers.get("WARC-Type") == "response" and not record.verify_payload_digest():
                        failed += 1
                    rows += 1
            return f"{rows} records, verify_payload_digest() False for {failed}"

        def newscrawl_all():
            found = list(iter_responses(file, max_bytes=MAX_BODY_BYTES))
            bad_ones = [f"{f.reason} at {f.offset}" for f in found if isinstance(f, UnreadableArchive)]
            return f"{sum(isinstance(f, ArchivedResponse) for f in found)} responses, unreadable: {bad_ones}"

        stderr = io.StringIO()
        with redirect_stderr(stderr):
            out[name] = run_damage_checks(file, content, start, warcio_all, warcio_raise, fast_all, fast_explicit,
                                          newscrawl_all)
        out[name]["stderr lines written (warcio)"] = len(stderr.getvalue().splitlines())
    return out


def run_damage_checks(file, content, start, warcio_all, warcio_raise, fast_all, fast_explicit, newscrawl_all):
        return {
            "newscrawl iter_responses": attempt(newscrawl_all),
            "newscrawl read_response(k)": attempt(lambda: len(read_response(file, start, max_bytes=MAX_BODY_BYTES).body)),
            "warcio check_digests=True": attempt(warcio_all),
            "warcio check_digests='raise'": attempt(warcio_raise),
            "fastwarc verify_digests=True": attempt(fast_all),
            "fastwarc verify_payload_digest()": attempt(fast_explicit),
            "fastwarc seek to k, verify_digests=True": attempt(lambda: seek_report(file, start)),
            "fastwarc+checks seek to k": attempt(lambda: seek_fastwarc_checked(file, start)),
            "zlib members": attempt(lambda: gunzip_members(file, zlib.decompressobj)),
            "isal members": attempt(lambda: gunzip_members(file, isal.isal_zlib.decompressobj)),
            "gzip.open read": attempt(lambda: read_gzip_open(file)[1]),
            "igzip.open read": attempt(lambda: read_igzip_open(file)[1]),
        }


# -- main ---------------------------------------------------------------------------------------


def machine() -> str:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in ("warcio", "fastwarc", "isal"))
    return (f"machine: {os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, {versions}, "
            f"zlib {zlib.ZLIB_RUNTIME_VERSION}")


def med(values: list[float]) -> float:
    return statistics.median(values)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=5000, help="response records in the test WARC (default 5000)")
    parser.add_argument("--reps", type=int, default=5, help="counted repetitions (+1 warm-up; default 5)")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    sys.stdout.reconfigure(line_buffering=True)
    print(machine())
    n, reps = args.responses, args.reps
    site = Site(n)
    figures: dict = {"machine": machine(), "responses": n, "reps": reps}
    with tempfile.TemporaryDirectory(prefix="warc-io-") as temp:
        temp = Path(temp)
        path, offsets, digests = write_warc(temp / "zlib", site, n)
        file_size = path.stat().st_size
        _, raw_size = gunzip_members(path, zlib.decompressobj)
        print(f"test WARC: {n} exchanges, {file_size / MB:.1f} MB on disk, {raw_size / MB:.1f} MB uncompressed "
              f"({time.perf_counter() - started:.0f} s to build); {reps} counted reps + 1 warm-up\n")

        # 1. whole file
        names = list(READERS)
        results = {}
        seconds = timed_reps(reps, names, lambda name: results.__setitem__(name, READERS[name](path)))
        for name in ("newscrawl", "warcio", "fastwarc", "fastwarc+checks"):
            assert results[name] == (n, results["newscrawl"][1]), (name, results[name])
        print("## 1. Reading the whole file (median of reps)\n")
        print("| reader | s | responses/s | file MB/s | uncompressed MB/s |\n|---|---|---|---|---|")
        read_fig = {}
        for name in names:
            s = med(seconds[name])
            read_fig[name] = {"seconds": seconds[name], "responses_per_s": n / s, "file_mb_per_s": file_size / MB / s}
            print(f"| {name} | {s:.2f} | {n / s:,.0f} | {file_size / MB / s:.0f} | {raw_size / MB / s:.0f} |")
        pairs = [("fastwarc", "warcio"), ("fastwarc", "newscrawl"), ("fastwarc+checks", "newscrawl"),
                 ("warcio", "newscrawl"),
                 ("isal members", "zlib members"), ("igzip.open", "gzip.open")]
        read_ratios = {f"{a}/{b}": ratio(seconds, a, b) for a, b in pairs}
        print("\nspeed ratios (median of per-rep ratios): "
              + ", ".join(f"{k} {v:.2f}" for k, v in read_ratios.items()) + "\n")
        scaling = one_call_scaling(path)
        print("one-call decompress of the file's first MBs, seconds (single run): "
              + ", ".join(f"{k} {v}" for k, v in scaling.items()) + "\n")
        figures["read"] = {"figures": read_fig, "ratios": read_ratios, "one_call_scaling": scaling}

        # 2. random access
        order = offsets[:]
        random.Random(1).shuffle(order)

        def seek_all(name):
            seek = SEEKERS[name]
            for offset in order:
                seek(path, offset)

        seconds = timed_reps(reps, list(SEEKERS), seek_all)
        print(f"## 2. Random access: {n} responses, each: open, seek, read one record, decode (median of reps)\n")
        print("| reader | s | responses/s | ms/response |\n|---|---|---|---|")
        seek_fig = {}
        for name in SEEKERS:
            s = med(seconds[name])
            seek_fig[name] = {"seconds": seconds[name], "responses_per_s": n / s}
            print(f"| {name} | {s:.2f} | {n / s:,.0f} | {s / n * 1000:.3f} |")
        seek_ratios = {f"{a}/{b}": ratio(seconds, a, b) for a, b in [("fastwarc", "warcio"), ("fastwarc", "newscrawl"),
                                                                       ("fastwarc+checks", "newscrawl")]}
        print("\nspeed ratios: " + ", ".join(f"{k} {v:.2f}" for k, v in seek_ratios.items()) + "\n")
        figures["seek"] = {"figures": seek_fig, "ratios": seek_ratios}

        # 3. compression
        comp = compressors()
        comp_fig = {}
        for label, blocks in (("identity page + HTTP head", page_records(site, min(n, SAMPLE))),
                              ("response records of the test file (mix)", file_records(path, offsets, min(n, SAMPLE)))):
            sizes = {name: sum(len(c(b)) for b in blocks) for name, c in comp.items()}
            total = sum(len(b) for b in blocks)

            def run(name, blocks=blocks):
                c = comp[name]
                for block in blocks:
                    c(block)

            seconds = timed_reps(reps, list(comp), run)
            print(f"## 3. Compression, one gzip member each: {len(blocks)} x {label}, "
                  f"{total / len(blocks) / 1000:.0f} KB avg\n")
            print("| compressor | ms/member | MB/s in | size vs zlib 6 | speed vs zlib 6 |\n|---|---|---|---|---|")
            rows = {}
            for name in comp:
                s = med(seconds[name])
                rows[name] = {"ms": s / len(blocks) * 1000, "size_vs_zlib6": sizes[name] / sizes["zlib 6"],
                              "speed_vs_zlib6": ratio(seconds, name, "zlib 6"), "bytes": sizes[name]}
                print(f"| {name} | {rows[name]['ms']:.3f} | {total / MB / s:.0f} | {rows[name]['size_vs_zlib6']:.3f} "
                      f"| {rows[name]['speed_vs_zlib6']:.2f} |")
            print()
            comp_fig[label] = rows
        figures["compress"] = comp_fig
        page_rows = comp_fig["identity page + HTTP head"]
        fitting = [lv for lv in ISAL_LEVELS if page_rows[f"isal {lv}"]["size_vs_zlib6"] <= 1.05]
        chosen = fitting[0] if fitting else min(ISAL_LEVELS, key=lambda lv: page_rows[f"isal {lv}"]["bytes"])
        figures["chosen_isal_level"] = chosen

        items = [exchange(site, number)[0] for number in range(min(n, WRITER_SAMPLE))]
        variants = {"zlib 6 (newscrawl)": None, **{f"isal {lv}": lv for lv in ISAL_LEVELS if lv}}
        seconds = timed_reps(reps, list(variants), lambda name: write_exchanges(temp / "w", items, variants[name]))
        print(f"## 3b. Writer end to end: WarcFiles.write_exchange x {len(items)} (request + response records, "
              f"warcio digests included)\n")
        print("| members by | ms/exchange | speed vs zlib 6 |\n|---|---|---|")
        writer_fig = {}
        for name in variants:
            s = med(seconds[name])
            writer_fig[name] = {"ms": s / len(items) * 1000, "speed_vs_zlib6": ratio(seconds, name, "zlib 6 (newscrawl)")}
            print(f"| {name} | {writer_fig[name]['ms']:.3f} | {writer_fig[name]['speed_vs_zlib6']:.2f} |")
        figures["writer"] = writer_fig

        # 4. compatibility
        ipath, ioffsets, idigests = write_warc(temp / "isal", site, n, chosen)
        print(f"\n## 4. Compatibility: zlib-6 file {file_size / MB:.1f} MB, isal-{chosen} file "
              f"{ipath.stat().st_size / MB:.1f} MB (x{ipath.stat().st_size / file_size:.3f})\n")
        compat = {"zlib 6 file": compatibility(path, offsets, digests),
                  f"isal {chosen} file": compatibility(ipath, ioffsets, idigests)}
        compat["isal members read by isal"] = read_isal_members(ipath)
        for file_name, checks in compat.items():
            print(f"{file_name}:")
            if isinstance(checks, dict):
                for check, result in checks.items():
                    print(f"  {check}: {result}")
            else:
                print(f"  {checks}")
        figures["compat"] = compat
        print("\n## 5. Damaged files (the zlib-6 file, one response damaged)\n")
        dam = damage(temp, path, offsets)
        for case, results in dam.items():
            print(f"{case}:")
            if isinstance(results, dict):
                for who, what in results.items():
                    print(f"  {who}: {what}")
            else:
                print(f"  {results}")
        figures["damage"] = dam
    print(f"\n(took {time.perf_counter() - started:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
