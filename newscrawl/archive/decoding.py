"""Undoing a body's Content-Encoding without letting it expand past a bound.

A body of a few kilobytes can decode to gigabytes (a decompression bomb), so each decoder here
yields its output in chunks and ``decode`` stops as soon as the output passes ``max_bytes``:
memory is the bound plus one chunk, whatever the input. Encodings: gzip (every member, as HTTP
clients read it), deflate (zlib-wrapped, or raw as some servers send it) and br. A body cut short
decodes to what it holds, as Scrapy's HttpCompressionMiddleware reads it during a crawl; a body
that does not decode at all is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

# ISA-L's inflate: the same streams and API as zlib's decompressobj, ~1.8 times as fast on detik's pages.
from isal import isal_zlib

try:
    import brotli
except ImportError:  # br is then not supported
    brotli = None

CHUNK = 64 * 1024
_GZIP_MAGIC = b"\x1f\x8b"


class BodyTooLarge(ValueError):
    def __init__(self, encoding: str, max_bytes: int) -> None:
        super().__init__(f"the {encoding} body decodes to more than {max_bytes} bytes")


class UndecodableBody(ValueError):
    pass


def _drain(decompressor, first: bytes) -> Iterator[bytes]:
    """The output of a decompressor fed its whole input, CHUNK bytes at a time."""
    chunk = first
    while chunk:
        yield chunk
        if decompressor.eof:
            return
        # Input left over when a chunk filled up, or output still pending inside the decompressor.
        chunk = decompressor.decompress(decompressor.unconsumed_tail, CHUNK)


def _gunzip(body: bytes) -> Iterator[bytes]:
    data = body
    while True:
        member = isal_zlib.decompressobj(isal_zlib.MAX_WBITS | 16)
        yield from _drain(member, member.decompress(data, CHUNK))
        data = member.unused_data
        if not (member.eof and data.startswith(_GZIP_MAGIC)):
            return  # the last member (trailing bytes that are no gzip member are not the body's)


def _inflate(body: bytes) -> Iterator[bytes]:
    decompressor = isal_zlib.decompressobj()
    try:
        first = decompressor.decompress(body, CHUNK)
    except isal_zlib.error:
        decompressor = isal_zlib.decompressobj(-isal_zlib.MAX_WBITS)  # raw deflate, without the zlib header
        first = decompressor.decompress(body, CHUNK)
    yield from _drain(decompressor, first)


def _unbrotli(body: bytes) -> Iterator[bytes]:
    decompressor = brotli.Decompressor()
    chunk = decompressor.process(body, output_buffer_limit=CHUNK)
    while chunk:
        yield chunk
        if decompressor.is_finished():
            return
        chunk = decompressor.process(b"", output_buffer_limit=CHUNK)


_DECODERS: dict[str, Callable[[bytes], Iterator[bytes]]] = {"gzip": _gunzip, "x-gzip": _gunzip, "deflate": _inflate}
_ERRORS: tuple[type[Exception], ...] = (isal_zlib.error,)
if brotli is not None:
    _DECODERS["br"] = _unbrotli
    _ERRORS += (brotli.error,)
ENCODINGS = frozenset(_DECODERS)


def decode(body: bytes, encoding: str, max_bytes: int) -> bytes:
    """``body`` with ``encoding`` (one of ENCODINGS) undone. Raises BodyTooLarge once the output
    passes ``max_bytes``, UndecodableBody when nothing of it decodes."""
    output = bytearray()
    try:
        for chunk in _DECODERS[encoding](body):
            output += chunk
            if len(output) > max_bytes:
                raise BodyTooLarge(encoding, max_bytes)
    except _ERRORS as error:
        if not output:
            raise UndecodableBody(f"{encoding} body cannot be decoded: {error}") from None
        # Damaged after some output: what decoded, as an HTTP client would have read it.
    return bytes(output)
