from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from newscrawl.storage import InvalidRecord
from newscrawl.storage.models import Article
from tests.storage.support import make_article, revisions, table_counts

LATER = "2026-11-29T03:00:00+00:00"
EARLIER = "2026-11-27T03:00:00+00:00"


def current_row(database, article_id):
    with database.session() as session:
        return session.get(Article, ("detik", article_id))


def test_new_article_stores_row_and_first_revision(database):
    article = make_article(1, published_at="2018-12-17T20:26:00+08:00", published_raw="Senin, 17 Des 2018 20:26 WITA")

    assert database.store_articles([article]) == ["new"]

    assert table_counts(database) == {"articles": 1, "article_revisions": 1, "crawl_runs": 0}
    assert revisions(database, 1) == [(1, article["body"], "crawl")]
    assert list(database.iter_articles()) == [article]
    row = current_row(database, 1)
    assert row.published_at == datetime(2018, 12, 17, 12, 26, tzinfo=timezone.utc)
    assert row.published_at_iso == "2018-12-17T20:26:00+08:00"
    assert (row.current_revision, row.revision_count) == (1, 1)
    assert row.first_seen_at == row.last_seen_at == datetime(2026, 11, 28, 3, tzinfo=timezone.utc)


def test_same_article_again_writes_nothing(database):
    article = make_article(1)
    database.store_articles([article])
    before = current_row(database, 1).__dict__.copy()

    assert database.store_articles([article]) == ["unchanged"]

    after = current_row(database, 1).__dict__.copy()
    before.pop("_sa_instance_state"), after.pop("_sa_instance_state")
    assert after == before
    assert table_counts(database) == {"articles": 1, "article_revisions": 1, "crawl_runs": 0}


def test_unchanged_article_fetched_later_only_moves_last_seen(database):
    database.store_articles([make_article(1)])

    assert database.store_articles([make_article(1, fetched_at=LATER)]) == ["unchanged"]

    row = current_row(database, 1)
    assert row.last_seen_at == datetime(2026, 11, 29, 3, tzinfo=timezone.utc)
    assert row.first_seen_at == datetime(2026, 11, 28, 3, tzinfo=timezone.utc)
    assert row.fetched_at_iso == "2026-11-28T03:00:00+00:00"
    assert revisions(database, 1) == [(1, make_article(1)["body"], "crawl")]


def test_changed_body_adds_one_revision_and_updates_the_row(database):
    original = make_article(1)
    edited = make_article(1, body="Jakarta - Isi yang sudah diralat.", fetched_at=LATER)
    database.store_articles([original])

    assert database.store_articles([edited], reason="reextract") == ["changed"]

    assert revisions(database, 1) == [(1, original["body"], "crawl"), (2, edited["body"], "reextract")]
    assert table_counts(database)["articles"] == 1
    assert list(database.iter_articles()) == [edited]
    row = current_row(database, 1)
    assert (row.current_revision, row.revision_count) == (2, 2)
    assert row.first_seen_at == datetime(2026, 11, 28, 3, tzinfo=timezone.utc)
    assert row.last_seen_at == datetime(2026, 11, 29, 3, tzinfo=timezone.utc)


def test_going_back_to_an_earlier_text_reuses_its_revision(database):
    first = make_article(1)
    second = make_article(1, body="Versi kedua.", fetched_at=LATER)
    back = make_article(1, fetched_at="2026-11-30T03:00:00+00:00")
    database.store_articles([first])
    database.store_articles([second])

    assert database.store_articles([back]) == ["changed"]

    assert [revision for revision, _, _ in revisions(database, 1)] == [1, 2]
    row = current_row(database, 1)
    assert (row.body, row.current_revision, row.revision_count) == (first["body"], 1, 2)
    assert row.fetched_at_iso == "2026-11-30T03:00:00+00:00"


def test_older_fetch_adds_its_revision_but_keeps_the_newer_row(database):
    newer = make_article(1, body="Versi terbaru.", fetched_at=LATER)
    older = make_article(1, body="Versi lama.", fetched_at=EARLIER)
    database.store_articles([newer])

    assert database.store_articles([older], reason="load") == ["changed"]

    assert revisions(database, 1) == [(1, "Versi terbaru.", "crawl"), (2, "Versi lama.", "load")]
    row = current_row(database, 1)
    assert (row.body, row.current_revision, row.revision_count) == ("Versi terbaru.", 1, 2)
    assert row.first_seen_at == datetime(2026, 11, 27, 3, tzinfo=timezone.utc)
    # Storing the old version again changes nothing at all.
    assert database.store_articles([older], reason="load") == ["unchanged"]
    assert table_counts(database)["article_revisions"] == 2


def test_batch_reports_each_record_in_input_order(database):
    database.store_articles([make_article(2), make_article(3)])

    statuses = database.store_articles(
        [make_article(3, headline="Judul baru"), make_article(1), make_article(2), make_article(1, body="Lagi.")]
    )

    assert statuses == ["changed", "new", "unchanged", "changed"]
    assert table_counts(database) == {"articles": 3, "article_revisions": 5, "crawl_runs": 0}
    assert [r for r, _, _ in revisions(database, 1)] == [1, 2]


def test_a_batch_of_several_new_articles_mixed_with_stored_and_repeated_ones(database):
    # Several new ids take the batched insert; the stored one and the second version of a new one
    # take the per-row path. Statuses, revision numbers and captures must not depend on the route.
    database.store_articles([make_article(5)])
    batch = [make_article(7), make_article(5, headline="Judul 5 baru"), make_article(6),
             make_article(7, body="Versi kedua."), make_article(8)]

    statuses = database.store_articles(batch, captures={("detik", 6): ("a.warc.gz", 120), ("detik", 8): ("a.warc.gz", 940)})

    assert statuses == ["new", "changed", "new", "changed", "new"]
    assert table_counts(database) == {"articles": 4, "article_revisions": 6, "crawl_runs": 0}
    assert [(r, body) for r, body, _ in revisions(database, 7)] == [
        (1, make_article(7)["body"]), (2, "Versi kedua.")]
    assert current_row(database, 7).body == "Versi kedua."
    with database.engine.connect() as connection:
        captured = connection.execute(sa.text(
            "SELECT article_id, revision, warc_file, warc_offset FROM article_revisions "
            "WHERE warc_file IS NOT NULL ORDER BY article_id")).all()
    assert [tuple(row) for row in captured] == [(6, 1, "a.warc.gz", 120), (8, 1, "a.warc.gz", 940)]


def test_a_url_taken_in_a_batch_of_new_articles_stores_nothing_of_the_batch(database):
    # The batched insert creates 10 and 12, meets the URL of 1 for 11, and must undo all of it.
    database.store_articles([make_article(1)])
    with pytest.raises(sa.exc.IntegrityError):
        database.store_articles([make_article(10), make_article(11, url=make_article(1)["url"]), make_article(12)])
    assert table_counts(database) == {"articles": 1, "article_revisions": 1, "crawl_runs": 0}
    assert database.store_articles([make_article(10), make_article(12)]) == ["new", "new"]


def test_invalid_record_rejects_the_whole_batch(database):
    with pytest.raises(InvalidRecord, match="body is missing or empty"):
        database.store_articles([make_article(1), make_article(2, body=None)])

    assert table_counts(database) == {"articles": 0, "article_revisions": 0, "crawl_runs": 0}


def test_a_url_held_by_another_article_is_refused_and_its_batch_writes_nothing(database):
    database.store_articles([make_article(1)])
    taken = make_article(2, url=make_article(1)["url"])
    with pytest.raises(sa.exc.IntegrityError):
        database.store_articles([make_article(3), taken])
    assert table_counts(database) == {"articles": 1, "article_revisions": 1, "crawl_runs": 0}


def test_unknown_reason_is_refused(database):
    with pytest.raises(ValueError, match="reason must be one of crawl, load, import, reextract, not 'scrape'"):
        database.store_articles([make_article(1)], reason="scrape")


def test_runs_are_recorded_and_linked_to_revisions(database):
    run_id = database.start_run("crawl", {"since": "2022-12-01", "pages": 3})
    database.store_articles([make_article(1)], run_id=run_id)
    database.finish_run(run_id, {"new": 1, "changed": 0}, "finished")

    [run] = database.stats().last_runs
    assert run["id"] == run_id
    assert (run["kind"], run["arguments"], run["counts"], run["outcome"]) == (
        "crawl",
        {"since": "2022-12-01", "pages": 3},
        {"new": 1, "changed": 0},
        "finished",
    )
    assert run["finished_at"] >= run["started_at"]
    with database.engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT run_id FROM article_revisions")) == run_id


def test_known_articles_returns_publication_times_of_stored_ids(database):
    database.store_articles([make_article(1), make_article(2, published_at=None)])

    known = database.known_articles("detik", iter([1, 2, 3, 1]))

    assert known == {1: "2022-12-10T07:16:35+07:00", 2: None}


def test_two_publishers_numbering_alike_never_collide(database):
    """Articles are keyed by (publisher, article_id): another site's article 1 is another article."""
    detik = make_article(1)
    other = make_article(1, publisher="kabar", channel="utama", url="https://kabar.example/utama/1/judul",
                         body="Berita lain sama sekali.")
    assert database.store_articles([detik, other]) == ["new", "new"]
    assert database.store_articles([other]) == ["unchanged"]
    assert database.store_articles([{**other, "body": "Diperbarui."}]) == ["changed"]

    assert table_counts(database) == {"articles": 2, "article_revisions": 3, "crawl_runs": 0}
    assert revisions(database, 1) == [(1, detik["body"], "crawl")]  # detik's article 1 kept its one version
    assert {(record["publisher"], record["body"]) for record in database.iter_articles()} == {
        ("detik", detik["body"]), ("kabar", "Diperbarui.")}
    assert database.known_articles("kabar", [1, 2]) == {1: other["published_at"]}
    database.mark_gone("kabar", 2, "https://kabar.example/utama/2/hilang", 404)
    assert (database.gone_articles("kabar", [2]), database.gone_articles("detik", [2])) == ({2}, set())
    assert database.count_articles(publisher="kabar") == 1
    assert database.count_articles(channel="inet") == 1
