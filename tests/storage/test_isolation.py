"""Database.store_isolated and the outage/refusal split (storage.errors), against the real databases:
a record the database refuses costs only itself; a database that cannot be used at all is an outage."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from newscrawl.storage import DatabaseUnavailable, Refusal, open_database
from newscrawl.storage.errors import refusal_of, unavailable_reason
from tests.faults.relay import Relay
from tests.faults.support import refuse_article_in_the_database
from tests.storage.support import make_article, table_counts


def test_a_url_held_by_another_article_costs_only_its_record(database):
    database.store_articles([make_article(1)])
    taken = make_article(2, url=make_article(1)["url"])

    results = database.store_isolated([make_article(3), taken, make_article(4)], reason="load")

    # The same words on SQLite and PostgreSQL.
    assert results == ["new", Refusal("conflicting_record", f"url {taken['url']} is already stored under article_id 1"),
                       "new"]
    assert database.known_articles("detik", [1, 2, 3, 4]).keys() == {1, 3, 4}


def test_an_invalid_record_costs_only_itself(database):
    results = database.store_isolated([make_article(1), make_article(2, page_count=2**40)])

    assert results == ["new", Refusal("invalid_record", "page_count must be between 0 and 2147483647, got 1099511627776")]
    assert table_counts(database) == {"articles": 1, "article_revisions": 1, "crawl_runs": 0}


def test_a_retry_goes_on_where_the_last_call_stopped(database):
    """What an outage leaves behind: the first record stored, the second not yet."""
    results = database.store_isolated([make_article(1)])
    assert results == ["new"]

    assert database.store_isolated([make_article(1), make_article(2)], results=results + [None]) == ["new", "new"]
    assert table_counts(database) == {"articles": 2, "article_revisions": 2, "crawl_runs": 0}


def test_a_value_postgresql_refuses_costs_only_its_record(postgres_url):
    refuse_article_in_the_database(postgres_url, 2)
    with open_database(postgres_url) as database:
        results = database.store_isolated([make_article(1), make_article(2), make_article(3)])
        assert results == ["new", Refusal("refused_by_database", "refused by the test trigger"), "new"]
        assert sorted(database.known_articles("detik", [1, 2, 3])) == [1, 3]


def test_a_nul_that_reached_psycopg_would_be_the_records_fault_not_an_outage(postgres_url):
    with open_database(postgres_url) as database, database.engine.connect() as connection:
        with pytest.raises(sa.exc.DataError) as raised:
            connection.execute(sa.text("SELECT :text"), {"text": "a\x00b"})
    assert unavailable_reason(raised.value) is None
    assert refusal_of(raised.value) == Refusal("refused_by_database", "PostgreSQL text fields cannot contain NUL (0x00) bytes")


def test_a_full_sqlite_database_is_an_outage(sqlite_url):
    with open_database(sqlite_url) as database:
        database.store_articles([make_article(1)])
        with database.engine.connect() as connection:
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar()
        # No page more: as a full disk, for every connection the engine opens from now on.
        database.engine.dispose()
        sa.event.listen(database.engine, "connect",
                        lambda dbapi_connection, _: dbapi_connection.execute(f"PRAGMA max_page_count = {pages}"))

        with pytest.raises(DatabaseUnavailable) as raised:
            database.store_isolated([make_article(2, body="kata " * 5000), make_article(3)])
        assert raised.value.reason == "database or disk is full"
        assert str(raised.value) == f"database {sqlite_url} is unavailable: database or disk is full"


def test_a_lost_connection_is_an_outage_and_the_database_is_used_again_once_back(postgres_url):
    with Relay(make_url(postgres_url).port) as relay:
        via_relay = make_url(postgres_url).set(port=relay.port).render_as_string(hide_password=False)
        with open_database(via_relay) as database:
            assert database.store_isolated([make_article(1)]) == ["new"]
            relay.cut()
            with pytest.raises(DatabaseUnavailable, match="server closed the connection unexpectedly"):
                database.store_isolated([make_article(2), make_article(3)])
            with pytest.raises(DatabaseUnavailable):
                database.known_articles("detik", [1])
            relay.restore()
            assert database.store_isolated([make_article(2), make_article(3)]) == ["new", "new"]
            assert sorted(database.known_articles("detik", [1, 2, 3])) == [1, 2, 3]
