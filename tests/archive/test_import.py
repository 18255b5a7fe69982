"""newscrawl import: detikInet articles from WARC files (every layout) and saved pages; junk counted."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import sqlite3

import pytest
from warcio.warcwriter import WARCWriter

from newscrawl.cli import main
from newscrawl.items import ARTICLE_FIELDS
from tests.archive.support import chunked, expected_item, page_bytes, response_record
from tests.conftest import PAGES

WARC_DATE = "2026-11-20T10:00:00Z"
HTML = ("Content-Type", "text/html; charset=UTF-8")
# Fixture -> how it is archived (the URL is the fixture's request URL).
ARTICLES = {
    "detikinet-2015-11-05-3062623": "gzip",  # 2015 layout, legacy http:// /read/ URL
    "seed-2018-layout2017": "plain",  # 2017 layout
    "detikinet-2022-12-10-d-6453192": "chunked",  # 2020s, URL with ?tagfrom=
    "noise-2020s": "gzip+chunked",
    "multipage-single": "plain",  # the ?single=1 view of a three-page article
    "unknown-layout": "plain",  # read by the fallback
    "fallback-visible-markup": "plain",  # the fallback, from visible markup alone (no <head> metadata)
    "video-lead": "plain",
}
NO_HEADLINE = b"<html><head><title></title></head><body><div><p>Hanya sepotong teks.</p></div></body></html>"


def _request_url(name: str) -> str:
    import json

    return json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))["request_url"]


def _write(writer: WARCWriter, url: str, body: bytes, headers: list, status: str = "200 OK") -> None:
    writer.write_record(response_record(writer, url, body, headers, status=status, date=WARC_DATE))


def build_inputs(folder):
    """A multi-site WARC (CC-NEWS style) with the articles and junk, a truncated .warc.gz and a non-WARC file."""
    folder.mkdir()
    with open(folder / "mixed.warc.gz", "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        writer.write_record(writer.create_warcinfo_record("mixed.warc.gz", {"software": "test"}))
        for name, encoding in ARTICLES.items():
            body, headers = page_bytes(name), [HTML]
            if "gzip" in encoding:
                body = gzip.compress(body, mtime=0)
                headers.append(("Content-Encoding", "gzip"))
            if "chunked" in encoding:
                body = chunked(body)
                headers.append(("Transfer-Encoding", "chunked"))
            else:
                headers.insert(0, ("Content-Length", str(len(body))))
            _write(writer, _request_url(name), body, headers)
        # Junk: another site, a gallery, one page of a multi-page article, a redirect, an image and
        # a JSON response at article URLs, a gallery page behind an article URL, a page without headline.
        _write(writer, "https://www.example.org/tekno/2023/10/12/gerhana", b"<html><body><h1>x</h1></body></html>", [HTML])
        _write(writer, _request_url("gallery-fotoinet"), page_bytes("gallery-fotoinet"), [HTML])
        _write(writer, _request_url("multipage-p1"), page_bytes("multipage-p1"), [HTML])
        _write(writer, "https://inet.detik.com/cyberlife/d-4346915/langkah-tik-tok-ubah-imej-alay/", b"",
               [("Location", "https://inet.detik.com/cyberlife/d-4346915/langkah-tik-tok-ubah-imej-alay")],
               status="301 Moved Permanently")
        _write(writer, "https://inet.detik.com/cyberlife/d-7000001/foto-gerhana", b"\xff\xd8\xff\xe0JFIF", [("Content-Type", "image/jpeg")])
        _write(writer, "https://inet.detik.com/cyberlife/d-7000002/data", b'{"ok": true}', [("Content-Type", "application/json")])
        _write(writer, "https://inet.detik.com/cyberlife/d-7503216/potret-keseruan", page_bytes("gallery-fotoinet"), [HTML])
        _write(writer, "https://inet.detik.com/cyberlife/d-7000003/tanpa-judul", NO_HEADLINE, [HTML])
    whole = folder / "whole.warc.gz"
    with open(whole, "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        _write(writer, "https://inet.detik.com/consumer/d-7440612/laptop-ai", page_bytes("truncated"), [HTML])
    data = whole.read_bytes()
    (folder / "cut.warc.gz").write_bytes(data[: len(data) // 2])
    whole.unlink()
    (folder / "notes.warc").write_text("these are my notes, not an archive\n" * 20)
    return folder


def _import(database_url: str, *paths) -> int:
    return main(["import", "--database-url", database_url, *map(str, paths)])


def _rows(database_url: str) -> dict:
    path = database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as connection:
        counts = {table: connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                  for table in ("articles", "article_revisions")}
        captures = connection.execute(
            "SELECT article_id, reason, warc_file, warc_offset FROM article_revisions ORDER BY article_id").fetchall()
        runs = connection.execute("SELECT kind, outcome FROM crawl_runs ORDER BY id").fetchall()
    return {"counts": counts, "captures": captures, "runs": runs}


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'db.sqlite3'}"


def test_import_stores_exactly_the_detikinet_articles_and_reports_the_junk(tmp_path, url, capsys):
    inputs = build_inputs(tmp_path / "in")
    assert _import(url, inputs) == 1  # bad input was seen
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "imported 8 articles: 8 new, 0 changed, 0 unchanged",
        "skipped 4: http_status 1, multipage_part 1, not_article_url 1, other_site 1",
        "bad input 6: no_headline_or_body 1, not_a_warc 1, not_an_article 1, not_html 2, truncated_record 1",
    ]
    assert "notes.warc: not_a_warc" in captured.err and "cut.warc.gz@0: truncated_record" in captured.err

    from newscrawl.storage import open_database

    with open_database(url) as database:
        stored = {record["article_id"]: record for record in database.iter_articles()}
    expected = {item["article_id"]: item for item in map(expected_item, ARTICLES)}
    assert sorted(stored) == sorted(expected)
    for article_id, item in expected.items():
        assert stored[article_id]["fetched_at"] == "2026-11-20T10:00:00+00:00"
        for name in ARTICLE_FIELDS:
            if name != "fetched_at":
                assert stored[article_id][name] == item[name], (article_id, name)

    rows = _rows(url)
    assert rows["counts"] == {"articles": 8, "article_revisions": 8}
    assert rows["runs"] == [("import", "finished")]
    mixed = str((inputs / "mixed.warc.gz").resolve())
    for article_id, reason, warc_file, warc_offset in rows["captures"]:
        assert (reason, warc_file) == ("import", mixed)
        from newscrawl.archive import read_response
        from newscrawl.settings import DOWNLOAD_MAXSIZE

        assert read_response(warc_file, warc_offset, max_bytes=DOWNLOAD_MAXSIZE).url == _request_url(
            next(name for name in ARTICLES if expected_item(name)["article_id"] == article_id))

    # The same input again: nothing is added.
    assert _import(url, inputs) == 1
    assert capsys.readouterr().out.splitlines()[0] == "imported 8 articles: 0 new, 0 changed, 8 unchanged"
    again = _rows(url)
    assert again["counts"] == rows["counts"] and again["captures"] == rows["captures"]
    assert again["runs"] == [("import", "finished"), ("import", "finished")]


def test_saved_pages_take_their_url_from_the_canonical_link_or_a_url_file(tmp_path, url, capsys):
    pages = tmp_path / "saved"
    pages.mkdir()
    for name in ("detikinet-2015-11-05-3062623", "seed-2018-layout2017", "noise-2020s", "video-lead", "gallery-fotoinet"):
        shutil.copy(PAGES / f"{name}.html", pages / f"{name}.html")
    (pages / "noise-2020s.url").write_text(_request_url("noise-2020s") + "\n")
    (pages / "gallery-fotoinet.url").write_text(_request_url("gallery-fotoinet") + "\n")
    # A page without canonical link and without .url file.
    html = (PAGES / "video-lead.html").read_bytes()
    (pages / "video-lead.html").write_bytes(re.sub(rb"<link[^>]*canonical[^>]*>", b"", html, flags=re.I | re.S))

    assert _import(url, pages) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "imported 3 articles: 3 new, 0 changed, 0 unchanged",
        "skipped 1: not_article_url 1",
        "bad input 1: no_url 1",
    ]
    assert "video-lead.html: no_url" in captured.err
    from newscrawl.storage import open_database

    with open_database(url) as database:
        stored = {record["article_id"]: record for record in database.iter_articles()}
    assert sorted(stored) == [3062623, 4346915, 7347215]
    for name in ("detikinet-2015-11-05-3062623", "seed-2018-layout2017", "noise-2020s"):
        item = expected_item(name)
        assert {k: v for k, v in stored[item["article_id"]].items() if k != "fetched_at"} == {
            k: v for k, v in item.items() if k != "fetched_at"}
    assert [row[2] for row in _rows(url)["captures"]] == [None, None, None]


def test_a_missing_path_is_a_usage_error(tmp_path, url, capsys):
    assert _import(url, tmp_path / "nowhere") == 2
    assert capsys.readouterr().err == f"newscrawl: error: no such file or folder: {tmp_path / 'nowhere'}\n"


def test_import_takes_every_detik_channel(tmp_path, url, capsys):
    """A WARC of responses of every channel (a real detikInet page served on news.detik.com among them:
    its canonical link says it is detikInet's) and a folder of saved pages of other channels."""
    from newscrawl.storage import open_database
    from tests.conftest import page_cases

    others, seen = {}, set()
    for path in page_cases():
        item = json.loads(path.read_text(encoding="utf-8"))["item"]
        # One page per article: some fixtures are a real page with one part removed.
        if item and item["channel"] != "inet" and item["layout"] != "fallback" and item["article_id"] not in seen:
            others[path.stem] = item
            seen.add(item["article_id"])
    assert {item["channel"] for item in others.values()} >= {"news", "sport", "travel", "jabar", "edu", "bali"}
    names = sorted(others)
    warc_names, saved_names = names[::2], names[1::2]
    folder = tmp_path / "in"
    (folder / "saved").mkdir(parents=True)
    with open(folder / "channels.warc.gz", "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for name in warc_names:
            _write(writer, _request_url(name), page_bytes(name), [HTML])
        # detikInet's real page answered at a news.detik.com URL.
        _write(writer, "https://news.detik.com/berita/d-6453192/bos-kripto", page_bytes("detikinet-2022-12-10-d-6453192"),
               [HTML])
        _write(writer, "https://news.detik.com/foto-news/d-6453001/galeri", b"<html><body><h1>Galeri</h1></body></html>",
               [HTML])
    for name in saved_names:
        shutil.copy(PAGES / f"{name}.html", folder / "saved" / f"{name}.html")
        (folder / "saved" / f"{name}.url").write_text(_request_url(name) + "\n")

    assert _import(url, folder) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        f"imported {len(names) + 1} articles: {len(names) + 1} new, 0 changed, 0 unchanged",
        "skipped 1: not_article_url 1",
        "bad input 0: none",
    ]
    with open_database(url) as database:
        stored = {(record["publisher"], record["article_id"]): record for record in database.iter_articles()}
    inet = expected_item("detikinet-2022-12-10-d-6453192")
    assert stored[("detik", 6453192)]["channel"] == "inet" and stored[("detik", 6453192)]["url"] == inet["url"]
    for name, item in others.items():
        record = stored[("detik", item["article_id"])]
        assert {key: value for key, value in record.items() if key != "fetched_at"} == {
            key: value for key, value in item.items() if key != "fetched_at"}, name
