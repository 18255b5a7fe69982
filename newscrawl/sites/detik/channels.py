"""The detik channels: one CMS, one article id space, about twenty hosts and path prefixes.

``verified`` says how each channel's host, index and RSS are known (the README's channels table):
  saved page  a real page of the channel was saved and read (tests/fixtures/pages)
  framebar    listed, with its URL, in detik's channel menu of a saved detik page (January 2024)
  detik JS    named in detik's own front-end code, which maps www.detik.com prefixes to labels
  fetched     public code fetched the index (?date=) or the RSS feed and read what came back
  reported    public scrapers or configs use the URL; nothing shows it answered
The index of every channel is /indeks?date=MM/DD/YYYY under the channel's root, with ?page=N; for
most www.detik.com channels the ?date= form is reported, not fetched, and the run checks would
notice if it were wrong (index_read, articles_per_day). A channel lists RSS feeds only where one is
known; the others are read from their index pages alone.
"""

from __future__ import annotations

from ..base import Channel

WWW = "www.detik.com"


def _subdomain(slug: str, label: str, verified: str, **options) -> Channel:
    return Channel(slug=slug, label=label, host=f"{slug}.detik.com", verified=verified, **options)


def _www(slug: str, label: str, verified: str, **options) -> Channel:
    return Channel(slug=slug, label=label, host=WWW, prefix=f"/{slug}", verified=verified, **options)


CHANNELS: tuple[Channel, ...] = (
    _subdomain("news", "detikNews", "saved page (2015, 2022); framebar; index and RSS fetched"),
    _subdomain("finance", "detikFinance", "framebar; index (?page=N&date=) and RSS fetched"),
    _subdomain("inet", "detikInet", "saved page (2015, 2022); framebar; index and RSS fetched"),
    _subdomain("hot", "detikHot", "framebar; index and RSS reported"),
    # The sport index lists the whole channel; its sub-channels keep indexes of their own too
    # (sepakbola's fetched, aboutthegame's reported); they find what the main index may page past.
    _subdomain("sport", "detikSport", "saved page (2021); framebar; index, sepakbola index and RSS fetched",
               index_paths=("/indeks", "/sepakbola/indeks", "/aboutthegame/indeks")),
    _subdomain("oto", "detikOto", "framebar; index fetched, RSS reported"),
    _subdomain("travel", "detikTravel", "framebar; index fetched, RSS reported"),
    _subdomain("food", "detikFood", "framebar; index fetched, RSS reported"),
    _subdomain("health", "detikHealth", "framebar; index fetched, RSS reported"),
    _subdomain("wolipop", "Wolipop", "framebar; index and RSS reported"),
    _www("edu", "detikEdu", "framebar; detik JS; index (?date=) and RSS fetched"),
    _www("jabar", "detikJabar", "framebar; detik JS; index reported; no RSS known", rss_paths=(),
         min_articles_per_day=5),
    _www("jateng", "detikJateng", "framebar; detik JS; index (?date=) and RSS fetched", min_articles_per_day=5),
    _www("jatim", "detikJatim", "framebar; detik JS; index (?date=) fetched, RSS reported", min_articles_per_day=5),
    _www("jogja", "detikJogja", "framebar (new in 2024); detik JS; index and RSS reported", min_articles_per_day=5),
    _www("sumut", "detikSumut", "framebar; detik JS; index reported; no RSS known", rss_paths=(),
         min_articles_per_day=5),
    _www("sulsel", "detikSulsel", "framebar; detik JS; index and RSS reported", min_articles_per_day=5),
    _www("bali", "detikBali", "framebar; detik JS; index reported; no RSS known", rss_paths=(),
         min_articles_per_day=5),
    _www("sumbagsel", "detikSumbagsel", "framebar; detik JS; index reported; no RSS known", rss_paths=(),
         min_articles_per_day=5),
    _www("properti", "detikProperti", "framebar; detik JS; index and RSS reported", min_articles_per_day=3),
    _www("pop", "detikPop", "detik JS (2024 on); index reported; no RSS known", rss_paths=(),
         min_articles_per_day=3),
    _www("hikmah", "detikHikmah", "framebar; detik JS; index reported; no RSS known", rss_paths=(),
         min_articles_per_day=3),
)
