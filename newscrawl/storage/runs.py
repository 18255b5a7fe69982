"""Bookkeeping of crawl, load and re-extraction runs. Arguments and counts are stored with secrets
masked: a spider argument such as ``urls=`` may carry credentials too."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, insert, update

from newscrawl.masking import mask_values
from newscrawl.storage.models import CrawlRun
from newscrawl.storage.writes import utcnow


def start_run(engine: Engine, kind: str, arguments: dict[str, Any] | None = None) -> int:
    with engine.begin() as connection:
        return connection.scalar(
            insert(CrawlRun)
            .values(kind=kind, started_at=utcnow(), arguments=mask_values(arguments or {}))
            .returning(CrawlRun.id)
        )


def finish_run(engine: Engine, run_id: int, counts: dict[str, Any], outcome: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(CrawlRun)
            .where(CrawlRun.id == run_id)
            .values(finished_at=utcnow(), counts=mask_values(counts), outcome=outcome)
        )
