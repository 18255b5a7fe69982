"""Authors from metadata when the page prints no byline: names only (issue 13, item 4)."""

from __future__ import annotations

import json

import pytest

from newscrawl.extraction import extract
from tests.conftest import FETCHED_AT

URL = "https://www.detik.com/jatim/berita/d-7006603/antrean-truk"


def _page(head: str) -> str:
    return (f'<html><head>{head}</head><body><article class="detail"><h1 class="detail__title">Antrean Truk</h1>'
            '<div class="detail__body-text itp_bodycontent"><p>Isi berita.</p></div></article></body></html>')


def _json_ld(author) -> str:
    return f'<script type="application/ld+json">{json.dumps({"@type": "NewsArticle", "author": author})}</script>'


@pytest.mark.parametrize("head, authors", [
    ('<meta name="dtk:author" content="Suparno">', ["Suparno"]),
    ('<meta name="author" content="detikJatim">', []),  # a channel's label (Google News data shows this form)
    ('<meta name="author" content="bgs">', []),  # initials
    ('<meta property="article:author" itemprop="author" content="https://www.facebook.com/detikdotcom">', []),
    (_json_ld({"@type": "Person", "name": "Tim detikcom"}), ["Tim detikcom"]),
    (_json_ld([{"name": "Suparno"}, {"name": "https://www.detik.com"}, {"name": "detikJatim"}]), ["Suparno"]),
])
def test_author_metadata_gives_names_only(head, authors):
    extraction = extract(URL, _page(head), fetched_at=FETCHED_AT)
    assert (extraction.item["authors"], extraction.item["byline"]) == (authors, None)
