"""The detik channels: one CMS, one article id space, about twenty hosts and path prefixes.

``verified`` says how each channel's host and discovery URLs are known (README "The detik channels"):
  saved page  a real page of the channel was saved and read (tests/fixtures/pages)
  seen        named by public sources that fetched it (detik-network.md)
  reported    named by public scrapers or configs, not seen fetched
Index pages of the www.detik.com channels follow the subdomain channels' form under the channel's
prefix; that form is reported, not confirmed, and the run checks would notice if it were wrong
(index_read, articles_per_day).
"""

from __future__ import annotations

from ..base import Channel

WWW = "www.detik.com"


def _subdomain(slug: str, label: str, verified: str, **options) -> Channel:
    return Channel(slug=slug, label=label, host=f"{slug}.detik.com", verified=verified, **options)


def _www(slug: str, label: str, verified: str, **options) -> Channel:
    return Channel(slug=slug, label=label, host=WWW, prefix=f"/{slug}", verified=verified, **options)


CHANNELS: tuple[Channel, ...] = (
    _subdomain("news", "detikNews", "saved page (2015, 2022); index and RSS seen"),
    _subdomain("finance", "detikFinance", "seen; index seen"),
    _subdomain("inet", "detikInet", "saved page (2015, 2022); index and RSS seen"),
    _subdomain("hot", "detikHot", "seen"),
    # The sport index lists the whole channel; its sub-channels keep indexes of their own too.
    _subdomain("sport", "detikSport", "saved page (2021); index seen",
               index_paths=("/indeks", "/sepakbola/indeks", "/aboutthegame/indeks")),
    _subdomain("oto", "detikOto", "seen; index seen"),
    _subdomain("travel", "detikTravel", "seen; index seen"),
    _subdomain("food", "detikFood", "seen"),
    _subdomain("health", "detikHealth", "seen; index seen"),
    _subdomain("wolipop", "Wolipop", "seen"),
    _www("edu", "detikEdu", "seen"),
    _www("jabar", "detikJabar", "reported", min_articles_per_day=5),
    _www("jateng", "detikJateng", "reported", min_articles_per_day=5),
    _www("jatim", "detikJatim", "reported", min_articles_per_day=5),
    _www("jogja", "detikJogja", "reported", min_articles_per_day=5),
    _www("sumut", "detikSumut", "seen", min_articles_per_day=5),
    _www("sulsel", "detikSulsel", "reported", min_articles_per_day=5),
    _www("bali", "detikBali", "seen", min_articles_per_day=5),
    _www("sumbagsel", "detikSumbagsel", "reported", min_articles_per_day=5),
    _www("properti", "detikProperti", "seen", min_articles_per_day=3),
    _www("pop", "detikPop", "reported", min_articles_per_day=3),
    _www("hikmah", "detikHikmah", "seen", min_articles_per_day=3),
)
