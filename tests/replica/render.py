"""Markup of the replica's generated pages, for any channel: index, RSS, robots.txt, error pages,
home pages, and the extra "Berita Terkait" card. Modelled on detik-markup.md §4.1, §4.2 and §5
(the 2020s index markup on every channel); article pages are the fixtures themselves."""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from email.utils import format_datetime

from .sitemap import PAGE_SIZE, Article, Card, SiteMap, attr, title_of, wib_label

ROBOTS_TXT = """\
User-agent: Googlebot
Disallow: */komentar*
Disallow: /ajax/
Disallow: /api/
Disallow: /search/
Disallow: /tag/news/
Disallow: /tag/foto/
Disallow: *?tag_from
Disallow: *?_ga
Disallow: *&sortby
Disallow: *?device=desktop
Disallow: *&device=desktop

User-agent: ChatGPT-User
Disallow: /

User-agent: OpenAI
Disallow: /

User-agent: CCBot
Disallow: /

User-agent: GPTBot
Disallow: /

User-agent: *
Allow: /

Sitemap: https://www.detik.com/sitemap.xml
"""

_HEAD = """<!DOCTYPE html>
<html lang="id-ID">
<head>
<meta charset="utf-8">
<title>{title}</title>
<meta name="robots" content="index, follow">
<link rel="canonical" href="{canonical}">
</head>
<body>
<header class="header"><div class="container">
  <nav class="nav"><a href="{root}/">{label}</a> <a href="{root}/indeks">Indeks</a></nav>
</div></header>
"""


def _card(card: Card, index: int) -> str:
    url, title = attr(card.url), attr(card.title)
    label = attr(wib_label(datetime.fromtimestamp(card.d_time, timezone.utc)))
    return f"""
      <article class="list-content__item" i-img='{attr(card.image)}' d-time="{card.d_time}">
        <div class="media media--left media--image-radius block-link">
          <div class="media__image">
            <a class="media__link" href="{url}" dtr-evt="indeks" dtr-sec="indeks" dtr-act="artikel" dtr-idx="{index}" dtr-ttl="{title}" onclick="_pt(this)">
              <span class="ratiobox ratiobox--4-3 lqd" style="background-image:url('{attr(card.image)}')"></span>
            </a>
          </div>
          <div class="media__text">
            <h3 class="media__title">
              <a class="media__link" href="{url}" dtr-evt="indeks" dtr-sec="indeks" dtr-act="artikel" dtr-idx="{index}" dtr-ttl="{title}" onclick="_pt(this)">{title}</a>
            </h3>
            <div class="media__date"><span d-time="{card.d_time}" title="{label}">{label}</span></div>
          </div>
        </div>
      </article>"""


def _head(site: SiteMap, title: str, canonical: str) -> str:
    return _HEAD.format(title=attr(title), canonical=attr(canonical), root=attr(site.root),
                        label=attr(site.channel.label))


def _pagination(site: SiteMap, index_path: str, day: date, page: int, last: int) -> str:
    if last <= 1:
        return ""
    def link(number: int, text: str, active: bool = False) -> str:
        state = " pagination__item--active" if active else ""
        return f'<a class="pagination__item{state}" href="{attr(site.index_url(day, number, index_path))}">{text}</a>'
    items = [link(page - 1, "Prev")] if page > 1 else []
    items += [link(number, str(number), number == page) for number in range(1, last + 1)]
    items += [link(page + 1, "Next")] if page < last else []
    return '\n    <div class="pagination text-center mgt-16 mgb-16">\n      ' + "\n      ".join(items) + "\n    </div>"


def _mostpop(site: SiteMap) -> str:
    """The sidebar box; its card has no d-time, so only the cb- ancestry marks it as not the index."""
    target = site.popular
    if target is None:
        return ""
    title = attr(target.item["headline"])
    return f"""
  <div class="column-4">
    <div class="box cb-mostpop">
      <div class="box__header"><h2 class="box__title">Terpopuler</h2></div>
      <div class="list-content list-content--number">
        <article class="list-content__item">
          <div class="media media--right block-link"><div class="media__text">
            <h3 class="media__title"><a class="media__link" href="{attr(target.url)}" dtr-ttl="{title}">{title}</a></h3>
          </div></div>
        </article>
      </div>
    </div>
  </div>"""


def index_page(site: SiteMap, day: date, page: int, index_path: str | None = None) -> str:
    index_path = index_path or site.channel.index_paths[0]
    cards = site.listing(index_path).get(day, [])
    last = site.index_page_count(day, index_path)
    shown = cards[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
    body = "".join(_card(card, (page - 1) * PAGE_SIZE + n + 1) for n, card in enumerate(shown))
    if not shown:
        body = '\n      <div class="list-content__empty">Tidak ada berita pada tanggal ini.</div>'
    head = _head(site, f"Indeks Berita {day:%d/%m/%Y} - {site.channel.label}", site.index_url(day, page, index_path))
    return f"""{head}<div class="container">
 <div class="grid-row content__bg">
  <div class="column-8">
    <div class="page__header"><h1 class="page__title">Indeks Berita</h1>
      <form class="date-picker"><input type="text" name="date" value="{day:%m/%d/%Y}"></form></div>
    <div class="grid-row list-content">{body}
    </div>{_pagination(site, index_path, day, page, last)}
  </div>{_mostpop(site)}
 </div>
</div>
</body>
</html>
"""


def with_related_card(page_html: bytes, target: Article) -> bytes:
    """The page with one more "Berita Terkait" card, linking to ``target``."""
    title = attr(target.item["headline"])
    card = (f'\n<article class="list-content__item column-6"><h3 class="list-content__title">'
            f'<a dtr-evt="berita terkait" dtr-act="berita terkait" dtr-id="{target.article_id}" '
            f'dtr-ttl="{title}" href="{attr(target.url)}">{title}</a></h3></article>')
    text = page_html.decode("utf-8")
    box = re.search(r'<div[^>]*id="crossContent"[^>]*>', text)
    if box:
        return (text[:box.end()] + card + text[box.end():]).encode("utf-8")
    whole = (f'<div class="box cb-berita-terkait"><div class="box__header"><h2 class="box__title">Berita Terkait'
             f'</h2></div><div id="crossContent" class="list-content">{card}</div></div>\n')
    end = text.rfind("</body>")
    end = end if end >= 0 else len(text)
    return (text[:end] + whole + text[end:]).encode("utf-8")


def rss(site: SiteMap, now: datetime) -> str:
    entries = []
    for article in site.articles.values():
        entries.append((article.published, article.url, article.item["headline"], article.item.get("summary") or ""))
    for url, name in site.others.items():
        _, page_html = site.fixture(name)
        entries.append((None, url, title_of(page_html), ""))
    entries.sort(key=lambda e: (e[0] is None, -(e[0].timestamp() if e[0] else 0), e[1]))
    items = []
    for published, url, title, summary in entries:
        pub = f"\n      <pubDate>{format_datetime(published.astimezone(timezone.utc), usegmt=True)}</pubDate>" if published else ""
        items.append(f"""
    <item>
      <title>{attr(title)}</title>
      <link>{attr(url)}</link>
      <guid isPermaLink="false">{attr(url)}</guid>{pub}
      <description>{attr(summary)}</description>
    </item>""")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
  <channel>
    <title>{attr(site.channel.label)}</title>
    <link>{attr(site.root)}/</link>
    <description>Berita terkini dari {attr(site.channel.label)} (replica)</description>
    <language>id</language>
    <lastBuildDate>{format_datetime(now.astimezone(timezone.utc), usegmt=True)}</lastBuildDate>{"".join(items)}
  </channel>
</rss>
"""


def error_page(status: int, message: str, site: SiteMap | None = None) -> str:
    label, root = (site.channel.label, site.root) if site else ("detikcom", "https://www.detik.com")
    head = _HEAD.format(title=f"{status} - {attr(label)}", canonical=attr(root) + "/", root=attr(root), label=attr(label))
    return head + f'<div class="container"><h1>{status}</h1><p>{attr(message)}</p></div>\n</body>\n</html>\n'


def home(site: SiteMap) -> str:
    days = sorted(site.days, reverse=True)
    links = "\n".join(
        f'  <li><a href="{attr(site.index_url(day))}">{day:%d/%m/%Y}</a> ({len(site.days[day])} cards)</li>' for day in days)
    return _head(site, f"{site.channel.label} (replica)", site.root + "/") + f"<ul>\n{links}\n</ul>\n</body>\n</html>\n"


def host_home(sites: list[SiteMap]) -> str:
    """The home page of a host several channels share (www.detik.com): a link to each channel."""
    links = "\n".join(f'  <li><a href="{attr(site.root)}/">{attr(site.channel.label)}</a></li>' for site in sites)
    return (_HEAD.format(title="detikcom (replica)", canonical="https://www.detik.com/", root="https://www.detik.com",
                         label="detikcom") + f"<ul>\n{links}\n</ul>\n</body>\n</html>\n")
