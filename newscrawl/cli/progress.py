"""Progress bars for people at a terminal, silence for scripts and logs."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

T = TypeVar("T")


def progress(items: Iterable[T], total: Callable[[], int | None], unit: str) -> Iterator[T]:
    """Wrap items in a progress bar on stderr, only when stderr is a terminal.

    ``total`` is a callable so that counting (a database query) happens only when a bar is shown.
    """
    if not sys.stderr.isatty():
        return iter(items)
    return iter(tqdm(items, total=total(), unit=unit, file=sys.stderr, dynamic_ncols=True))
