"""The 2015-2016 layout: div.content_detail, h1.l_blue2_detik, div.text_detail (one <p>, <br><br>)."""

from __future__ import annotations

from .base import Layout, first, text_of


class LegacyLayout(Layout):
    name = "2015"

    def matches(self, page) -> bool:
        return bool(page.selector.css("div.text_detail")) and bool(page.selector.css("h1"))

    def _headline(self, page):
        return first(page.selector, "div.content_detail h1", "h1.l_blue2_detik", "h1")

    def fill(self, loader, page) -> None:
        headline = self._headline(page)
        loader.add_value("headline", text_of(headline))
        # The author and date blocks follow the headline; other div.date elements on the page are
        # empty placeholders or list items of other articles.
        authors = headline.xpath("following-sibling::div[contains(concat(' ', @class, ' '), ' author ')][1]")
        byline = text_of(authors[0]) if authors else None
        loader.add_value("byline", byline)
        loader.add_value("authors", byline)
        dates = headline.xpath("following-sibling::div[contains(concat(' ', @class, ' '), ' date ')][1]")
        loader.add_value("published_raw", text_of(dates[0]) if dates else None)
        picture = first(page.selector, "div.pic_artikel")
        if picture is not None:
            self.add_lead_photo(loader, page, first(picture, "img"), first(picture, "span"))

    def body_container(self, page):
        container = first(page.selector, "div.text_detail")
        return container.root if container is not None else None

    def breadcrumb_section(self, page) -> str | None:
        crumbs = page.selector.css("ul.breadcrumb li")
        return text_of(crumbs[-1]) if crumbs else None
