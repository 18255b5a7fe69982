"""A layout not seen before: read what the page visibly prints where it is recognisable (its h1,
a byline, a figure caption, a tag block, a printed date), then the <head> metadata, JSON-LD and the
page's largest block of paragraphs. Items from here are marked ``layout: fallback`` and counted,
so a redesign of the site shows up in the crawl stats instead of silently emptying the dataset."""

from __future__ import annotations

import re
from collections import defaultdict

from ..body import Body, extract_body, plain_dateline
from ..processors.dates import parse_display_date
from ..processors.text import normalize_body_text
from .base import Layout, find_all, text_of

# Where a redesigned page is likely to print its date: <time>, or a class naming a date or time.
_DATE_CANDIDATES = "time, [class*=date], [class*=time]"
_BYLINE_CANDIDATES = "[class*=author], [class*=byline]"
_CAPTION_CANDIDATES = "figcaption, [class*=caption]"
_TAG_CLASS = re.compile(r"(?:^|[-_])tags?$")  # a class token naming a tag block: tags, detail__body-tag
_BYLINE_MAX = 200  # longer text in an "author" element is an author box or a list, not a byline
_CAPTION_MAX = 500
_HEADLINE_MAX = 500
_DATE_MAX = 80  # a printed date in a longer text is part of something else
# Page chrome: what sits in these is never the article's headline, byline or caption.
_CHROME = frozenset(("aside", "footer", "nav"))


def _in_article(element) -> bool:
    """Not in the page's chrome: no aside, footer or nav above it, and no <header> above it unless
    that header is itself inside an <article> or <main> (a story's own header holds its h1)."""
    header_seen = False
    for ancestor in element.iterancestors():
        tag = ancestor.tag
        if tag in _CHROME:
            return False
        if tag == "header":
            header_seen = True
        elif tag in ("article", "main") and header_seen:
            return True
    return not header_seen


def _first_text(page, query: str, accepts, chrome_too: bool = False):
    """(element, text) of the first element matched by ``query`` in the page's body, in document
    order, whose text ``accepts`` takes, outside the page's chrome unless ``chrome_too``; else (None, None)."""
    body = page.root.find("body")
    for element in find_all(body if body is not None else page.root, query):
        text = text_of(element)
        if text and accepts(text) and (chrome_too or _in_article(element)):
            return element, text
    return None, None


def _visible(page, query: str, max_length: int):
    """The first element matched by ``query`` in the article's part of the page whose text is
    neither empty nor longer than ``max_length``, with that text."""
    return _first_text(page, query, lambda text: 0 < len(text.strip()) <= max_length)


def _tag_block_tags(page) -> list[str]:
    for element in page.root.iter():
        classes = element.get("class") if isinstance(element.tag, str) else None
        if classes and "tag" in classes and any(_TAG_CLASS.search(token) for token in classes.split()):
            tags = [text_of(link) for link in element.iter("a")]
            if any(tag and tag.strip() for tag in tags):
                return tags
    return []


def _largest_paragraph_block(root):
    """The element holding the article's paragraphs: the parent of <p>s with the most text, or an
    ancestor of it where the article is split into sibling blocks (page sections, ad-separated
    chunks) and the ancestor's paragraphs hold clearly more text."""
    direct: dict = defaultdict(int)  # text in an element's own <p> children
    nested: dict = defaultdict(int)  # text in all <p> below an element
    for paragraph in root.iter("p"):
        length = len(" ".join("".join(paragraph.itertext()).split()))
        parent = paragraph.getparent()
        if parent is None:
            continue
        direct[parent] += length
        for ancestor in parent.iterancestors():
            nested[ancestor] += length
    if not direct:
        return None
    best = max(direct, key=direct.get)
    while True:
        parent = best.getparent()
        if parent is None or parent.tag in ("body", "html"):
            return best
        if direct[parent] + nested[parent] < 1.5 * (direct[best] + nested[best]):
            return best
        best = parent


def _json_ld_image(value) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("url")
    return value if isinstance(value, str) and value.strip() else None


class FallbackLayout(Layout):
    name = "fallback"

    def matches(self, page) -> bool:
        return True

    def fill(self, loader, page) -> None:
        article = page.news_article
        loader.add_value("headline", _visible(page, "h1", _HEADLINE_MAX)[1])
        _, byline = _visible(page, _BYLINE_CANDIDATES, _BYLINE_MAX)
        loader.add_value("byline", byline)
        loader.add_value("authors", byline)
        caption, caption_text = _visible(page, _CAPTION_CANDIDATES, _CAPTION_MAX)
        if caption is not None:
            figure = next((ancestor for ancestor in caption.iterancestors() if ancestor.tag == "figure"), None)
            image = next(iter(figure.iter("img")), None) if figure is not None else None
            self.add_lead_photo(loader, page, image, caption)
        loader.add_value("tags", _tag_block_tags(page))
        loader.add_value("headline", page.meta_value("og:title"))
        loader.add_value("headline", article.get("headline"))
        titles = page.root.xpath("//title/text()")
        loader.add_value("headline", titles[0] if titles else None)
        loader.add_value("image_url", _json_ld_image(article.get("image")))
        loader.add_value("image_url", page.meta_value("og:image"))
        loader.add_value("published_raw", self.visible_date(page))

    @staticmethod
    def visible_date(page) -> str | None:
        """The first date in detik's printed form ("Selasa, 17 Agt 2021 14:30 WITA") in a likely
        element, in document order: it gives the zone and the minute that metadata may lack."""
        return _first_text(page, _DATE_CANDIDATES, lambda text: len(text) < _DATE_MAX and parse_display_date(text),
                           chrome_too=True)[1]

    def body(self, page, noise) -> Body | None:
        article_body = page.news_article.get("articleBody")
        if isinstance(article_body, str) and article_body.strip():
            paragraphs = [line for line in map(normalize_body_text, article_body.splitlines()) if line]
            return Body(paragraphs=paragraphs, dateline=plain_dateline(paragraphs[0]) if paragraphs else None)
        container = _largest_paragraph_block(page.root)
        return extract_body(container, page.url, noise) if container is not None else None
