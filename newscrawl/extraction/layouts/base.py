"""What every page layout provides: where the fields of an article are in its markup."""

from __future__ import annotations

from urllib.parse import urljoin

from parsel import Selector

from ..body import Body, extract_body
from ..loader import ArticleLoader
from ..page import Page
from ..processors.captions import split_caption


def text_of(selector: Selector | None) -> str | None:
    """All text under a node, or None (whitespace is normalised by the loader)."""
    if selector is None:
        return None
    return "".join(selector.root.itertext()) or None


def first(scope: Selector, *queries: str) -> Selector | None:
    """The first node matched by the first CSS query that matches anything in ``scope``."""
    for query in queries:
        found = scope.css(query)
        if found:
            return found[0]
    return None


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

    def body(self, page: Page) -> Body | None:
        container = self.body_container(page)
        return extract_body(container, page.url) if container is not None else None

    def breadcrumb_section(self, page: Page) -> str | None:
        """The section name in the breadcrumb (needed for legacy /read/ URLs only)."""
        return None

    @staticmethod
    def add_lead_photo(loader: ArticleLoader, page: Page, image: Selector | None, caption: Selector | None) -> None:
        src = image.attrib.get("src", "").strip() if image is not None else ""
        if src:
            loader.add_value("image_url", urljoin(page.url, src))
        description, credit = split_caption(text_of(caption))
        loader.add_value("photo_caption", description)
        loader.add_value("photo_credit", credit)
