import subprocess
import sys

import pytest

from newscrawl.storage import ARTICLE_FIELDS, InvalidRecord, fields_hash, normalise_record
from tests.storage.support import make_article


def test_field_list_matches_the_scrapy_item():
    from newscrawl.items import ARTICLE_FIELDS as ITEM_FIELDS

    assert ARTICLE_FIELDS == ITEM_FIELDS
    assert len(ARTICLE_FIELDS) == 22


def test_storage_and_cli_do_not_import_scrapy():
    code = "import sys, newscrawl.storage, newscrawl.cli; print('scrapy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_factory_builds_every_field():
    assert tuple(make_article()) == ARTICLE_FIELDS


def test_normalise_fills_missing_fields_and_drops_unknown_keys():
    record = normalise_record(
        {"url": "https://inet.detik.com/x/d-1/y", "article_id": 1, "headline": "H", "body": "B", "extra": 5}
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
    ],
)
def test_normalise_rejects_bad_records(change, message):
    with pytest.raises(InvalidRecord) as raised:
        normalise_record(make_article(**change))
    assert str(raised.value) == message


def test_fields_hash_ignores_fetched_at_only():
    article = make_article()
    assert fields_hash(article) == fields_hash(dict(article, fetched_at="2030-01-01T00:00:00+00:00"))
    assert fields_hash(article) != fields_hash(dict(article, body=article["body"] + "!"))
    assert fields_hash(article) != fields_hash(dict(article, tags=["ftx", "kripto"]))
    assert len(fields_hash(article)) == 64
