"""The metadata fallback reads a page whose layout nobody has seen: every 2020s fixture, redesigned
(the classes and ids the 2020s layout keys on renamed), gives the same article as before."""

from __future__ import annotations

import pytest

from newscrawl.extraction import extract
from newscrawl.extraction.processors.dates import parse_display_date
from tests.conftest import FETCHED_AT, load_case, page_cases
from tests.e2e.test_layout_alarm import redesign

MODERN = [path for path in page_cases() if load_case(path)[0]["layout"] == "2020s"]
# Not image_url: on a page without a lead photo the fallback still takes og:image, a share image.
KEPT = ("url", "article_id", "section", "headline", "summary", "published_at", "published_raw", "authors",
        "byline", "photo_caption", "photo_credit", "tags",
        "dateline", "body", "editor_initials", "word_count", "content_hash", "page_count")


def test_there_are_modern_pages_to_redesign():
    assert len(MODERN) >= 15


@pytest.mark.parametrize("json_path", MODERN, ids=[path.stem for path in MODERN])
def test_a_redesigned_page_is_read_by_the_fallback_with_the_same_text(json_path):
    expected, html = load_case(json_path)
    extraction = extract(expected["request_url"], redesign(json_path.stem, html), fetched_at=FETCHED_AT)
    assert extraction.layout == "fallback"
    assert extraction.warnings[0] == "unknown layout; read from metadata (fallback)"
    for name in KEPT:
        wanted = expected["item"][name]
        if name == "published_raw" and not parse_display_date(wanted):
            wanted = None  # the fallback takes only a printed date it can read ("Kemarin" is not one)
        assert extraction.item[name] == wanted, name
