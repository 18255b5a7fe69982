"""What a page is, from its request URL and its canonical link (issue 13, item 8): never decided by
hash order. Galleries and videos win, then articles (canonical first); otherwise the request URL."""

from __future__ import annotations

import subprocess
import sys

import pytest

from newscrawl.extraction import extract

INDEX = "https://inet.detik.com/indeks?date=12/10/2022"
TAG = "https://www.detik.com/tag/samsung"
ARTICLE = "https://inet.detik.com/cyberlife/d-6453192/bos-kripto"
GALLERY = "https://inet.detik.com/foto-inet/d-6452001/galeri"


def _page(canonical: str) -> str:
    return f'<html><head><link rel="canonical" href="{canonical}"></head><body><p>x</p></body></html>'


@pytest.mark.parametrize("request_url, canonical, kind", [
    (TAG, INDEX, "other"),  # two non-article kinds: the request URL's
    (INDEX, TAG, "index"),
    (INDEX, ARTICLE, "article"),
    (ARTICLE, TAG, "article"),
    (ARTICLE, GALLERY, "gallery"),
])
def test_the_kind_of_a_page(request_url, canonical, kind):
    assert extract(request_url, _page(canonical)).kind == kind


def test_the_kind_does_not_depend_on_the_hash_seed():
    code = ("from newscrawl.extraction import extract; "
            f"print(extract({TAG!r}, {_page(INDEX)!r}).kind, extract({INDEX!r}, {_page(TAG)!r}).kind)")
    kinds = {
        subprocess.run([sys.executable, "-c", code], env={"PYTHONHASHSEED": seed}, capture_output=True,
                       text=True, check=True, timeout=60).stdout.strip()
        for seed in ("0", "1", "2", "3")
    }
    assert kinds == {"other index"}
