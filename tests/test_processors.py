"""Unit tests of the pure processors: dates, bylines, captions and text."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from newscrawl.extraction.processors import dates
from newscrawl.extraction.processors.bylines import byline_label, split_authors, strip_channel
from newscrawl.extraction.processors.captions import split_caption
from newscrawl.extraction.processors.text import (
    content_hash, normalize_body_text, normalize_space, split_editor_initials, split_keywords, word_count,
)

WIB = timezone(timedelta(hours=7))


def iso(value):
    return dates.isoformat(value)


# -- dates ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, expected",
    [
        ("Senin, 17 Des 2018 20:26 WIB", "2018-12-17T20:26:00+07:00"),
        ("Sabtu, 10 Des 2022 07:16 WIB", "2022-12-10T07:16:00+07:00"),
        ("Kamis, 05/11/2015 10:08 WIB", "2015-11-05T10:08:00+07:00"),
        ("Senin, 3 Mei 2021 09:05 WIB", "2021-05-03T09:05:00+07:00"),
        ("Jumat, 07 Sep 2018 06:40 WIB", "2018-09-07T06:40:00+07:00"),
        ("Selasa, 17 Agt 2021 14:30 WITA", "2021-08-17T14:30:00+08:00"),
        ("Kamis, 8 Agu 2024 07:02 WIB", "2024-08-08T07:02:00+07:00"),
        ("Jumat, 06 Okt 2023 18:45 WIT", "2023-10-06T18:45:00+09:00"),
        ("detikInet | Kamis, 28 Jun 2018 06:40 WIB", "2018-06-28T06:40:00+07:00"),
        ("Rabu, 1 Januari 2025 00:00 WIB", "2025-01-01T00:00:00+07:00"),
    ],
)
def test_display_dates(text, expected):
    assert iso(dates.parse_display_date(text)) == expected


@pytest.mark.parametrize(
    "text",
    [None, "", "Kemarin", "17 menit yang lalu", "Senin, 17 Des 2018 20:26",  # no zone: not guessed
     "Senin, 31 Feb 2018 20:26 WIB", "Senin, 17 Xyz 2018 20:26 WIB", "Senin, 17 Des 2018 25:26 WIB"],
)
def test_display_dates_that_do_not_parse_give_none(text):
    assert dates.parse_display_date(text) is None


def test_metadata_forms_and_their_traps():
    assert iso(dates.parse_local_datetime("2022/12/10 07:16:35")) == "2022-12-10T07:16:35+07:00"
    # pubdate's Z is false: it is WIB, not UTC
    assert iso(dates.parse_fake_utc("2022-12-10T07-16-35Z")) == "2022-12-10T07:16:35+07:00"
    assert iso(dates.parse_fake_utc("2015-11-05 T10:08:58Z")) == "2015-11-05T10:08:58+07:00"
    # dtk:publishdateunix is milliseconds of true UTC
    assert dates.parse_unix_millis("1670631395000") == datetime(2022, 12, 10, 0, 16, 35, tzinfo=timezone.utc)
    assert iso(dates.parse_iso("2022-12-10T07:16:35+07:00")) == "2022-12-10T07:16:35+07:00"


@pytest.mark.parametrize("bad", [None, "", "garbage", "2022/13/40 99:99:99", "-5", "abc", 0])
def test_metadata_parsers_never_raise(bad):
    assert dates.parse_local_datetime(bad) is None
    assert dates.parse_fake_utc(bad) is None
    assert dates.parse_unix_millis(bad) is None
    assert dates.parse_iso(bad) is None


def test_naive_iso_is_refused():
    assert dates.parse_iso("2022-12-10T07:16:35") is None


def test_resolve_takes_seconds_only_from_agreeing_metadata():
    display = dates.parse_display_date("Sabtu, 10 Des 2022 07:16 WIB")
    agreeing = dates.parse_unix_millis("1670631395000")
    shifted = dates.parse_iso("2022-12-10T07:16:35+00:00")  # a fake Z read as UTC: 7 hours off
    assert iso(dates.resolve_published(display, [shifted, agreeing])) == "2022-12-10T07:16:35+07:00"
    assert iso(dates.resolve_published(display, [shifted])) == "2022-12-10T07:16:00+07:00"
    assert iso(dates.resolve_published(None, [None, agreeing])) == "2022-12-10T07:16:35+07:00"
    assert dates.resolve_published(None, [None, None]) is None


# -- bylines -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "byline, names",
    [
        ("Virgina Maulita Putri - detikInet", ["Virgina Maulita Putri"]),
        ("Fino Yurio Kristo -detikInet", ["Fino Yurio Kristo"]),
        ("  Fino Yurio Kristo\n - detikinet ", ["Fino Yurio Kristo"]),
        ("Anggoro Suryo, Aisyah Kamaliah - detikInet", ["Anggoro Suryo", "Aisyah Kamaliah"]),
        ("Anggoro Suryo dan Aisyah Kamaliah - detikInet", ["Anggoro Suryo", "Aisyah Kamaliah"]),
        ("A, B dan C - detikINET", ["A", "B", "C"]),
        ("Adi Fida Rahman & Rachmatunnisa - detikInet", ["Adi Fida Rahman", "Rachmatunnisa"]),
        ("Tim detikBali", ["Tim detikBali"]),
        ("Mulia Budi", ["Mulia Budi"]),
        ("Danu Damarjati - detikNews", ["Danu Damarjati"]),
        # The label after the last dash is a rubric, or the channel a team writes for: never a name.
        ("Afif Farhan - Sepakbola", ["Afif Farhan"]),
        ("Tim detikBali - detikTravel", ["Tim detikBali"]),
        ("Hanif Rahman - Wolipop", ["Hanif Rahman"]),
        ("Tim detikcom - detikNews", ["Tim detikcom"]),
        ("Rita Uli Hutapea - detikNews", ["Rita Uli Hutapea"]),
        ("Anggi Muliawati, Amanda Christabel, Tiara Aliya Azzahra - detikNews",
         ["Anggi Muliawati", "Amanda Christabel", "Tiara Aliya Azzahra"]),
        # Role labels are no part of the names; an editor is no author.
        ("Reporter : Tim detikcom - detikFinance", ["Tim detikcom"]),
        ("Penulis: Ahmad Dani", ["Ahmad Dani"]),
        ("Oleh Ahmad Dani - detikNews", ["Ahmad Dani"]),
        ("Penulis: Ahmad Dani | Editor: Budi Santoso", ["Ahmad Dani"]),
        ("Ahmad Dani, Editor: Budi Santoso", ["Ahmad Dani"]),
        ("Olehsari Putri", ["Olehsari Putri"]),  # a name that starts like a label
        # A hyphen inside a name is no separator.
        ("Sam Bankman-Fried", ["Sam Bankman-Fried"]),
        ("Sam Bankman-Fried - detikInet", ["Sam Bankman-Fried"]),
    ],
)
def test_bylines_split_into_names(byline, names):
    assert split_authors(byline) == names


@pytest.mark.parametrize("byline, label", [
    ("Afif Farhan - Sepakbola", "Sepakbola"), ("Tim detikBali - detikTravel", "detikTravel"),
    ("Fino Yurio Kristo -detikInet", "detikInet"), ("Mulia Budi", None), ("Sam Bankman-Fried", None), (None, None),
])
def test_the_label_of_a_byline(byline, label):
    assert byline_label(byline) == label


@pytest.mark.parametrize("bad", [
    None, "", "   ", " - detikInet",
    # What detik's author metadata holds besides names (issue 13, item 4).
    "https://www.facebook.com/detikdotcom", "http://facebook.com/detikcom", "www.detik.com",
    "redaksi@detik.com", "bgs", "bgs/rul", "--", "123",
])
def test_empty_bylines_give_no_names(bad):
    assert split_authors(bad) == []


def test_strip_channel_keeps_team_names():
    assert strip_channel("Tim detikInet - detikInet") == "Tim detikInet"


# -- captions ------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "caption, expected",
    [
        ("Tik Tok. Foto: Joe Scarnici/Getty Images", ("Tik Tok", "Joe Scarnici/Getty Images")),
        ("Sam Bankman Fried. Foto: Getty Images", ("Sam Bankman Fried", "Getty Images")),
        ("Foto: Getty Images", (None, "Getty Images")),
        ("Foto: Thomas Petit @MegaLuigi - Rouen, France", (None, "Thomas Petit @MegaLuigi - Rouen, France")),
        ("Ilustrasi ponsel (Foto: Getty Images/Mario Carlini)", ("Ilustrasi ponsel", "Getty Images/Mario Carlini")),
        ("Galaxy S6 Edge & S6 (ist)", ("Galaxy S6 Edge & S6", "ist")),
        ("Peluncuran satelit Foto: AP/Jon Super", ("Peluncuran satelit", "AP/Jon Super")),
        ("Tampilan aplikasi baru WhatsApp", ("Tampilan aplikasi baru WhatsApp", None)),
        ("Tik Tok. Foto: Joe Scarnici/Getty Images Tik Tok. Foto: Joe Scarnici/Getty Images",
         ("Tik Tok", "Joe Scarnici/Getty Images")),
        ("Fotografer berpose di studio", ("Fotografer berpose di studio", None)),
        # Other channels, 2020s: the marker first, the credit in parentheses at the end.
        ("Foto: Ilustrasi penodongan (Edi Wahyono/detikcom)", ("Ilustrasi penodongan", "Edi Wahyono/detikcom")),
        ("Foto: (Getty Images)", (None, "Getty Images")),
        ("Foto: (Istimewa)", (None, "Istimewa")),
        ("Foto: Erupsi Merapi. (dok. Balai TNGMb)", ("Erupsi Merapi", "dok. Balai TNGMb")),
        # Older pages: a Name/Source credit in parentheses, no marker; a tail without "/" is no credit.
        ("Alat terapi pascastroke I-REBOT. (Bagus Kurniawan/detikcom)",
         ("Alat terapi pascastroke I-REBOT", "Bagus Kurniawan/detikcom")),
        ("Gedung baru (kiri) dan lama (kanan)", ("Gedung baru (kiri) dan lama (kanan)", None)),
        # A marker later in the text wins over a parenthesised name before it.
        ("Laga MU. (AP Photo/Jon Super) Foto: AP/Jon Super", ("Laga MU. (AP Photo/Jon Super)", "AP/Jon Super")),
        # Forms found on public copies of detik pages (issue 13, "go looking for more").
        (" Mohamed Morsi (AFP) ", ("Mohamed Morsi", "AFP")),  # 2012 detikNews div.pic_artikel span
        ("Presiden berpidato (Reuters)", ("Presiden berpidato", "Reuters")),
        ("Kapal di Pelabuhan Ketapang (dok. Pribadi)", ("Kapal di Pelabuhan Ketapang", "dok. Pribadi")),
        ("'Peternakan' maggot milik pemuda Banyuwangi (Foto: Dok. Humas Pemkab Banyuwangi)",
         ("'Peternakan' maggot milik pemuda Banyuwangi", "Dok. Humas Pemkab Banyuwangi")),
        ("Drama Korea yang Rilis Tahun 2011 Foto: dok. Istimewa", ("Drama Korea yang Rilis Tahun 2011", "dok. Istimewa")),
        ("Menoewa Kopi ini merupakan kafe milik musisi Tri Suaka. Foto: Instagram @menoewakopi.jogja",
         ("Menoewa Kopi ini merupakan kafe milik musisi Tri Suaka", "Instagram @menoewakopi.jogja")),
        ("Penyerang Polsek Penjaringan. Foto: detikcom/ istimewa", ("Penyerang Polsek Penjaringan", "detikcom/ istimewa")),
        ("Foto: Suci Risanti Rahmadania/detikHealth", (None, "Suci Risanti Rahmadania/detikHealth")),
        ("Ilustrasi menyusun teks berita (Foto: Christin Hume/Unsplash)",
         ("Ilustrasi menyusun teks berita", "Christin Hume/Unsplash")),
        # "(Foto: ...)" inside the caption: cut out, the text closes up.
        ("Ilustrasi antrean (Foto: Getty Images/iStockphoto) di Pelabuhan Merak",
         ("Ilustrasi antrean di Pelabuhan Merak", "Getty Images/iStockphoto")),
        # "Foto ilustrasi" is a description ("an illustrative photo"), no credit marker.
        ("Foto ilustrasi pemilu", ("Foto ilustrasi pemilu", None)),
        ("Foto ilustrasi (Getty Images/iStockphoto)", ("Foto ilustrasi", "Getty Images/iStockphoto")),
        # A parenthesised word that is no agency stays.
        ("Tim Garuda (tengah) berlatih", ("Tim Garuda (tengah) berlatih", None)),
        ("Mobil listrik buatan lokal (prototipe)", ("Mobil listrik buatan lokal (prototipe)", None)),
    ],
)
def test_captions_split_from_credits(caption, expected):
    assert split_caption(caption) == expected


@pytest.mark.parametrize("bad", [None, "", "   \n "])
def test_empty_captions(bad):
    assert split_caption(bad) == (None, None)


# -- text ----------------------------------------------------------------------------------

def test_normalize_space():
    assert normalize_space("  a\r\n\t b\u00a0c  ") == "a b c"
    assert normalize_space("   ") is None
    assert normalize_space(None) is None


def test_control_characters_are_dropped_from_extracted_text():
    """A NUL (e.g. a JSON-LD "\\u0000") would make PostgreSQL refuse the article; the whitespace controls
    collapse like other whitespace."""
    assert normalize_space("Bos\x00 Kripto\x07\x1b") == "Bos Kripto"
    assert normalize_space("a\x0bb\x0cc\x1fd") == "a b c d"
    assert normalize_space("\x00\x01") is None
    assert normalize_body_text("Jakarta\x00 - Satu\x08 dua\x1e tiga") == "Jakarta - Satu dua tiga"


def test_editor_initials():
    assert split_editor_initials('pungkasnya. (rns/fyk)') == ("pungkasnya.", "rns/fyk")
    assert split_editor_initials("(fyk/fay)") == ("", "fyk/fay")
    assert split_editor_initials("(ash/ash/afr)") == ("", "ash/ash/afr")
    assert split_editor_initials("Senin (17/12/2018).") == ("Senin (17/12/2018).", None)
    assert split_editor_initials(None) == (None, None)


def test_counts_and_hash():
    assert word_count("Jakarta - Bagi sebagian\n\npengguna") == 5
    assert word_count(None) == 0
    assert content_hash("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert content_hash(None) is None
    assert split_keywords("sam bankman-fried,ftx, ,juragan kripto") == ["sam bankman-fried", "ftx", "juragan kripto"]
    assert split_keywords(None) == []
