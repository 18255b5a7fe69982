"""Near-duplicate fingerprints under the scheme "words32" (newscrawl.near_duplicates).

Fingerprints of the first scheme ("affine32": a SHA-1 per shingle) cannot be compared with the new
ones, so they are dropped with their buckets, and the settings row names the new scheme. They are
derived data: ``newscrawl dedupe`` makes them again from the stored bodies (``newscrawl stats``
says how many articles wait for it), and the threshold and bands stay as they were.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_SETTINGS = sa.table("near_duplicate_settings", sa.column("id", sa.Integer), sa.column("scheme", sa.String))


def _change_scheme(old: str, new: str) -> None:
    connection = op.get_bind()
    current = connection.execute(sa.select(_SETTINGS.c.scheme).where(_SETTINGS.c.id == 1)).scalar_one()
    if current != old:
        return
    op.execute("DELETE FROM near_duplicate_buckets")
    op.execute("DELETE FROM near_duplicates")
    op.execute(_SETTINGS.update().where(_SETTINGS.c.id == 1).values(scheme=new))


def upgrade() -> None:
    _change_scheme("affine32", "words32")


def downgrade() -> None:
    _change_scheme("words32", "affine32")
