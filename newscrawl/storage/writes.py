"""Storing article versions: one current row per article plus one revision per distinct version.

Safe with several processes writing at once: rows are created with INSERT ... ON CONFLICT,
and an existing article's row is locked (SELECT ... FOR UPDATE on PostgreSQL, BEGIN
IMMEDIATE on SQLite) before its revisions are numbered, so no two writers can hand out
the same revision number or lose each other's versions.

Every statement is built once, without values, and run with the row as its parameters:
SQLAlchemy then compiles it once per set of columns, instead of coercing and cache-keying
some thirty literal values (the body among them) for every row.

The versions that become an article's current row are fingerprinted for near-duplicates in the
same transaction (storage.near_duplicates), so an article is never stored without its group.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from functools import cache
from typing import Any, Literal, NamedTuple

from sqlalchemy import Connection, Engine, and_, bindparam, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect

from newscrawl.storage import near_duplicates
from newscrawl.storage.driver_rows import DriverInsert
from newscrawl.storage.engine import write_connection
from newscrawl.storage.models import Article, ArticleRevision
from newscrawl.storage.records import normalise_record
from newscrawl.storage.rows import record_to_columns

Status = Literal["new", "changed", "unchanged"]
REASONS = ("crawl", "load", "import", "reextract")
# Where a version's raw response is archived: (WARC file, offset of the response record).
CaptureLocation = tuple[str, int]
# An article's key: each publisher numbers its own articles.
ArticleKey = tuple[str, int]


def article_key(record: Mapping[str, Any]) -> ArticleKey:
    return record["publisher"], record["article_id"]

_ARTICLES = Article.__table__
_REVISIONS = ArticleRevision.__table__

# The columns an UPDATE sets are the keys of its parameters; the WHERE clause's parameters are
# named b_* so they cannot be taken for a column to set.
def _is_key(table, prefix: str = ""):
    return and_(table.c.publisher == bindparam(f"{prefix}publisher"), table.c.article_id == bindparam(f"{prefix}article_id"))


_UPDATE_ARTICLE = update(_ARTICLES).where(_is_key(_ARTICLES, "b_"))
_FILL_CAPTURE = update(_REVISIONS).where(
    _is_key(_REVISIONS, "b_"),
    _REVISIONS.c.fields_hash == bindparam("b_fields_hash"),
    _REVISIONS.c.warc_file.is_(None),
)
_LOCK_CURRENT = (
    select(
        _ARTICLES.c.fields_hash,
        _ARTICLES.c.fetched_at,
        _ARTICLES.c.revision_count,
        _ARTICLES.c.first_seen_at,
        _ARTICLES.c.last_seen_at,
    )
    .where(_is_key(_ARTICLES))
    .with_for_update()
)
_STORED_KEYS = select(_ARTICLES.c.publisher, _ARTICLES.c.article_id).where(
    tuple_(_ARTICLES.c.publisher, _ARTICLES.c.article_id).in_(bindparam("keys", expanding=True))
)
_REVISION_OF_VERSION = select(_REVISIONS.c.revision).where(
    _is_key(_REVISIONS),
    _REVISIONS.c.fields_hash == bindparam("fields_hash"),
)


class _Inserts(NamedTuple):
    """The INSERTs of one dialect (ON CONFLICT is spelled per dialect)."""

    # ON CONFLICT on every unique index, not only the key: two writers inserting the same new
    # article at once can meet first on the url index, which PostgreSQL reports as an error
    # unless that index is an arbiter too.
    article_if_new: Any
    article: Any
    revision: Any
    revision_if_new_version: Any


@cache
def _inserts(dialect_name: str) -> _Inserts:
    insert = postgresql.insert if dialect_name == "postgresql" else sqlite.insert
    return _Inserts(
        article_if_new=insert(_ARTICLES).on_conflict_do_nothing().returning(_ARTICLES.c.article_id),
        article=insert(_ARTICLES),
        revision=insert(_REVISIONS).returning(_REVISIONS.c.id),
        revision_if_new_version=insert(_REVISIONS)
        .on_conflict_do_nothing(index_elements=[_REVISIONS.c.publisher, _REVISIONS.c.article_id,
                                                _REVISIONS.c.fields_hash])
        .returning(_REVISIONS.c.id),
    )


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def check_reason(reason: str) -> None:
    if reason not in REASONS:
        raise ValueError(f"reason must be one of {', '.join(REASONS)}, not {reason!r}")


def store_articles(
    engine: Engine,
    records: Sequence[Mapping[str, Any]],
    reason: str = "crawl",
    run_id: int | None = None,
    captures: Mapping[ArticleKey, CaptureLocation] | None = None,
    signatures: Mapping[ArticleKey, near_duplicates.Signed] | None = None,
) -> list[Status]:
    """Store a batch in one transaction; return "new", "changed" or "unchanged" per record.

    Every record is validated first (InvalidRecord), so a bad record writes nothing.
    ``captures`` maps article keys (publisher, article_id) to where the response each record was extracted from is
    archived; a new revision gets that location, and so does a stored revision of the same
    version that has none yet (a version loaded from JSON lines, then imported from a WARC).
    ``signatures`` maps article keys to near-duplicate signatures computed ahead (by an extraction
    worker), so the store does not compute them.
    """
    check_reason(reason)
    columns = [record_to_columns(normalise_record(record)) for record in records]
    statuses: list[Status] = ["unchanged"] * len(columns)
    # Lock rows in one global order so two writers can never wait on each other in a cycle.
    order = sorted(range(len(columns)), key=lambda index: article_key(columns[index]))
    now = utcnow()
    captures = captures or {}
    with write_connection(engine) as connection, connection.begin():
        created = _create_new_articles(connection, columns, order, reason, run_id, now, captures)
        new_current: list[dict[str, Any]] = []  # the versions that became their article's current row
        for index in order:
            if index in created:
                statuses[index], replaced = "new", True
            else:
                capture = captures.get(article_key(columns[index]))
                statuses[index], replaced = _store_one(connection, columns[index], reason, run_id, now, capture)
            if replaced:
                new_current.append(columns[index])
        created_keys = [article_key(columns[index]) for index in order if statuses[index] == "new"]
        near_duplicates.file_articles(connection, new_current, new=created_keys, signatures=signatures)
    return statuses


def _create_new_articles(
    connection: Connection,
    columns: list[dict[str, Any]],
    order: list[int],
    reason: str,
    run_id: int | None,
    now: datetime,
    captures: Mapping[ArticleKey, CaptureLocation],
) -> set[int]:
    """Create the batch's articles not stored yet with two executemany INSERTs; return their indexes.

    A shortcut for _store_one's "new" case, run before any other write of the batch. The rows go
    in in key order, the order every writer locks in. If one is not created (its URL is
    held by another article, or another writer created it since the SELECT), the savepoint undoes
    them all, releasing their locks, and every record takes the per-row path as if this had not
    run. Otherwise the per-row path only meets rows stored before the SELECT and the batch's own.
    """
    if len(order) < 2:  # one record: the per-row path takes fewer statements
        return set()
    keys = [article_key(columns[index]) for index in order]
    stored = {tuple(row) for row in connection.execute(_STORED_KEYS, {"keys": keys})}
    # The first record of each article; a second one in the batch is a later version (_store_one).
    first_of_key: dict[ArticleKey, int] = {}
    for index in order:
        key = article_key(columns[index])
        if key not in stored:
            first_of_key.setdefault(key, index)
    new = list(first_of_key.values())  # in key order
    if len(new) < 2:  # one new article: its per-row insert takes fewer statements than the savepoint
        return set()
    inserts = _new_article_inserts(connection.dialect)
    article_rows, revision_rows = [], []
    for index in new:
        fields = inserts.articles.encode(columns[index])  # the same in both rows: encoded once
        capture = captures.get(article_key(columns[index]))
        article_rows.append(inserts.articles.row({**fields, **inserts.articles.encode(
            _first_version_columns(columns[index], now))}))
        revision_rows.append(inserts.revisions.row({**fields, **inserts.revisions.encode(
            _revision_columns(1, reason, run_id, now, capture))}))
    savepoint = connection.begin_nested()
    if inserts.articles.execute(connection, article_rows) < len(new):
        savepoint.rollback()
        return set()
    inserts.revisions.execute(connection, revision_rows)
    savepoint.commit()
    return set(new)


class _NewArticleInserts(NamedTuple):
    """The two executemany INSERTs of _create_new_articles, below SQLAlchemy (storage.driver_rows)."""

    articles: DriverInsert  # ON CONFLICT DO NOTHING: a row not inserted sends the batch the per-row way
    revisions: DriverInsert


@cache
def _new_article_inserts(dialect: Dialect) -> _NewArticleInserts:
    return _NewArticleInserts(
        articles=DriverInsert(_ARTICLES, _ARTICLES.columns.keys(), dialect, suffix=" ON CONFLICT DO NOTHING"),
        revisions=DriverInsert(_REVISIONS, [name for name in _REVISIONS.columns.keys() if name != "id"], dialect),
    )


def _first_version_columns(columns: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The articles columns beside the record's of an article's first version."""
    seen = columns["fetched_at"] or now
    return {"current_revision": 1, "revision_count": 1, "first_seen_at": seen, "last_seen_at": seen,
            "updated_at": now}


def _article_row(columns: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The articles row of an article's first version."""
    return {**columns, **_first_version_columns(columns, now)}


def _store_one(
    connection: Connection,
    columns: dict[str, Any],
    reason: str,
    run_id: int | None,
    now: datetime,
    capture: CaptureLocation | None = None,
) -> tuple[Status, bool]:
    """Store one version; return its status and whether it is now the article's current row."""
    key = {"publisher": columns["publisher"], "article_id": columns["article_id"]}
    seen = columns["fetched_at"] or now
    row = _article_row(columns, now)
    statements = _inserts(connection.dialect.name)
    created = connection.execute(statements.article_if_new, row).first()
    if created:
        # Our uncommitted row blocks every other writer of this article until we commit.
        _add_revision(connection, columns, 1, reason, run_id, now, capture)
        return "new", True

    current = connection.execute(_LOCK_CURRENT, key).one_or_none()
    if current is None:
        # No row with this key: the conflict was the URL, which another article holds. A plain insert
        # raises the IntegrityError callers handle (the store pipeline isolates the record).
        connection.execute(statements.article, row)
        _add_revision(connection, columns, 1, reason, run_id, now, capture)
        return "new", True
    seen_range = {
        "first_seen_at": min(current.first_seen_at, seen),
        "last_seen_at": max(current.last_seen_at, seen),
    }
    if current.fields_hash == columns["fields_hash"]:
        _touch_seen(connection, key, current, seen_range)
        _fill_capture(connection, key, columns["fields_hash"], capture)
        return "unchanged", False

    revision = current.revision_count + 1
    added = _add_revision(connection, columns, revision, reason, run_id, now, capture, on_conflict_skip=True)
    if not added:
        _fill_capture(connection, key, columns["fields_hash"], capture)
        # This version was stored before (the article went back to an earlier text).
        revision = connection.scalar(_REVISION_OF_VERSION, {**key, "fields_hash": columns["fields_hash"]})
    revision_count = current.revision_count + (1 if added else 0)
    # An older fetch (e.g. loading an old export) adds its version but does not replace a newer one.
    fetched_at = columns["fetched_at"]
    is_newest = current.fetched_at is None or fetched_at is None or fetched_at >= current.fetched_at
    if is_newest:
        values = {**columns, "current_revision": revision, "updated_at": now}
    elif added:
        values = {}
    else:
        _touch_seen(connection, key, current, seen_range)
        return "unchanged", False
    connection.execute(_UPDATE_ARTICLE, {**values, "revision_count": revision_count, **seen_range, **_where(key)})
    return "changed", is_newest


def _where(key: dict[str, Any]) -> dict[str, Any]:
    """The key as the WHERE parameters of the UPDATEs (b_*: never taken for a column to set)."""
    return {"b_publisher": key["publisher"], "b_article_id": key["article_id"]}


def _touch_seen(connection: Connection, key: dict[str, Any], current: Any, seen_range: dict[str, datetime]) -> None:
    """Widen first/last seen to this fetch; skipped when nothing moves, so a reload writes nothing."""
    if seen_range["first_seen_at"] == current.first_seen_at and seen_range["last_seen_at"] == current.last_seen_at:
        return
    connection.execute(_UPDATE_ARTICLE, {**seen_range, **_where(key)})


def _fill_capture(
    connection: Connection, key: dict[str, Any], fields_hash: str, capture: CaptureLocation | None
) -> None:
    """Give a stored version without an archived response this capture of it."""
    if capture is None:
        return
    where = {**_where(key), "b_fields_hash": fields_hash}
    connection.execute(_FILL_CAPTURE, {"warc_file": capture[0], "warc_offset": capture[1], **where})


def _add_revision(
    connection: Connection,
    columns: dict[str, Any],
    revision: int,
    reason: str,
    run_id: int | None,
    now: datetime,
    capture: CaptureLocation | None = None,
    *,
    on_conflict_skip: bool = False,
) -> bool:
    statements = _inserts(connection.dialect.name)
    statement = statements.revision_if_new_version if on_conflict_skip else statements.revision
    row = _revision_row(columns, revision, reason, run_id, now, capture)
    return connection.execute(statement, row).first() is not None


def _revision_row(
    columns: dict[str, Any],
    revision: int,
    reason: str,
    run_id: int | None,
    now: datetime,
    capture: CaptureLocation | None,
) -> dict[str, Any]:
    return {**columns, **_revision_columns(revision, reason, run_id, now, capture)}


def _revision_columns(
    revision: int, reason: str, run_id: int | None, now: datetime, capture: CaptureLocation | None
) -> dict[str, Any]:
    """The article_revisions columns beside the record's."""
    warc_file, warc_offset = capture if capture is not None else (None, None)
    return {"revision": revision, "reason": reason, "run_id": run_id, "created_at": now,
            "warc_file": warc_file, "warc_offset": warc_offset}
