"""The third layout, "read" (detikTravel and some other channels, 2022): div.read__head (date, h1),
div.ugc__block (author), div.read__photo (lead photo), div.read__content > #detikdetailtext (body)."""

from __future__ import annotations

from newscrawl.extraction.layouts.base import Layout, find_all, first, text_of


class ReadLayout(Layout):
    name = "read"

    def _head(self, page):
        return page.memo("read:head", lambda: first(page.root, "div.read__head"))

    def matches(self, page) -> bool:
        return first(self._head(page), "h1") is not None and self.body_container(page) is not None

    def fill(self, loader, page) -> None:
        head = self._head(page)
        loader.add_value("headline", text_of(first(head, "h1")))
        loader.add_value("published_raw", text_of(first(head, ".date")))
        byline = text_of(first(page.root, ".ugc__block__name"))
        loader.add_value("byline", byline)
        loader.add_value("authors", byline)
        photo = first(page.root, "div.read__photo")
        if photo is not None:
            self.add_lead_photo(loader, page, first(photo, "figure img", "img"),
                                first(photo, ".read__photo__caption", "figcaption"))
        loader.add_value("tags", [text_of(tag) for tag in find_all(self.body_container(page), ".detail_tag a")])

    def body_container(self, page):
        def container():
            content = first(page.root, "div.read__content")
            return first(content, "#detikdetailtext", ".itp_bodycontent")
        return page.memo("read:body", container)
