"""The 2020s layout: article.detail, h1.detail__title, #detikdetailtext (2020 to today)."""

from __future__ import annotations

from newscrawl.extraction.layouts.base import Layout, find_all, first, text_of


class ModernLayout(Layout):
    name = "2020s"

    def _article(self, page):
        return page.memo("2020s:article", lambda: first(page.root, "article.detail"))

    def matches(self, page) -> bool:
        return first(self._article(page), ".detail__title") is not None

    def fill(self, loader, page) -> None:
        article = self._article(page)
        loader.add_value("headline", text_of(first(article, "h1.detail__title", ".detail__title")))
        byline = text_of(first(article, ".detail__author"))
        loader.add_value("byline", byline)
        loader.add_value("authors", byline)
        loader.add_value("published_raw", text_of(first(article, ".detail__date")))
        media = first(article, ".detail__media")
        # A video lead (an iframe in place of the figure) has no lead photo.
        if first(media, "figure") is not None:
            self.add_lead_photo(loader, page, first(media, "figure img"), first(media, "figcaption"))
        loader.add_value("tags", [text_of(tag) for tag in find_all(article, ".detail__body-tag a")])

    def body_container(self, page):
        # By id or one class, never the exact class string: its order differs between channels.
        return first(self._article(page), "#detikdetailtext", ".detail__body-text", ".itp_bodycontent")
