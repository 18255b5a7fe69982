"""Publishers and channels: articles keyed by (publisher, article_id), with channel and section_path.

Every row stored before is a detikInet article: publisher 'detik', channel 'inet', section_path its
section (detikInet URLs have one section segment; old /read/ URLs none, whose section came from the
breadcrumb). gone_articles are keyed by publisher too, and revisions point at their article by both
columns. fields_hash covers the new fields, so every stored hash is computed again: an article that
has not changed must still compare unchanged on the next crawl.

PostgreSQL changes the tables in place. SQLite cannot change a primary key, so its tables are built
anew and the rows copied; the child table first, so that dropping the old articles table (which,
with foreign keys on, deletes what references it) finds nothing referencing it any more.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)
BACKFILL = {"publisher": "detik", "channel": "inet"}

# The schema's fields as of this revision, and how fields_hash is computed over them (a copy of
# storage.records.fields_hash at this revision: a migration must not change with later code).
HASHED_FIELDS = (
    "url", "publisher", "channel", "article_id", "section", "section_path", "headline", "summary",
    "published_at", "published_raw", "authors", "byline", "editor_initials", "image_url", "photo_caption",
    "photo_credit", "dateline", "body", "images", "tags", "page_count", "word_count", "content_hash", "layout",
)
HASH_BATCH = 500


def fields_hash(record: dict) -> str:
    canonical = json.dumps({name: record.get(name) for name in HASHED_FIELDS}, sort_keys=True,
                           ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def field_columns(*, unique_url: bool) -> list[sa.Column]:
    """The fields after the key, as revision 0001 made them plus channel and section_path."""
    return [
        sa.Column("url", sa.Text(), nullable=False, unique=unique_url),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("section", sa.Text()),
        sa.Column("section_path", sa.Text()),
        sa.Column("headline", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text()),
        sa.Column("published_at", TIMESTAMP),
        sa.Column("published_at_iso", sa.Text()),
        sa.Column("published_raw", sa.Text()),
        sa.Column("authors", sa.JSON()),
        sa.Column("byline", sa.Text()),
        sa.Column("editor_initials", sa.Text()),
        sa.Column("image_url", sa.Text()),
        sa.Column("photo_caption", sa.Text()),
        sa.Column("photo_credit", sa.Text()),
        sa.Column("dateline", sa.Text()),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("images", sa.JSON()),
        sa.Column("tags", sa.JSON()),
        sa.Column("page_count", sa.Integer()),
        sa.Column("word_count", sa.Integer()),
        sa.Column("content_hash", sa.String(64)),
        sa.Column("layout", sa.Text()),
        sa.Column("fetched_at", TIMESTAMP),
        sa.Column("fetched_at_iso", sa.Text()),
        sa.Column("fields_hash", sa.String(64), nullable=False),
    ]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite()
    else:
        _alter_postgres()
    for table in ("articles", "article_revisions"):
        _rehash(table)


def _alter_postgres() -> None:
    for table in ("articles", "article_revisions", "gone_articles"):
        op.add_column(table, sa.Column("publisher", sa.Text(), nullable=True))
    for table in ("articles", "article_revisions"):
        op.add_column(table, sa.Column("channel", sa.Text(), nullable=True))
        op.add_column(table, sa.Column("section_path", sa.Text(), nullable=True))
        op.execute(f"UPDATE {table} SET publisher = 'detik', channel = 'inet', section_path = section")
        op.alter_column(table, "channel", nullable=False)
    op.execute("UPDATE gone_articles SET publisher = 'detik'")
    for table in ("articles", "article_revisions", "gone_articles"):
        op.alter_column(table, "publisher", nullable=False)
    # Revision 0001 left these constraints to PostgreSQL's default names.
    op.drop_constraint("article_revisions_article_id_fkey", "article_revisions", type_="foreignkey")
    op.drop_constraint("uq_article_revisions_revision", "article_revisions", type_="unique")
    op.drop_constraint("uq_article_revisions_fields_hash", "article_revisions", type_="unique")
    op.drop_constraint("articles_pkey", "articles", type_="primary")
    op.create_primary_key("articles_pkey", "articles", ["publisher", "article_id"])
    op.create_foreign_key("fk_article_revisions_article", "article_revisions", "articles",
                          ["publisher", "article_id"], ["publisher", "article_id"], ondelete="CASCADE")
    op.create_unique_constraint("uq_article_revisions_revision", "article_revisions",
                                ["publisher", "article_id", "revision"])
    op.create_unique_constraint("uq_article_revisions_fields_hash", "article_revisions",
                                ["publisher", "article_id", "fields_hash"])
    op.drop_constraint("gone_articles_pkey", "gone_articles", type_="primary")
    op.create_primary_key("gone_articles_pkey", "gone_articles", ["publisher", "article_id"])
    op.drop_index("ix_articles_published_at", "articles")
    _create_indexes()


def _create_indexes() -> None:
    op.create_index("ix_articles_published_at", "articles", ["published_at", "publisher", "article_id"])
    op.create_index("ix_articles_channel", "articles", ["publisher", "channel"])


def _rebuild_sqlite() -> None:
    field_names = [column.name for column in field_columns(unique_url=False)]
    op.create_table(
        "articles_0004",
        sa.Column("publisher", sa.Text(), primary_key=True),
        sa.Column("article_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        *field_columns(unique_url=True),
        sa.Column("current_revision", sa.Integer(), nullable=False),
        sa.Column("revision_count", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", TIMESTAMP, nullable=False),
        sa.Column("last_seen_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    )
    op.create_table(
        "article_revisions_0004",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("publisher", sa.Text(), nullable=False),
        sa.Column("article_id", sa.BigInteger(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        *field_columns(unique_url=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("run_id", BIG_ID, sa.ForeignKey("crawl_runs.id", ondelete="SET NULL")),
        sa.Column("warc_file", sa.Text()),
        sa.Column("warc_offset", sa.BigInteger()),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(["publisher", "article_id"], ["articles_0004.publisher", "articles_0004.article_id"],
                                ondelete="CASCADE", name="fk_article_revisions_article"),
        sa.UniqueConstraint("publisher", "article_id", "revision", name="uq_article_revisions_revision"),
        sa.UniqueConstraint("publisher", "article_id", "fields_hash", name="uq_article_revisions_fields_hash"),
    )
    op.create_table(
        "gone_articles_0004",
        sa.Column("publisher", sa.Text(), primary_key=True),
        sa.Column("article_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", TIMESTAMP, nullable=False),
        sa.Column("last_seen_at", TIMESTAMP, nullable=False),
    )
    old_fields = [name for name in field_names if name not in ("channel", "section_path")]
    copied = ", ".join(old_fields)
    op.execute(
        f"INSERT INTO articles_0004 (publisher, article_id, channel, section_path, {copied}, current_revision, "
        f"revision_count, first_seen_at, last_seen_at, updated_at) SELECT 'detik', article_id, 'inet', section, "
        f"{copied}, current_revision, revision_count, first_seen_at, last_seen_at, updated_at FROM articles"
    )
    op.execute(
        f"INSERT INTO article_revisions_0004 (id, publisher, article_id, revision, channel, section_path, {copied}, "
        f"reason, run_id, warc_file, warc_offset, created_at) SELECT id, 'detik', article_id, revision, 'inet', "
        f"section, {copied}, reason, run_id, warc_file, warc_offset, created_at FROM article_revisions"
    )
    op.execute(
        "INSERT INTO gone_articles_0004 (publisher, article_id, url, status, first_seen_at, last_seen_at) "
        "SELECT 'detik', article_id, url, status, first_seen_at, last_seen_at FROM gone_articles"
    )
    # Children before parents (see the module docstring); renaming updates the references.
    for table in ("article_revisions", "articles", "gone_articles"):
        op.drop_table(table)
    for table in ("articles", "article_revisions", "gone_articles"):
        op.rename_table(f"{table}_0004", table)
    op.create_index("ix_articles_section", "articles", ["section"])
    _create_indexes()


def _rehash(table: str) -> None:
    """fields_hash of every row again, over this revision's fields, in batches by primary key."""
    key = "id" if table == "article_revisions" else "article_id"
    columns = ", ".join(f"published_at_iso AS {name}" if name == "published_at" else name for name in HASHED_FIELDS)
    rows_of = sa.text(f"SELECT {key} AS row_key, {columns} FROM {table} WHERE {key} > :after ORDER BY {key} LIMIT :batch")
    update = sa.text(f"UPDATE {table} SET fields_hash = :fields_hash WHERE {key} = :row_key AND publisher = 'detik'")
    connection = op.get_bind()
    after = -1
    while True:
        rows = connection.execute(rows_of, {"after": after, "batch": HASH_BATCH}).mappings().all()
        if not rows:
            return
        connection.execute(update, [{"row_key": row["row_key"], "fields_hash": fields_hash(_decoded(row))} for row in rows])
        after = rows[-1]["row_key"]


def _decoded(row) -> dict:
    """The row as a record: SQLite hands JSON columns over as text, PostgreSQL's driver decodes them."""
    record = dict(row)
    for name in ("authors", "images", "tags"):
        if isinstance(record[name], str):
            record[name] = json.loads(record[name])
    return record


def downgrade() -> None:
    raise NotImplementedError("revision 0004 keys articles by publisher; going back would merge publishers' ids")
