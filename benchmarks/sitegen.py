"""A generated detikInet of N realistic articles, for benchmarks (no Scrapy, no network here).

Article pages are the real 2022 page (tests/fixtures/pages/detikinet-2022-12-10-d-6453192.html,
139 KB) used as a template: its id, slug, section, headline, summary, every date it prints or
carries in metadata/JSON-LD, and its body paragraphs are replaced per article, so each page goes
through the same 2020s-layout extraction as the real one. Sizes vary between ~113 and ~146 KB
(2 to 12 body paragraphs; some pages lack one or both of the two large inline ad scripts).

Index pages (``/indeks?date=MM/DD/YYYY[&page=N]``) list ARTICLES_PER_DAY articles a day, newest
first, PAGE_SIZE cards a page, with the card markup and pagination links the spider reads.

Everything is a pure function of (N, article number): ``Site(n).article(i)`` is the same in
every process, so the server renders pages on the fly and the benchmark scripts can compute
the expected URLs and records without talking to it.

    python -m benchmarks.sitegen --articles 5000        # prints the range, sizes and a sample
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import random
import re
import statistics
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import cached_property
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEMPLATE = REPO / "tests" / "fixtures" / "pages" / "detikinet-2022-12-10-d-6453192.html"
ORIGIN = "https://inet.detik.com"
HOST = "inet.detik.com"
WIB = timezone(timedelta(hours=7))

ARTICLES_PER_DAY = 50  # detikInet publishes ~40-60 a day
PAGE_SIZE = 20  # cards per index page, as on the site
LAST_DAY = date(2024, 12, 31)  # the newest generated day; days go backwards from it
FIRST_ID = 7_100_000
SECTIONS = ("cyberlife", "gadget", "telecommunication", "science", "games-news", "business-policy")
IMAGE = "https://akcdn.detik.net.id/community/media/visual/2024/01/01/benchmark-{id}_169.jpeg?w=700&q=90"

_DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")

# What the template says about its own article, replaced per article (longest first where one
# contains another). Every value occurs in the template; build_template checks it.
_T_SLUG = "bos-kripto-yang-bangkrut-ngeles-soal-hobi-beli-rumah-mewah"
_T_PATH = "/cyberlife/d-6453192/"
_T_ID = "6453192"
_T_HEADLINE = "Bos Kripto yang Bangkrut Ngeles Soal Hobi Beli Rumah Mewah"
_T_SUMMARY = ("Salah satu fakta yang terkuak dalam kebangkrutan perusahaan perdagangan kripto FTX adalah bos "
              "dan petingginya hobi membeli rumah mewah.")
_T_DATES = {
    "2022/12/10 07:16:35": "publish_slash",
    "2022/12/09 15:26:08": "create_slash",
    "2022-12-10T07:16:35+07:00": "publish_iso",
    "2022-12-10T07-16-35Z": "publish_dashed",
    "2022-12-09T15-26-08Z": "create_dashed",
    "1670631395000": "publish_unix_ms",
    "1670574368000": "create_unix_ms",
    "Sabtu, 10 Des 2022 07:16 WIB": "publish_label",
}
_T_IMAGE = "https://akcdn.detik.net.id/community/media/visual/2022/11/13/sam-bankman-fried-1.jpeg?w=700&q=90"
# The two large inline scripts (Closure library, ad slots), identified by how they start.
_BIG_SCRIPTS = ("\t\t(function () {\n\t\t\t/*\n\t\t\t\t\n\t\t\t\t Copyright The Closure Library Authors.",
                "\t\tvar gptadslots = [];")

_WORDS_FALLBACK = "teknologi ponsel aplikasi pengguna internet data jaringan layanan perusahaan pemerintah".split()


def _vocabulary() -> list[str]:
    """Lower-case words of the saved pages' bodies: Indonesian text with the site's own word mix."""
    words: list[str] = []
    for path in sorted(TEMPLATE.parent.glob("*.json")):
        item = json.loads(path.read_text(encoding="utf-8")).get("item") or {}
        for word in re.findall(r"[A-Za-z]{3,}", item.get("body") or ""):
            words.append(word.lower())
    return words or _WORDS_FALLBACK


@dataclass(frozen=True)
class GenArticle:
    number: int  # 0 .. N-1, newest first
    article_id: int
    section: str
    slug: str
    headline: str
    summary: str
    published: datetime  # WIB
    paragraphs: tuple[str, ...]
    variant: int  # which template (0: both big scripts, 1/2: one dropped, 3: both dropped)

    @property
    def path(self) -> str:
        return f"/{self.section}/d-{self.article_id}/{self.slug}"

    @property
    def url(self) -> str:
        return ORIGIN + self.path

    @property
    def day(self) -> date:
        return self.published.date()

    @property
    def body(self) -> str:
        """The body as the extraction returns it: the dateline joined to the first paragraph."""
        return "\n\n".join(("Jakarta - " + self.paragraphs[0], *self.paragraphs[1:]))

    def record(self, fetched_at: str = "2025-01-01T00:00:00+00:00") -> dict:
        """A stored-article record like the crawl's (for loading a database without crawling)."""
        body = self.body
        return {
            "url": self.url, "publisher": "detik", "channel": "inet", "article_id": self.article_id,
            "section": self.section, "section_path": self.section, "headline": self.headline,
            "summary": self.summary, "published_at": self.published.isoformat(),
            "published_raw": wib_label(self.published), "authors": ["Fino Yurio Kristo"],
            "byline": "Fino Yurio Kristo - detikInet", "editor_initials": "fyk/fay",
            "image_url": IMAGE.format(id=self.article_id), "photo_caption": "Sam Bankman Fried",
            "photo_credit": "Getty Images", "dateline": "Jakarta", "body": body, "images": [],
            "tags": ["sam bankman-fried", "ftx", "juragan kripto", "ftx bangkrut"], "page_count": 1,
            "word_count": len(body.split()), "content_hash": hashlib.sha256(body.encode("utf-8")).hexdigest(),
            "layout": "2020s", "fetched_at": fetched_at,
        }


def wib_label(moment: datetime) -> str:
    local = moment.astimezone(WIB)
    return f"{_DAYS[local.weekday()]}, {local.day:02d} {_MONTHS[local.month - 1]} {local.year} {local:%H:%M} WIB"


def index_url(day: date, page: int = 1) -> str:
    query = f"date={day:%m/%d/%Y}"
    return f"{ORIGIN}/indeks?{query}" if page <= 1 else f"{ORIGIN}/indeks?page={page}&{query}"


class _Template:
    """The article template as literal pieces and field names, rendered by one join."""

    def __init__(self, text: str):
        keys = {_T_SLUG: "slug", _T_PATH: "path", _T_ID: "id", _T_HEADLINE: "headline", _T_SUMMARY: "summary",
                _T_IMAGE: "image", **_T_DATES}
        for literal in keys:
            if literal not in text:
                raise RuntimeError(f"sitegen: the template no longer contains {literal!r}")
        start = text.index('id="detikdetailtext">')
        end = text.index('<div class="detail__body-tag', start)
        body = text[start:end]
        # The body's paragraphs with text: the first becomes the generated ones, the others go.
        paragraphs = [m for m in re.finditer(r"<p>\s*(.+?)\s*</p>", body, re.S)]
        if len(paragraphs) < 2:
            raise RuntimeError("sitegen: the template's body paragraphs were not found")
        pieces, last = [], 0
        for n, match in enumerate(paragraphs):
            pieces.append(body[last:match.start()])
            if n == 0:
                pieces.append("\x00paragraphs\x00")
            last = match.end()
        pieces.append(body[last:])
        text = text[:start] + "".join(pieces) + text[end:]
        pattern = re.compile("|".join(re.escape(literal) for literal in sorted(keys, key=len, reverse=True)))
        text = pattern.sub(lambda m: f"\x00{keys[m.group(0)]}\x00", text)
        parts = text.split("\x00")
        self.literals = parts[0::2]
        self.fields = parts[1::2]

    def render(self, values: dict[str, str]) -> str:
        out = [self.literals[0]]
        for name, literal in zip(self.fields, self.literals[1:]):
            out.append(values[name])
            out.append(literal)
        return "".join(out)


def _drop_script(text: str, start_marker: str) -> str:
    at = text.index("<script>\n" + start_marker)
    end = text.index("</script>", at) + len("</script>")
    return text[:at] + text[end:]


class Site:
    """N generated articles, ARTICLES_PER_DAY a day, the newest on LAST_DAY."""

    def __init__(self, articles: int, per_day: int = ARTICLES_PER_DAY, last_day: date = LAST_DAY):
        if articles < 1:
            raise ValueError("a site needs at least one article")
        self.n = articles
        self.per_day = per_day
        self.last_day = last_day
        self.days_count = -(-articles // per_day)
        self.first_day = last_day - timedelta(days=self.days_count - 1)
        self.words = _vocabulary()
        self._by_id: dict[int, int] = {}

    # -- articles ----------------------------------------------------------------------------------
    def article_id(self, number: int) -> int:
        return FIRST_ID + number * 3 + 1  # gaps between ids, as on the site

    def number_of(self, article_id: int) -> int | None:
        offset = article_id - FIRST_ID - 1
        if offset < 0 or offset % 3:
            return None
        number = offset // 3
        return number if number < self.n else None

    def article(self, number: int) -> GenArticle:
        rng = random.Random(number * 7919 + 17)
        words = self.words
        day = self.last_day - timedelta(days=number // self.per_day)
        slot = number % self.per_day  # 0 = newest of its day
        # Spread over 06:00-23:30 WIB, newest first, with seconds.
        seconds = 23 * 3600 + 1800 - int(slot * (17.5 * 3600) / self.per_day) - rng.randrange(0, 60)
        published = datetime.combine(day, time(), tzinfo=WIB) + timedelta(seconds=seconds)
        title_words = [rng.choice(words) for _ in range(rng.randint(6, 11))]
        headline = " ".join(word.capitalize() for word in title_words) + f" {number}"
        slug = "-".join(title_words) + f"-{number}"
        paragraphs = tuple(self._paragraph(rng) for _ in range(rng.randint(2, 12)))
        summary = paragraphs[0].split(". ")[0].rstrip(".") + "."
        return GenArticle(number, self.article_id(number), SECTIONS[number % len(SECTIONS)], slug, headline,
                          summary, published, paragraphs, rng.randrange(4))

    def _paragraph(self, rng: random.Random) -> str:
        sentences = []
        for _ in range(rng.randint(2, 5)):
            words = [rng.choice(self.words) for _ in range(rng.randint(8, 22))]
            sentences.append(" ".join(words).capitalize() + ".")
        return " ".join(sentences)

    def article_by_path(self, path: str) -> GenArticle | None:
        match = re.match(r"^/([a-z0-9-]+)/d-(\d+)/([^/?#]+)/?$", path)
        if not match:
            return None
        number = self.number_of(int(match.group(2)))
        if number is None:
            return None
        article = self.article(number)
        return article if (article.section, article.slug) == (match.group(1), match.group(3)) else None

    @cached_property
    def templates(self) -> tuple[_Template, ...]:
        text = TEMPLATE.read_text(encoding="utf-8")
        one, two = (_drop_script(text, marker) for marker in _BIG_SCRIPTS)
        both = _drop_script(one, _BIG_SCRIPTS[1])
        return tuple(_Template(t) for t in (text, one, two, both))

    def article_html(self, article: GenArticle) -> bytes:
        pub, created = article.published, article.published - timedelta(hours=3, minutes=11, seconds=7)
        paragraphs = "".join(f"<p>\n\t\t\t\t\t\t\t\t{html.escape(p, quote=False)}\n\t\t\t\t\t\t\t</p>\n\t\t\t\t\t\t\t"
                             for p in article.paragraphs)
        values = {
            "slug": article.slug, "path": f"/{article.section}/d-{article.article_id}/",
            "id": str(article.article_id), "headline": article.headline, "summary": html.escape(article.summary),
            "image": IMAGE.format(id=article.article_id), "paragraphs": paragraphs,
            "publish_slash": f"{pub:%Y/%m/%d %H:%M:%S}", "create_slash": f"{created:%Y/%m/%d %H:%M:%S}",
            "publish_iso": pub.isoformat(), "publish_dashed": f"{pub:%Y-%m-%dT%H-%M-%S}Z",
            "create_dashed": f"{created:%Y-%m-%dT%H-%M-%S}Z",
            "publish_unix_ms": str(int(pub.timestamp()) * 1000), "create_unix_ms": str(int(created.timestamp()) * 1000),
            "publish_label": wib_label(pub),
        }
        return self.templates[article.variant].render(values).encode("utf-8")

    # -- index pages --------------------------------------------------------------------------------
    def numbers_on(self, day: date) -> range:
        offset = (self.last_day - day).days
        if offset < 0 or offset >= self.days_count:
            return range(0)
        return range(offset * self.per_day, min(self.n, (offset + 1) * self.per_day))

    def index_pages(self, day: date) -> int:
        return max(1, -(-len(self.numbers_on(day)) // PAGE_SIZE))

    def index_html(self, day: date, page: int) -> bytes:
        numbers = self.numbers_on(day)
        last = self.index_pages(day)
        shown = numbers[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
        cards = "".join(self._card(self.article(number), n + 1) for n, number in enumerate(shown))
        if not cards:
            cards = '\n      <div class="list-content__empty">Tidak ada berita pada tanggal ini.</div>'
        links = []
        if last > 1:
            def link(number: int, text: str, active: bool = False) -> str:
                state = " pagination__item--active" if active else ""
                return f'<a class="pagination__item{state}" href="{html.escape(index_url(day, number))}">{text}</a>'
            links = [link(page - 1, "Prev")] if page > 1 else []
            links += [link(n, str(n), n == page) for n in range(1, last + 1)]
            links += [link(page + 1, "Next")] if page < last else []
        pagination = ('\n    <div class="pagination text-center mgt-16 mgb-16">\n      '
                      + "\n      ".join(links) + "\n    </div>") if links else ""
        return f"""<!DOCTYPE html>
<html lang="id-ID">
<head>
<meta charset="utf-8">
<title>Indeks Berita Inet {day:%d/%m/%Y} - detikInet</title>
<meta name="robots" content="index, follow">
<link rel="canonical" href="{html.escape(index_url(day, page))}">
</head>
<body>
<header class="header"><div class="container"><nav class="nav"><a href="{ORIGIN}/">detikInet</a>
<a href="{ORIGIN}/indeks">Indeks</a></nav></div></header>
<div class="container">
 <div class="grid-row content__bg">
  <div class="column-8">
    <div class="page__header"><h1 class="page__title">Indeks Berita</h1>
      <form class="date-picker"><input type="text" name="date" value="{day:%m/%d/%Y}"></form></div>
    <div class="grid-row list-content">{cards}
    </div>{pagination}
  </div>
 </div>
</div>
</body>
</html>
""".encode("utf-8")

    @staticmethod
    def _card(article: GenArticle, index: int) -> str:
        url, title = html.escape(article.url), html.escape(article.headline)
        d_time = int(article.published.timestamp())
        image = html.escape(IMAGE.format(id=article.article_id))
        label = wib_label(article.published)
        return f"""
      <article class="list-content__item" i-img='{image}' d-time="{d_time}">
        <div class="media media--left media--image-radius block-link">
          <div class="media__image">
            <a class="media__link" href="{url}" dtr-evt="indeks" dtr-sec="indeks" dtr-act="artikel" dtr-idx="{index}" dtr-ttl="{title}" onclick="_pt(this)">
              <span class="ratiobox ratiobox--4-3 lqd" style="background-image:url('{image}')"></span>
            </a>
          </div>
          <div class="media__text">
            <h3 class="media__title">
              <a class="media__link" href="{url}" dtr-evt="indeks" dtr-sec="indeks" dtr-act="artikel" dtr-idx="{index}" dtr-ttl="{title}" onclick="_pt(this)">{title}</a>
            </h3>
            <div class="media__date"><span d-time="{d_time}" title="{label}">{label}</span></div>
          </div>
        </div>
      </article>"""

    # -- what a crawl of the whole site fetches -------------------------------------------------------
    def days(self) -> list[date]:
        return [self.first_day + timedelta(days=n) for n in range(self.days_count)]

    def index_urls(self) -> list[str]:
        return [index_url(day, page) for day in self.days() for page in range(1, self.index_pages(day) + 1)]

    def article_urls(self) -> list[str]:
        return [ORIGIN + f"/{SECTIONS[n % len(SECTIONS)]}/d-{self.article_id(n)}/{self.article(n).slug}"
                for n in range(self.n)]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sitegen", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--sample", type=int, default=400, help="articles rendered to measure page sizes")
    args = parser.parse_args()
    site = Site(args.articles)
    step = max(1, site.n // args.sample)
    sizes = [len(site.article_html(site.article(n))) for n in range(0, site.n, step)]
    print(f"{site.n} articles, {site.per_day} a day: since={site.first_day} until={site.last_day} "
          f"({site.days_count} days, {len(site.index_urls())} index pages)")
    print(f"article page bytes over {len(sizes)} pages: min {min(sizes)}, median {statistics.median(sizes):.0f}, "
          f"max {max(sizes)}")
    sample = site.article(0)
    print(f"e.g. {sample.url}\n  {sample.headline!r}, {sample.published.isoformat()}")


if __name__ == "__main__":
    main()
