"""Reading articles back: streaming export, incremental-crawl lookups, statistics."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import Engine, Select, and_, case, func, select, tuple_

from newscrawl.storage.models import Article, ArticleRevision, CrawlRun, NearDuplicate
from newscrawl.storage.records import ARTICLE_FIELDS, LIST_FIELDS, TIMESTAMP_FIELDS
from newscrawl.storage.rows import RECORD_COLUMNS, iso_column, row_to_record

# The same record read from a stored version instead of the current row.
REVISION_RECORD_COLUMNS = tuple(
    getattr(ArticleRevision, iso_column(name) if name in TIMESTAMP_FIELDS else name) for name in ARTICLE_FIELDS
)

# Rows fetched per round trip while streaming; bounds the memory an export needs.
STREAM_BATCH = 500
# Keeps IN (...) lists well inside every database's parameter limit.
LOOKUP_CHUNK = 1000


@dataclass(frozen=True)
class Selection:
    """Which current articles a read covers. Dates compare with the publication date as printed on
    the page (its own UTC offset), both ends inclusive; the other filters are equalities."""

    since: date | None = None
    until: date | None = None
    section: str | None = None
    channel: str | None = None
    publisher: str | None = None
    article_id: int | None = None
    # Keep only the earliest selected article of each near-duplicate group (storage.near_duplicates);
    # an article without a fingerprint is left out, so callers check storage first (count_unfiled).
    dedupe_near: bool = False

    def apply(self, statement: Select) -> Select:
        if self.dedupe_near:
            statement = statement.where(
                tuple_(Article.publisher, Article.article_id).in_(_earliest_of_groups(replace(self, dedupe_near=False)))
            )
        # The UTC range test is looser by a day each side (offsets reach ±14 h) and only there so
        # the published_at index can narrow the scan; the date test on the ISO string decides.
        local_date = func.substr(Article.published_at_iso, 1, 10)
        if self.since is not None:
            statement = statement.where(
                Article.published_at >= _utc_midnight(self.since - timedelta(days=1)),
                local_date >= self.since.isoformat(),
            )
        if self.until is not None:
            statement = statement.where(
                Article.published_at < _utc_midnight(self.until + timedelta(days=2)),
                local_date <= self.until.isoformat(),
            )
        for name in ("section", "channel", "publisher", "article_id"):
            value = getattr(self, name)
            if value is not None:
                statement = statement.where(getattr(Article, name) == value)
        return statement


EVERYTHING = Selection()


def _earliest_of_groups(selection: Selection) -> Select:
    """The keys of the first selected article, in publication order, of each near-duplicate group."""
    rank = func.row_number().over(
        partition_by=(NearDuplicate.group_publisher, NearDuplicate.group_article_id),
        order_by=(Article.published_at.asc().nulls_last(), Article.publisher, Article.article_id),
    ).label("rank")
    ranked = selection.apply(
        select(Article.publisher, Article.article_id, rank).join(
            NearDuplicate,
            and_(NearDuplicate.publisher == Article.publisher, NearDuplicate.article_id == Article.article_id),
        )
    ).subquery()
    return select(ranked.c.publisher, ranked.c.article_id).where(ranked.c.rank == 1)


def _current_column(engine: Engine, column: Any, publisher: str, article_ids: Iterable[int]) -> dict[int, Any]:
    """article_id -> one column of the current row, for those of the publisher's articles that are stored."""
    ids = list(dict.fromkeys(article_ids))
    values: dict[int, Any] = {}
    with engine.connect() as connection:
        for start in range(0, len(ids), LOOKUP_CHUNK):
            chunk = ids[start : start + LOOKUP_CHUNK]
            rows = connection.execute(select(Article.article_id, column)
                                      .where(Article.publisher == publisher, Article.article_id.in_(chunk)))
            values.update((row[0], row[1]) for row in rows)
    return values


def known_articles(engine: Engine, publisher: str, article_ids: Iterable[int]) -> dict[int, str | None]:
    """Which of these articles of the publisher are stored, with their published_at (ISO string or None)."""
    return _current_column(engine, Article.published_at_iso, publisher, article_ids)


def article_key_of_url(engine: Engine, url: str) -> tuple[str, int] | None:
    """The (publisher, article_id) of the article stored under this URL, if any."""
    with engine.connect() as connection:
        row = connection.execute(select(Article.publisher, Article.article_id).where(Article.url == url)).first()
    return tuple(row) if row is not None else None


def current_fields_hashes(engine: Engine, publisher: str, article_ids: Iterable[int]) -> dict[int, str]:
    """The fields_hash of the current version of each of these articles of the publisher that is stored."""
    return _current_column(engine, Article.fields_hash, publisher, article_ids)


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=timezone.utc)


def count_articles(engine: Engine, selection: Selection = EVERYTHING) -> int:
    with engine.connect() as connection:
        return connection.scalar(selection.apply(select(func.count()).select_from(Article)))


def iter_articles(engine: Engine, selection: Selection = EVERYTHING) -> Iterator[dict[str, Any]]:
    """Yield current articles as records in publication order (undated ones last).

    Rows are streamed (a server-side cursor on PostgreSQL), so memory stays flat
    however large the table.
    """
    statement = selection.apply(select(*RECORD_COLUMNS)).order_by(
        Article.published_at.asc().nulls_last(), Article.publisher, Article.article_id
    )
    with engine.connect() as connection:
        result = connection.execution_options(yield_per=STREAM_BATCH).execute(statement)
        for row in result:
            yield row_to_record(row)


def iter_run_articles(engine: Engine, run_id: int) -> Iterator[dict[str, Any]]:
    """The article versions one run stored (new or changed), in the order it stored them: what its
    JSON lines file holds when nothing went wrong. Streamed like iter_articles."""
    statement = (select(*REVISION_RECORD_COLUMNS).where(ArticleRevision.run_id == run_id)
                 .order_by(ArticleRevision.id))
    with engine.connect() as connection:
        result = connection.execution_options(yield_per=STREAM_BATCH).execute(statement)
        for row in result:
            yield row_to_record(row)


def count_run_articles(engine: Engine, run_id: int) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(ArticleRevision)
                                 .where(ArticleRevision.run_id == run_id))


def _current_revisions(statement: Select, selection: Selection) -> Select:
    return selection.apply(
        statement.join(
            ArticleRevision,
            and_(
                ArticleRevision.publisher == Article.publisher,
                ArticleRevision.article_id == Article.article_id,
                ArticleRevision.revision == Article.current_revision,
            ),
        )
    )


def count_current_captures(engine: Engine, selection: Selection = EVERYTHING) -> int:
    with engine.connect() as connection:
        return connection.scalar(_current_revisions(select(func.count()).select_from(Article), selection))


def iter_current_captures(
    engine: Engine, selection: Selection = EVERYTHING, batch: int = STREAM_BATCH
) -> Iterator[tuple[dict[str, Any], str | None, int | None]]:
    """Yield (record, warc_file, warc_offset) of each current article version, by key.

    Read in pages of ``batch`` rows (keyset pagination), each in its own short transaction, so
    memory stays flat and the caller may write between pages without a long-open read.
    """
    statement = _current_revisions(
        select(*RECORD_COLUMNS, ArticleRevision.warc_file, ArticleRevision.warc_offset), selection
    ).order_by(Article.publisher, Article.article_id)
    last: tuple[str, int] | None = None
    while True:
        page = statement if last is None else statement.where(tuple_(Article.publisher, Article.article_id) > last)
        with engine.connect() as connection:
            rows = connection.execute(page.limit(batch)).all()
        for row in rows:
            record = row_to_record(row[: len(RECORD_COLUMNS)])
            yield record, row.warc_file, row.warc_offset
        if len(rows) < batch:
            return
        last = (rows[-1].publisher, rows[-1].article_id)


@dataclass
class Stats:
    articles: int
    per_month: list[tuple[str | None, int]]
    per_channel: list[tuple[str, str, int]]  # (publisher, channel, articles)
    per_section: list[tuple[str | None, int]]
    # Share (0..1) of articles with each schema field filled.
    coverage: dict[str, float]
    revisions: int
    articles_with_several_revisions: int
    last_runs: list[dict[str, Any]] = field(default_factory=list)
    near_duplicates: Any = None  # storage.near_duplicates.GroupStats, of the whole archive


def _filled(name: str) -> Any:
    if name in TIMESTAMP_FIELDS:
        return getattr(Article, iso_column(name)).is_not(None)
    column = getattr(Article, name)
    if name in LIST_FIELDS:
        return func.coalesce(func.json_array_length(column), 0) > 0
    if column.type.python_type is str:
        return and_(column.is_not(None), column != "")
    return column.is_not(None)


def stats(engine: Engine, last_runs: int = 5, selection: Selection = EVERYTHING) -> Stats:
    month = func.substr(Article.published_at_iso, 1, 7)
    coverage_columns = [func.sum(case((_filled(name), 1), else_=0)) for name in ARTICLE_FIELDS]
    # Each article's revisions are numbered 1..revision_count, one row each.
    revisions_of = selection.apply(select(func.sum(Article.revision_count)).select_from(Article))
    with engine.connect() as connection:
        total = connection.scalar(selection.apply(select(func.count()).select_from(Article)))
        per_month = connection.execute(
            selection.apply(select(month, func.count())).group_by(month).order_by(month.asc().nulls_last())
        ).all()
        per_channel = connection.execute(
            selection.apply(select(Article.publisher, Article.channel, func.count()))
            .group_by(Article.publisher, Article.channel)
            .order_by(func.count().desc(), Article.publisher, Article.channel)
        ).all()
        per_section = connection.execute(
            selection.apply(select(Article.section, func.count()))
            .group_by(Article.section)
            .order_by(func.count().desc(), Article.section)
        ).all()
        filled = connection.execute(selection.apply(select(*coverage_columns).select_from(Article))).one()
        revisions = connection.scalar(revisions_of) or 0
        several = connection.scalar(
            selection.apply(select(func.count()).select_from(Article).where(Article.revision_count > 1))
        )
    return Stats(
        articles=total,
        per_month=[tuple(row) for row in per_month],
        per_channel=[tuple(row) for row in per_channel],
        per_section=[tuple(row) for row in per_section],
        coverage={
            name: (count or 0) / total if total else 0.0
            for name, count in zip(ARTICLE_FIELDS, filled, strict=True)
        },
        revisions=revisions,
        articles_with_several_revisions=several,
        last_runs=recent_runs(engine, last_runs),
    )


def recent_runs(engine: Engine, limit: int = 5) -> list[dict[str, Any]]:
    """The newest crawl_runs rows (crawls, loads, imports), newest first."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(CrawlRun).order_by(CrawlRun.started_at.desc(), CrawlRun.id.desc()).limit(limit)
        ).mappings().all()
    return [dict(row) for row in rows]
