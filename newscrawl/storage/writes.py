"""Storing article versions: one current row per article plus one revision per distinct version.

Safe with several processes writing at once: rows are created with INSERT ... ON CONFLICT,
and an existing article's row is locked (SELECT ... FOR UPDATE on PostgreSQL, BEGIN
IMMEDIATE on SQLite) before its revisions are numbered, so no two writers can hand out
the same revision number or lose each other's versions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, Literal

from sqlalchemy import Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from newscrawl.storage.engine import write_connection
from newscrawl.storage.models import Article, ArticleRevision
from newscrawl.storage.records import normalise_record
from newscrawl.storage.rows import record_to_columns

Status = Literal["new", "changed", "unchanged"]
REASONS = ("crawl", "load", "import", "reextract")
# Where a version's raw response is archived: (WARC file, offset of the response record).
CaptureLocation = tuple[str, int]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def store_articles(
    engine: Engine,
    records: Sequence[Mapping[str, Any]],
    reason: str = "crawl",
    run_id: int | None = None,
    captures: Mapping[int, CaptureLocation] | None = None,
) -> list[Status]:
    """Store a batch in one transaction; return "new", "changed" or "unchanged" per record.

    Every record is validated first (InvalidRecord), so a bad record writes nothing.
    ``captures`` maps article ids to where the response each record was extracted from is
    archived; a new revision gets that location, and so does a stored revision of the same
    version that has none yet (a version loaded from JSON lines, then imported from a WARC).
    """
    if reason not in REASONS:
        raise ValueError(f"reason must be one of {', '.join(REASONS)}, not {reason!r}")
    columns = [record_to_columns(normalise_record(record)) for record in records]
    statuses: list[Status] = ["unchanged"] * len(columns)
    # Lock rows in one global order so two writers can never wait on each other in a cycle.
    order = sorted(range(len(columns)), key=lambda index: columns[index]["article_id"])
    now = utcnow()
    with write_connection(engine) as connection, connection.begin(), Session(bind=connection) as session:
        for index in order:
            capture = (captures or {}).get(columns[index]["article_id"])
            statuses[index] = _store_one(session, columns[index], reason, run_id, now, capture)
    return statuses


def _insert(session: Session, entity: type) -> Any:
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    return dialect.insert(entity)


def _store_one(
    session: Session,
    columns: dict[str, Any],
    reason: str,
    run_id: int | None,
    now: datetime,
    capture: CaptureLocation | None = None,
) -> Status:
    article_id = columns["article_id"]
    seen = columns["fetched_at"] or now
    row = {**columns, "current_revision": 1, "revision_count": 1, "first_seen_at": seen, "last_seen_at": seen,
           "updated_at": now}
    # ON CONFLICT on every unique index, not only article_id: two writers inserting the same new
    # article at once can meet first on the url index, which PostgreSQL reports as an error unless
    # that index is an arbiter too.
    created = session.execute(
        _insert(session, Article).values(**row).on_conflict_do_nothing().returning(Article.article_id)
    ).first()
    if created:
        # Our uncommitted row blocks every other writer of this article until we commit.
        _add_revision(session, columns, 1, reason, run_id, now, capture)
        return "new"

    current = session.execute(
        select(
            Article.fields_hash,
            Article.fetched_at,
            Article.revision_count,
            Article.first_seen_at,
            Article.last_seen_at,
        )
        .where(Article.article_id == article_id)
        .with_for_update()
    ).one_or_none()
    if current is None:
        # No row with this id: the conflict was the URL, which another article holds. A plain insert
        # raises the IntegrityError callers handle (the store pipeline isolates the record).
        session.execute(_insert(session, Article).values(**row))
        _add_revision(session, columns, 1, reason, run_id, now, capture)
        return "new"
    seen_range = {
        "first_seen_at": min(current.first_seen_at, seen),
        "last_seen_at": max(current.last_seen_at, seen),
    }
    if current.fields_hash == columns["fields_hash"]:
        _touch_seen(session, article_id, current, seen_range)
        _fill_capture(session, article_id, columns["fields_hash"], capture)
        return "unchanged"

    revision = current.revision_count + 1
    added = _add_revision(session, columns, revision, reason, run_id, now, capture, on_conflict_skip=True)
    if not added:
        _fill_capture(session, article_id, columns["fields_hash"], capture)
        # This version was stored before (the article went back to an earlier text).
        revision = session.scalar(
            select(ArticleRevision.revision).where(
                ArticleRevision.article_id == article_id,
                ArticleRevision.fields_hash == columns["fields_hash"],
            )
        )
    revision_count = current.revision_count + (1 if added else 0)
    # An older fetch (e.g. loading an old export) adds its version but does not replace a newer one.
    fetched_at = columns["fetched_at"]
    is_newest = current.fetched_at is None or fetched_at is None or fetched_at >= current.fetched_at
    if is_newest:
        values = {**columns, "current_revision": revision, "updated_at": now}
    elif added:
        values = {}
    else:
        _touch_seen(session, article_id, current, seen_range)
        return "unchanged"
    session.execute(
        update(Article)
        .where(Article.article_id == article_id)
        .values(**values, revision_count=revision_count, **seen_range)
    )
    return "changed"


def _touch_seen(session: Session, article_id: int, current: Any, seen_range: dict[str, datetime]) -> None:
    """Widen first/last seen to this fetch; skipped when nothing moves, so a reload writes nothing."""
    if seen_range["first_seen_at"] == current.first_seen_at and seen_range["last_seen_at"] == current.last_seen_at:
        return
    session.execute(update(Article).where(Article.article_id == article_id).values(**seen_range))


def _fill_capture(session: Session, article_id: int, fields_hash: str, capture: CaptureLocation | None) -> None:
    """Give a stored version without an archived response this capture of it."""
    if capture is None:
        return
    session.execute(
        update(ArticleRevision)
        .where(
            ArticleRevision.article_id == article_id,
            ArticleRevision.fields_hash == fields_hash,
            ArticleRevision.warc_file.is_(None),
        )
        .values(warc_file=capture[0], warc_offset=capture[1])
    )


def _add_revision(
    session: Session,
    columns: dict[str, Any],
    revision: int,
    reason: str,
    run_id: int | None,
    now: datetime,
    capture: CaptureLocation | None = None,
    *,
    on_conflict_skip: bool = False,
) -> bool:
    warc_file, warc_offset = capture if capture is not None else (None, None)
    statement = _insert(session, ArticleRevision).values(
        **columns, revision=revision, reason=reason, run_id=run_id, created_at=now,
        warc_file=warc_file, warc_offset=warc_offset,
    )
    if on_conflict_skip:
        statement = statement.on_conflict_do_nothing(
            index_elements=[ArticleRevision.article_id, ArticleRevision.fields_hash]
        )
    return session.execute(statement.returning(ArticleRevision.id)).first() is not None
