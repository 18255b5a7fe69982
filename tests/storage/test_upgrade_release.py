"""A database made by newscrawl 0.1.0 (tests/fixtures/databases, made by that release's own code: see
make_release_databases.py there) upgraded by today's migrations: every row and revision is kept,
each article is detik/inet with its section as section_path, every fields_hash is what today's
code computes (so the next crawl of an unchanged article finds it unchanged), and the CLI reads it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from newscrawl.cli import main
from newscrawl.storage import fields_hash, open_database
from newscrawl.storage.migrate import head_revision
from tests.storage.support import fresh_postgres_schema

DATABASES = Path(__file__).resolve().parents[1] / "fixtures" / "databases"
RELEASE_SCHEMA = "newscrawl_release_0_1_0"  # the schema name in the PostgreSQL dump
TABLES = {"articles": "article_id", "article_revisions": "id", "gone_articles": "article_id", "crawl_runs": "id"}


def _rows(engine: sa.Engine) -> dict[str, list[dict]]:
    """Every row of newscrawl's tables, by table, in key order."""
    with engine.connect() as connection:
        return {table: [dict(row) for row in connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY {key}"))
                        .mappings()] for table, key in TABLES.items()}


@pytest.fixture(params=["sqlite", "postgres"])
def release_database(request, tmp_path):
    """A URL to a copy of the release's database of that backend."""
    if request.param == "sqlite":
        path = tmp_path / "release.sqlite3"
        shutil.copy(DATABASES / "release-0.1.0.sqlite3", path)
        yield f"sqlite:///{path}"
        return
    with fresh_postgres_schema() as url:
        schema = sa.make_url(url).query["options"].split("=", 1)[1]
        dump = (DATABASES / "release-0.1.0.postgres.sql").read_text(encoding="utf-8")
        dump = dump.replace(f"CREATE SCHEMA {RELEASE_SCHEMA};", "").replace(f"{RELEASE_SCHEMA}.", f"{schema}.")
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            # psycopg itself, without parameters: the dump's text may hold a "%".
            connection.connection.driver_connection.execute(dump)
        engine.dispose()
        yield url


def test_an_upgraded_release_database_keeps_every_row(release_database):
    engine = sa.create_engine(release_database)
    with engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT version_num FROM alembic_version")) == "0002"
    before = _rows(engine)
    engine.dispose()
    assert (len(before["articles"]), len(before["article_revisions"]), len(before["gone_articles"])) == (5, 6, 1)

    with open_database(release_database) as database:
        assert database.schema_revision() == head_revision()
        after = _rows(database.engine)
        records = {record["article_id"]: record for record in database.iter_articles()}

    for table in TABLES:
        assert len(after[table]) == len(before[table]), table
    for old, new in zip(before["articles"], after["articles"], strict=True):
        changed = {name for name in old if old[name] != new[name]}
        assert changed <= {"fields_hash"}, changed  # nothing else of the row moved
        assert (new["publisher"], new["channel"], new["section_path"]) == ("detik", "inet", old["section"])
        record = records[old["article_id"]]
        assert new["fields_hash"] == fields_hash(record)
    for old, new in zip(before["article_revisions"], after["article_revisions"], strict=True):
        assert {name for name in old if old[name] != new[name]} <= {"fields_hash"}
        assert (new["publisher"], new["channel"], new["section_path"]) == ("detik", "inet", old["section"])
    for old, new in zip(before["gone_articles"], after["gone_articles"], strict=True):
        assert new == {**old, "publisher": "detik"}
    assert after["crawl_runs"][:2] == [{**run, **{name: None for name in ("host", "pid", "pid_space", "run_lock")}}
                                       for run in before["crawl_runs"]]
    # The revisions still point at their articles, and the current revision of each is the row's.
    for article in after["articles"]:
        revisions = [revision for revision in after["article_revisions"] if revision["article_id"] == article["article_id"]]
        assert [revision["revision"] for revision in revisions] == list(range(1, article["revision_count"] + 1))
        current = next(revision for revision in revisions if revision["revision"] == article["current_revision"])
        assert current["fields_hash"] == article["fields_hash"]


def test_an_upgraded_release_database_finds_its_articles_unchanged_and_serves_the_cli(release_database, tmp_path, capsys):
    with open_database(release_database) as database:
        records = list(database.iter_articles())
        # A crawl extracting the same articles again stores nothing new.
        assert database.store_articles(records, reason="crawl") == ["unchanged"] * len(records)
        assert database.known_articles("detik", [record["article_id"] for record in records]).keys() == {
            record["article_id"] for record in records}
        assert database.gone_articles("detik", [7010001]) == {7010001}

    assert main(["stats", "--database-url", release_database]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["articles: 5", "revisions: 6 (1 articles with more than one)"]
    assert "  detik/inet                 5" in lines

    target = tmp_path / "all.jsonl"
    assert main(["export", "--format", "jsonl", "--database-url", release_database, "-o", str(target)]) == 0
    exported = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [record["article_id"] for record in exported] == [record["article_id"] for record in records]
    assert {(record["publisher"], record["channel"]) for record in exported} == {("detik", "inet")}
    assert exported == [{**record} for record in records]
