"""Reading detik's index pages (``/indeks?date=MM/DD/YYYY``): the day's cards and the pagination."""

from __future__ import annotations

from urllib.parse import parse_qs, urljoin, urlsplit

# Index cards of the day's list; "Berita Terkait"/"Artikel Lainnya"/"Terpopuler" boxes (cb-*) look
# the same, so they are excluded by ancestry.
_CARDS = (
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' list-content ') or @id='indeks-container']"
    "//article[not(ancestor::*[contains(@class, 'cb-')])]"
)
_PAGINATION = ".pagination a::attr(href), a.pagination__item::attr(href)"


class DetikIndex:
    def cards(self, selector) -> list[tuple[str, str | None]]:
        """(href, d-time) of each card: the title link first (a card links its article twice)."""
        found = []
        for card in selector.xpath(_CARDS):
            href = card.css("h3 a::attr(href), .media__title a::attr(href)").get() or card.css("a::attr(href)").get()
            found.append((href, card.attrib.get("d-time")))
        return found

    def linked_pages(self, selector, base_url: str) -> set[int]:
        pages = set()
        for href in selector.css(_PAGINATION).getall():
            parts = urlsplit(urljoin(base_url, href))
            query_page = parse_qs(parts.query).get("page", [""])[0]
            path_page = parts.path.rstrip("/").rsplit("/", 1)[-1]
            for candidate in (query_page, path_page):
                if candidate.isdigit():
                    pages.add(int(candidate))
        return pages
