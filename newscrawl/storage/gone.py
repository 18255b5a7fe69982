"""Articles the site no longer serves (404/410), remembered so that incremental runs skip them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from sqlalchemy import Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from newscrawl.storage.models import GoneArticle


def mark_gone(engine: Engine, publisher: str, article_id: int, url: str, status: int) -> None:
    now = datetime.now(timezone.utc)
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(GoneArticle).values(
        publisher=publisher, article_id=article_id, url=url, status=status, first_seen_at=now, last_seen_at=now
    )
    statement = statement.on_conflict_do_update(
        index_elements=[GoneArticle.publisher, GoneArticle.article_id],
        set_={"url": url, "status": status, "last_seen_at": now},
    )
    with engine.begin() as connection:
        connection.execute(statement)


def gone_articles(engine: Engine, publisher: str, article_ids: Iterable[int]) -> set[int]:
    ids = list(dict.fromkeys(article_ids))
    if not ids:
        return set()
    with engine.connect() as connection:
        rows = connection.execute(select(GoneArticle.article_id)
                                  .where(GoneArticle.publisher == publisher, GoneArticle.article_id.in_(ids)))
        return {row[0] for row in rows}
