"""Reading an article's history: its stored versions, and the edits crawls have seen.

Every distinct version of an article is a row of ``article_revisions``, numbered from 1 in the order
it was stored. A version with reason ``crawl`` or ``import`` was fetched anew: when it follows
another version it is an **edit** seen on the site (or in an archive). ``reextract`` versions come
from newer extraction rules over the same page, ``load`` versions from JSON lines: neither says the
publisher changed anything, so neither counts as an edit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, tuple_

from newscrawl.storage.models import ArticleRevision
from newscrawl.storage.reads import REVISION_RECORD_COLUMNS, STREAM_BATCH
from newscrawl.storage.rows import row_to_record

EDIT_REASONS = ("crawl", "import")


@dataclass(frozen=True)
class Revision:
    publisher: str
    article_id: int
    revision: int
    reason: str
    created_at: datetime
    record: dict[str, Any]


_REVISION_COLUMNS = (ArticleRevision.publisher, ArticleRevision.article_id, ArticleRevision.revision,
                     ArticleRevision.reason, ArticleRevision.created_at, *REVISION_RECORD_COLUMNS)


def _revision(row: Any) -> Revision:
    return Revision(row[0], row[1], row[2], row[3], row[4], row_to_record(row[5:]))


def publishers_of(engine: Engine, article_id: int) -> list[str]:
    """The publishers that have an article with this id (usually one)."""
    with engine.connect() as connection:
        return list(connection.scalars(select(ArticleRevision.publisher).distinct()
                                       .where(ArticleRevision.article_id == article_id)
                                       .order_by(ArticleRevision.publisher)))


def article_revisions(engine: Engine, publisher: str, article_id: int) -> list[Revision]:
    """Every stored version of one article, oldest first."""
    statement = (select(*_REVISION_COLUMNS)
                 .where(ArticleRevision.publisher == publisher, ArticleRevision.article_id == article_id)
                 .order_by(ArticleRevision.revision))
    with engine.connect() as connection:
        return [_revision(row) for row in connection.execute(statement)]


def iter_edits(engine: Engine, since: datetime, until: datetime | None = None,
               batch: int = STREAM_BATCH) -> Iterator[tuple[Revision, Revision]]:
    """(previous version, edited version) for every edit stored from ``since`` (inclusive) to
    ``until`` (exclusive), oldest first; read in pages of ``batch`` edits (keyset pagination)."""
    edited = ArticleRevision
    keys = (select(edited.id, edited.publisher, edited.article_id, edited.revision)
            .where(edited.reason.in_(EDIT_REASONS), edited.revision > 1, edited.created_at >= since)
            .order_by(edited.id))
    if until is not None:
        keys = keys.where(edited.created_at < until)
    last = 0
    while True:
        with engine.connect() as connection:
            page = connection.execute(keys.where(edited.id > last).limit(batch)).all()
            if not page:
                return
            # Both versions of every edit of the page (2 * batch keys at most), in one query.
            wanted = [(row.publisher, row.article_id, revision) for row in page
                      for revision in (row.revision - 1, row.revision)]
            rows = connection.execute(select(*_REVISION_COLUMNS).where(
                tuple_(ArticleRevision.publisher, ArticleRevision.article_id, ArticleRevision.revision).in_(wanted)))
            found = {(row[0], row[1], row[2]): _revision(row) for row in rows}
        for row in page:
            before = found.get((row.publisher, row.article_id, row.revision - 1))
            after = found.get((row.publisher, row.article_id, row.revision))
            if before is not None and after is not None:
                yield before, after
        last = page[-1].id
