"""Hostile pages: none fails the extraction, exhausts memory or keeps the crawl going (issue 11).

* Nesting far deeper than any real page (item 5). libxml2 (lxml's parser, huge_tree on as parsel
  sets it) builds at most 2048 levels and stops reading a page there, so a page of 100,000 nested
  <div>s gives a tree 2048 deep that holds what came before the nesting. The body walk is
  iterative, so no depth the parser builds can raise RecursionError (Python's limit is about
  1,000 frames); what the parser could not read is said, never passed off as the whole page.
* Bodies too large for a news page (item 6): gzip bombs and oversized bodies, served by a
  hostile site on 127.0.0.1 to a real crawl, are counted too_large and the crawl stays small.
* Page navigation claiming a million pages (item 8): followed up to NEWSCRAWL_MAX_ARTICLE_PAGES.
"""

from __future__ import annotations

import asyncio

import re
import shutil
import sqlite3

import pytest
from scrapy.http import HtmlResponse, Request

from newscrawl.archive import read_response
from newscrawl.cli import main
from newscrawl.extraction import extract
from newscrawl.meta import EXPECTED_PAGES, PAGE_KIND, SINGLE_VIEW
from newscrawl.settings import DOWNLOAD_MAXSIZE
from newscrawl.spiders.detikinet import DetikInetSpider
from newscrawl.storage import open_database
from tests.archive.support import expected_item, page_bytes
from tests.conftest import FETCHED_AT, PAGES, load_case
from tests.faults.hostile import MIB, ORIGIN, HostileSite, Streamed, crawl, gzip_bomb, not_found, spaces
from tests.replica.server import Answer
from tests.support import project_crawler

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
        "skipped 0: none",
        "bad input 1: too_deep 1",
    ]
    assert captured.err == f"{folder / 'c-too-deep.html'}: too_deep: {CUT_SHORT}\n"
    with open_database(url) as database:
        stored = {record["article_id"]: record for record in database.iter_articles()}
    assert sorted(stored) == [4346915, 7347215]
    assert stored[4346915]["body"] == expected_whole["item"]["body"]



def test_a_crawl_stores_deep_pages_and_says_which_one_the_parser_cut_short(tmp_path):
    expected, cut_short_page = with_nesting_after_paragraph(3, nested(100_000))
    _, whole_page = load_case(PAGES / "noise-2020s.json")
    noise = expected_item("noise-2020s")
    routes = {
        expected["item"]["url"].removeprefix(ORIGIN): lambda target: Answer(200, cut_short_page.encode("utf-8")),
        noise["url"].removeprefix(ORIGIN): lambda target: Answer(
            200, whole_page.replace(b"</h1>", b"</h1>" + nested(1_500).encode(), 1)),
    }
    with HostileSite(routes) as site:
        run = crawl(site, tmp_path, f"urls={expected['item']['url']},{noise['url']}")

    assert run.returncode == 0, run.stderr[-3000:]
    assert run.summary_line("articles") == "new 2; dropped: none"
    assert f"{expected['item']['url']}: {CUT_SHORT}" in run.stderr
    assert "'newscrawl/extraction_warnings': 1" in run.stderr
    with sqlite3.connect(tmp_path / "db.sqlite3") as connection:
        bodies = dict(connection.execute("SELECT article_id, body FROM articles").fetchall())
    assert bodies == {
        expected["item"]["article_id"]: "\n\n".join(expected["item"]["body"].split("\n\n")[:3]),
        noise["article_id"]: noise["body"],
    }

# -- bodies too large for a news page -----------------------------------------------------------
BOMB_PADDING = 80 * MIB  # decompressed size of each bomb (about 80 KB on the wire)
OVERSIZED = 80 * MIB  # bodies sent as they are, with and without a Content-Length
GOOD = "seed-2018-layout2017"
BOMB_PATHS = [f"/cyberlife/d-900000{n}/bom-gzip-{n}" for n in range(1, 5)]
UNDECLARED_PATH = "/cyberlife/d-9000005/tanpa-panjang"
DECLARED_PATH = "/cyberlife/d-9000006/panjang-dinyatakan"


@pytest.fixture(scope="module")
def oversized_site():
    bomb = gzip_bomb(page_bytes("noise-2020s"), BOMB_PADDING)
    good_url = expected_item(GOOD)["url"]
    routes = {path: (lambda target: Answer(200, bomb, headers={"Content-Encoding": "gzip"})) for path in BOMB_PATHS}
    routes[UNDECLARED_PATH] = lambda target: Streamed(200, spaces(OVERSIZED))
    routes[DECLARED_PATH] = lambda target: Streamed(200, spaces(OVERSIZED), length=OVERSIZED)
    routes[good_url.removeprefix(ORIGIN)] = lambda target: Answer(200, page_bytes(GOOD))
    with HostileSite(routes) as site:
        site.bomb_size = len(bomb)
        yield site


def test_gzip_bombs_and_oversized_bodies_are_counted_too_large_and_the_crawl_stays_small(oversized_site, tmp_path):
    paths = [*BOMB_PATHS, UNDECLARED_PATH, DECLARED_PATH]
    urls = [ORIGIN + path for path in paths] + [expected_item(GOOD)["url"]]

    run = crawl(oversized_site, tmp_path, f"urls={','.join(urls)}")

    assert run.returncode == 1, run.stderr[-3000:]
    assert run.summary_line("errors by status") == "too_large 6"
    assert run.summary_line("articles") == "new 1; dropped: none"
    assert run.summary_line("outcome") == "failed (6 of 7 pages failed (limit 20%))"
    for path in paths:
        assert f"{ORIGIN}{path} failed: too_large" in run.stderr
    # The good page is stored; nothing of the others.
    with sqlite3.connect(tmp_path / "db.sqlite3") as connection:
        assert connection.execute("SELECT article_id FROM articles").fetchall() == [(4346915,)]
    # The bodies sent as they are were cut off long before their end (the bombs are small on the wire).
    assert oversized_site.streamed[UNDECLARED_PATH] < OVERSIZED
    assert oversized_site.streamed[DECLARED_PATH] < OVERSIZED
    # Four bombs of 80 MiB at once (CONCURRENT_REQUESTS_PER_DOMAIN 4) and two 80 MiB bodies: the
    # crawl's memory stays that of a crawl (Scrapy's 1 GiB limit let each bomb be decoded and parsed).
    assert run.peak_rss_mb < 300, run.peak_rss_mb


# -- navigation that claims a million pages -----------------------------------------------------
ENDLESS = expected_item("multipage-p1")["url"]
ENDLESS_PATH = ENDLESS.removeprefix(ORIGIN)
CLAIMED_PAGES = 1_000_000
SERVED_PAGES = 200  # the hostile site answers /2 ... /200 (404 after), so a crawl without a cap ends too


def endless_page(number: int) -> bytes:
    """Page ``number`` of the article: page 1 of multipage-p1 with a paragraph naming the page, and
    a navigation that links page 1,000,000 (the site ignores ?single=1)."""
    html = page_bytes("multipage-p1").decode("utf-8")
    last_link = html.index(">3</a>") + len(">3</a>")
    html = (html[:last_link] + f'<a class="detail__anchor-numb" href="{ENDLESS}/{CLAIMED_PAGES}">{CLAIMED_PAGES}</a>'
            + html[last_link:])
    first_paragraph_end = html.index("</p>", html.index('id="detikdetailtext"')) + len("</p>")
    html = html[:first_paragraph_end] + f"<p>Isi halaman {number}.</p>" + html[first_paragraph_end:]
    return html.encode("utf-8")


def endless_article(target: str) -> Answer:
    path = target.split("?", 1)[0]
    if path == ENDLESS_PATH:
        return Answer(200, endless_page(1))
    tail = path.removeprefix(ENDLESS_PATH + "/")
    if tail.isdigit() and 2 <= int(tail) <= SERVED_PAGES:
        return Answer(200, endless_page(int(tail)))
    return not_found()


def test_navigation_claiming_a_million_pages_is_followed_to_the_cap_and_the_article_stored(tmp_path):
    with HostileSite({}, fallback=endless_article) as site:
        run = crawl(site, tmp_path, f"urls={ENDLESS}")
        gets = site.get_paths()

    assert run.returncode == 0, run.stderr[-3000:]
    # Page 1, its ?single=1 view (the site answers page 1 again), then /2 ... /20, nothing more.
    assert gets == ["/robots.txt", ENDLESS_PATH, f"{ENDLESS_PATH}?single=1",
                    *(f"{ENDLESS_PATH}/{page}" for page in range(2, 21))]
    assert (f"{ENDLESS}: its page navigation claims 1000000 pages, more than NEWSCRAWL_MAX_ARTICLE_PAGES (20); "
            "the article is read from its first 20 pages") in run.stderr
    assert "'newscrawl/capped/article_pages': 1" in run.stderr
    with sqlite3.connect(tmp_path / "db.sqlite3") as connection:
        (page_count, body), = connection.execute("SELECT page_count, body FROM articles").fetchall()
        (warc_file, warc_offset), = connection.execute("SELECT warc_file, warc_offset FROM article_revisions").fetchall()
    assert page_count == 20
    assert re.findall(r"Isi halaman (\d+)\.", body) == [str(page) for page in range(1, 21)]
    # Its capture is the page its fields come from: the ?single=1 answer.
    assert read_response(tmp_path / warc_file, warc_offset, max_bytes=DOWNLOAD_MAXSIZE).url == f"{ENDLESS}?single=1"


def test_the_cap_is_a_setting(tmp_path):
    with HostileSite({}, fallback=endless_article) as site:
        run = crawl(site, tmp_path, f"urls={ENDLESS}", settings=("NEWSCRAWL_MAX_ARTICLE_PAGES=3",))
        gets = site.get_paths()

    assert run.returncode == 0, run.stderr[-3000:]
    assert gets[1:] == [ENDLESS_PATH, f"{ENDLESS_PATH}?single=1", f"{ENDLESS_PATH}/2", f"{ENDLESS_PATH}/3"]
    with sqlite3.connect(tmp_path / "db.sqlite3") as connection:
        assert connection.execute("SELECT page_count FROM articles").fetchall() == [(3,)]


def test_a_single_view_taken_whole_counts_at_most_the_cap_of_pages_a_navigation_claims(caplog):
    crawler = project_crawler(DetikInetSpider)
    spider = DetikInetSpider.from_crawler(crawler, urls=ENDLESS)
    crawler.stats.open_spider()
    url = f"{ENDLESS}?single=1"
    request = Request(url, meta={PAGE_KIND: "article", SINGLE_VIEW: True, EXPECTED_PAGES: CLAIMED_PAGES})
    response = HtmlResponse(url, body=page_bytes("multipage-single"), encoding="utf-8", request=request)

    async def outputs():
        return [output async for output in spider.parse_article(response)]

    (item,) = asyncio.run(outputs())

    expected = expected_item("multipage-single")
    assert item["body"] == expected["body"] and expected["page_count"] == 3
    assert item["page_count"] == 20  # not 1,000,000
    assert crawler.stats.get_value("newscrawl/capped/article_pages") == 1
    assert (f"{ENDLESS}: its page navigation claims 1000000 pages, more than NEWSCRAWL_MAX_ARTICLE_PAGES (20); "
            "its ?single=1 view is read whole, page_count 20") in caplog.text


@pytest.mark.parametrize("number", ["²", "9" * 5000])
def test_page_numbers_that_are_no_page_numbers_do_not_break_the_extraction(number):
    # "²" is a digit to str.isdigit() but not to int(); 5,000 digits are past int()'s limit.
    expected, html = load_case(PAGES / "multipage-p1.json")
    text = html.decode("utf-8")
    last_link = text.index(">3</a>") + len(">3</a>")
    page = text[:last_link] + f'<a class="detail__anchor-numb" href="{ENDLESS}/9">{number}</a>' + text[last_link:]

    extraction = extract(expected["request_url"], page, fetched_at=FETCHED_AT)

    assert extraction.pages_in_nav == 3
    assert dict(extraction.item) == expected["item"]
