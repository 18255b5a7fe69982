from datetime import date

import psycopg
import sqlalchemy as sa

from newscrawl.storage import open_database
from tests.storage.support import make_article


def stored(database, *articles):
    database.store_articles(list(articles))
    return articles


def ids(records):
    return [record["article_id"] for record in records]


def test_iter_articles_in_publication_order_undated_last(database):
    stored(
        database,
        make_article(5, published_at=None),
        make_article(4, published_at="2022-12-10T08:00:00+07:00"),  # 01:00 UTC
        make_article(3, published_at="2022-12-10T08:30:00+09:00"),  # 23:30 UTC the day before
        make_article(2, published_at="2022-12-10T08:00:00+07:00"),  # same instant as 4
        make_article(1, published_at="2022-12-11T00:00:00+07:00"),
    )

    assert ids(database.iter_articles()) == [3, 2, 4, 1, 5]
    assert database.count_articles() == 5


def test_date_filters_use_the_date_printed_on_the_page(database):
    stored(
        database,
        make_article(1, published_at="2022-11-30T23:59:00+07:00"),
        make_article(2, published_at="2022-12-01T00:30:00+07:00"),  # still 30 Nov in UTC
        make_article(3, published_at="2022-12-31T23:30:00+09:00"),
        make_article(4, published_at="2023-01-01T06:00:00+07:00"),  # still 31 Dec in UTC
        make_article(5, published_at=None),
    )

    december = {"since": date(2022, 12, 1), "until": date(2022, 12, 31)}
    assert ids(database.iter_articles(**december)) == [2, 3]
    assert database.count_articles(**december) == 2
    assert ids(database.iter_articles(since=date(2022, 12, 31))) == [3, 4]
    assert ids(database.iter_articles(until=date(2022, 11, 30))) == [1]


def test_section_filter(database):
    stored(database, make_article(1), make_article(2, section="telecommunication"), make_article(3))

    assert ids(database.iter_articles(section="cyberlife")) == [1, 3]
    assert database.count_articles(section="telecommunication") == 1
    assert list(database.iter_articles(section="games")) == []


def test_stats_counts_months_sections_coverage_and_revisions(database):
    january = {"published_at": "2023-01-02T10:00:00+07:00", "section": "gadget"}
    stored(
        database,
        make_article(1, summary=None, tags=[]),
        make_article(2, **january),
        make_article(3, published_at=None, editor_initials=None),
    )
    database.store_articles([make_article(2, body="Diperbarui.", **january)])

    stats = database.stats()

    assert stats.articles == 3
    assert stats.per_month == [("2022-12", 1), ("2023-01", 1), (None, 1)]
    assert stats.per_section == [("cyberlife", 2), ("gadget", 1)]
    assert stats.coverage["url"] == 1.0
    assert stats.coverage["summary"] == 2 / 3
    assert stats.coverage["tags"] == 2 / 3
    assert stats.coverage["published_at"] == 2 / 3
    assert stats.coverage["editor_initials"] == 2 / 3
    assert stats.coverage["images"] == 1.0
    assert (stats.revisions, stats.articles_with_several_revisions) == (4, 1)


def test_stats_of_an_empty_database(database):
    stats = database.stats()
    assert (stats.articles, stats.per_month, stats.per_section, stats.revisions) == (0, [], [], 0)
    assert set(stats.coverage.values()) == {0.0}


def test_postgresql_export_reads_through_a_server_side_cursor(postgres_url):
    with open_database(postgres_url) as database:
        database.store_articles([make_article(1), make_article(2)])
        server_side = []

        @sa.event.listens_for(database.engine, "before_cursor_execute")
        def remember(conn, cursor, statement, parameters, context, executemany):
            if "FROM articles ORDER BY" in statement:
                server_side.append(isinstance(cursor, psycopg.ServerCursor))

        assert ids(database.iter_articles()) == [1, 2]
        assert server_side == [True]
