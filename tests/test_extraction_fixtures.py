"""Every saved page against its expected JSON, field for field (bodies compared in full)."""

from __future__ import annotations

import json

import pytest

from newscrawl.extraction import extract, merge_pages
from newscrawl.items import ARTICLE_FIELDS

from tests.conftest import FETCHED_AT, PAGES, load_case, page_cases

CASES = page_cases()
REQUIRED = {
    "detikinet-2022-12-10-d-6453192", "detikinet-2015-11-05-3062623", "seed-2018-layout2017",
    "seed-2018-layout2020s", "noise-2020s", "multipage-p1", "multipage-p2", "multipage-p3",
    "multipage-single", "gallery-fotoinet", "video-detiktv", "no-lead-image", "video-lead",
    "caption-credit-only", "caption-parenthesised", "caption-no-credit", "date-mei-single-digit",
    "date-agt-wita", "date-okt-padded", "date-agu-fake-z", "date-des-meta-disagrees", "date-meta-only",
    "date-unparseable", "multi-author", "unknown-layout", "truncated",
}


def test_every_required_fixture_is_present():
    assert REQUIRED <= {path.stem for path in CASES}


@pytest.mark.parametrize("json_path", CASES, ids=[path.stem for path in CASES])
def test_page_matches_expected_json(json_path):
    expected, html = load_case(json_path)
    extraction = extract(expected["request_url"], html, fetched_at=FETCHED_AT)

    assert extraction.kind == expected["kind"]
    assert extraction.layout == expected["layout"]
    assert extraction.pages_in_nav == expected.get("pages_in_nav", 1)
    for fragment in expected.get("warnings", []):
        assert any(fragment in warning for warning in extraction.warnings), extraction.warnings
    if not expected.get("warnings"):
        assert extraction.warnings == []
    if expected["item"] is None:
        assert extraction.item is None
        return
    item = dict(extraction.item)
    assert list(item) == list(ARTICLE_FIELDS)
    for name in ARTICLE_FIELDS:
        assert item[name] == expected["item"][name], f"field {name!r}"


def _page_items(*names):
    items = []
    for name in names:
        expected, html = load_case(PAGES / f"{name}.json")
        items.append(extract(expected["request_url"], html, fetched_at=FETCHED_AT).item)
    return items


def test_three_pages_merge_into_the_single_view_item():
    merged = dict(merge_pages(_page_items("multipage-p1", "multipage-p2", "multipage-p3")))
    expected = json.loads((PAGES / "multipage-merged.json").read_text(encoding="utf-8"))["item"]
    (single,) = _page_items("multipage-single")

    assert merged == expected
    assert dict(single) == expected
    assert merged["page_count"] == 3


@pytest.mark.parametrize("encoding", ["utf-8", "windows-1252"])
def test_a_scrapy_response_extracts_in_the_encoding_scrapy_detected(encoding):
    # The spider's path: the raw body parsed once in the response's encoding, not response.selector.
    from scrapy.http import HtmlResponse

    from newscrawl.extraction import extract_response

    expected, html = load_case(PAGES / "seed-2018-layout2020s.json")
    text = html.decode("utf-8") if isinstance(html, bytes) else html
    text = text.replace(expected["item"]["headline"], "Café Résumé " + expected["item"]["headline"])
    response = HtmlResponse(
        url=expected["request_url"],
        body=text.encode(encoding),
        headers={"Content-Type": f"text/html; charset={encoding}"},
    )
    extraction = extract_response(response, fetched_at=FETCHED_AT)

    assert extraction.item["headline"] == "Café Résumé " + expected["item"]["headline"]
    assert extraction.item["body"] == expected["item"]["body"]
