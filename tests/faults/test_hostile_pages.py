"""Pages nested far deeper than any real page: extraction never fails on depth (issue 11, item 5).

libxml2 (lxml's parser, huge_tree on as parsel sets it) builds at most 2048 levels and stops
reading a page there, so a page of 100,000 nested <div>s gives a tree 2048 deep that holds what
came before the nesting. The body walk is iterative, so neither that depth nor any depth the
parser builds can raise RecursionError (Python's limit is about 1,000 frames).
"""

from __future__ import annotations

import shutil

from newscrawl.cli import main
from newscrawl.extraction import extract
from newscrawl.storage import open_database
from tests.conftest import FETCHED_AT, PAGES, load_case

REAL_PAGE = "detikinet-2022-12-10-d-6453192"  # seven paragraphs in #detikdetailtext, initials fyk/fay
CUT_SHORT = ("the page nests elements more than 2048 deep: the HTML parser stops there, "
             "so the rest of the page is missing")


def nested(depth: int, inner: str = "<p>Teks terdalam.</p>") -> str:
    return "<div>" * depth + inner + "</div>" * depth


def with_nesting_after_paragraph(count: int, nesting: str) -> tuple[dict, str]:
    """The real page with ``nesting`` put into its body container after its ``count``-th paragraph."""
    expected, html = load_case(PAGES / f"{REAL_PAGE}.json")
    text = html.decode("utf-8")
    position = text.index('id="detikdetailtext"')
    for _ in range(count):
        position = text.index("</p>", position) + len("</p>")
    return expected, text[:position] + nesting + text[position:]


def test_100000_nested_divs_in_the_body_give_the_paragraphs_before_them_and_say_the_rest_is_missing():
    expected, html = with_nesting_after_paragraph(3, nested(100_000))

    extraction = extract(expected["request_url"], html, fetched_at=FETCHED_AT)

    item, paragraphs = extraction.item, expected["item"]["body"].split("\n\n")
    assert extraction.kind == "article" and extraction.layout == "2020s"
    assert item["body"] == "\n\n".join(paragraphs[:3])
    assert item["word_count"] == 123 and item["page_count"] == 1
    # What precedes the nesting is read as usual ...
    for name in ("url", "article_id", "headline", "byline", "authors", "published_at", "dateline", "image_url"):
        assert item[name] == expected["item"][name], name
    # ... what follows it (the last paragraphs, the initials, the tag block) is not in the tree:
    # the tags come from the <head>'s keywords instead.
    assert item["editor_initials"] is None
    assert item["tags"] == ["sam bankman-fried", "ftx", "juragan kripto", "ftx bangkrut"]
    assert extraction.cut_short == CUT_SHORT
    assert extraction.warnings == [CUT_SHORT]


def test_nesting_deeper_than_pythons_recursion_limit_but_within_the_parsers_loses_nothing():
    # 1,500 levels inside the body container: a recursive walk raised RecursionError here.
    expected, html = with_nesting_after_paragraph(3, nested(1_500))

    extraction = extract(expected["request_url"], html, fetched_at=FETCHED_AT)

    paragraphs = expected["item"]["body"].split("\n\n")
    assert extraction.item["body"] == "\n\n".join([*paragraphs[:3], "Teks terdalam.", *paragraphs[3:]])
    assert extraction.item["editor_initials"] == expected["item"]["editor_initials"] == "fyk/fay"
    assert extraction.item["tags"] == expected["item"]["tags"]
    assert extraction.warnings == [] and extraction.cut_short is None


def test_the_fallback_layouts_paragraph_block_search_and_walk_take_deep_nesting():
    expected, html = load_case(PAGES / "unknown-layout.json")
    text = html.decode("utf-8")
    first_paragraph_end = text.index("</p>", text.index("<body")) + len("</p>")
    page = text[:first_paragraph_end] + nested(1_500, "<p>Paragraf di kedalaman.</p>") + text[first_paragraph_end:]

    extraction = extract(expected["request_url"], page, fetched_at=FETCHED_AT)

    assert extraction.layout == "fallback"
    assert extraction.item["headline"] == expected["item"]["headline"]
    paragraphs = expected["item"]["body"].split("\n\n")
    assert extraction.item["body"] == "\n\n".join([paragraphs[0], "Paragraf di kedalaman.", *paragraphs[1:]])
    assert extraction.warnings == ["unknown layout; read from metadata (fallback)"]


def test_100000_nested_divs_before_the_article_leave_the_head_metadata(tmp_path):
    expected, html = load_case(PAGES / f"{REAL_PAGE}.json")
    text = html.decode("utf-8")
    body_start = text.index(">", text.index("<body")) + 1

    extraction = extract(expected["request_url"], text[:body_start] + nested(100_000) + text[body_start:],
                         fetched_at=FETCHED_AT)

    assert extraction.layout == "fallback"
    assert extraction.item["headline"] == expected["item"]["headline"]
    assert extraction.item["body"] is None
    assert extraction.warnings[-1] == CUT_SHORT


def test_import_of_a_folder_with_a_deep_page_imports_the_good_pages_and_reports_the_deep_one(tmp_path, capsys):
    folder = tmp_path / "saved"
    folder.mkdir()
    good, deep_but_whole, too_deep = "noise-2020s", "seed-2018-layout2017", REAL_PAGE
    shutil.copy(PAGES / f"{good}.html", folder / "a-good.html")
    (folder / "a-good.url").write_text(load_case(PAGES / f"{good}.json")[0]["request_url"] + "\n")
    expected_whole, html = load_case(PAGES / f"{deep_but_whole}.json")
    (folder / "b-deep.html").write_bytes(html.replace(b"</h1>", b"</h1>" + nested(1_500).encode(), 1))
    _, page = with_nesting_after_paragraph(3, nested(100_000))
    (folder / "c-too-deep.html").write_text(page, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"

    assert main(["import", "--database-url", url, str(folder)]) == 1

    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "imported 2 articles: 2 new, 0 changed, 0 unchanged",
        "skipped 0 (not detikInet articles): none",
        "bad input 1: too_deep 1",
    ]
    assert captured.err == f"{folder / 'c-too-deep.html'}: too_deep: {CUT_SHORT}\n"
    with open_database(url) as database:
        stored = {record["article_id"]: record for record in database.iter_articles()}
    assert sorted(stored) == [4346915, 7347215]
    assert stored[4346915]["body"] == expected_whole["item"]["body"]
