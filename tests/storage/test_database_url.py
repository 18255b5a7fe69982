import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from newscrawl.storage import (
    DEFAULT_DATABASE_URL,
    DatabaseUnavailable,
    mask_password,
    open_database,
    resolve_database_url,
)
from newscrawl.storage.models import Base
from newscrawl.storage.migrate import head_revision
from tests.storage.support import migrated_by_alembic


def test_environment_overrides_the_setting(monkeypatch):
    monkeypatch.setenv("NEWSCRAWL_DATABASE_URL", "sqlite:///from-env.sqlite3")
    assert resolve_database_url("sqlite:///from-setting.sqlite3") == "sqlite:///from-env.sqlite3"


def test_setting_then_default_without_environment():
    assert resolve_database_url("sqlite:///from-setting.sqlite3") == "sqlite:///from-setting.sqlite3"
    assert resolve_database_url(None) == DEFAULT_DATABASE_URL == "sqlite:///exports/newscrawl.sqlite3"


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql+psycopg://crawler:s3cr%40t@db:5432/news", "postgresql+psycopg://crawler:***@db:5432/news"),
        ("postgresql+psycopg://crawler@db/news", "postgresql+psycopg://crawler@db/news"),
        ("sqlite:///exports/newscrawl.sqlite3", "sqlite:///exports/newscrawl.sqlite3"),
        ("not a url://user:pw@host", "not a url://user:***@host"),
    ],
)
def test_mask_password(url, masked):
    assert mask_password(url) == masked


def test_default_database_is_created_under_exports(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open_database() as database:
        assert database.schema_revision() == head_revision()
    assert (tmp_path / "exports" / "newscrawl.sqlite3").is_file()


def test_unreachable_database_names_the_url_without_password():
    with pytest.raises(DatabaseUnavailable) as raised:
        open_database("postgresql+psycopg://crawler:s3cret@127.0.0.1:1/news")
    message = str(raised.value)
    assert message.startswith("database postgresql+psycopg://crawler:***@127.0.0.1:1/news is unavailable: ")
    assert "Connection refused" in message
    assert "s3cret" not in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("mysql://crawler:pw@localhost/news", "unsupported database kind 'mysql' (use postgresql or sqlite)"),
        ("postgresql+nodriver://crawler:pw@localhost/news", "Can't load plugin: sqlalchemy.dialects:postgresql.nodriver"),
    ],
)
def test_misconfigured_url_raises_database_unavailable(url, reason):
    with pytest.raises(DatabaseUnavailable) as raised:
        open_database(url)
    assert str(raised.value) == f"database {mask_password(url)} is unavailable: {reason}"


def test_migrations_create_what_the_models_describe(database_url, tmp_path):
    with migrated_by_alembic(database_url, tmp_path) as migrated, migrated.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert connection.scalar(sa.text("SELECT version_num FROM alembic_version")) == head_revision()
    assert differences == []


def test_opening_again_keeps_the_data(database_url):
    from tests.storage.support import make_article

    with open_database(database_url) as first:
        first.store_articles([make_article(1)])
    with open_database(database_url) as second:
        assert second.known_articles("detik", [1]) == {1: "2022-12-10T07:16:35+07:00"}
        assert second.schema_revision() == head_revision()
