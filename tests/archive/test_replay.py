"""Replay: a recorded crawl re-runs from its WARC files with nothing fetched."""

from __future__ import annotations

import sqlite3

import pytest

from newscrawl.spiders.arguments import ArgumentError
from tests.archive.support import CRAWLED_URLS, crawl, stat_value
from tests.support import inet_plan

COLUMNS = "article_id, url, headline, body, tags, published_at_iso, fetched_at_iso, fields_hash, warc_file, warc_offset"


def _stored(out) -> list[tuple]:
    with sqlite3.connect(out / "db.sqlite3") as connection:
        return connection.execute(
            f"SELECT {COLUMNS} FROM article_revisions ORDER BY article_id, revision"
        ).fetchall()


def test_replay_stores_the_same_items_without_a_single_request(site, recorded_copy):
    out = recorded_copy  # the recorded crawl's folder, its database moved away: replay into a new one
    stored = _stored(out)
    (out / "db.sqlite3").rename(out / "recorded.sqlite3")
    warc_before = sorted(path.name for path in (out / "warc").iterdir())
    site.reset()
    result = crawl(site, out, f"urls={','.join(CRAWLED_URLS)}", f"replay={out / 'warc'}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert site.requests() == []  # the proxy saw nothing: no CONNECT, no GET
    # Same rows, fetch times and hashes included, pointing at the same archived responses.
    assert len(stored) == 5
    assert _stored(out) == stored
    assert stat_value(result.stderr, "newscrawl/replay/served") == 7  # robots.txt, 5 pages, 1 single view
    assert stat_value(result.stderr, "newscrawl/replay/missing") is None
    assert stat_value(result.stderr, "newscrawl/warc/responses") is None
    # Nothing new was archived by the replay.
    assert sorted(path.name for path in (out / "warc").iterdir()) == warc_before and len(warc_before) == 1


def test_a_request_missing_from_the_archive_is_counted_not_fetched(site, recorded, tmp_path):
    out = tmp_path / "missing"
    absent = "https://inet.detik.com/consumer/d-7440612/laptop-ai-dengan-npu-khusus-mulai-dijual-di-indonesia-ini-spesifikasinya"
    site.reset()
    result = crawl(site, out, f"urls={CRAWLED_URLS[1]},{absent}", f"replay={recorded[0] / 'warc'}")
    assert site.requests() == []
    assert stat_value(result.stderr, "newscrawl/replay/missing") == 1
    assert stat_value(result.stderr, "newscrawl/failed/article/ReplayMissing") == 1
    assert f"replay: not in the archive, not fetched: {absent}" in result.stderr
    assert [row[0] for row in _stored(out)] == [4346915]
    assert not (out / "warc").exists()


def test_replay_argument_is_checked_before_anything_runs(tmp_path, recorded):
    with pytest.raises(ArgumentError, match="does not exist"):
        inet_plan({"urls": CRAWLED_URLS[0], "replay": str(tmp_path / "nowhere")})
    (tmp_path / "empty").mkdir()
    with pytest.raises(ArgumentError, match=r"holds no WARC files \(\*\.warc, \*\.warc\.gz\)"):
        inet_plan({"urls": CRAWLED_URLS[0], "replay": str(tmp_path / "empty")})
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ArgumentError, match="is not a WARC file"):
        inet_plan({"urls": CRAWLED_URLS[0], "replay": str(tmp_path / "notes.txt")})
    (file,) = (recorded[0] / "warc").glob("*.warc.gz")
    plan = inet_plan({"since": "2023-10-12", "until": "2023-10-12", "replay": str(file)})
    assert plan.replay == str(file) and plan.bounded
    assert inet_plan({"urls": CRAWLED_URLS[0], "replay": str(recorded[0])}).replay == str(recorded[0])
