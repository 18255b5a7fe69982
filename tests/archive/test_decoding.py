"""Bounded Content-Encoding decoding of archived bodies (newscrawl.archive.decoding), issue 11 item 7."""

from __future__ import annotations

import gzip
import tracemalloc
import zlib

import brotli
import pytest

from newscrawl.archive.decoding import BodyTooLarge, UndecodableBody, decode
from tests.archive.support import page_bytes
from tests.faults.hostile import MIB, bomb

PAGE = page_bytes("noise-2020s")


def encoded(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.compress(body, mtime=0)
    if encoding == "deflate":
        return zlib.compress(body)
    return brotli.compress(body)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_a_page_decodes_whole(encoding):
    assert decode(encoded(PAGE, encoding), encoding, 4 * MIB) == PAGE


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_a_bomb_stops_just_past_the_bound_holding_little(encoding):
    body = bomb(PAGE, 256 * MIB, encoding)  # 256 MiB once decoded
    assert len(body) < 300_000
    tracemalloc.start()
    try:
        with pytest.raises(BodyTooLarge, match=f"^the {encoding} body decodes to more than 1048576 bytes$"):
            decode(body, encoding, 1 * MIB)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4 * MIB  # the bound and a chunk or two, never the 256 MiB


def test_a_body_exactly_at_the_bound_is_whole():
    assert decode(gzip.compress(b"x" * MIB), "gzip", MIB) == b"x" * MIB


def test_every_gzip_member_is_read_and_trailing_bytes_that_are_no_member_are_not():
    body = gzip.compress(b"<p>satu</p>") + gzip.compress(b"<p>dua</p>") + b"\r\n"
    assert decode(body, "gzip", MIB) == b"<p>satu</p><p>dua</p>"


def test_raw_deflate_without_zlib_header_decodes():
    compressor = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    assert decode(compressor.compress(PAGE) + compressor.flush(), "deflate", 4 * MIB) == PAGE


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_a_body_cut_short_decodes_to_what_it_holds(encoding):
    body = encoded(PAGE, encoding)
    decoded = decode(body[: len(body) // 2], encoding, 4 * MIB)
    assert 0 < len(decoded) < len(PAGE) and PAGE.startswith(decoded)


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_a_body_not_in_its_encoding_is_refused(encoding):
    with pytest.raises(UndecodableBody, match=f"^{encoding} body cannot be decoded: "):
        decode(b"<html><body>tidak dikompresi</body></html>", encoding, 4 * MIB)
