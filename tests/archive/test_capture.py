"""WARC capture during a real crawl (scrapy crawl as a subprocess, through the replica)."""

from __future__ import annotations

import gzip
import sqlite3
import subprocess
import sys
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from newscrawl.archive import read_response
from newscrawl.settings import DOWNLOAD_MAXSIZE
from tests.archive.support import CRAWLED_URLS, EXPECTED_FIXTURE, SERVED, crawl, expected_item, page_bytes

WARCIO = [sys.executable, "-c", "import sys; from warcio.cli import main; sys.exit(main())"]


def warc_files(out: Path) -> list[Path]:
    return sorted((out / "warc").glob("*.warc.gz"))


def records(path: Path) -> list[dict]:
    found = []
    with open(path, "rb") as handle:
        iterator = ArchiveIterator(handle)
        for record in iterator:
            offset = iterator.offset
            http = record.http_headers
            found.append({
                "type": record.rec_type,
                "offset": offset,
                "url": record.rec_headers.get_header("WARC-Target-URI"),
                "id": record.rec_headers.get_header("WARC-Record-ID"),
                "concurrent": record.rec_headers.get_header("WARC-Concurrent-To"),
                "payload_digest": record.rec_headers.get_header("WARC-Payload-Digest"),
                "status_line": f"{http.protocol} {http.statusline}" if http else None,
                "headers": list(http.headers) if http else None,
                "body": record.raw_stream.read(),
            })
    return found


def revision_rows(out: Path) -> list[tuple]:
    with sqlite3.connect(out / "db.sqlite3") as connection:
        return connection.execute(
            "SELECT article_id, url, revision, reason, warc_file, warc_offset, fetched_at_iso "
            "FROM article_revisions ORDER BY article_id"
        ).fetchall()


def test_responses_are_archived_exactly_as_received(recorded):
    out, _, wire = recorded
    (path,) = warc_files(out)
    assert path.name.startswith("detikinet-") and path.name.endswith("-00000.warc.gz")
    found = records(path)
    assert found[0]["type"] == "warcinfo"
    info = found[0]["body"].decode()
    assert "software: newscrawl/0.1.0 (Scrapy " in info and "warcio " in info
    assert "isPartOf: " + path.name[: -len("-00000.warc.gz")] in info
    assert f'"urls": "{",".join(CRAWLED_URLS)}"' in info

    responses = [record for record in found if record["type"] == "response"]
    requests = [record for record in found if record["type"] == "request"]
    # robots.txt, the five articles, and the single view of the three-page one.
    assert sorted(record["url"] for record in responses) == sorted(
        ["https://inet.detik.com/robots.txt", *CRAWLED_URLS, CRAWLED_URLS[4] + "?single=1"]
    )
    assert len(requests) == len(responses) == 7
    by_id = {record["id"]: record for record in found}
    for response in responses:
        request = by_id[response["concurrent"]]
        assert request["type"] == "request" and request["url"] == response["url"]
        assert request["concurrent"] == response["id"]
        assert response["payload_digest"].startswith("sha1:")

    # Every archived response is what the server sent: status line, headers (the HTTP client puts
    # Content-Length first), and the body byte for byte, still gzipped where it was sent gzipped.
    assert len(wire) == 7
    for response in responses:
        (sent,) = [candidate for candidate in wire if candidate.body == response["body"]]
        assert response["status_line"] == sent.status_line == "HTTP/1.1 200 OK"
        content_length = [header for header in sent.headers if header[0] == "Content-Length"]
        assert response["headers"] == content_length + [h for h in sent.headers if h[0] != "Content-Length"]
        target = response["url"].removeprefix("https://inet.detik.com")
        if target in SERVED and SERVED[target][1]:
            assert ("Content-Encoding", "gzip") in response["headers"]
            assert gzip.decompress(response["body"]) == page_bytes(SERVED[target][0])
    gzipped = [record for record in responses if ("Content-Encoding", "gzip") in record["headers"]]
    assert len(gzipped) == 4


def test_warcio_check_and_index_accept_every_file(recorded):
    out = recorded[0]
    for path in warc_files(out):
        checked = subprocess.run([*WARCIO, "check", "-v", str(path)], capture_output=True, text=True)
        assert checked.returncode == 0, checked.stdout
        assert checked.stdout.count("digest pass") == 15  # warcinfo + 7 requests + 7 responses
        indexed = subprocess.run([*WARCIO, "index", "-f", "warc-type,warc-target-uri,offset", str(path)],
                                 capture_output=True, text=True)
        assert indexed.returncode == 0, indexed.stderr
        lines = indexed.stdout.splitlines()
        assert len(lines) == 15 and lines[0] == '{"warc-type": "warcinfo", "offset": "0"}'


def test_every_revision_points_at_the_response_it_was_extracted_from(recorded):
    out = recorded[0]
    rows = revision_rows(out)
    assert [row[0] for row in rows] == sorted(EXPECTED_FIXTURE)
    for article_id, url, revision, reason, warc_file, warc_offset, fetched_at in rows:
        assert (revision, reason) == (1, "crawl")
        assert warc_file.startswith("warc/detikinet-") and not Path(warc_file).is_absolute()
        archived = read_response(out / warc_file, warc_offset, max_bytes=DOWNLOAD_MAXSIZE)
        expected = expected_item(EXPECTED_FIXTURE[article_id])
        assert archived.status == 200
        assert archived.fetched_at == fetched_at  # the item's fetch time is the record's WARC-Date
        if article_id == 7006952:  # the multi-page article: its ?single=1 view
            assert archived.url == expected["url"] + "?single=1"
        else:
            assert archived.url == expected["url"]
        assert url == expected["url"]


def test_crawled_items_equal_the_fixtures_expected_items(recorded):
    out = recorded[0]
    (feed,) = (out / "detikinet").glob("*.jsonl")
    import json

    items = {item["article_id"]: item for item in map(json.loads, feed.read_text(encoding="utf-8").splitlines())}
    assert sorted(items) == sorted(EXPECTED_FIXTURE)
    for article_id, name in EXPECTED_FIXTURE.items():
        expected = expected_item(name)
        assert {k: v for k, v in items[article_id].items() if k != "fetched_at"} == {
            k: v for k, v in expected.items() if k != "fetched_at"
        }


def test_files_rotate_at_the_size_limit_and_each_starts_with_warcinfo(site, tmp_path):
    out = tmp_path / "rotating"
    result = crawl(site, out, f"urls={','.join(CRAWLED_URLS[:3])}", settings=("NEWSCRAWL_WARC_MAX_BYTES=1",))
    assert result.returncode == 0, result.stderr[-2000:]
    files = warc_files(out)
    # robots.txt and three articles: one exchange per file once each file passes 1 byte.
    assert [path.name[-14:] for path in files] == [f"-{n:05d}.warc.gz" for n in range(4)]
    for path in files:
        kinds = [record["type"] for record in records(path)]
        assert kinds == ["warcinfo", "request", "response"]
    assert sorted({row[4] for row in revision_rows(out)}) == [f"warc/{path.name}" for path in files[1:]]


def test_capture_can_be_turned_off(site, tmp_path):
    out = tmp_path / "off"
    result = crawl(site, out, f"urls={CRAWLED_URLS[1]}", settings=("NEWSCRAWL_WARC_ENABLED=False",))
    assert result.returncode == 0, result.stderr[-2000:]
    assert not (out / "warc").exists()
    assert [row[:6] for row in revision_rows(out)] == [
        (4346915, CRAWLED_URLS[1], 1, "crawl", None, None)
    ]
