import hashlib
import subprocess
import sys

import pytest

from newscrawl.storage import ARTICLE_FIELDS, InvalidRecord, fields_hash, normalise_record
from tests.storage.support import make_article


def test_field_list_matches_the_scrapy_item():
    from newscrawl.items import ARTICLE_FIELDS as ITEM_FIELDS

    assert ARTICLE_FIELDS == ITEM_FIELDS
    assert len(ARTICLE_FIELDS) == 26


def test_storage_and_cli_do_not_import_scrapy():
    code = "import sys, newscrawl.storage, newscrawl.cli; print('scrapy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_factory_builds_every_field():
    assert tuple(make_article()) == ARTICLE_FIELDS


def test_normalise_fills_missing_fields_and_drops_unknown_keys():
    record = normalise_record(
        {"url": "https://inet.detik.com/x/d-1/y", "publisher": "detik", "channel": "inet", "article_id": 1,
         "headline": "H", "body": "B", "extra": 5}
    )
    assert tuple(record) == ARTICLE_FIELDS
    assert record["summary"] is None and record["authors"] is None
    assert "extra" not in record


def test_normalise_orders_image_keys():
    record = normalise_record(make_article(images=[{"credit": "c", "url": "u"}]))
    assert list(record["images"][0].items()) == [("url", "u"), ("caption", None), ("credit", "c")]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"url": None}, "url is missing or empty"),
        ({"headline": "  "}, "headline is missing or empty"),
        ({"body": ""}, "body is missing or empty"),
        ({"article_id": None}, "article_id is missing"),
        ({"article_id": "6453192"}, "article_id must be int or null, got str"),
        ({"article_id": True}, "article_id must be an integer, got a boolean"),
        ({"authors": "A, B"}, "authors must be list or null, got str"),
        ({"tags": ["a", 2]}, "tags must hold strings, got int"),
        ({"images": [{"url": "u", "alt": "x"}]}, "images hold unknown keys: alt"),
        ({"published_at": "10 Des 2022"}, "published_at is not an ISO 8601 timestamp: '10 Des 2022'"),
        ({"published_at": "2022-12-10T07:16:35"}, "published_at has no UTC offset: '2022-12-10T07:16:35'"),
        ({"fetched_at": 5}, "fetched_at must be str or null, got int"),
        # What the tables cannot hold is refused here, on every database, not by PostgreSQL alone.
        ({"article_id": 0}, "article_id must be between 1 and 9223372036854775807, got 0"),
        ({"article_id": -1}, "article_id must be between 1 and 9223372036854775807, got -1"),
        ({"article_id": 2**63}, "article_id must be between 1 and 9223372036854775807, got 9223372036854775808"),
        ({"page_count": 2**31}, "page_count must be between 0 and 2147483647, got 2147483648"),
        ({"word_count": -1}, "word_count must be between 0 and 2147483647, got -1"),
        ({"published_at": "0001-01-01T00:00:00+05:00"},
         "published_at is out of range in UTC: '0001-01-01T00:00:00+05:00'"),
        ({"fetched_at": "9999-12-31T23:00:00-05:00"}, "fetched_at is out of range in UTC: '9999-12-31T23:00:00-05:00'"),
        ({"summary": "ok \udfff"}, "summary is not valid UTF-8 text: lone surrogate U+DFFF at character 4"),
        ({"tags": ["a", "\ud800"]}, "tags is not valid UTF-8 text: lone surrogate U+D800 at character 1"),
        ({"images": [{"url": "u", "caption": "\ud83d"}]},
         "images.caption is not valid UTF-8 text: lone surrogate U+D83D at character 1"),
        ({"body": "\x00\x01 \x02"}, "body is empty once control characters are removed"),
        ({"images": [{"url": "u", "\x00": "x"}]}, "images hold unknown keys: '\\x00'"),
    ],
)
def test_normalise_rejects_bad_records(change, message):
    with pytest.raises(InvalidRecord) as raised:
        normalise_record(make_article(**change))
    assert str(raised.value) == message


def test_the_largest_values_the_tables_hold_are_accepted():
    record = normalise_record(make_article(article_id=2**63 - 1, page_count=2**31 - 1, word_count=0,
                                           published_at="0001-01-01T00:00:00-05:00"))
    assert (record["article_id"], record["page_count"], record["word_count"]) == (2**63 - 1, 2**31 - 1, 0)


def test_control_characters_are_removed_from_every_string_and_tab_and_newlines_kept():
    record = normalise_record(make_article(
        headline="Bos\x00 Kripto", summary="a\x0bb", authors=["Virgina\x00 Putri"], tags=["\x1fftx"],
        images=[{"url": "https://a/b\x00.jpg", "caption": "Gra\x07fik", "credit": None}],
        body="Jakarta - Satu\tdua\x00.\r\n\nTiga\x1b empat", url="https://inet.detik.com/x/d-1/y\x00"))
    assert record["headline"] == "Bos Kripto" and record["summary"] == "ab"
    assert record["authors"] == ["Virgina Putri"] and record["tags"] == ["ftx"]
    assert record["images"] == [{"url": "https://a/b.jpg", "caption": "Grafik", "credit": None}]
    assert record["url"] == "https://inet.detik.com/x/d-1/y"
    assert record["body"] == "Jakarta - Satu\tdua.\r\n\nTiga empat"
    # The body changed, so what describes it follows.
    assert record["content_hash"] == hashlib.sha256(record["body"].encode()).hexdigest()
    assert record["word_count"] == 6


def test_a_clean_record_comes_back_unchanged():
    article = make_article()
    assert normalise_record(article) == article


def test_fields_hash_ignores_fetched_at_only():
    article = make_article()
    assert fields_hash(article) == fields_hash(dict(article, fetched_at="2030-01-01T00:00:00+00:00"))
    assert fields_hash(article) != fields_hash(dict(article, body=article["body"] + "!"))
    assert fields_hash(article) != fields_hash(dict(article, tags=["ftx", "kripto"]))
    assert len(fields_hash(article)) == 64


def test_a_null_syndicated_from_leaves_the_hash_of_revision_0004():
    """Records stored before syndicated_from existed keep their hash: an unchanged article stays
    unchanged on the next crawl, and migration 0005 rewrites no row."""
    import importlib

    revision_0004 = importlib.import_module("newscrawl.storage.migrations.versions.0004_publishers_and_channels")
    article = make_article()
    assert article["syndicated_from"] is None
    assert fields_hash(article) == revision_0004.fields_hash(article)
    assert fields_hash(dict(article, syndicated_from="bali")) != fields_hash(article)
    assert fields_hash(dict(article, syndicated_from="bali")) != fields_hash(dict(article, syndicated_from="jatim"))
