"""Which process ran each run, and whether it held the run lock, so a killed run can be told apart.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("crawl_runs", sa.Column("host", sa.String(255)))
    op.add_column("crawl_runs", sa.Column("pid", sa.Integer()))
    # The boot and pid namespace the pid counts in: pids are only compared within one.
    op.add_column("crawl_runs", sa.Column("pid_space", sa.String(100)))
    op.add_column("crawl_runs", sa.Column("run_lock", sa.Boolean()))


def downgrade() -> None:
    with op.batch_alter_table("crawl_runs") as batch:
        for column in ("run_lock", "pid_space", "pid", "host"):
            batch.drop_column(column)
