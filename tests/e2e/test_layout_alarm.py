"""The layout-change alarm: the site is redesigned, the 2020s selectors find nothing, the run
stores every article from the metadata fallback, loses nothing, and fails loudly (exit 1)."""

from __future__ import annotations

import pytest

from newscrawl.storage import open_database
from tests.replica import CRAWL_RANGE

from .conftest import run_crawl

SINCE, UNTIL = CRAWL_RANGE
# A plausible redesign: every class and id the 2020s layout keys on gets a new name; the tag
# block and the multi-page navigation keep theirs, so what is tested is the alarm and the
# fallback's reading of the article, not tag or page handling.
RENAMES = {
    b'class="detail"': b'class="story"',
    b"detail__title": b"story__headline",
    b"detail__author": b"story__byline",
    b"detail__date": b"story__time",
    b"detail__media": b"story__hero",
    b"detail__body-text": b"story__text",
    b'detail__body"': b'story__main"',
    b"itp_bodycontent": b"story__content",
    b"detikdetailtext": b"storytext",
}


def redesign(name: str, html: bytes) -> bytes:
    for old, new in RENAMES.items():
        html = html.replace(old, new)
    return html


@pytest.fixture
def redesigned(replica):
    replica.page_transform = redesign
    try:
        yield replica
    finally:
        replica.page_transform = None


def test_a_redesign_fires_the_alarm_and_loses_no_article(redesigned, tmp_path):
    run = run_crawl(redesigned, tmp_path, "-a", f"since={SINCE}", "-a", f"until={UNTIL}")

    assert run.returncode == 1, run.stderr[-3000:]
    summary = run.summary()
    expected = {article.article_id: article.item for article in redesigned.site.articles_listed(SINCE, UNTIL)}
    assert summary["layouts"] == f"fallback {len(expected)}"
    assert summary["outcome"] == (
        "failed (100% of items needed the metadata fallback (limit 5%): has the site's layout changed?)")
    assert "unknown layout; read from metadata (fallback)" in run.stderr

    with open_database(f"sqlite:///{run.database}", migrate_schema=False) as db:
        stored = {record["article_id"]: record for record in db.iter_articles()}
        (last_run,) = db.stats().last_runs
    # Nothing lost: every article of the range is stored, read from the metadata and the page's
    # largest block of paragraphs, with the fields a dataset cannot do without.
    assert set(stored) == set(expected)
    for article_id, item in expected.items():
        record = stored[article_id]
        assert record["layout"] == "fallback"
        for name in ("url", "headline", "published_at", "body", "dateline", "editor_initials", "word_count"):
            assert record[name] == item[name], (article_id, name)
        assert record["authors"] == item["authors"], article_id
    assert last_run["outcome"] == "failed"
    (alarm,) = [check for check in last_run["counts"]["checks"] if check["name"] == "fallback_share"]
    assert (alarm["ok"], alarm["value"], alarm["limit"]) == (False, 1.0, 0.05)
