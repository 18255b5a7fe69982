"""Bookkeeping of crawl, load and re-extraction runs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, insert, update

from newscrawl.storage.models import CrawlRun
from newscrawl.storage.writes import utcnow


def start_run(engine: Engine, kind: str, arguments: dict[str, Any] | None = None) -> int:
    with engine.begin() as connection:
        return connection.scalar(
            insert(CrawlRun)
            .values(kind=kind, started_at=utcnow(), arguments=arguments or {})
            .returning(CrawlRun.id)
        )


def finish_run(engine: Engine, run_id: int, counts: dict[str, Any], outcome: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(CrawlRun)
            .where(CrawlRun.id == run_id)
            .values(finished_at=utcnow(), counts=counts, outcome=outcome)
        )
