"""syndicated_from, from the footer of a syndicated story (issue 13, item 5)."""

from __future__ import annotations

import pytest

from newscrawl.extraction import extract
from tests.conftest import FETCHED_AT

URL = "https://travel.detik.com/travel-news/d-7006600/festival-subak"


def _page(footer: str) -> str:
    return ('<html><head></head><body><article class="detail"><h1 class="detail__title">Festival Subak</h1>'
            '<div class="detail__author">Tim detikBali - detikTravel</div>'
            f'<div class="detail__body-text itp_bodycontent"><p>Isi berita yang cukup panjang.</p>{footer}</div>'
            '</article></body></html>')


@pytest.mark.parametrize("footer, syndicated_from, warning", [
    # Linked: the original's canonical URL (tracking query dropped).
    ('<p>-----</p><p>Artikel ini telah naik di detikBali dan bisa dibaca selengkapnya <a href="'
     'https://www.detik.com/bali/berita/d-7006544/festival-subak?tagfrom=travel">di sini</a>.</p>',
     "https://www.detik.com/bali/berita/d-7006544/festival-subak", None),
    # Not linked: the channel the label names.
    ("<p>Artikel ini telah naik di detikJabar dan bisa dibaca selengkapnya di sini.</p>", "jabar", None),
    # A label that is no channel of the site: kept as printed, and said.
    ("<p>Artikel ini telah naik di detikKalimantan dan bisa dibaca selengkapnya di sini.</p>", "detikKalimantan",
     "syndication footer names 'detikKalimantan', which is none of the site's channels"),
    ("", None, None),
])
def test_syndicated_from(footer, syndicated_from, warning):
    extraction = extract(URL, _page(footer), fetched_at=FETCHED_AT)
    assert extraction.item["syndicated_from"] == syndicated_from
    assert extraction.item["body"] == "Isi berita yang cukup panjang."
    assert [w for w in extraction.warnings if "syndication" in w] == ([warning] if warning else [])
