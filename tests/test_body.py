"""The body walk on small fragments: datelines in their printed forms and the syndication footer."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from newscrawl.extraction.body import extract_body
from newscrawl.sites.detik.noise import NOISE

BASE = "https://travel.detik.com/travel-news/d-7006600/x"


def _body(fragment: str):
    return extract_body(lxml_html.fragment_fromstring(fragment, create_parent="div"), BASE, NOISE)


@pytest.mark.parametrize("fragment, dateline, first", [
    ("<p><strong>Bandung</strong> - Hujan turun sejak pagi.</p>", "Bandung", "Bandung - Hujan turun sejak pagi."),
    # 2012 detikNews: the comma inside the bold.
    ("<p><strong>Kairo,</strong> - Presiden berpidato.</p>", "Kairo", "Kairo, - Presiden berpidato."),
    # Plain text (JSON-LD articleBody, or no <strong>): the place, a source after a comma, one or two dashes.
    ("<p>Jakarta, CNN Indonesia -- Bjorka sudah muncul lagi.</p>", "Jakarta", "Jakarta, CNN Indonesia -- Bjorka sudah muncul lagi."),
    ("<p>Sidoarjo - Banjir merendam dua desa.</p>", "Sidoarjo", "Sidoarjo - Banjir merendam dua desa."),
    ("<p>Tanjung Pinang - Kapal bersandar.</p>", "Tanjung Pinang", "Tanjung Pinang - Kapal bersandar."),
    # No dateline: a sentence, a hyphenated word, a dash late in the paragraph.
    ("<p>Menurut dia, harga naik - lagi.</p>", None, "Menurut dia, harga naik - lagi."),
    ("<p>Pemerintah kota Bandung menyiapkan dana - katanya.</p>", None, "Pemerintah kota Bandung menyiapkan dana - katanya."),
    ("<p>Semi-final digelar besok.</p>", None, "Semi-final digelar besok."),
])
def test_datelines(fragment, dateline, first):
    body = _body(fragment)
    assert (body.dateline, body.paragraphs[0]) == (dateline, first)


def test_a_linked_syndication_footer_gives_its_label_and_link():
    body = _body('<p>Isi berita.</p><p>-----</p><p>Artikel ini telah naik di detikBali dan bisa dibaca selengkapnya '
                 '<a href="https://www.detik.com/bali/berita/d-7006544/festival?utm_source=x">di sini</a>.</p>')
    assert body.paragraphs == ["Isi berita."]
    assert (body.syndicated_label, body.syndicated_url) == (
        "detikBali", "https://www.detik.com/bali/berita/d-7006544/festival?utm_source=x")


def test_an_unlinked_footer_after_the_initials_gives_its_label():
    body = _body("<p>Isi berita. (nor/iws)</p><p>Artikel ini telah naik di detikJatim dan bisa dibaca "
                 "selengkapnya di sini.</p>")
    assert body.paragraphs == ["Isi berita."] and body.editor_initials == "nor/iws"
    assert (body.syndicated_label, body.syndicated_url) == ("detikJatim", None)


def test_links_elsewhere_in_the_body_are_no_syndication():
    body = _body('<p>Baca <a href="https://news.detik.com/berita/d-1/a">berita lain</a> tentang itu.</p>')
    assert (body.syndicated_label, body.syndicated_url) == (None, None)


def test_the_lead_photo_inside_the_body_container_is_no_body_text():
    """2015 detikNews: div.pic_artikel inside div.detail_text, before the dateline (issue 13, item 2)."""
    body = _body('<div class="pic_artikel"><span>Alat terapi pascastroke (Bagus Kurniawan/detikcom)</span></div>'
                 "<b>Yogyakarta</b> - Lima mahasiswa UGM berhasil.<br><br>Paragraf kedua.")
    assert body.paragraphs == ["Yogyakarta - Lima mahasiswa UGM berhasil.", "Paragraf kedua."]
    assert (body.dateline, body.images) == ("Yogyakarta", [])


@pytest.mark.parametrize("fragment, paragraphs", [
    # "- item" lines after single <br>s are paragraphs of their own (issue 13, item 6) ...
    ("<p>Data dan fakta:<br>- Pertama satu<br>- Kedua dua<br>- Ketiga tiga</p>",
     ["Data dan fakta:", "- Pertama satu", "- Kedua dua", "- Ketiga tiga"]),
    # ... other single <br>s stay a space, numbered lines included.
    ("<p>1. Satu<br>2. Dua</p>", ["1. Satu 2. Dua"]),
    ("<p>Baris satu<br>baris dua</p>", ["Baris satu baris dua"]),
    # A dash inside a line is no list item.
    ("<p>Skor akhir<br>2 - 1 untuk tuan rumah</p>", ["Skor akhir 2 - 1 untuk tuan rumah"]),
])
def test_list_lines(fragment, paragraphs):
    assert _body(fragment).paragraphs == paragraphs
