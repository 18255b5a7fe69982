"""Gone articles (404/410) are remembered, updated on a second sighting, and looked up by id."""

from __future__ import annotations

import sqlalchemy as sa
from newscrawl.storage.migrate import head_revision


def test_mark_gone_is_an_upsert_and_lookup_returns_only_gone_ids(database):
    url = "https://inet.detik.com/cyberlife/d-7100001/hilang"
    database.mark_gone("detik", 7100001, url, 404)
    database.mark_gone("detik", 7100001, url, 410)
    assert database.gone_articles("detik", [7100001, 7100002]) == {7100001}
    assert database.gone_articles("detik", []) == set()
    with database.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT article_id, url, status FROM gone_articles")).all()
    assert [tuple(row) for row in rows] == [(7100001, url, 410)]
    assert database.schema_revision() == head_revision()
