"""Page bodies handed to --jobs workers through shared memory instead of their pipes.

``import`` sends every page to a worker to be extracted. Pickled down a pipe, a 130 KB body costs
~0.35 ms of CPU between the two processes (copied into the pickle, through the kernel in 64 KB
pieces and out again), as much as a tenth of what the two cores have per page. Here the caller
copies each body once into a ring of shared memory and sends only where it lies; the worker copies
it out once when it begins the page.

The ring is used first in, first out, exactly as ``ordered_map`` hands results back: one slot per
item sent, freed when that item's result comes back (by then its worker is done with it). A body
the ring has no room for, or every body when no shared memory can be had (a small or full
/dev/shm), goes down the pipe as before: slower, never lost. The memory is reserved when the ring
is made (``posix_fallocate``), so a full tmpfs is an error there, not a SIGBUS on a later write.
"""

from __future__ import annotations

import dataclasses
import os
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from multiprocessing import shared_memory

from newscrawl.cli.parallel import CHUNK, CHUNKS_PER_JOB
from newscrawl.cli.sources import Page, Passed

# Room for what is in flight: ordered_map holds jobs * CHUNKS_PER_JOB chunks of 16 items, plus the
# one being filled; detik's article pages are mostly 100-200 KB (a larger one may go down the pipe).
BYTES_PER_ITEM_IN_FLIGHT = 192 * 1024


@dataclass(frozen=True)
class ParkedBody:
    """Where one body lies in a ring: what is sent to the worker in its place."""

    ring: str  # the shared memory's name
    offset: int
    length: int


@dataclass
class ParkedPage:
    """A page sent without its body (``page``'s body or html is empty); ``body`` says where it is."""

    page: Page
    body: ParkedBody

    def unpark(self) -> Page:
        """The page with its body again, copied out of the ring (in the worker)."""
        return _with_body(self.page, _attached(self.body.ring).buf[self.body.offset:self.body.offset + self.body.length].tobytes())


def _with_body(page: Page, body: bytes) -> Page:
    """The page with ``body`` for its response's body, or for its html when it is a saved page."""
    if page.response is not None:
        return dataclasses.replace(page, response=dataclasses.replace(page.response, body=body))
    return dataclasses.replace(page, html=body)


_ATTACHED: dict[str, shared_memory.SharedMemory] = {}


def _attached(name: str) -> shared_memory.SharedMemory:
    """The ring of that name, attached once per worker process and kept for its lifetime."""
    ring = _ATTACHED.get(name)
    if ring is None:
        ring = _ATTACHED[name] = shared_memory.SharedMemory(name)
    return ring


def ring_for(jobs: int) -> BodyRing | None:
    """A ring with room for what ``ordered_map`` keeps in flight on ``jobs`` workers, or None."""
    return BodyRing.open((jobs * CHUNKS_PER_JOB + 1) * CHUNK * BYTES_PER_ITEM_IN_FLIGHT)


class BodyRing:
    """A ring of shared memory the caller parks bodies in, freed in the order they were parked."""

    def __init__(self, memory: shared_memory.SharedMemory) -> None:
        self.memory = memory
        self.size = memory.size
        self.slots: deque[tuple[int, int] | None] = deque()  # per item sent: its (offset, end), or None
        self.used: deque[tuple[int, int]] = deque()  # the slots that hold a body, oldest first
        self.parked = self.inline = 0  # bodies sent each way, for the benchmark and the tests

    @classmethod
    def open(cls, size: int) -> BodyRing | None:
        """A ring of ``size`` bytes, or None when the system will not give that much shared memory."""
        try:
            memory = shared_memory.SharedMemory(create=True, size=size)
        except OSError:
            return None
        try:
            os.posix_fallocate(memory._fd, 0, size)  # CPython keeps the descriptor in _fd on POSIX
        except (OSError, AttributeError):
            memory.close()
            memory.unlink()
            return None
        return cls(memory)

    def close(self) -> None:
        """Give the memory back; call once no worker will read from it any more."""
        self.memory.close()
        self.memory.unlink()

    def park_all(self, items: Iterable[Page | Passed]) -> Iterator[Page | Passed | ParkedPage]:
        """Each item, its body parked in the ring when there is room: one slot per item, in order."""
        for item in items:
            body = self._body_of(item)
            where = self._place(len(body)) if body else None
            self.slots.append(where)
            if where is None:
                self.inline += bool(body)
                yield item
                continue
            offset, end = where
            self.used.append(where)
            self.memory.buf[offset:end] = body
            self.parked += 1
            yield ParkedPage(_with_body(item, b""), ParkedBody(self.memory.name, offset, end - offset))

    def release_oldest(self) -> None:
        """The oldest item's result has come back: its slot may be written again."""
        if self.slots.popleft() is not None:
            self.used.popleft()

    def _place(self, length: int) -> tuple[int, int] | None:
        if not self.used:
            return (0, length) if length <= self.size else None
        oldest = self.used[0][0]
        newest_offset, newest_end = self.used[-1]
        if newest_offset >= oldest:  # not wrapped: free space after the newest, then before the oldest
            if newest_end + length <= self.size:
                return newest_end, newest_end + length
            return (0, length) if length <= oldest else None
        return (newest_end, newest_end + length) if newest_end + length <= oldest else None

    @staticmethod
    def _body_of(item: Page | Passed) -> bytes | None:
        if not isinstance(item, Page):
            return None
        return item.response.body if item.response is not None else item.html
