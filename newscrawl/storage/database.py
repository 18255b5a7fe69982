"""Opening a database: engine, automatic migrations, and the repository used by crawler and CLI."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session

from newscrawl.storage import gone, migrate, reads, runs, writes
from newscrawl.storage.engine import UnsupportedDatabase, make_engine
from newscrawl.masking import mask_password, mask_secrets
from newscrawl.storage.urls import resolve_database_url


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached or used; the message is one line, password masked (also
    where the reason, often a driver's text, quotes the URL or pieces of the password)."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = mask_password(url)
        self.reason = mask_secrets(reason, url)
        super().__init__(f"database {self.url} is unavailable: {self.reason}")


class Database:
    """The article repository: everything the crawler pipelines and the CLI store or read."""

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.display_url = mask_password(url)

    def store_articles(
        self,
        records: Sequence[Mapping[str, Any]],
        reason: str = "crawl",
        run_id: int | None = None,
        captures: Mapping[int, writes.CaptureLocation] | None = None,
    ) -> list[writes.Status]:
        return writes.store_articles(self.engine, records, reason, run_id, captures)

    def known_articles(self, article_ids: Iterable[int]) -> dict[int, str | None]:
        return reads.known_articles(self.engine, article_ids)

    def mark_gone(self, article_id: int, url: str, status: int) -> None:
        """Remember that the site answered 404/410 for this article."""
        gone.mark_gone(self.engine, article_id, url, status)

    def gone_articles(self, article_ids: Iterable[int]) -> set[int]:
        return gone.gone_articles(self.engine, article_ids)

    def current_fields_hashes(self, article_ids: Iterable[int]) -> dict[int, str]:
        return reads.current_fields_hashes(self.engine, article_ids)

    def iter_articles(
        self, since: date | None = None, until: date | None = None, section: str | None = None
    ) -> Iterator[dict[str, Any]]:
        return reads.iter_articles(self.engine, since, until, section)

    def count_articles(
        self, since: date | None = None, until: date | None = None, section: str | None = None
    ) -> int:
        return reads.count_articles(self.engine, since, until, section)

    def iter_current_captures(
        self, since: date | None = None, until: date | None = None, article_id: int | None = None
    ) -> Iterator[tuple[dict[str, Any], str | None, int | None]]:
        """Each current article version with where its raw response is archived (or None, None)."""
        return reads.iter_current_captures(self.engine, since, until, article_id)

    def count_current_captures(
        self, since: date | None = None, until: date | None = None, article_id: int | None = None
    ) -> int:
        return reads.count_current_captures(self.engine, since, until, article_id)

    def recent_runs(self, limit: int = 5) -> list[dict[str, Any]]:
        return reads.recent_runs(self.engine, limit)

    def stats(self) -> reads.Stats:
        return reads.stats(self.engine)

    def start_run(self, kind: str, arguments: dict[str, Any] | None = None) -> int:
        return runs.start_run(self.engine, kind, arguments)

    def finish_run(self, run_id: int, counts: dict[str, Any], outcome: str) -> None:
        runs.finish_run(self.engine, run_id, counts, outcome)

    def schema_revision(self) -> str | None:
        return migrate.current_revision(self.engine)

    def session(self) -> Session:
        return Session(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_database(url: str | None = None, *, migrate_schema: bool = True) -> Database:
    """Connect (default URL: see resolve_database_url) and bring the schema up to date.

    Raises DatabaseUnavailable when the URL is malformed, the server is unreachable,
    or the schema cannot be created.
    """
    url = url or resolve_database_url()
    try:
        engine = make_engine(url)
    except (ArgumentError, NoSuchModuleError, UnsupportedDatabase, ImportError, OSError) as error:
        raise DatabaseUnavailable(url, _one_line(error, url)) from error
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        if migrate_schema:
            migrate.ensure_current(engine)
    except DBAPIError as error:
        engine.dispose()
        raise DatabaseUnavailable(url, _one_line(error.orig or error, url)) from error
    return Database(engine, url)


def _one_line(error: BaseException, url: str) -> str:
    """The first line of an error message, with any password it quotes masked."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return mask_secrets(lines[0] if lines else type(error).__name__, url)
