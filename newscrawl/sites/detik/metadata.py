"""Where detik pages say, in their <head>, when an article was published (detik-markup.md §1.3).

  JSON-LD datePublished   "2022-12-10T07:16:35+07:00"   correct ISO 8601
  publishdate             "2022/12/10 07:16:35"         local time of the page's zone, no zone
  dtk:publishdateunix     "1670631395000"               epoch milliseconds, true UTC
  pubdate                 "2022-12-10T07-16-35Z"        local time: the Z is false
"""

from __future__ import annotations

from newscrawl.extraction.processors import dates


def _json_ld_date_published(page) -> str | None:
    for entry in [page.news_article, *page.json_ld]:
        value = entry.get("datePublished")
        if isinstance(value, str):
            return value
    return None


def published_sources(page, local_zone) -> list:
    return [
        dates.parse_iso(_json_ld_date_published(page)),
        dates.parse_local_datetime(page.meta_value("publishdate", "dtk:publishdate"), local_zone),
        dates.parse_unix_millis(page.meta_value("dtk:publishdateunix")),
        dates.parse_fake_utc(page.meta_value("pubdate"), local_zone),
    ]
