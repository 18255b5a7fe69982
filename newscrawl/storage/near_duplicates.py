"""Near-duplicate groups in the database: fingerprints filed under LSH buckets, grouped as articles arrive.

A group is a connected component of the "similar" relation (newscrawl.near_duplicates.similar)
and is named after its earliest article (publication time, undated last, then key). Filing an
article joins it to every group holding an article similar to it, merging those groups; a new
body withdraws the old fingerprint first and regroups what its group had left, which a removal may
split. Because membership depends only on which pairs are similar, the groups come out the same
whatever order the articles arrive in (within the bounds CANDIDATE_LIMIT and REGROUP_LIMIT).

On PostgreSQL, writers take a transaction-level advisory lock before they touch these tables, so two
processes storing copies of one story at the same moment cannot each miss the other's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import Connection, Engine, and_, bindparam, delete, func, select, text, tuple_, update
from sqlalchemy.engine import Dialect

from newscrawl import near_duplicates as fingerprints
from newscrawl.near_duplicates import Banding, Signed
from newscrawl.storage.driver_rows import DriverInsert
from newscrawl.storage.engine import write_connection
from newscrawl.storage.models import Article, NearDuplicate, NearDuplicateBucket, NearDuplicateSettings

Key = tuple[str, int]
_NEAR = NearDuplicate.__table__
_BUCKETS = NearDuplicateBucket.__table__
# Another constant than storage.locks' run lock: serialises the filing of fingerprints.
ADVISORY_KEY = 0x6E656172  # "near"
# Articles fingerprinted per transaction by a backfill.
BACKFILL_BATCH = 200
# Bounds for bodies that are all alike (boilerplate of video or gallery pages, a template the site
# printed for a day): the candidates read for one article, and the size of group whose split a
# new body is checked for (pairwise, so quadratic). Past them, grouping stays bounded in time and
# memory but is no longer exact: a group larger than REGROUP_LIMIT keeps its members together.
CANDIDATE_LIMIT = 200
REGROUP_LIMIT = 2000
# Keys per IN list: well under SQLite's 32,766 bound variables (a key is two of them).
LOOKUP_CHUNK = 500
BUCKET_CHUNK = 5000

_DELETE_BUCKET = delete(_BUCKETS).where(
    _BUCKETS.c.bucket == bindparam("b_bucket"),
    _BUCKETS.c.publisher == bindparam("b_publisher"),
    _BUCKETS.c.article_id == bindparam("b_article_id"),
)
_SET_GROUP = update(_NEAR).where(
    _NEAR.c.publisher == bindparam("b_publisher"), _NEAR.c.article_id == bindparam("b_article_id")
)
_REPOINT_GROUP = update(_NEAR).where(
    _NEAR.c.group_publisher == bindparam("b_group_publisher"),
    _NEAR.c.group_article_id == bindparam("b_group_article_id"),
)


class SettingsMismatch(RuntimeError):
    """The database's fingerprints were made with other parameters than this newscrawl makes."""


@dataclass(frozen=True)
class _Fingerprint:
    key: Key
    published_at: datetime | None
    signature: np.ndarray | None
    group: Key
    content_hash: str | None = None

    @property
    def order(self) -> tuple:
        return _earliest_first(self.key, self.published_at)


class _Components:
    """Union-find over keys: which nodes are joined, directly or through others."""

    def __init__(self) -> None:
        self.parent: dict[Key, Key] = {}

    def root(self, node: Key) -> Key:
        parent = self.parent
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    def join(self, first: Key, second: Key) -> None:
        self.parent[self.root(first)] = self.root(second)


def _earliest_first(key: Key, published_at: datetime | None) -> tuple:
    return (published_at is None, published_at or datetime.min.replace(tzinfo=timezone.utc), key)


def banding(connection: Connection) -> Banding:
    """The database's threshold and bands (its settings row), checked against this code's constants."""
    row = connection.execute(select(NearDuplicateSettings.__table__).where(NearDuplicateSettings.id == 1)).one()
    made_here = (fingerprints.NUM_PERM, fingerprints.SHINGLE_WORDS, fingerprints.SCHEME)
    if (row.num_perm, row.shingle_words, row.scheme) != made_here:
        raise SettingsMismatch(
            f"the near-duplicate fingerprints were made with {row.num_perm} permutations, {row.shingle_words}-word "
            f"shingles and scheme {row.scheme}; this newscrawl makes {made_here[0]}, {made_here[1]} and "
            f"{made_here[2]}: regroup with `newscrawl dedupe --threshold {row.threshold}`")
    return Banding(row.threshold, row.bands, row.rows)


def _serialise_filing(connection: Connection) -> None:
    """On PostgreSQL, wait for the other writers' filing until this transaction ends (SQLite has one writer)."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_KEY})


def file_articles(connection: Connection, articles: Sequence[Mapping[str, Any]], new: Iterable[Key] = (),
                  signatures: Mapping[Key, Signed] | None = None) -> None:
    """(Re)fingerprint the current versions just stored, in the caller's transaction.

    ``articles``: column dicts (publisher, article_id, body, content_hash, published_at as UTC); of an
    article given twice, the last is its current version. ``new``: keys of articles this transaction
    created, which cannot have a fingerprint yet (their lookup is skipped). ``signatures``: signatures
    already computed elsewhere (an extraction worker), each with the body it was computed from; one
    whose body is not the stored one is computed again. An article whose body and date are those of
    its stored fingerprint is left as it is.
    """
    latest = {(article["publisher"], article["article_id"]): article for article in articles}
    if not latest:
        return
    _serialise_filing(connection)
    layout = banding(connection)
    created = set(new)
    stored = _stored(connection, [key for key in latest if key not in created])
    signatures = signatures or {}
    entries: list[_Fingerprint] = []
    for key, article in latest.items():
        old = stored.get(key)
        if old is not None and old.content_hash is not None and old.content_hash == article["content_hash"] \
                and old.published_at == article["published_at"]:
            continue
        if old is not None:
            _withdraw(connection, layout, old)
        given = signatures.get(key)
        signature = given.signature if given is not None and given.body == article["body"] \
            else fingerprints.signature(article["body"])
        entries.append(_Fingerprint(key, article["published_at"], signature, key, article["content_hash"]))
    _file_all(connection, layout, entries)


def _stored(connection: Connection, keys: Sequence[Key]) -> dict[Key, Any]:
    found: dict[Key, Any] = {}
    for start in range(0, len(keys), LOOKUP_CHUNK):
        rows = connection.execute(
            select(_NEAR).where(tuple_(_NEAR.c.publisher, _NEAR.c.article_id).in_(keys[start:start + LOOKUP_CHUNK])))
        found.update(((row.publisher, row.article_id), row) for row in rows)
    return found


def _fingerprint_row(entry: _Fingerprint, head: Key) -> dict[str, Any]:
    return {"publisher": entry.key[0], "article_id": entry.key[1], "content_hash": entry.content_hash,
            "published_at": entry.published_at,
            "signature": None if entry.signature is None else fingerprints.to_bytes(entry.signature),
            "group_publisher": head[0], "group_article_id": head[1]}


def _file_all(connection: Connection, layout: Banding, entries: Sequence[_Fingerprint]) -> None:
    """File a transaction's fingerprints together: one bucket query, one insert of each kind.

    The result is what filing them one by one gives (groups are the connected components of
    ``similar`` over all fingerprints, whatever the order): the batch's articles and the stored
    groups similar to them are joined with union-find. If the bucket query reaches its bound (bodies
    all alike), each article is filed on its own instead (_file), with the per-article bound.
    """
    if not entries:
        return
    buckets = {entry.key: fingerprints.buckets(entry.signature, layout)
               for entry in entries if entry.signature is not None}
    candidates, complete = _candidates(connection, sorted({bucket for keys in buckets.values() for bucket in keys}),
                                       CANDIDATE_LIMIT * len(buckets))
    if not complete and len(entries) > 1:
        for entry in entries:
            _file(connection, layout, entry)
        return
    # (One article past its bound goes on with the candidates read: there, grouping is not exact.)
    by_bucket: dict[int, list[Any]] = {}
    for candidate in candidates:
        by_bucket.setdefault(candidate.bucket, []).append(candidate)
    # The batch's articles and the stored groups, both named by a key.
    components = _Components()
    stored_groups: set[Key] = set()
    filed_with: dict[int, list[_Fingerprint]] = {}  # bucket -> the batch's articles filed under it so far
    for entry in entries:
        components.root(entry.key)
        if entry.signature is None:  # no words: nothing to compare, a group of its own
            continue
        compared: set[Key] = set()
        for bucket in buckets[entry.key]:
            for candidate in by_bucket.get(bucket, ()):
                group = (candidate.group_publisher, candidate.group_article_id)
                # One similar member joins a group: the rest of it need not be compared.
                if components.root(group) == components.root(entry.key) \
                        or (candidate.publisher, candidate.article_id) in compared:
                    continue
                compared.add((candidate.publisher, candidate.article_id))
                if fingerprints.similar(fingerprints.from_bytes(candidate.signature), entry.signature, layout):
                    stored_groups.add(group)
                    components.join(group, entry.key)
            for other in filed_with.get(bucket, ()):
                if other.key not in compared and components.root(other.key) != components.root(entry.key):
                    compared.add(other.key)
                    if fingerprints.similar(other.signature, entry.signature, layout):
                        components.join(other.key, entry.key)
            filed_with.setdefault(bucket, []).append(entry)
    # Each stored group's head is its earliest article, so a component's earliest head or batch article heads it.
    order: dict[Key, tuple] = {entry.key: entry.order for entry in entries}
    groups = sorted(stored_groups)
    for start in range(0, len(groups), LOOKUP_CHUNK):
        for head in connection.execute(
            select(_NEAR.c.publisher, _NEAR.c.article_id, _NEAR.c.published_at)
            .where(tuple_(_NEAR.c.publisher, _NEAR.c.article_id).in_(groups[start:start + LOOKUP_CHUNK]))
        ):
            order[(head.publisher, head.article_id)] = _earliest_first((head.publisher, head.article_id),
                                                                       head.published_at)
    heads: dict[Key, Key] = {}
    for node in [entry.key for entry in entries] + groups:
        component = components.root(node)
        if component not in heads or order[node] < order[heads[component]]:
            heads[component] = node

    def head_of(node: Key) -> Key:
        return heads[components.root(node)]

    inserts = _driver_inserts(connection.dialect)
    inserts.fingerprints.execute(connection, [
        inserts.fingerprints.row(inserts.fingerprints.encode(_fingerprint_row(entry, head_of(entry.key))))
        for entry in entries])
    _insert_buckets(connection, inserts, [(bucket, *key) for key, keys in buckets.items() for bucket in keys])
    moved = [{"group_publisher": head_of(group)[0], "group_article_id": head_of(group)[1],
              "b_group_publisher": group[0], "b_group_article_id": group[1]}
             for group in groups if head_of(group) != group]
    if moved:
        connection.execute(_REPOINT_GROUP, moved)


def _file(connection: Connection, layout: Banding, entry: _Fingerprint) -> None:
    """File one fingerprint on its own: it meets the ones filed before it, reading at most
    CANDIDATE_LIMIT candidates."""
    _file_all(connection, layout, [entry])


class _DriverInserts(NamedTuple):
    """The filing's INSERTs through the driver: SQLAlchemy's handling of each row's parameters cost more
    than the inserts themselves (25 bucket rows an article)."""

    fingerprints: DriverInsert
    buckets: DriverInsert


# On PostgreSQL the bucket rows go in as three arrays in one statement: psycopg's executemany sends
# each row as a statement of its own in a pipeline, which cost more than all the rest of a store.
_BUCKETS_FROM_ARRAYS = (f"INSERT INTO {_BUCKETS.name} (bucket, publisher, article_id) "
                        "SELECT * FROM unnest(%s::bigint[], %s::text[], %s::bigint[])")


def _insert_buckets(connection: Connection, inserts: _DriverInserts, rows: list[tuple[int, str, int]]) -> None:
    """The bucket rows (plain ints and a string: nothing to encode), 25 an article."""
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        buckets, publishers, article_ids = (list(column) for column in zip(*rows))
        connection.exec_driver_sql(_BUCKETS_FROM_ARRAYS, (buckets, publishers, article_ids))
    else:
        inserts.buckets.execute(connection, rows)


@cache
def _driver_inserts(dialect: Dialect) -> _DriverInserts:
    return _DriverInserts(DriverInsert(_NEAR, _NEAR.columns.keys(), dialect),
                          DriverInsert(_BUCKETS, ("bucket", "publisher", "article_id"), dialect))


_CANDIDATES_FROM = (
    f"SELECT b.bucket, n.publisher, n.article_id, n.signature, n.group_publisher, n.group_article_id "
    f"FROM {_BUCKETS.name} AS b JOIN {_NEAR.name} AS n ON n.publisher = b.publisher AND n.article_id = b.article_id "
)
# Neither statement has ORDER BY or DISTINCT: the database may stop at the limit.
_CANDIDATES = _CANDIDATES_FROM + "WHERE b.bucket IN ({keys}) LIMIT {limit}"
# SQLite: one statement whatever the keys, given as one JSON array. pysqlite keeps the last 128
# statements of each connection prepared, and one with a batch's keys written in holds ~0.3 MB:
# a new one for every batch grew an import by 42 MB before that cache was full.
_SQLITE_CANDIDATES = _CANDIDATES_FROM + "WHERE b.bucket IN (SELECT value FROM json_each(?)) LIMIT ?"


def _candidates(connection: Connection, bucket_keys: Sequence[int], limit: int) -> tuple[list[Any], bool]:
    """At most ``limit`` stored fingerprints filed under these buckets (a row per bucket shared), and
    whether they are all there are.

    The keys are not bound one by one: the 1,250 keys of a batch cost more to process that way than the
    query takes. SQLite reads them from one JSON array; elsewhere they are written into the statement
    as numbers (they are ints of our own making; psycopg prepares no statement it has seen only once)."""
    found: list[Any] = []
    sqlite = connection.dialect.name == "sqlite"
    for start in range(0, len(bucket_keys), BUCKET_CHUNK):
        keys = ", ".join(str(int(key)) for key in bucket_keys[start:start + BUCKET_CHUNK])
        wanted = limit - len(found) + 1
        if sqlite:
            found.extend(connection.exec_driver_sql(_SQLITE_CANDIDATES, (f"[{keys}]", wanted)).all())
        else:
            found.extend(connection.exec_driver_sql(_CANDIDATES.format(keys=keys, limit=wanted)).all())
        if len(found) > limit:
            return found[:limit], False
    return found, True


def _withdraw(connection: Connection, layout: Banding, old: Any) -> None:
    """Remove a fingerprint, then regroup the rest of its group (it may have held the group together)."""
    key = (old.publisher, old.article_id)
    if old.signature is not None:
        connection.execute(_DELETE_BUCKET, [
            {"b_bucket": bucket, "b_publisher": key[0], "b_article_id": key[1]}
            for bucket in fingerprints.buckets(fingerprints.from_bytes(old.signature), layout)
        ])
    connection.execute(delete(_NEAR).where(_NEAR.c.publisher == key[0], _NEAR.c.article_id == key[1]))
    group = (old.group_publisher, old.group_article_id)
    size = connection.scalar(select(func.count()).select_from(_NEAR).where(
        _NEAR.c.group_publisher == group[0], _NEAR.c.group_article_id == group[1]))
    if size > REGROUP_LIMIT:
        _rehead(connection, group)
        return
    rest = connection.execute(
        select(_NEAR.c.publisher, _NEAR.c.article_id, _NEAR.c.published_at, _NEAR.c.signature)
        .where(_NEAR.c.group_publisher == group[0], _NEAR.c.group_article_id == group[1])
    ).all()
    members = [
        _Fingerprint((row.publisher, row.article_id), row.published_at,
                     None if row.signature is None else fingerprints.from_bytes(row.signature), group)
        for row in rest
    ]
    changes = [
        {"group_publisher": head[0], "group_article_id": head[1], "b_publisher": member.key[0],
         "b_article_id": member.key[1]}
        for member, head in regroup(members, layout)
        if head != member.group
    ]
    if changes:
        connection.execute(_SET_GROUP, changes)


def _rehead(connection: Connection, group: Key) -> None:
    """Give a large group whose head left the earliest of its remaining members as head, unsplit."""
    earliest = connection.execute(
        select(_NEAR.c.publisher, _NEAR.c.article_id, _NEAR.c.published_at)
        .where(_NEAR.c.group_publisher == group[0], _NEAR.c.group_article_id == group[1])
        .order_by(_NEAR.c.published_at.asc().nulls_last(), _NEAR.c.publisher, _NEAR.c.article_id).limit(1)
    ).first()
    if earliest is not None and (earliest.publisher, earliest.article_id) != group:
        connection.execute(
            update(_NEAR).where(_NEAR.c.group_publisher == group[0], _NEAR.c.group_article_id == group[1])
            .values(group_publisher=earliest.publisher, group_article_id=earliest.article_id)
        )


def regroup(members: Sequence[_Fingerprint], layout: Banding) -> list[tuple[_Fingerprint, Key]]:
    """Each member with the head of its connected component under ``similar``."""
    components = _Components()
    for first in range(len(members)):
        components.root(members[first].key)
        if members[first].signature is None:
            continue
        for second in range(first + 1, len(members)):
            if members[second].signature is not None and \
                    fingerprints.similar(members[first].signature, members[second].signature, layout):
                components.join(members[second].key, members[first].key)
    heads: dict[Key, _Fingerprint] = {}
    for member in members:
        component = components.root(member.key)
        if component not in heads or member.order < heads[component].order:
            heads[component] = member
    return [(member, heads[components.root(member.key)].key) for member in members]


# --- backfill and regrouping of the whole archive ---------------------------------------------

_UNFILED = (
    select(Article.publisher, Article.article_id, Article.body, Article.content_hash, Article.published_at)
    .outerjoin(NearDuplicate, and_(NearDuplicate.publisher == Article.publisher,
                                   NearDuplicate.article_id == Article.article_id))
    .where(NearDuplicate.article_id.is_(None))
    .order_by(Article.publisher, Article.article_id)
)


def count_unfiled(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(_UNFILED.order_by(None).subquery()))


def file_unfiled(engine: Engine, on_batch: Callable[[int], None] = lambda count: None,
                 batch: int = BACKFILL_BATCH) -> int:
    """Fingerprint every article that has none yet, a batch per transaction; return how many.

    Interrupted, it keeps what it committed: the next call goes on with the rest.
    """
    done = 0
    last: Key | None = None
    while True:
        page = _UNFILED if last is None else _UNFILED.where(tuple_(Article.publisher, Article.article_id) > last)
        with write_connection(engine) as connection, connection.begin():
            rows = connection.execute(page.limit(batch)).mappings().all()
            file_articles(connection, rows)
        done += len(rows)
        if rows:
            on_batch(len(rows))
            last = (rows[-1]["publisher"], rows[-1]["article_id"])
        if len(rows) < batch:
            return done


def set_threshold(engine: Engine, threshold: float) -> Banding:
    """Drop every fingerprint and keep the new threshold (and its bands); file_unfiled regroups."""
    layout = fingerprints.banding_for(threshold)
    with write_connection(engine) as connection, connection.begin():
        _serialise_filing(connection)
        connection.execute(delete(_BUCKETS))
        connection.execute(delete(_NEAR))
        connection.execute(update(NearDuplicateSettings.__table__).where(NearDuplicateSettings.id == 1).values(
            threshold=layout.threshold, bands=layout.bands, rows=layout.rows, num_perm=fingerprints.NUM_PERM,
            shingle_words=fingerprints.SHINGLE_WORDS, scheme=fingerprints.SCHEME))
    return layout


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupStats:
    threshold: float
    fingerprinted: int
    unfiled: int
    groups: int  # groups of two or more articles
    grouped_articles: int  # the articles in them
    largest: int
    sizes: dict[str, int]  # groups by size: "2", "3-5", "6-10", "11+"


SIZE_CLASSES = (("2", 2, 2), ("3-5", 3, 5), ("6-10", 6, 10), ("11+", 11, None))


def group_stats(engine: Engine) -> GroupStats:
    size = func.count().label("size")
    per_group = select(size).select_from(_NEAR).group_by(_NEAR.c.group_publisher, _NEAR.c.group_article_id).having(func.count() > 1)
    with engine.connect() as connection:
        layout = banding(connection)
        fingerprinted = connection.scalar(select(func.count()).select_from(_NEAR))
        sizes = [row.size for row in connection.execute(per_group)]
    unfiled = count_unfiled(engine)
    return GroupStats(
        threshold=layout.threshold,
        fingerprinted=fingerprinted,
        unfiled=unfiled,
        groups=len(sizes),
        grouped_articles=sum(sizes),
        largest=max(sizes, default=0),
        sizes={name: sum(1 for s in sizes if s >= low and (high is None or s <= high))
               for name, low, high in SIZE_CLASSES},
    )


def groups_of(engine: Engine, keys: Iterable[Key]) -> dict[Key, Key]:
    """The group (its earliest article's key) of each of these fingerprinted articles."""
    wanted = list(dict.fromkeys(keys))
    found: dict[Key, Key] = {}
    with engine.connect() as connection:
        for start in range(0, len(wanted), 500):
            rows = connection.execute(
                select(_NEAR.c.publisher, _NEAR.c.article_id, _NEAR.c.group_publisher, _NEAR.c.group_article_id)
                .where(tuple_(_NEAR.c.publisher, _NEAR.c.article_id).in_(wanted[start:start + 500]))
            )
            found.update(((row[0], row[1]), (row[2], row[3])) for row in rows)
    return found
