"""The 2020s layout: article.detail, h1.detail__title, #detikdetailtext (2020 to today)."""

from __future__ import annotations

from .base import Layout, first, text_of


class ModernLayout(Layout):
    name = "2020s"

    def matches(self, page) -> bool:
        return bool(page.selector.css("article.detail h1.detail__title, article.detail .detail__title"))

    def _article(self, page):
        return page.selector.css("article.detail")[0]

    def fill(self, loader, page) -> None:
        article = self._article(page)
        loader.add_value("headline", text_of(first(article, "h1.detail__title", ".detail__title")))
        byline = text_of(first(article, "div.detail__author", ".detail__author"))
        loader.add_value("byline", byline)
        loader.add_value("authors", byline)
        loader.add_value("published_raw", text_of(first(article, "div.detail__date", ".detail__date")))
        media = first(article, "div.detail__media", ".detail__media")
        # A video lead (an iframe in place of the figure) has no lead photo.
        if media is not None and media.css("figure"):
            self.add_lead_photo(loader, page, first(media, "figure img"), first(media, "figcaption"))
        loader.add_value("tags", [text_of(tag) for tag in article.css(".detail__body-tag a")])

    def body_container(self, page):
        article = self._article(page)
        # Select by id or one class, never the exact class string: its order differs between channels.
        container = first(article, "#detikdetailtext", ".detail__body-text", ".itp_bodycontent")
        return container.root if container is not None else None
