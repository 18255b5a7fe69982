"""Writing request/response pairs to rotating WARC files (gzip per record, flushed per record).

File names: ``<folder>/<prefix>-<n>.warc.gz`` with n = 00000, 00001, ...; each file starts with
its own ``warcinfo`` record. A file is closed and the next one started before an exchange once
the file has reached ``max_bytes``, so a request and its response always share a file.
"""

from __future__ import annotations

import io
import os
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from isal import isal_zlib
from warcio.statusandheaders import StatusAndHeaders, StatusAndHeadersParser
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from newscrawl.archive.capture import Capture, stored_name

Headers = list[tuple[str, str]]

GZIP_LEVELS = range(1, 10)  # zlib's: 1 is fastest, 9 gives the smallest files
DEFAULT_GZIP_LEVEL = 6  # a third of level 9's time for files about 0.5% larger
# ISA-L's gzip (the isal package) writes the same standard gzip members about 3 times faster than
# zlib at level 6, for files about 4% larger on detik's (already gzip-encoded) responses
# (benchmarks/warc_io.py). Its levels are 0-3; 2 is as fast as 1 and slightly smaller.
COMPRESSORS = ("isal", "zlib")  # the default is NEWSCRAWL_WARC_COMPRESSOR's, in settings.py
ISAL_LEVEL = 2


def checked_compressor(value: object) -> str:
    """``value`` as the name of a WARC compressor; ValueError unless it is isal or zlib."""
    name = str(value).strip().lower()
    if name not in COMPRESSORS:
        raise ValueError(f"{value!r} is not a compressor: use isal (fast) or zlib (with the gzip level setting)")
    return name


def checked_gzip_level(value: object) -> int:
    """``value`` as a zlib compression level; ValueError unless it is a whole number from 1 to 9."""
    try:
        level = int(str(value).strip())
    except ValueError:
        level = None
    if level not in GZIP_LEVELS:
        raise ValueError(f"{value!r} is not a gzip level: use a whole number from 1 (fastest) to 9 (smallest files)")
    return level


class GzipMemberPerRecord:
    """The file as warcio's writer sees it: every record becomes one gzip member at ``level``.

    warcio's own gzip wrapper hard-codes level 9. Its writer writes a record in pieces and calls
    flush() exactly once, after the record's last byte: that is where a member ends and is flushed
    to the file, so a record start is always a member start and a killed crawl loses no finished record.
    """

    def __init__(self, file: io.FileIO, level: int, compressor: str = "zlib") -> None:
        self.file = file
        self.level = level
        self.library = isal_zlib if compressor == "isal" else zlib
        self.compressor = self._new_member()

    def _new_member(self):
        library = self.library
        return library.compressobj(self.level, library.DEFLATED, library.MAX_WBITS | 16)  # | 16: gzip framing

    def _write_all(self, data: bytes) -> None:
        view = memoryview(data)
        while view:  # an unbuffered file may take part of it
            view = view[self.file.write(view):]

    def write(self, data: bytes) -> None:
        self._write_all(self.compressor.compress(data))

    def flush(self) -> None:
        self._write_all(self.compressor.flush())
        self.compressor = self._new_member()


@dataclass
class Exchange:
    """One HTTP request and the response received for it, as sent and received."""

    url: str
    method: str
    request_headers: Headers
    status: int
    reason: str
    response_headers: Headers
    body: bytes  # the payload as received: still content-encoded (gzip, br, ...)
    protocol: str = "HTTP/1.1"
    ip_address: str | None = None
    date: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


def _request_target(url: str) -> str:
    scheme_end = url.find("://")
    path_start = url.find("/", scheme_end + 3) if scheme_end >= 0 else -1
    return url[path_start:] if path_start >= 0 else "/"


def _host(url: str) -> str:
    rest = url.split("://", 1)[-1]
    return rest.split("/", 1)[0]


class WarcFiles:
    def __init__(
        self,
        folder: str | os.PathLike[str],
        prefix: str,
        warcinfo: dict[str, str],
        max_bytes: int = 1_000_000_000,
        exports_dir: str | os.PathLike[str] | None = None,
        gzip_level: int = DEFAULT_GZIP_LEVEL,
        compressor: str = "zlib",
    ) -> None:
        self.folder = Path(folder)
        self.prefix = prefix
        self.warcinfo = warcinfo
        self.max_bytes = max_bytes
        self.exports_dir = Path(exports_dir) if exports_dir is not None else self.folder
        self.compressor = checked_compressor(compressor)
        # zlib takes the gzip level asked for; isal its own fastest level.
        self.gzip_level = ISAL_LEVEL if self.compressor == "isal" else checked_gzip_level(gzip_level)
        # Compression is GzipMemberPerRecord's, set as the writer's output for each file.
        self.writer = WARCWriter(None, gzip=False)
        # Unbuffered: what a failed write (a full disk) left of a record can be cut off again.
        self.file: io.FileIO | None = None
        self.path: Path | None = None
        self.stored_path: str | None = None  # self.path as the database names it, resolved once per file, not per record
        self.serial = -1
        self.files_written: list[Path] = []
        self.records = 0
        self.failure: OSError | None = None  # the first failed write: nothing is written after it

    def _open_next(self) -> None:
        self.close()
        self.serial += 1
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / f"{self.prefix}-{self.serial:05d}.warc.gz"
        # "x": never append to (or clobber) the file of another run.
        self.file = open(self.path, "xb", buffering=0)
        self.stored_path = stored_name(self.path, self.exports_dir)
        self.writer.out = GzipMemberPerRecord(self.file, self.gzip_level, self.compressor)
        self.files_written.append(self.path)
        try:
            self.writer.write_record(self.writer.create_warcinfo_record(self.path.name, self.warcinfo))
        except OSError:
            # Not even its warcinfo record fits: leave no file that holds no record.
            self.file.close()
            self.file = None
            self.path.unlink(missing_ok=True)
            self.files_written.pop()
            raise

    def write_exchange(self, exchange: Exchange) -> Capture:
        """Write the request and response records; return where the response record starts.

        After a failed write (a full disk) nothing more is written, and every later call raises the
        same error: the file, cut back to its last whole record, may have room for a small exchange,
        and archiving one after the failure would make "nothing after it was archived" untrue."""
        if self.failure is not None:
            raise OSError(self.failure.errno, self.failure.strerror)
        try:
            return self._write_next(exchange)
        except OSError as error:
            self.failure = error
            raise

    def _write_next(self, exchange: Exchange) -> Capture:
        if self.file is None or self.file.tell() >= self.max_bytes:
            self._open_next()
        assert self.file is not None and self.path is not None
        start = self.file.tell()
        try:
            return self._write_exchange(exchange)
        except OSError:
            self._cut_back(start)
            raise

    def _cut_back(self, offset: int) -> None:
        """After a failed write: drop what was written of the exchange, so the file ends with whole records."""
        self.writer.out = GzipMemberPerRecord(self.file, self.gzip_level, self.compressor)
        try:
            os.ftruncate(self.file.fileno(), offset)
            self.file.seek(offset)
        except OSError:
            pass  # the file may end in part of a record then; write_exchange writes nothing more to it

    def _write_exchange(self, exchange: Exchange) -> Capture:
        assert self.file is not None and self.path is not None
        date = datetime_to_iso_date(exchange.date.astimezone(timezone.utc).replace(tzinfo=None))
        request_id = StatusAndHeadersParser.make_warc_id()
        response_id = StatusAndHeadersParser.make_warc_id()

        request_headers = [("Host", _host(exchange.url)), *exchange.request_headers]
        request = self.writer.create_warc_record(
            exchange.url,
            "request",
            payload=io.BytesIO(b""),
            length=0,
            http_headers=StatusAndHeaders(
                f"{exchange.method} {_request_target(exchange.url)} {exchange.protocol}",
                request_headers,
                is_http_request=True,
            ),
            warc_headers_dict={"WARC-Record-ID": request_id, "WARC-Date": date, "WARC-Concurrent-To": response_id},
        )
        response_warc_headers = {"WARC-Record-ID": response_id, "WARC-Date": date, "WARC-Concurrent-To": request_id}
        if exchange.ip_address:
            response_warc_headers["WARC-IP-Address"] = exchange.ip_address
        response = self.writer.create_warc_record(
            exchange.url,
            "response",
            payload=io.BytesIO(exchange.body),
            length=len(exchange.body),
            http_headers=StatusAndHeaders(
                f"{exchange.status} {exchange.reason}".rstrip(), exchange.response_headers, protocol=exchange.protocol
            ),
            warc_headers_dict=response_warc_headers,
        )
        self.writer.write_record(request)  # each record is one gzip member, flushed when written
        offset = self.file.tell()
        self.writer.write_record(response)
        self.records += 2
        assert self.stored_path is not None
        return Capture(self.stored_path, offset, warc_date_iso(date))

    def close(self) -> None:
        if self.file is not None:
            self.file.close()
            self.file = None


def warc_date_iso(warc_date: str) -> str:
    """A WARC-Date (``2026-11-28T03:00:00Z``, maybe with a fraction) as ISO 8601 UTC to the second."""
    text = warc_date.strip().replace("Z", "+00:00")
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).replace(microsecond=0).isoformat()
