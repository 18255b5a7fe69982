"""detik's URL rules (newscrawl/sites/detik/urls.py): every channel's forms, read and written."""

from __future__ import annotations

from datetime import date

import pytest

from newscrawl.sites import parse_url
from newscrawl.sites.detik import DETIK


@pytest.mark.parametrize(
    "url, kind, channel, article_id, section_path, canonical",
    [
        ("https://inet.detik.com/cyberlife/d-6453192/bos-kripto?tagfrom=framebar", "article", "inet", 6453192,
         ("cyberlife",), "https://inet.detik.com/cyberlife/d-6453192/bos-kripto"),
        ("http://inet.detik.com/cyberlife/d-6453192/bos-kripto/2?utm_source=x&_ga=1#top", "article", "inet", 6453192,
         ("cyberlife",), "https://inet.detik.com/cyberlife/d-6453192/bos-kripto"),
        ("https://m.detik.com/inet/consumer/d-5471469/hp-baru?device=desktop", "article", "inet", 5471469,
         ("consumer",), "https://inet.detik.com/consumer/d-5471469/hp-baru"),
        ("http://inet.detik.com/read/2015/11/05/100026/3062623/323/google-umbar?i992202105", "article", "inet",
         3062623, (), "https://inet.detik.com/read/2015/11/05/100026/3062623/323/google-umbar"),
        ("https://news.detik.com/berita/d-6453785/polisi-soal-pistol", "article", "news", 6453785, ("berita",),
         "https://news.detik.com/berita/d-6453785/polisi-soal-pistol"),
        # 2015 news wrote the id without d-.
        ("http://news.detik.com/berita/2943745/mahasiswa-ugm", "article", "news", 2943745, ("berita",),
         "https://news.detik.com/berita/2943745/mahasiswa-ugm"),
        # Two section segments on detikSport.
        ("https://sport.detik.com/sepakbola/liga-inggris/d-7006790/slug", "article", "sport", 7006790,
         ("sepakbola", "liga-inggris"), "https://sport.detik.com/sepakbola/liga-inggris/d-7006790/slug"),
        ("https://sport.detik.com/aboutthegame/detik-insider/d-5746542/para-peracik-bola-mati/3", "article", "sport",
         5746542, ("aboutthegame", "detik-insider"),
         "https://sport.detik.com/aboutthegame/detik-insider/d-5746542/para-peracik-bola-mati"),
        # Channels on www.detik.com/<channel>/.
        ("https://www.detik.com/jabar/berita/d-7006615/slug?single=1", "article", "jabar", 7006615, ("berita",),
         "https://www.detik.com/jabar/berita/d-7006615/slug"),
        ("https://www.detik.com/sumut/hukum-dan-kriminal/d-7006638/slug", "article", "sumut", 7006638,
         ("hukum-dan-kriminal",), "https://www.detik.com/sumut/hukum-dan-kriminal/d-7006638/slug"),
        ("https://www.detik.com/edu/detikpedia/d-7003612/slug", "article", "edu", 7003612, ("detikpedia",),
         "https://www.detik.com/edu/detikpedia/d-7003612/slug"),
        ("https://wolipop.detik.com/entertainment-news/d-7099803/slug", "article", "wolipop", 7099803,
         ("entertainment-news",), "https://wolipop.detik.com/entertainment-news/d-7099803/slug"),
        # Galleries and videos of every channel, and 20.detik.com.
        ("https://inet.detik.com/fotoinet/d-6538296/galeri/2", "gallery", "inet", 6538296, ("fotoinet",), None),
        ("https://news.detik.com/foto-news/d-6453001/galeri", "gallery", "news", 6453001, ("foto-news",), None),
        ("https://sport.detik.com/sepakbola/foto-sepakbola/d-7006000/galeri", "gallery", "sport", 7006000,
         ("sepakbola", "foto-sepakbola"), None),
        ("https://oto.detik.com/oto-galeri/d-7006001/galeri", "gallery", "oto", 7006001, ("oto-galeri",), None),
        ("https://travel.detik.com/fototravel/d-7006002/galeri", "gallery", "travel", 7006002, ("fototravel",), None),
        ("http://finance.detik.com/readfoto/2016/02/23/153200/3148100/1034/1/foto", "gallery", "finance", None, (),
         None),
        ("https://inet.detik.com/detiktv/d-6575782/video", "video", "inet", 6575782, ("detiktv",), None),
        ("https://www.detik.com/jabar/detiktv/d-7006003/video", "video", "jabar", 7006003, ("detiktv",), None),
        ("https://20.detik.com/embed/221129127", "video", None, None, (), None),
        # Index pages: by day, of a sub-channel, by topic.
        ("https://inet.detik.com/indeks?date=12/10/2022", "index", "inet", None, (), None),
        ("https://sport.detik.com/sepakbola/indeks?date=12/10/2022", "index", "sport", None, (), None),
        ("https://www.detik.com/bali/indeks/2?date=12/10/2022", "index", "bali", None, (), None),
        ("https://news.detik.com/indeksfokus/4821/judul-fokus", "index", "news", None, (), None),
        # detik pages that are no article, and no channel.
        ("https://www.detik.com/tag/kripto/", "other", None, None, (), None),
        ("https://www.detik.com/", "other", None, None, (), None),
        ("https://news.detik.com/berita", "other", "news", None, (), None),
    ],
)
def test_detik_urls(url, kind, channel, article_id, section_path, canonical):
    target = DETIK.parse_url(url)
    assert (target.kind, target.publisher) == (kind, "detik")
    assert (target.channel.slug if target.channel else None) == channel
    assert (target.article_id, target.section_path, target.canonical) == (article_id, section_path, canonical)


def test_a_url_of_no_site_newscrawl_knows():
    assert DETIK.parse_url("https://www.kompas.com/tren/read/2023/10/12/x") is None
    assert parse_url("https://www.kompas.com/tren/read/2023/10/12/x").kind == "other"
    assert parse_url("https://www.kompas.com/tren/read/2023/10/12/x").publisher is None
    assert parse_url("https://evildetik.com/berita/d-1/x").publisher is None


def test_index_rss_page_and_single_view_urls():
    urls = DETIK.urls
    inet, sport, jabar = DETIK.channel("inet"), DETIK.channel("sport"), DETIK.channel("jabar")
    assert urls.index_url(inet, "/indeks", date(2022, 12, 10)) == "https://inet.detik.com/indeks?date=12/10/2022"
    assert urls.index_url(inet, "/indeks", date(2022, 12, 10), 3) == "https://inet.detik.com/indeks?page=3&date=12/10/2022"
    assert (urls.index_url(sport, "/sepakbola/indeks", date(2023, 10, 12), 2)
            == "https://sport.detik.com/sepakbola/indeks?page=2&date=10/12/2023")
    assert urls.index_url(jabar, "/indeks", date(2023, 10, 12)) == "https://www.detik.com/jabar/indeks?date=10/12/2023"
    assert urls.rss_url(jabar, "/rss") == "https://www.detik.com/jabar/rss"
    base = "https://sport.detik.com/sepakbola/liga-inggris/d-7006790/slug"
    assert urls.page_url(base, 1) == base
    assert urls.page_url(base, 2) == base + "/2"
    assert urls.single_view_url(base) == base + "?single=1"
