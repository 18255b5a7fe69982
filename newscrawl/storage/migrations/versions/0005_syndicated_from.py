"""syndicated_from: where a syndicated story first ran (a channel slug or the original's URL).

A nullable column on articles and their revisions. Every row stored before holds null, and a null
syndicated_from does not enter fields_hash (storage.records.HASHED_WHEN_SET), so no hash changes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("articles", "article_revisions"):
        op.add_column(table, sa.Column("syndicated_from", sa.Text(), nullable=True))


def downgrade() -> None:
    for table in ("article_revisions", "articles"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("syndicated_from")
