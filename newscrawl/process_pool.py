"""The worker pools of the crawl's extraction and the bulk commands, made one way.

forkserver: workers start from a clean process, not a copy of one holding database connections,
sockets and threads; they import what they need once and then serve every task. Workers ignore the
signals a terminal or systemd sends to the whole process group: the process that owns the pool
decides what an interruption means, and shuts the pool down itself.

A forkserver worker imports, on its first task, the modules its function lives in: for the
extraction about a second of CPU each. ``preload_workers`` has the forkserver import them once,
early, so every worker is forked with them already imported.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
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


def preload_workers(modules: Iterable[str]) -> None:
    """Start the forkserver now and have it import ``modules`` (names): the workers of every pool
    made later are forked from it and begin at once. Called before the caller's own slow imports,
    the forkserver imports beside them, on another core, instead of after them in each worker."""
    multiprocessing.get_context("forkserver").set_forkserver_preload(list(modules))
    multiprocessing.forkserver.ensure_running()
