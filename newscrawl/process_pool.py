"""The worker pools of the crawl's extraction and the bulk commands, made one way.

forkserver: workers start from a clean process, not a copy of one holding database connections,
sockets and threads; they import what they need once and then serve every task. Workers ignore the
signals a terminal or systemd sends to the whole process group: the process that owns the pool
decides what an interruption means, and shuts the pool down itself.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from functools import partial


def _ignore(signals: tuple[int, ...]) -> None:
    for number in signals:
        signal.signal(number, signal.SIG_IGN)


def worker_pool(processes: int, ignored_signals: Iterable[int]) -> ProcessPoolExecutor:
    """A pool of ``processes`` forkserver workers that ignore ``ignored_signals``."""
    return ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("forkserver"),
                               initializer=partial(_ignore, tuple(ignored_signals)))
