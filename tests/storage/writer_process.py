"""The body of one writer process in the concurrent-writer test (importable for spawn)."""

from __future__ import annotations

from collections import Counter
from typing import Any


def write_batches(url: str, batches: list[list[dict[str, Any]]], start: Any, results: Any) -> None:
    from newscrawl.storage import open_database

    start.wait()  # both processes open (and migrate) the fresh schema at the same moment
    statuses: Counter[str] = Counter()
    with open_database(url) as database:
        for batch in batches:
            statuses.update(database.store_articles(batch))
    results.put(dict(statuses))


def write_in_step(url: str, batches: list[list[dict[str, Any]]], step: Any, results: Any) -> None:
    """Store each batch right after every writer has reached the same step (a barrier per batch)."""
    from newscrawl.storage import open_database

    statuses: Counter[str] = Counter()
    with open_database(url) as database:
        for batch in batches:
            step.wait()
            statuses.update(database.store_articles(batch))
    results.put(dict(statuses))
