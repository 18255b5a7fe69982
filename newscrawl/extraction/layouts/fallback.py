"""A layout not seen before: read what the <head> metadata, JSON-LD and the page's largest block
of paragraphs give. Items from here are marked ``layout: fallback`` and counted, so a redesign
of the site shows up in the crawl stats instead of silently emptying the dataset."""

from __future__ import annotations

from collections import defaultdict

from ..body import Body, extract_body
from ..processors.text import normalize_body_text
from .base import Layout


def _largest_paragraph_block(root):
    """The element whose direct <p> children hold the most text."""
    totals: dict = defaultdict(int)
    for paragraph in root.iter("p"):
        parent = paragraph.getparent()
        if parent is not None:
            totals[parent] += len(" ".join("".join(paragraph.itertext()).split()))
    return max(totals, key=totals.get) if totals else None


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
        loader.add_value("headline", page.meta_value("og:title"))
        loader.add_value("headline", article.get("headline"))
        titles = page.root.xpath("//title/text()")
        loader.add_value("headline", titles[0] if titles else None)
        loader.add_value("image_url", _json_ld_image(article.get("image")))
        loader.add_value("image_url", page.meta_value("og:image"))

    def body(self, page) -> Body | None:
        article_body = page.news_article.get("articleBody")
        if isinstance(article_body, str) and article_body.strip():
            paragraphs = [normalize_body_text(line) for line in article_body.splitlines()]
            return Body(paragraphs=[line for line in paragraphs if line])
        container = _largest_paragraph_block(page.root)
        return extract_body(container, page.url) if container is not None else None
