"""Shared by the storage and CLI tests: an article factory and database fixtures.

PostgreSQL tests each get a fresh schema in the real server; the URL carries
``options=-csearch_path=<schema>`` so every connection (and every subprocess) works in it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from newscrawl.storage import Database, DatabaseUnavailable, open_database

POSTGRES_URL = os.environ.get(
    "NEWSCRAWL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def make_article(article_id: int = 6453192, **overrides: Any) -> dict[str, Any]:
    """A complete record (every schema field) as the extraction would produce it."""
    body = overrides.pop("body", f"Jakarta - Artikel {article_id} tentang \"kripto\".\n\nParagraf kedua, ya.")
    article = {
        "url": f"https://inet.detik.com/cyberlife/d-{article_id}/artikel-{article_id}",
        "publisher": "detik",
        "channel": "inet",
        "article_id": article_id,
        "section": "cyberlife",
        "section_path": "cyberlife",
        "headline": f"Judul artikel {article_id}",
        "summary": f"Ringkasan artikel {article_id}",
        "published_at": "2022-12-10T07:16:35+07:00",
        "published_raw": "Sabtu, 10 Des 2022 07:16 WIB",
        "authors": ["Virgina Maulita Putri", "Fino Yurio Kristo"],
        "byline": "Virgina Maulita Putri, Fino Yurio Kristo - detikInet",
        "editor_initials": "rns/fyk",
        "image_url": f"https://akcdn.detik.net.id/community/media/visual/2022/12/10/{article_id}.jpeg?w=700&q=90",
        "photo_caption": "Ilustrasi kripto",
        "photo_credit": "Getty Images",
        "dateline": "Jakarta",
        "body": body,
        "images": [{"url": "https://akcdn.detik.net.id/a.jpg", "caption": "Grafik", "credit": None}],
        "tags": ["kripto", "ftx"],
        "syndicated_from": None,
        "page_count": 1,
        "word_count": len((body or "").split()),
        "content_hash": hashlib.sha256((body or "").encode("utf-8")).hexdigest(),
        "layout": "2020s",
        "fetched_at": "2026-11-28T03:00:00+00:00",
    }
    article.update(overrides)
    return article


def schema_url(base_url: str, schema: str) -> str:
    separator = "&" if "?" in base_url else "?"
    return f"{base_url}{separator}options={quote(f'-csearch_path={schema}')}"


@contextmanager
def fresh_postgres_schema() -> Iterator[str]:
    """A URL into a new, empty PostgreSQL schema, dropped afterwards."""
    admin = sa.create_engine(POSTGRES_URL)
    try:
        with admin.connect():
            pass
    except sa.exc.OperationalError as error:
        # Never skipped: these tests exist to run against the real server (.ci/run starts it).
        admin.dispose()
        raise RuntimeError(f"PostgreSQL is not reachable at {POSTGRES_URL}: {error.orig}") from error
    schema = f"newscrawl_test_{uuid.uuid4().hex[:12]}"
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema_url(POSTGRES_URL, schema)
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def migrated_by_alembic(like_url: str, folder) -> Iterator[sa.Engine]:
    """An engine on a new database of ``like_url``'s kind (a SQLite file in ``folder``, or a PostgreSQL
    schema) that alembic took from empty to the head through every migration script, as an older
    database is upgraded (open_database makes a new one from the models instead)."""
    from alembic import command

    from newscrawl.storage import migrate

    with contextlib.ExitStack() as cleanup:
        if like_url.startswith("sqlite"):
            url = f"sqlite:///{folder / 'migrated.sqlite3'}"
        else:
            url = cleanup.enter_context(fresh_postgres_schema())
        engine = sa.create_engine(url)
        cleanup.callback(engine.dispose)
        config = migrate.alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        yield engine


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A URL into a new, empty PostgreSQL schema, dropped after the test."""
    with fresh_postgres_schema() as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'db' / 'newscrawl.sqlite3'}"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request) -> str:
    """Runs the test once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def database(database_url) -> Iterator[Database]:
    with open_database(database_url) as opened:
        yield opened


@pytest.fixture(autouse=True)
def no_database_url_from_environment(monkeypatch) -> None:
    """A developer's NEWSCRAWL_DATABASE_URL must not redirect the tests."""
    monkeypatch.delenv("NEWSCRAWL_DATABASE_URL", raising=False)


def table_counts(database: Database) -> dict[str, int]:
    with database.engine.connect() as connection:
        return {
            table: connection.scalar(sa.text(f"SELECT count(*) FROM {table}"))
            for table in ("articles", "article_revisions", "crawl_runs")
        }


def revisions(database: Database, article_id: int, publisher: str = "detik") -> list[tuple[int, str, str]]:
    """(revision, body, reason) of every stored version of an article, oldest first."""
    with database.engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT revision, body, reason FROM article_revisions "
                "WHERE publisher = :publisher AND article_id = :id ORDER BY revision"
            ),
            {"publisher": publisher, "id": article_id},
        )
        return [tuple(row) for row in rows]


def fail_single_store(monkeypatch, at: int, error: BaseException) -> list[int]:
    """Make the ``at``-th store of a single record (what store_isolated does record by record once one
    is refused, or every store with batches of one) raise ``error`` before storing: an outage
    (DatabaseUnavailable) or a Ctrl-C (KeyboardInterrupt) at that moment. The list returned fills
    with the article ids of those single-record stores, in order."""
    singles: list[int] = []
    store = Database.store_articles

    def failing_store(database, records, *arguments, **keywords):
        if len(records) == 1:
            singles.append(records[0]["article_id"])
            if len(singles) == at:
                raise error
        return store(database, records, *arguments, **keywords)

    monkeypatch.setattr(Database, "store_articles", failing_store)
    return singles


def outage_at_single_store(monkeypatch, url: str, at: int) -> list[int]:
    """fail_single_store with the database gone: DatabaseUnavailable, "connection lost"."""
    return fail_single_store(monkeypatch, at, DatabaseUnavailable(url, "connection lost"))
