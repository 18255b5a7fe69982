"""Opening a database: engine, automatic migrations, and the repository used by crawler and CLI."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError
from sqlalchemy.orm import Session

from newscrawl.storage import gone, migrate, near_duplicates, reads, revisions, runs, writes
from newscrawl.storage.engine import UnsupportedDatabase, make_engine
from newscrawl.masking import mask_password, mask_secrets
from newscrawl.storage.errors import RECORD_ERRORS, Refusal, refusal_of, unavailable_reason
from newscrawl.near_duplicates import Signed
from newscrawl.storage.locks import run_lock_free
from newscrawl.storage.urls import resolve_database_url

Result = TypeVar("Result")


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached or used; the message is one line, password masked (also
    where the reason, often a driver's text, quotes the URL or pieces of the password)."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = mask_password(url)
        self.reason = mask_secrets(reason, url)
        super().__init__(self.describe())

    def describe(self) -> str:
        return f"database {self.url} is unavailable: {self.reason}"


class BadDatabaseUrl(DatabaseUnavailable):
    """The database URL cannot be parsed: bad input rather than an outage."""

    def describe(self) -> str:
        return f"database URL {self.url} is malformed: {self.reason}"


class UnversionedDatabase(DatabaseUnavailable):
    """newscrawl's tables exist but not the alembic_version table that says which revision they are."""

    def describe(self) -> str:
        return f"database {self.url} {self.reason}"


def _outage_raises_unavailable(method: Callable[..., Result]) -> Callable[..., Result]:
    """A Database method that raises DatabaseUnavailable when the database cannot be used at all
    (see storage.errors); errors about a statement or a record pass unchanged."""

    @functools.wraps(method)
    def call(self: "Database", *args: Any, **kwargs: Any) -> Result:
        try:
            return method(self, *args, **kwargs)
        except DBAPIError as error:
            reason = unavailable_reason(error)
            if reason is None:
                raise
            raise DatabaseUnavailable(self.display_url, reason) from error

    return call


class Database:
    """The article repository: everything the crawler pipelines and the CLI store or read.

    Reads and writes raise DatabaseUnavailable when the database cannot be used at all (server
    unreachable, connection lost, disk full): an outage, which callers ride out or report, as
    opposed to an error about the records written.
    """

    def __init__(self, engine: Engine, url: str) -> None:
        self.engine = engine
        self.display_url = mask_password(url)

    def store_isolated(
        self,
        records: Sequence[Mapping[str, Any]],
        reason: str = "crawl",
        run_id: int | None = None,
        captures: Mapping[writes.ArticleKey, writes.CaptureLocation] | None = None,
        results: list[writes.Status | Refusal | None] | None = None,
        signatures: Mapping[writes.ArticleKey, Signed] | None = None,
    ) -> list[writes.Status | Refusal]:
        """Store a batch so that a record refused (by the schema's validation or by the database)
        costs only itself: its place in the result holds the Refusal, the others are stored.

        The batch is one transaction; when a record of it is refused, every record is stored on
        its own. DatabaseUnavailable is raised as it comes: give the retry the same ``results``
        list and it goes on where this call stopped, so nothing is stored or counted twice.
        """
        writes.check_reason(reason)
        if results is None:
            results = [None] * len(records)
        todo = [index for index, result in enumerate(results) if result is None]
        if len(todo) > 1 and len(todo) == len(records):
            try:
                results[:] = self.store_articles(records, reason, run_id, captures, signatures)
                return results
            except RECORD_ERRORS:
                pass  # one of them is refused: find which, store the others
        for index in todo:
            try:
                results[index] = self.store_articles([records[index]], reason, run_id, captures, signatures)[0]
            except RECORD_ERRORS as error:
                results[index] = self._refusal(error, records[index])
        return results

    def _refusal(self, error: BaseException, record: Mapping[str, Any]) -> Refusal:
        refusal = refusal_of(error)
        url = record.get("url")
        if isinstance(error, IntegrityError) and isinstance(url, str):
            # Say which article holds the URL, in the same words on every database.
            try:
                holder = reads.article_key_of_url(self.engine, url)
            except DBAPIError:
                return refusal
            if holder is not None and holder != (record.get("publisher"), record.get("article_id")):
                return Refusal(refusal.reason, f"url {url} is already stored under article_id {holder[1]}"
                               + (f" of {holder[0]}" if holder[0] != record.get("publisher") else ""))
        return refusal

    @_outage_raises_unavailable
    def store_articles(
        self,
        records: Sequence[Mapping[str, Any]],
        reason: str = "crawl",
        run_id: int | None = None,
        captures: Mapping[writes.ArticleKey, writes.CaptureLocation] | None = None,
        signatures: Mapping[writes.ArticleKey, Signed] | None = None,
    ) -> list[writes.Status]:
        """writes.store_articles; ``signatures``: near-duplicate signatures computed ahead (Signed)."""
        return writes.store_articles(self.engine, records, reason, run_id, captures, signatures)

    @_outage_raises_unavailable
    def known_articles(self, publisher: str, article_ids: Iterable[int]) -> dict[int, str | None]:
        return reads.known_articles(self.engine, publisher, article_ids)

    @_outage_raises_unavailable
    def mark_gone(self, publisher: str, article_id: int, url: str, status: int) -> None:
        """Remember that the site answered 404/410 for this article."""
        gone.mark_gone(self.engine, publisher, article_id, url, status)

    @_outage_raises_unavailable
    def gone_articles(self, publisher: str, article_ids: Iterable[int]) -> set[int]:
        return gone.gone_articles(self.engine, publisher, article_ids)

    @_outage_raises_unavailable
    def current_fields_hashes(self, publisher: str, article_ids: Iterable[int]) -> dict[int, str]:
        return reads.current_fields_hashes(self.engine, publisher, article_ids)

    def iter_articles(self, **selection: Any) -> Iterator[dict[str, Any]]:
        """Current articles in publication order; ``selection``: the fields of reads.Selection."""
        return reads.iter_articles(self.engine, reads.Selection(**selection))

    @_outage_raises_unavailable
    def count_articles(self, **selection: Any) -> int:
        return reads.count_articles(self.engine, reads.Selection(**selection))

    def iter_run_articles(self, run_id: int) -> Iterator[dict[str, Any]]:
        return reads.iter_run_articles(self.engine, run_id)

    def count_run_articles(self, run_id: int) -> int:
        return reads.count_run_articles(self.engine, run_id)

    def iter_current_captures(self, **selection: Any) -> Iterator[tuple[dict[str, Any], str | None, int | None]]:
        """Each current article version with where its raw response is archived (or None, None)."""
        return reads.iter_current_captures(self.engine, reads.Selection(**selection))

    @_outage_raises_unavailable
    def count_current_captures(self, **selection: Any) -> int:
        return reads.count_current_captures(self.engine, reads.Selection(**selection))

    @_outage_raises_unavailable
    def recent_runs(self, limit: int = 5) -> list[dict[str, Any]]:
        return reads.recent_runs(self.engine, limit)

    @_outage_raises_unavailable
    def stats(self, **selection: Any) -> reads.Stats:
        stats = reads.stats(self.engine, selection=reads.Selection(**selection))
        stats.near_duplicates = near_duplicates.group_stats(self.engine)
        return stats

    @_outage_raises_unavailable
    def count_unfingerprinted(self) -> int:
        """Articles without a near-duplicate fingerprint (stored before schema revision 0006, or fingerprinted
        under the first scheme, which revision 0007 drops)."""
        return near_duplicates.count_unfiled(self.engine)

    @_outage_raises_unavailable
    def fingerprint_unfingerprinted(self, on_batch: Callable[[int], None] = lambda count: None) -> int:
        """Fingerprint and group every article that has no fingerprint yet; return how many."""
        return near_duplicates.file_unfiled(self.engine, on_batch)

    @_outage_raises_unavailable
    def set_near_duplicate_threshold(self, threshold: float) -> near_duplicates.Banding:
        """Drop every fingerprint and keep the new threshold; fingerprint_unfingerprinted regroups."""
        return near_duplicates.set_threshold(self.engine, threshold)

    @_outage_raises_unavailable
    def near_duplicate_groups(self, keys: Iterable[writes.ArticleKey]) -> dict[writes.ArticleKey, writes.ArticleKey]:
        return near_duplicates.groups_of(self.engine, keys)

    @_outage_raises_unavailable
    def publishers_of(self, article_id: int) -> list[str]:
        return revisions.publishers_of(self.engine, article_id)

    @_outage_raises_unavailable
    def article_revisions(self, publisher: str, article_id: int) -> list[revisions.Revision]:
        return revisions.article_revisions(self.engine, publisher, article_id)

    def iter_edits(self, since: datetime, until: datetime | None = None) -> Iterator[tuple[revisions.Revision, revisions.Revision]]:
        return revisions.iter_edits(self.engine, since, until)

    @_outage_raises_unavailable
    def start_run(self, kind: str, arguments: dict[str, Any] | None = None, run_lock: bool = False) -> int:
        """Record a run; ``run_lock``: its process holds the one-crawl-per-database lock."""
        return runs.start_run(self.engine, kind, arguments, run_lock)

    @_outage_raises_unavailable
    def mark_interrupted_runs(self, holding_run_lock: bool = False, spare: int | None = None) -> list[int]:
        """Mark runs whose process died before finishing them as interrupted (see storage.runs)."""
        lock_free = (lambda: True) if holding_run_lock else (lambda: run_lock_free(self.engine))
        return runs.mark_interrupted(self.engine, lock_free, spare)

    @_outage_raises_unavailable
    def finish_run(self, run_id: int, counts: dict[str, Any], outcome: str) -> None:
        runs.finish_run(self.engine, run_id, counts, outcome)

    @_outage_raises_unavailable
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

    Raises DatabaseUnavailable when the server is unreachable or the schema cannot be created;
    its subclasses BadDatabaseUrl when the URL cannot be parsed, UnversionedDatabase when
    newscrawl's tables are there without their alembic_version table.
    """
    url = url or resolve_database_url()
    problem = _url_problem(url)
    if problem is not None:
        raise BadDatabaseUrl(url, problem)
    try:
        engine = make_engine(url)
    except (ArgumentError, NoSuchModuleError, UnsupportedDatabase, ImportError, OSError) as error:
        raise DatabaseUnavailable(url, _one_line(error, url)) from error
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        if migrate_schema:
            migrate.ensure_current(engine)
    except migrate.UnknownRevision as error:
        engine.dispose()
        raise UnversionedDatabase(url, str(error)) from None
    except DBAPIError as error:
        engine.dispose()
        raise DatabaseUnavailable(url, _one_line(error.orig or error, url)) from error
    return Database(engine, url)


def _url_problem(url: str) -> str | None:
    """Why ``url`` cannot be parsed as a database URL, or None when it can."""
    try:
        make_url(url)
    except ArgumentError:
        return "expected dialect+driver://[user[:password]@]host[:port]/database, e.g. postgresql+psycopg://newscrawl@db:5432/newscrawl"
    except ValueError:
        # SQLAlchemy's only ValueError here is int() of the port.
        port = _port_text(url)
        return f"its port {port!r} is not a number" if port else "its host and port cannot be read"
    return None


def _port_text(url: str) -> str | None:
    """The text after the host's colon in a URL's authority part, if any."""
    authority = url.partition("://")[2].split("/", 1)[0].split("?", 1)[0].rpartition("@")[2]
    host_end = authority.rfind("]")  # an IPv6 address in brackets holds colons of its own
    _, colon, port = authority[host_end + 1:].rpartition(":")
    return port if colon else None


def _one_line(error: BaseException, url: str) -> str:
    """The first line of an error message, with any password it quotes masked."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return mask_secrets(lines[0] if lines else type(error).__name__, url)
