"""The 2017-2019 layout: div.jdl (title, author, date) and div.detail_text (body)."""

from __future__ import annotations

from newscrawl.extraction.layouts.base import Layout, find_all, first, text_of


def _in_header_or_page(header, page, query: str):
    """Author and date sit in div.jdl on most pages, right after it on some."""
    found = first(header, query)
    return found if found is not None else first(page.root, "div" + query)


class JdlLayout(Layout):
    name = "2017"

    def _header(self, page):
        return page.memo("2017:header", lambda: first(page.root, "div.jdl"))

    def matches(self, page) -> bool:
        header = self._header(page)
        return first(header, "h1") is not None and self.body_container(page) is not None

    def fill(self, loader, page) -> None:
        header = self._header(page)
        loader.add_value("headline", text_of(first(header, "h1")))
        byline = text_of(_in_header_or_page(header, page, ".author"))
        loader.add_value("byline", byline)
        loader.add_value("authors", byline)
        loader.add_value("published_raw", text_of(_in_header_or_page(header, page, ".date")))
        picture = first(page.root, "div.pic_artikel")
        if picture is not None:
            self.add_lead_photo(loader, page, first(picture, "img"), first(picture, "span", "figcaption"))
        loader.add_value("tags", [text_of(tag) for tag in find_all(page.root, ".detail_tag a")])

    def body_container(self, page):
        return page.memo("2017:body", lambda: first(page.root, ".detail_text", "#detikdetailtext"))

    def breadcrumb_section(self, page) -> str | None:
        crumbs = find_all(page.root, ".breadcrumb a")
        return text_of(crumbs[-1]) if crumbs else None
