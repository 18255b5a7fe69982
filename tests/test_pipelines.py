"""The item pipelines with items built here and a real SQLite database in a temporary folder."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from scrapy.exceptions import DropItem

from newscrawl.crawl_database import CrawlDatabase
from newscrawl.extensions import RunSummary
from newscrawl.extraction import extract
from newscrawl.items import ArticleItem
from newscrawl.pipelines import DedupePipeline, StorePipeline, ValidatePipeline
from newscrawl.spiders.detikinet import DetikInetSpider
from newscrawl.storage import open_database
from tests.conftest import FETCHED_AT
from tests.support import project_crawler


@pytest.fixture
def article(fixture_page):
    expected, html = fixture_page("detikinet-2022-12-10-d-6453192")
    return extract(expected["request_url"], html, fetched_at=FETCHED_AT).item


@pytest.fixture
def crawler(tmp_path, monkeypatch):
    monkeypatch.delenv("NEWSCRAWL_DATABASE_URL", raising=False)
    crawler = project_crawler(DetikInetSpider, NEWSCRAWL_DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
                              NEWSCRAWL_STORE_BATCH_SIZE=2, NEWSCRAWL_EXPORTS_DIR=str(tmp_path))
    crawler.spider = crawler._create_spider(since="2022-12-10", until="2022-12-10")
    crawler.stats.open_spider()
    return crawler


def call(coroutine):
    """Run a pipeline's async method to its end, as Scrapy's asyncio reactor would."""
    return asyncio.run(coroutine)


def open_pipelines(crawler):
    store, dedupe = StorePipeline.from_crawler(crawler), DedupePipeline.from_crawler(crawler)
    store.open_spider()
    dedupe.open_spider()
    return store, dedupe


def next_run(crawler) -> None:
    """Close the crawl's database as the end of a run does, so the next pipelines open a new run."""
    CrawlDatabase.of(crawler).close()


def changed(item: ArticleItem, **fields) -> ArticleItem:
    copy = ArticleItem(item)
    copy.update(fields)
    return copy


def test_validate_drops_items_without_required_fields_and_counts_why(crawler, article):
    pipeline = ValidatePipeline.from_crawler(crawler)
    with pytest.raises(DropItem, match="no body"):
        pipeline.process_item(changed(article, body=None))
    with pytest.raises(DropItem, match="no headline"):
        pipeline.process_item(changed(article, headline=""))
    assert pipeline.process_item(changed(article, published_at=None))["published_at"] is None
    assert pipeline.process_item(article) is article

    stats = crawler.stats.get_stats()
    assert stats["newscrawl/dropped/missing_body"] == 1
    assert stats["newscrawl/dropped/missing_headline"] == 1
    assert stats["newscrawl/articles_undated"] == 1


def test_validate_applies_the_schemas_own_validation_and_cleaning(crawler, article):
    """What the store would refuse is dropped here with its reason and URL; what it would clean is
    cleaned here, so the feed export and the database see the same text."""
    pipeline = ValidatePipeline.from_crawler(crawler)
    with pytest.raises(DropItem) as dropped:
        pipeline.process_item(changed(article, page_count=2**40))
    assert str(dropped.value) == (f"invalid record: {article['url']}: page_count must be between 0 and 2147483647, "
                                  "got 1099511627776")

    cleaned = pipeline.process_item(changed(article, headline="Bos\x00 Kripto", tags=["kripto\x07"]))
    assert (cleaned["headline"], cleaned["tags"]) == ("Bos Kripto", ["kripto"])
    partial = ArticleItem(url=article["url"], publisher="detik", channel="inet", article_id=1, headline="H", body="B")
    assert set(pipeline.process_item(partial)) == {"url", "publisher", "channel", "article_id", "headline", "body"}
    # ... absent fields stay absent
    assert crawler.stats.get_value("newscrawl/dropped/invalid_record") == 1


def test_store_batches_and_dedupe_skips_what_is_stored(crawler, article, tmp_path):
    store, dedupe = open_pipelines(crawler)
    other = changed(article, article_id=6453193, url=article["url"] + "-lain")
    third = changed(article, article_id=6453194, url=article["url"] + "-ketiga")
    for item in (article, other):
        call(store.process_item(call(dedupe.process_item(item))))
    # Two items = one batch of NEWSCRAWL_STORE_BATCH_SIZE: written already, before close.
    with open_database(f"sqlite:///{tmp_path}/db.sqlite3") as db:
        assert db.count_articles() == 2
    with pytest.raises(DropItem, match="already scraped in this run"):
        call(dedupe.process_item(article))
    call(store.process_item(call(dedupe.process_item(third))))
    call(store.close_spider())
    assert crawler.stats.get_value("newscrawl/articles/new") == 3
    assert crawler.stats.get_value("newscrawl/dropped/duplicate_in_run") == 1

    # A later run: an unchanged article is dropped before storage, an edited one becomes a revision.
    crawler.stats.set_value("newscrawl/articles/new", 0)
    next_run(crawler)
    store, dedupe = open_pipelines(crawler)
    with pytest.raises(DropItem, match="unchanged"):
        call(dedupe.process_item(changed(other, fetched_at="2026-11-29T03:00:00+00:00")))
    edited = changed(article, body=article["body"] + "\n\nKoreksi: angka properti diperbarui.")
    call(store.process_item(call(dedupe.process_item(edited))))
    call(store.close_spider())

    assert crawler.stats.get_value("newscrawl/articles/unchanged") == 1
    assert crawler.stats.get_value("newscrawl/articles/changed") == 1
    with open_database(f"sqlite:///{tmp_path}/db.sqlite3") as db:
        assert db.count_articles() == 3
        stored = {record["article_id"]: record for record in db.iter_articles()}
        assert stored[6453192]["body"].endswith("Koreksi: angka properti diperbarui.")
        assert db.stats().revisions == 4


def test_dedupe_asks_nothing_about_articles_the_index_lookup_found_unstored(crawler, article, tmp_path):
    store, dedupe = open_pipelines(crawler)
    call(store.process_item(call(dedupe.process_item(article))))
    call(store.close_spider())

    crawler.stats.set_value("newscrawl/articles/new", 0)
    next_run(crawler)
    store, dedupe = open_pipelines(crawler)
    spider = crawler.spider
    database = CrawlDatabase.of(crawler).database
    asked = []
    lookup = database.current_fields_hashes
    database.current_fields_hashes = lambda publisher, ids: asked.append(list(ids)) or lookup(publisher, ids)
    fresh = changed(article, article_id=6453193, url=article["url"] + "-baru")
    racing = changed(article, article_id=6453194, url=article["url"] + "-balapan")
    unlisted = changed(article, article_id=6453195, url=article["url"] + "-lain")
    spider.archive.reasons_to_skip("detik", [6453192, 6453193, 6453194], datetime(2022, 12, 1, tzinfo=timezone.utc))
    # Another process stores one of them after the index was read: the store's upsert still finds it unchanged.
    with open_database(f"sqlite:///{tmp_path}/db.sqlite3") as other:
        assert other.store_articles([racing], reason="crawl") == ["new"]

    for item in (fresh, racing, unlisted):
        call(store.process_item(call(dedupe.process_item(item))))
    with pytest.raises(DropItem, match="unchanged"):  # stored and young: fetched again, still compared
        call(dedupe.process_item(changed(article, fetched_at="2026-11-29T03:00:00+00:00")))
    call(store.close_spider())

    assert asked == [[6453195], [6453192]]
    assert crawler.stats.get_value("newscrawl/articles/new") == 2
    assert crawler.stats.get_value("newscrawl/articles/unchanged") == 2
    assert not spider.archive.found_unstored  # each id answered once, then forgotten
    with open_database(f"sqlite:///{tmp_path}/db.sqlite3") as db:
        assert db.count_articles() == 4
        assert db.stats().revisions == 4


def test_the_run_is_recorded_once_the_engine_has_stopped(crawler, article, tmp_path):
    store = StorePipeline.from_crawler(crawler)
    store.open_spider()
    crawler.stats.inc_value("newscrawl/pages/index")
    crawler.stats.inc_value("newscrawl/pages/article")
    crawler.stats.set_value("newscrawl/index/articles/inet/2022-12-10", 12)
    call(store.process_item(article))
    call(store.close_spider())
    with open_database(f"sqlite:///{tmp_path}/db.sqlite3") as db:
        assert [run["outcome"] for run in db.stats().last_runs] == [None]  # still running
    crawler.stats.set_value("finish_reason", "finished")  # as Scrapy's CoreStats does at spider_closed
    crawler.get_extension(RunSummary).engine_stopped()
    with open_database(f"sqlite:///{tmp_path}/db.sqlite3") as db:
        (run,) = db.stats().last_runs
    assert run["kind"] == "crawl"
    assert run["outcome"] == "ok"
    assert run["arguments"] == {"since": "2022-12-10", "until": "2022-12-10"}
    assert run["counts"]["articles"] == {"new": 1}
    assert [(check["name"], check["ok"]) for check in run["counts"]["checks"]] == [
        ("index_read", True), ("error_share", True), ("articles_per_day", True)]


def test_a_run_that_ended_early_is_recorded_failed(crawler, article, tmp_path):
    """The outcome stored is the one logged and exited with: the "finished" check included."""
    store = StorePipeline.from_crawler(crawler)
    store.open_spider()
    crawler.stats.inc_value("newscrawl/pages/index")
    crawler.stats.set_value("newscrawl/index/articles/inet/2022-12-10", 12)
    call(store.process_item(article))
    call(store.close_spider())
    crawler.stats.set_value("finish_reason", "closespider_pagecount")
    crawler.get_extension(RunSummary).engine_stopped()
    with open_database(f"sqlite:///{tmp_path}/db.sqlite3") as db:
        (run,) = db.stats().last_runs
    assert run["outcome"] == "failed"
    assert run["counts"]["failures"] == ["crawl ended early: closespider_pagecount"]
    assert run["counts"]["checks"][-1]["name"] == "finished"
    assert crawler.stats.get_value("newscrawl/outcome") == "failed"
    assert crawler.stats.get_value("newscrawl/run_failed") == 1


def test_a_conflicting_record_is_refused_without_losing_its_batch(crawler, article, tmp_path):
    store = StorePipeline.from_crawler(crawler)
    store.open_spider()
    # Same URL under another article id: the database's unique url refuses it.
    call(store.process_item(article))
    call(store.process_item(changed(article, article_id=6453199)))
    call(store.close_spider())
    assert crawler.stats.get_value("newscrawl/articles/new") == 1
    assert crawler.stats.get_value("newscrawl/dropped/conflicting_record") == 1
    assert not crawler.stats.get_value("newscrawl/store_failed")
    with open_database(f"sqlite:///{tmp_path}/db.sqlite3") as db:
        assert [record["article_id"] for record in db.iter_articles()] == [6453192]


def test_store_files_the_signature_an_extraction_worker_attached(crawler, article, tmp_path):
    from newscrawl import near_duplicates
    from newscrawl.storage.models import NearDuplicate

    # A signature the store could not have computed from this body: it shows the store took it as given.
    given = near_duplicates.signature("tulisan lain sama sekali, bukan isi artikel ini")
    near_duplicates.set_signed(article, near_duplicates.Signed(article["body"], given))
    unsigned = changed(article, article_id=6453193, url=article["url"] + "-lain")
    store, _ = open_pipelines(crawler)
    for item in (article, unsigned):
        call(store.process_item(item))
    call(store.close_spider())

    with open_database(f"sqlite:///{tmp_path}/db.sqlite3") as db, db.engine.connect() as connection:
        stored = dict(connection.execute(sa.select(NearDuplicate.article_id, NearDuplicate.signature)).all())
    assert stored == {6453192: near_duplicates.to_bytes(given),
                      6453193: near_duplicates.to_bytes(near_duplicates.signature(article["body"]))}
