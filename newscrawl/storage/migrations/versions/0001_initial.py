"""Initial tables: articles, article_revisions, crawl_runs.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TIMESTAMP = sa.DateTime(timezone=True)


def article_field_columns(*, unique_url: bool) -> list[sa.Column]:
    """The schema fields after article_id, in schema order, plus the hash over them."""
    return [
        sa.Column("url", sa.Text(), nullable=False, unique=unique_url),
        sa.Column("section", sa.Text()),
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
    op.create_table(
        "crawl_runs",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("finished_at", TIMESTAMP),
        sa.Column("arguments", sa.JSON()),
        sa.Column("counts", sa.JSON()),
        sa.Column("outcome", sa.String(32)),
    )
    op.create_table(
        "articles",
        sa.Column("article_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        *article_field_columns(unique_url=True),
        sa.Column("current_revision", sa.Integer(), nullable=False),
        sa.Column("revision_count", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", TIMESTAMP, nullable=False),
        sa.Column("last_seen_at", TIMESTAMP, nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
    )
    op.create_index("ix_articles_published_at", "articles", ["published_at", "article_id"])
    op.create_index("ix_articles_section", "articles", ["section"])
    op.create_table(
        "article_revisions",
        sa.Column("id", BIG_ID, primary_key=True),
        sa.Column(
            "article_id",
            sa.BigInteger(),
            sa.ForeignKey("articles.article_id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("revision", sa.Integer(), nullable=False),
        *article_field_columns(unique_url=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("run_id", BIG_ID, sa.ForeignKey("crawl_runs.id", ondelete="SET NULL")),
        sa.Column("warc_file", sa.Text()),
        sa.Column("warc_offset", sa.BigInteger()),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.UniqueConstraint("article_id", "revision", name="uq_article_revisions_revision"),
        sa.UniqueConstraint("article_id", "fields_hash", name="uq_article_revisions_fields_hash"),
    )


def downgrade() -> None:
    op.drop_table("article_revisions")
    op.drop_table("articles")
    op.drop_table("crawl_runs")
