"""Reading responses back from WARC files, refusing anything damaged or too large.

A record is returned only whole: its payload must have the length the record declares and match
its WARC digests when it has them, so a truncated file never yields half a page. Every read is
bounded by ``max_bytes`` (the crawl's DOWNLOAD_MAXSIZE, passed in by the caller): a record whose
payload, or whose body once its Content-Encoding is undone, is larger is refused as ``too_large``
without ever being held whole, so a small record that expands to gigabytes costs no memory.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

from isal import isal_zlib
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader, ChunkedDataReader, DecompressingBufferedReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeadersParserException

from newscrawl.archive.decoding import ENCODINGS, BodyTooLarge, UndecodableBody, decode
from newscrawl.archive.writer import warc_date_iso

WARC_SUFFIXES = (".warc", ".warc.gz")
# Connection-level headers: they described the hop, not the page, and are not replayed.
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailers", "upgrade", "proxy-connection"}


class UnreadableArchive(Exception):
    """A WARC file or record that cannot be read whole. ``reason`` is a short key for counting."""

    def __init__(self, reason: str, message: str, offset: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.offset = offset  # of the damaged record, when the damage is in one record


@dataclass
class ArchivedResponse:
    url: str
    fetched_at: str  # WARC-Date as ISO 8601 UTC, to the second
    status: int
    reason: str
    protocol: str
    headers: list[tuple[str, str]]
    body: bytes  # transfer-decoded (de-chunked), still content-encoded, as the server sent it
    warc_file: Path
    offset: int
    max_bytes: int  # the bound of the body once decoded too

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        return next((value for key, value in self.headers if key.lower() == lowered), None)

    @property
    def content_type(self) -> str:
        return (self.header("Content-Type") or "").split(";", 1)[0].strip().lower()

    def decoded_body(self) -> bytes:
        """The body with its Content-Encoding (gzip, deflate, br) undone, at most ``max_bytes``."""
        encoding = (self.header("Content-Encoding") or "").strip().lower()
        if not encoding or encoding == "identity":
            return self.body
        if encoding not in ENCODINGS:
            raise UnreadableArchive("unknown_content_encoding", f"unsupported Content-Encoding {encoding!r}")
        try:
            return decode(self.body, encoding, self.max_bytes)
        except BodyTooLarge as error:
            raise UnreadableArchive("too_large", str(error)) from None
        except UndecodableBody as error:
            raise UnreadableArchive("bad_content_encoding", str(error)) from None

    def replay_headers(self) -> list[tuple[str, str]]:
        """The headers as a client should see them again: hop-by-hop ones dropped (the body is de-chunked)."""
        return [(name, value) for name, value in self.headers if name.lower() not in HOP_BY_HOP]


def is_warc_name(path: str | os.PathLike[str]) -> bool:
    return str(path).lower().endswith(WARC_SUFFIXES)


def warc_files_in(path: str | os.PathLike[str]) -> list[Path]:
    """The WARC files of a file or folder (searched recursively), in name order."""
    path = Path(path)
    if path.is_file():
        return [path]
    return sorted(file for file in path.rglob("*") if file.is_file() and is_warc_name(file))


def _payload(record, max_bytes: int) -> bytes:
    """The record's HTTP payload, checked to be complete and at most ``max_bytes``; de-chunked if
    sent chunked. Past the bound nothing more is read (the iterator skips the rest of the record)."""
    stream = record.raw_stream
    raw = stream.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise UnreadableArchive("too_large", f"the archived body is larger than {max_bytes} bytes")
    if getattr(stream, "limit", 0) > 0:
        raise UnreadableArchive("truncated_record", f"record ends {stream.limit} bytes short of its declared length")
    if record.digest_checker.passed is False:
        raise UnreadableArchive("digest_mismatch", "; ".join(record.digest_checker.problems))
    if (record.http_headers.get_header("Transfer-Encoding") or "").lower() == "chunked":
        raw = ChunkedDataReader(BytesIO(raw)).read()
    return raw


def _response(record, path: Path, offset: int, max_bytes: int) -> ArchivedResponse:
    http = record.http_headers
    status_text = (http.statusline or "").split(" ", 1)
    try:
        status = int(status_text[0])
    except ValueError:
        raise UnreadableArchive("bad_status_line", f"status line {http.statusline!r}") from None
    body = _payload(record, max_bytes)
    headers = [(name, value) for name, value in http.headers]
    return ArchivedResponse(
        url=record.rec_headers.get_header("WARC-Target-URI") or "",
        fetched_at=warc_date_iso(record.rec_headers.get_header("WARC-Date") or "1970-01-01T00:00:00Z"),
        status=status,
        reason=status_text[1] if len(status_text) > 1 else "",
        protocol=http.protocol or "HTTP/1.1",
        headers=headers,
        body=body,
        warc_file=path,
        offset=offset,
        max_bytes=max_bytes,
    )


# A record's header block (its WARC headers, or its HTTP headers): a few KB in practice.
MAX_HEADER_BYTES = 1024 * 1024


class _BoundedHeaderLines:
    """A WARC iterator's reader whose lines are bounded. warcio reads header lines with readline(),
    which holds a line of any length, and a gzip member of kilobytes can hold a header line of
    gigabytes. Lines in a row may add up to MAX_HEADER_BYTES: a blank line (the end of a header
    block) or reading a payload starts the count again."""

    def __init__(self, reader) -> None:
        self._reader = reader
        self._left = MAX_HEADER_BYTES

    def readline(self, length: int | None = None) -> bytes:
        limit = self._left + 1 if length is None else min(length, self._left + 1)
        line = self._reader.readline(limit)
        self._left -= len(line)
        if self._left < 0:
            raise UnreadableArchive("too_large", f"a record's headers run past {MAX_HEADER_BYTES} bytes")
        if not line.strip():
            self._left = MAX_HEADER_BYTES
        return line

    def read(self, length: int | None = None) -> bytes:
        self._left = MAX_HEADER_BYTES
        return self._reader.read(length)

    def __getattr__(self, name: str):
        return getattr(self._reader, name)


class _IsalGunzip:
    """One gzip member inflated by ISA-L, broken for good after an error as zlib's inflater is.
    isal's own carries on after an error and calls the rest of its input unused data, which warcio
    would then read as the next member: a damaged record would end the file's reading, not only
    itself (see iter_responses)."""

    __slots__ = ("_inflater", "_error")

    def __init__(self) -> None:
        self._inflater = isal_zlib.decompressobj(isal_zlib.MAX_WBITS | 16)
        self._error: Exception | None = None

    def decompress(self, data: bytes, max_length: int = 0) -> bytes:
        if self._error is not None:
            raise self._error
        try:
            return self._inflater.decompress(data, max_length)
        except isal_zlib.error as error:
            self._error = error
            raise

    def flush(self) -> bytes:
        return b"" if self._error is not None else self._inflater.flush()

    @property
    def eof(self) -> bool:
        return self._error is None and self._inflater.eof

    @property
    def unused_data(self) -> bytes:
        return b"" if self._error is not None else self._inflater.unused_data

    @property
    def unconsumed_tail(self) -> bytes:
        return b"" if self._error is not None else self._inflater.unconsumed_tail


class _IsalReader(DecompressingBufferedReader):
    """warcio's record reader inflating the gzip members with ISA-L instead of zlib: the same
    standard streams, read 1.3-1.4 times faster (benchmarks/warc_io.py). warcio makes one
    decompressor per member from this table."""

    DECOMPRESSORS = {**BufferedReader.DECOMPRESSORS, "gzip": _IsalGunzip}


def _iterator(handle, **options) -> ArchiveIterator:
    iterator = ArchiveIterator(handle, **options)
    # warcio's reader is replaced before the first record is read (the iterator is a generator not yet started).
    iterator.reader = _BoundedHeaderLines(_IsalReader(iterator.fh))
    return iterator


def _checked_iterator(handle) -> ArchiveIterator:
    return _iterator(handle, check_digests=True, ensure_http_headers=True)


_READ_ERRORS = (ArchiveLoadFailed, StatusAndHeadersParserException, zlib.error, isal_zlib.error, EOFError, OSError,
                ValueError)


def read_response(path: str | os.PathLike[str], offset: int, *, max_bytes: int) -> ArchivedResponse:
    """The response record that starts at ``offset`` of a WARC file (its body at most ``max_bytes``)."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            iterator = _checked_iterator(handle)
            record = next(iter(iterator), None)
            if record is None:
                raise UnreadableArchive("no_record", f"no record at offset {offset}")
            if record.rec_type != "response" or not record.http_headers:
                raise UnreadableArchive("not_a_response", f"a {record.rec_type} record, not a response")
            return _response(record, path, offset, max_bytes)
    except FileNotFoundError:
        raise UnreadableArchive("missing_file", f"no such file: {path}") from None
    except UnreadableArchive:
        raise
    except _READ_ERRORS as error:
        raise UnreadableArchive("unreadable_record", _one_line(error)) from None


def looks_like_warc(handle: BinaryIO) -> bool:
    """Whether a file starts like a WARC (plain or gzipped): warcio alone would read almost any
    text as ARC records."""
    start = handle.read(4096)
    handle.seek(0)
    if start[:2] == b"\x1f\x8b":
        try:
            start = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(start, 64)
        except zlib.error:
            return False
    return start.lstrip(b"\r\n")[:5] == b"WARC/"


def index_responses(path: str | os.PathLike[str]) -> Iterator[tuple[str, int]]:
    """(target URL, offset) of every response record, reading headers only; for replay's index.
    Raises UnreadableArchive when the file is not a WARC or breaks off."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            if not looks_like_warc(handle):
                raise UnreadableArchive("not_a_warc", "not a WARC file")
            iterator = _iterator(handle)
            for record in iterator:
                if record.rec_type == "response":
                    yield record.rec_headers.get_header("WARC-Target-URI") or "", iterator.offset
    except _READ_ERRORS as error:
        raise UnreadableArchive("unreadable_file", _one_line(error)) from None


def iter_responses(path: str | os.PathLike[str], *, max_bytes: int) -> Iterator[ArchivedResponse | UnreadableArchive]:
    """Every response record of a WARC file, in file order; other record types are passed over.
    Bodies are read up to ``max_bytes``: a larger one is yielded as an UnreadableArchive (``too_large``).

    A damaged record is yielded as an UnreadableArchive (with its offset in the message) and the
    file is read on; a file that is not a WARC, or that breaks off (truncated gzip), ends with one
    UnreadableArchive whose reason says so. warcio takes damaged compressed data inside a gzip member
    for the end of the file: after a record cut short that way, reading starts again at the next
    gzip member that begins a WARC record (each record is one member), so one damaged record does
    not hide the rest of the file.
    """
    path = Path(path)
    records = 0
    start: int | None = 0
    try:
        with open(path, "rb") as handle:
            if not looks_like_warc(handle):
                yield UnreadableArchive("not_a_warc", "not a WARC file")
                return
            gzipped = handle.read(2) == b"\x1f\x8b"
            while start is not None:
                handle.seek(start)
                iterator = _checked_iterator(handle)
                cut_short = None  # offset of a record cut short, while no record has come after it
                for record in iterator:
                    records += 1
                    offset = iterator.offset  # start of this record in the file (get_record_offset would read it)
                    cut_short = None
                    if record.rec_type != "response" or not record.http_headers:
                        continue
                    try:
                        yield _response(record, path, offset, max_bytes)
                    except UnreadableArchive as error:
                        yield UnreadableArchive(error.reason, str(error), offset)
                        if error.reason == "truncated_record":
                            cut_short = offset
                start = _next_record_member(handle, cut_short) if gzipped and cut_short is not None else None
    except UnreadableArchive as error:  # headers too long: the records after them cannot be found
        yield UnreadableArchive(error.reason, f"{error}; the rest of the file is not read", iterator.offset)
    except _READ_ERRORS as error:
        reason = "truncated_file" if records else "unreadable_file"
        yield UnreadableArchive(reason, _one_line(error))


_GZIP_MEMBER = b"\x1f\x8b\x08"
_SCAN_BLOCK = 1 << 20


def _next_record_member(handle, after: int) -> int | None:
    """The offset of the first gzip member after ``after`` whose data begins a WARC record, or None."""
    position = after + 1
    while True:
        handle.seek(position)
        block = handle.read(_SCAN_BLOCK + len(_GZIP_MEMBER))
        if len(block) < len(_GZIP_MEMBER):
            return None
        found = block.find(_GZIP_MEMBER)
        while found != -1 and found < _SCAN_BLOCK:
            handle.seek(position + found)
            try:
                head = zlib.decompressobj(zlib.MAX_WBITS | 16).decompress(handle.read(4096), 16)
            except zlib.error:
                head = b""
            if head.startswith(b"WARC/"):
                return position + found
            found = block.find(_GZIP_MEMBER, found + 1)
        position += _SCAN_BLOCK


def _one_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
