"""A malformed database URL and a schema that lost its alembic_version table: one line that says what
is wrong and what to do, from the crawl command and from the newscrawl CLI alike."""

from __future__ import annotations

import subprocess
import sys

import pytest
import sqlalchemy as sa
from alembic import command

from newscrawl.cli import main
from newscrawl import storage
from newscrawl.storage import migrate, open_database
from newscrawl.storage.engine import make_engine
from tests.e2e.conftest import REPO
from tests.storage.support import make_article

MALFORMED = "postgresql+psycopg://crawler:s3cret@127.0.0.1:notaport/news"
MASKED = "postgresql+psycopg://crawler:***@127.0.0.1:notaport/news"


def test_a_malformed_port_stops_the_crawl_with_one_line_and_exit_2(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "NEWSCRAWL_DATABASE_URL": MALFORMED, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run([sys.executable, "-m", "scrapy", "crawl", "detikinet"], cwd=REPO, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"scrapy crawl detikinet: error: database URL {MASKED} is malformed: its port 'notaport' is not a number"]


@pytest.mark.parametrize("arguments", [["stats"], ["export", "--format", "jsonl"], ["db", "upgrade"]])
def test_a_malformed_port_is_one_line_and_exit_2_from_the_cli(arguments, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main([*arguments, "--database-url", MALFORMED]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"newscrawl: error: database URL {MASKED} is malformed: its port 'notaport' is not a number"]
    assert list(tmp_path.iterdir()) == []  # no export file begun


@pytest.mark.parametrize(("url", "reason"), [
    ("just-a-path.sqlite3", "expected dialect+driver://[user[:password]@]host[:port]/database, "
                            "e.g. postgresql+psycopg://newscrawl@db:5432/newscrawl"),
    ("postgresql://u@[::1]:x5432/news", "its port 'x5432' is not a number"),
])
def test_what_is_malformed_is_said(url, reason):
    with pytest.raises(storage.BadDatabaseUrl) as raised:
        open_database(url)
    assert str(raised.value) == f"database URL {url} is malformed: {reason}"


def migrated_to(url: str, revision: str) -> None:
    """The schema as of ``revision``, then without its alembic_version table."""
    engine = make_engine(url)
    config = migrate.alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    with engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE alembic_version"))
    engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_tables_without_alembic_version_are_reported_as_such_and_stamp_repairs_it(backend, request, capsys):
    url = request.getfixturevalue(f"{backend}_url")
    with open_database(url) as database:
        database.store_articles([make_article(6453192)])
    migrated_to(url, "head")  # at the newest revision already: only drop alembic_version
    # The newest revision that changed tables: 0007 changes data only (and does nothing run twice).
    tables_revision = "0006"

    with pytest.raises(storage.UnversionedDatabase) as raised:
        open_database(url)
    expected = (f"database {url} has newscrawl's tables (article_revisions, articles, crawl_runs, gone_articles, "
                "near_duplicate_buckets, near_duplicate_settings, near_duplicates) but "
                "no alembic_version table, so its schema revision is unknown and it was left unchanged; its tables "
                f"match revision {tables_revision}: if that is right, record it with `newscrawl db stamp "
                f"{tables_revision}`, or restore the alembic_version table from a backup")
    assert str(raised.value) == expected
    assert main(["stats", "--database-url", url]) == 1
    assert capsys.readouterr().err.splitlines() == [f"newscrawl: error: {expected}"]

    assert main(["db", "stamp", tables_revision, "--database-url", url]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"database {url} is recorded at schema revision {tables_revision}"]
    with open_database(url) as database:  # migrated on to the head, the fingerprint kept
        assert database.schema_revision() == migrate.head_revision()
        assert database.count_articles() == 1
        assert database.count_unfingerprinted() == 0


def test_an_older_schema_without_alembic_version_names_its_revision_and_migrates_once_stamped(sqlite_url, capsys):
    migrated_to(sqlite_url, "0002")
    with pytest.raises(storage.UnversionedDatabase, match="its tables match revision 0002: if that is right, record it with "
                                                  "`newscrawl db stamp 0002`"):
        open_database(sqlite_url)
    assert main(["db", "stamp", "0002", "--database-url", sqlite_url]) == 0
    with open_database(sqlite_url) as database:  # now migrated on from 0002
        assert database.schema_revision() == migrate.head_revision()
        run_id = database.start_run("load")
        assert run_id == 1


def test_other_tables_without_alembic_version_are_not_taken_for_newscrawl_s(sqlite_url):
    engine = make_engine(sqlite_url)
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE articles (id INTEGER PRIMARY KEY)"))
    engine.dispose()
    with pytest.raises(storage.UnversionedDatabase) as raised:
        open_database(sqlite_url)
    assert str(raised.value).endswith(
        "has newscrawl's tables (articles) but no alembic_version table, so its schema revision is unknown and it "
        "was left unchanged; restore the alembic_version table from a backup, or use another database")


def test_stamp_refuses_an_unknown_revision(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["db", "stamp", "9999"])
    assert exited.value.code == 2
    assert "invalid choice: '9999'" in capsys.readouterr().err
