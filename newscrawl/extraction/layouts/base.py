"""What every page layout provides: where the fields of an article are in its markup.

Layouts work on lxml elements with CSS selectors compiled once (lxml.cssselect): the page is
parsed once, and each query runs inside the smallest subtree that holds the field.
"""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urljoin

from lxml.cssselect import CSSSelector

from ..body import Body, extract_body
from ..loader import ArticleLoader
from ..noise import NoiseRules
from ..page import Page
from ..processors.captions import split_caption


@lru_cache(maxsize=None)
def compiled(query: str) -> CSSSelector:
    return CSSSelector(query, translator="html")


def find_all(scope, query: str) -> list:
    return compiled(query)(scope) if scope is not None else []


def first(scope, *queries: str):
    """The first element matched by the first CSS query that matches anything in ``scope``."""
    if scope is None:
        return None
    for query in queries:
        found = compiled(query)(scope)
        if found:
            return found[0]
    return None


def text_of(element) -> str | None:
    """All text under an element, or None (whitespace is normalised by the loader)."""
    if element is None:
        return None
    return "".join(element.itertext()) or None


class Layout:
    """A page layout. ``matches`` recognises it; ``fill`` adds the values its markup shows."""

    name = "base"

    def matches(self, page: Page) -> bool:
        raise NotImplementedError

    def fill(self, loader: ArticleLoader, page: Page) -> None:
        """Add headline, byline/authors, published_raw, the lead photo and tags."""
        raise NotImplementedError

    def body_container(self, page: Page):
        """The lxml element that holds the article text, or None."""
        raise NotImplementedError

    def body(self, page: Page, noise: NoiseRules) -> Body | None:
        container = self.body_container(page)
        return extract_body(container, page.url, noise) if container is not None else None

    def breadcrumb_section(self, page: Page) -> str | None:
        """The section name in the breadcrumb (needed for legacy /read/ URLs only)."""
        return None

    @staticmethod
    def add_lead_photo(loader: ArticleLoader, page: Page, image, caption) -> None:
        src = (image.get("src") or "").strip() if image is not None else ""
        if src:
            loader.add_value("image_url", urljoin(page.url, src))
        description, credit = split_caption(text_of(caption))
        loader.add_value("photo_caption", description)
        loader.add_value("photo_credit", credit)
