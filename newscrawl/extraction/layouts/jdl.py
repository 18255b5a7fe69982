"""The 2017-2019 layout: div.jdl (title, author, date) and div.detail_text (body)."""

from __future__ import annotations

from .base import Layout, first, text_of


class JdlLayout(Layout):
    name = "2017"

    def matches(self, page) -> bool:
        return bool(page.selector.css("div.jdl h1")) and bool(page.selector.css(".detail_text, #detikdetailtext"))

    def fill(self, loader, page) -> None:
        header = page.selector.css("div.jdl")[0]
        loader.add_value("headline", text_of(first(header, "h1")))
        byline = text_of(first(header, ".author") or first(page.selector, "div.author"))
        loader.add_value("byline", byline)
        loader.add_value("authors", byline)
        loader.add_value("published_raw", text_of(first(header, ".date") or first(page.selector, "div.date")))
        picture = first(page.selector, "div.pic_artikel")
        if picture is not None:
            self.add_lead_photo(loader, page, first(picture, "img"), first(picture, "span", "figcaption"))
        loader.add_value("tags", [text_of(tag) for tag in page.selector.css(".detail_tag a")])

    def body_container(self, page):
        container = first(page.selector, ".detail_text", "#detikdetailtext")
        return container.root if container is not None else None

    def breadcrumb_section(self, page) -> str | None:
        crumbs = page.selector.css(".breadcrumb a")
        return text_of(crumbs[-1]) if crumbs else None
