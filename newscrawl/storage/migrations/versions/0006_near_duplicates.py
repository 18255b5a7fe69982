"""Near-duplicate fingerprints: one settings row, a fingerprint and group per article, LSH buckets.

The tables start empty: articles stored before this revision get their fingerprints from
``newscrawl dedupe`` (which ``newscrawl stats`` and ``export --dedupe near`` ask for), not here,
so an upgrade of a large archive stays quick.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# The defaults of newscrawl.near_duplicates when this revision was written (threshold 0.8: bands
# for 0.5, as datasketch's MinHashLSH lays them out for 128 permutations).
DEFAULT_SETTINGS = {"id": 1, "threshold": 0.8, "bands": 25, "rows": 5, "num_perm": 128, "shingle_words": 5,
                    "scheme": "affine32"}


def upgrade() -> None:
    settings = op.create_table(
        "near_duplicate_settings",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("threshold", sa.Float(), nullable=False),
        sa.Column("bands", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("num_perm", sa.Integer(), nullable=False),
        sa.Column("shingle_words", sa.Integer(), nullable=False),
        sa.Column("scheme", sa.String(32), nullable=False),
    )
    op.bulk_insert(settings, [DEFAULT_SETTINGS])
    op.create_table(
        "near_duplicates",
        sa.Column("publisher", sa.Text(), primary_key=True),
        sa.Column("article_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("content_hash", sa.String(64), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signature", sa.LargeBinary(), nullable=True),
        sa.Column("group_publisher", sa.Text(), nullable=False),
        sa.Column("group_article_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["publisher", "article_id"], ["articles.publisher", "articles.article_id"],
                                ondelete="CASCADE", name="fk_near_duplicates_article"),
    )
    op.create_index("ix_near_duplicates_group", "near_duplicates", ["group_publisher", "group_article_id"])
    op.create_table(
        "near_duplicate_buckets",
        sa.Column("bucket", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("publisher", sa.Text(), primary_key=True),
        sa.Column("article_id", sa.BigInteger(), primary_key=True, autoincrement=False),
    )


def downgrade() -> None:
    op.drop_table("near_duplicate_buckets")
    op.drop_index("ix_near_duplicates_group", table_name="near_duplicates")
    op.drop_table("near_duplicates")
    op.drop_table("near_duplicate_settings")
