"""The 2015-2016 layout: div.content_detail, h1.l_blue2_detik, div.text_detail (one <p>, <br><br>)."""

from __future__ import annotations

from newscrawl.extraction.layouts.base import Layout, find_all, first, text_of


def _next_sibling_with_class(element, name: str):
    for sibling in element.itersiblings():
        if name in (sibling.get("class") or "").split():
            return sibling
    return None


class LegacyLayout(Layout):
    name = "2015"

    def matches(self, page) -> bool:
        return self.body_container(page) is not None and self._headline(page) is not None

    def _headline(self, page):
        return page.memo("2015:h1", lambda: first(page.root, "div.content_detail h1", "h1.l_blue2_detik", "h1"))

    def fill(self, loader, page) -> None:
        headline = self._headline(page)
        loader.add_value("headline", text_of(headline))
        # The author and date blocks follow the headline; other div.date elements on the page are
        # empty placeholders or list items of other articles.
        byline = text_of(_next_sibling_with_class(headline, "author"))
        loader.add_value("byline", byline)
        loader.add_value("authors", byline)
        loader.add_value("published_raw", text_of(_next_sibling_with_class(headline, "date")))
        picture = first(page.root, "div.pic_artikel")
        if picture is not None:
            self.add_lead_photo(loader, page, first(picture, "img"), first(picture, "span"))

    def body_container(self, page):
        return page.memo("2015:body", lambda: first(page.root, "div.text_detail"))

    def breadcrumb_section(self, page) -> str | None:
        crumbs = find_all(page.root, "ul.breadcrumb li")
        return text_of(crumbs[-1]) if crumbs else None
