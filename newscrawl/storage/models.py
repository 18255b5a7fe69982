"""Tables: the current version of each article, every stored version, crawl runs, gone articles and
near-duplicate fingerprints."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator):
    """A timezone-aware timestamp, stored in UTC.

    SQLite keeps no zone, so values are converted to UTC on the way in and marked
    UTC on the way out; PostgreSQL gets a real ``timestamptz``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: a UTC offset is required")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


# Lists and objects; none_as_null keeps Python None as SQL NULL rather than JSON 'null'.
JsonValue = JSON(none_as_null=True)

# 64-bit keys on PostgreSQL; SQLite only auto-numbers a plain INTEGER primary key.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    pass


class ArticleFields:
    """The schema's fields (but the key, publisher and article_id) as columns, shared by articles and
    their revisions.

    published_at and fetched_at are UTC timestamps for sorting and filtering; the
    ``*_iso`` columns keep the strings as given, so the original offset (WIB, WITA,
    WIT) and spelling come back exactly.
    """

    url: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(Text)
    section: Mapped[str | None] = mapped_column(Text)
    section_path: Mapped[str | None] = mapped_column(Text)
    headline: Mapped[str] = mapped_column(Text)
    summary: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    published_at_iso: Mapped[str | None] = mapped_column(Text)
    published_raw: Mapped[str | None] = mapped_column(Text)
    authors: Mapped[list[str] | None] = mapped_column(JsonValue)
    byline: Mapped[str | None] = mapped_column(Text)
    editor_initials: Mapped[str | None] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(Text)
    photo_caption: Mapped[str | None] = mapped_column(Text)
    photo_credit: Mapped[str | None] = mapped_column(Text)
    dateline: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    images: Mapped[list[dict[str, Any]] | None] = mapped_column(JsonValue)
    tags: Mapped[list[str] | None] = mapped_column(JsonValue)
    syndicated_from: Mapped[str | None] = mapped_column(Text)
    page_count: Mapped[int | None] = mapped_column(Integer)
    word_count: Mapped[int | None] = mapped_column(Integer)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    layout: Mapped[str | None] = mapped_column(Text)
    fetched_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    fetched_at_iso: Mapped[str | None] = mapped_column(Text)
    fields_hash: Mapped[str] = mapped_column(String(64))


class Article(ArticleFields, Base):
    """One row per article: its current version. Keyed by (publisher, article_id): each publisher
    numbers its own articles."""

    __tablename__ = "articles"

    publisher: Mapped[str] = mapped_column(Text, primary_key=True)
    article_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    url: Mapped[str] = mapped_column(Text, unique=True)
    # Which revision the row shows, and the highest revision number handed out so far.
    current_revision: Mapped[int] = mapped_column(Integer)
    revision_count: Mapped[int] = mapped_column(Integer)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        Index("ix_articles_published_at", "published_at", "publisher", "article_id"),
        Index("ix_articles_section", "section"),
        Index("ix_articles_channel", "publisher", "channel"),
    )


class ArticleRevision(ArticleFields, Base):
    """Every distinct version of an article ever stored (the current one included)."""

    __tablename__ = "article_revisions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    publisher: Mapped[str] = mapped_column(Text)
    article_id: Mapped[int] = mapped_column(BigInteger)
    revision: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(16))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("crawl_runs.id", ondelete="SET NULL"))
    # Where the raw response this version was extracted from is archived: a WARC file (relative
    # to the exports folder, or absolute) and the offset of its response record; null if none.
    warc_file: Mapped[str | None] = mapped_column(Text)
    warc_offset: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        ForeignKeyConstraint(["publisher", "article_id"], ["articles.publisher", "articles.article_id"],
                             ondelete="CASCADE", name="fk_article_revisions_article"),
        UniqueConstraint("publisher", "article_id", "revision", name="uq_article_revisions_revision"),
        UniqueConstraint("publisher", "article_id", "fields_hash", name="uq_article_revisions_fields_hash"),
    )


class CrawlRun(Base):
    """One crawl, load or other job that wrote to the database."""

    __tablename__ = "crawl_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    arguments: Mapped[dict[str, Any] | None] = mapped_column(JsonValue)
    counts: Mapped[dict[str, Any] | None] = mapped_column(JsonValue)
    outcome: Mapped[str | None] = mapped_column(String(32))
    # The process that ran it (see storage.runs: a run whose process is gone is marked interrupted).
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    pid_space: Mapped[str | None] = mapped_column(String(100))
    run_lock: Mapped[bool | None] = mapped_column(Boolean)  # held the one-crawl-per-database lock


class GoneArticle(Base):
    """An article URL the site answered 404 or 410 for: not fetched again unless asked."""

    __tablename__ = "gone_articles"

    publisher: Mapped[str] = mapped_column(Text, primary_key=True)
    article_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    url: Mapped[str] = mapped_column(Text)
    status: Mapped[int] = mapped_column(Integer)
    first_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime)


class NearDuplicateSettings(Base):
    """The one row (id 1) saying how the database's near-duplicate groups are made: the Jaccard
    threshold and the LSH layout its bucket keys were computed with (newscrawl.near_duplicates)."""

    __tablename__ = "near_duplicate_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    threshold: Mapped[float] = mapped_column(Float)
    bands: Mapped[int] = mapped_column(Integer)
    rows: Mapped[int] = mapped_column(Integer)
    num_perm: Mapped[int] = mapped_column(Integer)
    shingle_words: Mapped[int] = mapped_column(Integer)
    scheme: Mapped[str] = mapped_column(String(32))


class NearDuplicate(Base):
    """An article's near-duplicate fingerprint (of its current body) and its group: the key of the
    earliest article of the group, its own key when it has no near-duplicate."""

    __tablename__ = "near_duplicates"

    publisher: Mapped[str] = mapped_column(Text, primary_key=True)
    article_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # What the fingerprint was made of: a new version with the same body and date keeps it.
    content_hash: Mapped[str | None] = mapped_column(String(64))
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # NUM_PERM little-endian uint32 MinHash values; null for a body without words (never grouped).
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)
    group_publisher: Mapped[str] = mapped_column(Text)
    group_article_id: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        ForeignKeyConstraint(["publisher", "article_id"], ["articles.publisher", "articles.article_id"],
                             ondelete="CASCADE", name="fk_near_duplicates_article"),
        Index("ix_near_duplicates_group", "group_publisher", "group_article_id"),
    )


class NearDuplicateBucket(Base):
    """The LSH buckets each fingerprint is filed under, one row per band. The key is the lookup:
    the articles in a bucket; a fingerprint's rows are found again from its signature."""

    __tablename__ = "near_duplicate_buckets"

    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    publisher: Mapped[str] = mapped_column(Text, primary_key=True)
    article_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
