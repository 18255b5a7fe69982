"""The CPU-bound part of the bulk commands on several cores, the results in input order.

``import`` and ``reextract`` spend most of their time parsing and extracting pages, which one
Python process does on one core. ``ordered_map`` hands that work to worker processes and gives
the results back in the order of the input, so one process (the caller) still stores everything,
in order, in its own transactions. At most ``jobs * CHUNKS_PER_JOB * chunk`` items are in flight:
memory does not grow with the input, however fast the reader is.

Workers ignore SIGINT: Ctrl-C reaches the whole process group, and only the caller decides what an
interruption means (it records the run as failed and says what was stored); the pool is shut down,
its workers stopped and waited for, before the KeyboardInterrupt goes on.
"""

from __future__ import annotations

import importlib
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar

from newscrawl.process_pool import worker_pool

T = TypeVar("T")
R = TypeVar("R")

CHUNK = 16  # items sent to a worker at once: each hand-over between processes costs thread switches
CHUNKS_PER_JOB = 4  # chunks in flight per worker: enough to keep each busy while the caller reads or stores


@dataclass(frozen=True)
class WorkerFunction:
    """A function named by its module instead of imported by the caller, for ``ordered_map``: the
    module is imported where the function first runs (in each worker, or in the caller with one
    job). The caller of import and reextract never extracts, and importing the extraction would
    cost it a third of a second before its first page. ``keywords`` are passed to every call."""

    module: str
    name: str
    keywords: tuple[tuple[str, Any], ...] = ()

    def __call__(self, item: Any) -> Any:
        return _function(self.module, self.name)(item, **dict(self.keywords))


@cache
def _function(module: str, name: str) -> Callable[..., Any]:
    return getattr(importlib.import_module(module), name)


def _apply(function: Callable[[T], R], chunk: list[T]) -> list[R]:
    return [function(item) for item in chunk]


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def ordered_map(function: Callable[[T], R], items: Iterable[T], jobs: int, chunk: int = CHUNK) -> Iterator[R]:
    """``function(item)`` for each item, in input order: in this process when ``jobs`` is 1, else in
    ``jobs`` worker processes, ``chunk`` items at a time. ``function`` and the items must pickle; an
    exception raised by ``function`` is raised here when its chunk's turn comes."""
    if jobs <= 1:
        yield from map(function, items)
        return
    window = jobs * CHUNKS_PER_JOB
    pool = worker_pool(jobs, ignored_signals=(signal.SIGINT,))
    pending: deque[Future] = deque()
    try:
        for part in _chunks(items, chunk):
            pending.append(pool.submit(_apply, function, part))
            if len(pending) >= window:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
