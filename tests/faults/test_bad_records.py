"""Bad records lose nothing but themselves: in `newscrawl load`, `newscrawl import` and the crawl.

The schema's validation (storage.normalise_record) refuses what the tables cannot hold, cleans
control characters (a NUL from a JSON-LD articleBody would make PostgreSQL refuse the record), and a
record the database itself refuses is isolated: counted and reported with where it came from,
while every other record is stored.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from warcio.warcwriter import WARCWriter

from newscrawl.cli import main
from newscrawl.extraction import extract
from newscrawl.storage import open_database
from tests.archive.support import page_bytes, response_record
from tests.conftest import FETCHED_AT, PAGES
from tests.storage.support import make_article

from .support import crawl, refuse_article_in_the_database, stored

HTML = ("Content-Type", "text/html; charset=UTF-8")
FALLBACK_PAGE = "unknown-layout"  # read by the metadata fallback, which takes a JSON-LD articleBody
# A JSON-LD articleBody with a NUL and a BEL in it, as JSON escapes.
ARTICLE_BODY = b'"articleBody":"Jakarta - Paragraf pertama.\\u0000 Lanjutan.\\nParagraf \\u0007kedua.",'
CLEAN_BODY = "Jakarta - Paragraf pertama. Lanjutan.\n\nParagraf kedua."
REFUSED_ID = 8329871  # caption-parenthesised, listed on 2026-01-20 by the replica
NUL_ID = 8312907  # unknown-layout, listed on 2026-02-12


def with_nul_in_article_body(html: bytes) -> bytes:
    marked = html.replace(b'"description":"', ARTICLE_BODY + b'"description":"', 1)
    assert marked != html
    return marked


def request_url(name: str) -> str:
    return json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))["request_url"]


# -- newscrawl load ----------------------------------------------------------------------------------
def test_load_stores_every_valid_line_and_reports_each_bad_one(database_url, tmp_path, capsys):
    not_utf8 = json.dumps(make_article(2)).encode().replace(b"Judul artikel 2", b"Judul artikel \xff2")
    bad_byte = not_utf8.index(b"\xff") + 1
    nul_body = "Jakarta - Satu\u0000 dua.\n\nTiga \u0001empat."
    lines = [
        json.dumps(make_article(1)).encode(),
        not_utf8,
        json.dumps(make_article(3, published_at="0001-01-01T00:00:00+05:00")).encode(),
        json.dumps(make_article(4, headline="Judul \ud800")).encode(),  # JSON "\ud800": a lone surrogate
        json.dumps(make_article(5)).encode(),
        json.dumps(make_article(10**30)).encode(),
        json.dumps(make_article(7, page_count=2**40)).encode(),
        json.dumps(make_article(8, body=nul_body)).encode(),
        json.dumps(make_article(9, url=make_article(1)["url"])).encode(),  # the URL of article 1
        json.dumps(make_article(-1)).encode(),
        json.dumps(make_article(11)).encode(),
    ]
    source = tmp_path / "feed.jsonl"
    source.write_bytes(b"".join(line + b"\n" for line in lines))

    assert main(["load", str(source), "--database-url", database_url]) == 1

    captured = capsys.readouterr()
    assert captured.out == f"loaded {source}: 4 new, 0 changed, 0 unchanged, 7 invalid\n"
    assert captured.err.splitlines() == [
        f"line 2: not valid UTF-8: invalid start byte at byte {bad_byte}",
        "line 3: published_at is out of range in UTC: '0001-01-01T00:00:00+05:00'",
        "line 4: headline is not valid UTF-8 text: lone surrogate U+D800 at character 7",
        "line 6: article_id must be between 1 and 9223372036854775807, got " + str(10**30),
        "line 7: page_count must be between 0 and 2147483647, got 1099511627776",
        f"line 9: url {make_article(1)['url']} is already stored under article_id 1",
        "line 10: article_id must be between 1 and 9223372036854775807, got -1",
    ]
    held = stored(database_url)
    assert sorted(held) == [1, 5, 8, 11]
    cleaned = held[8]["record"]
    # The NUL (and the other control character) is cleaned, not lost: the article is stored whole.
    assert cleaned["body"] == "Jakarta - Satu dua.\n\nTiga empat."
    assert cleaned["content_hash"] == hashlib.sha256(cleaned["body"].encode()).hexdigest()
    assert cleaned["word_count"] == 6
    assert held[1]["record"]["url"] == make_article(1)["url"]


# -- newscrawl import --------------------------------------------------------------------------------
def test_import_cleans_a_nul_and_isolates_a_record_the_database_refuses(postgres_url, tmp_path, capsys):
    refuse_article_in_the_database(postgres_url, REFUSED_ID)
    warc = tmp_path / "in.warc.gz"
    offsets = {}
    with open(warc, "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        pages = {FALLBACK_PAGE: with_nul_in_article_body(page_bytes(FALLBACK_PAGE)),
                 "caption-parenthesised": page_bytes("caption-parenthesised"),
                 "detikinet-2022-12-10-d-6453192": page_bytes("detikinet-2022-12-10-d-6453192")}
        for name, body in pages.items():
            offsets[name] = handle.tell()
            writer.write_record(response_record(writer, request_url(name), body, [HTML, ("Content-Length", str(len(body)))]))

    assert main(["import", "--database-url", postgres_url, "--exports-dir", str(tmp_path), str(warc)]) == 1

    captured = capsys.readouterr()
    assert captured.err.splitlines() == [
        f"{warc}@{offsets['caption-parenthesised']}: refused_by_database: refused by the test trigger"]
    assert captured.out.splitlines() == [
        "imported 2 articles: 2 new, 0 changed, 0 unchanged",
        "skipped 0: none",
        "bad input 1: refused_by_database 1",
    ]
    held = stored(postgres_url)
    assert sorted(held) == [6453192, NUL_ID]
    assert held[NUL_ID]["record"]["body"] == CLEAN_BODY
    assert held[NUL_ID]["revisions"] == [(1, "in.warc.gz", offsets[FALLBACK_PAGE])]


# -- the crawl ---------------------------------------------------------------------------------------
RANGE = ("-a", "since=2026-01-20", "-a", "until=2026-02-12",
         # One of the two articles is read by the fallback, which is the layout alarm's business, not this test's.
         "-s", "NEWSCRAWL_MAX_FALLBACK_SHARE=1")


@pytest.fixture
def nul_in_json_ld(replica):
    replica.page_transform = lambda name, html: with_nul_in_article_body(html) if name == FALLBACK_PAGE else html
    try:
        yield replica
    finally:
        replica.page_transform = None


def expected_nul_page_item() -> dict:
    html = with_nul_in_article_body(page_bytes(FALLBACK_PAGE))
    return extract(request_url(FALLBACK_PAGE), html, fetched_at=FETCHED_AT).item


def test_a_nul_from_json_ld_reaches_postgresql_cleaned(nul_in_json_ld, postgres_url, tmp_path):
    run = crawl(nul_in_json_ld, tmp_path, postgres_url, *RANGE)

    assert run.returncode == 0, run.stderr[-4000:]
    assert run.summary()["articles"] == "new 2"
    held = stored(postgres_url)
    assert sorted(held) == [NUL_ID, REFUSED_ID]
    record = held[NUL_ID]["record"]
    assert record["body"] == CLEAN_BODY == expected_nul_page_item()["body"]
    assert record["content_hash"] == hashlib.sha256(CLEAN_BODY.encode()).hexdigest()
    # The run's JSON lines hold the same clean text.
    [exported] = [item for item in run.jsonl_records() if item["article_id"] == NUL_ID]
    assert exported["body"] == CLEAN_BODY


def test_a_record_the_database_refuses_costs_only_itself(replica, postgres_url, tmp_path):
    refuse_article_in_the_database(postgres_url, REFUSED_ID)

    run = crawl(replica, tmp_path, postgres_url, *RANGE)

    assert run.returncode == 0, run.stderr[-4000:]
    summary = run.summary()
    assert (summary["articles"], summary["dropped"]) == ("new 1", "refused_by_database 1")
    refused_url = next(
        article.url for article in replica.site.articles.values() if article.article_id == REFUSED_ID)
    [warning] = [line for line in run.stderr.splitlines() if "not stored (refused_by_database)" in line]
    assert warning.endswith(f"not stored (refused_by_database): {refused_url}: refused by the test trigger")
    assert sorted(stored(postgres_url)) == [NUL_ID]
