"""Page bodies reach --jobs workers through a ring of shared memory (newscrawl.cli.shared_bodies):
parked and freed first in, first out, a body with no room sent down the pipe as before."""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pytest

from newscrawl.archive import ArchivedResponse
from newscrawl.cli.shared_bodies import BodyRing, ParkedPage
from newscrawl.cli.sources import Page, Passed


def _page(number: int, body: bytes) -> Page:
    response = ArchivedResponse(url=f"https://inet.detik.com/cyberlife/d-{number}/x", fetched_at="2025-01-01T00:00:00+00:00",
                                status=200, reason="OK", protocol="HTTP/1.1", headers=[("Content-Type", "text/html")],
                                body=body, warc_file=Path("in.warc.gz"), offset=number, max_bytes=1 << 20)
    return Page(f"in.warc.gz@{number}", response.url, response=response, capture=("in.warc.gz", number))


@pytest.fixture
def ring():
    ring = BodyRing.open(1000)
    assert ring is not None
    yield ring
    ring.close()


def test_a_parked_page_is_sent_without_its_body_and_unparked_whole(ring):
    body = bytes(range(256)) * 3
    (parked,) = ring.park_all([_page(1, body)])
    assert isinstance(parked, ParkedPage)
    assert parked.page.response.body == b""
    assert body in pickle.dumps(_page(1, body)) and body not in pickle.dumps(parked)
    assert (parked.body.offset, parked.body.length) == (0, 768)
    again = pickle.loads(pickle.dumps(parked)).unpark()  # as a worker receives it
    assert again == _page(1, body)


def test_slots_are_freed_in_order_and_a_body_without_room_goes_down_the_pipe(ring):
    items = iter([_page(1, b"a" * 400), Passed("x", "other_site", "x", True), _page(2, b"b" * 400),
                  _page(3, b"c" * 400), _page(4, b"d" * 300), _page(5, b"e" * 500)])
    parking = ring.park_all(items)
    first, passed, second, third = next(parking), next(parking), next(parking), next(parking)
    assert (first.body.offset, second.body.offset) == (0, 400)
    assert isinstance(passed, Passed)
    assert isinstance(third, Page) and third.response.body == b"c" * 400  # 200 bytes left: sent whole
    ring.release_oldest()  # the first page's result is back: its 400 bytes at the start are free
    fourth = next(parking)
    assert (fourth.body.offset, fourth.body.length) == (0, 300)  # wrapped round to the start
    for _ in range(3):  # the Passed, the second and the third come back
        ring.release_oldest()
    fifth = next(parking)
    assert (fifth.body.offset, fifth.body.length) == (300, 500)  # after the fourth, the only one left
    assert [fourth.unpark().response.body, fifth.unpark().response.body] == [b"d" * 300, b"e" * 500]
    assert (ring.parked, ring.inline) == (4, 1)


def test_no_ring_when_the_shared_memory_cannot_be_reserved():
    # More than /dev/shm holds: the segment would be sparse, and a write to it past the end of the
    # tmpfs a SIGBUS; reserving it up front fails instead, and import sends bodies down the pipe.
    assert BodyRing.open(shutil.disk_usage("/dev/shm").free + (1 << 30)) is None
