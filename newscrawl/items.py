"""The dataset schema: one ``ArticleItem`` per article.

Every field carries its documentation in the ``doc`` key of its Field metadata, so
the README table, the storage columns and the exports can all be checked against
this single list (``ARTICLE_FIELDS``).
"""

from __future__ import annotations

import scrapy


def _field(doc: str) -> scrapy.Field:
    return scrapy.Field(doc=doc)


class ArticleItem(scrapy.Item):
    url = _field(
        "Canonical https URL of the article on its channel's host, without tracking parameters "
        "(old URL forms such as detik's /read/... keep their path)."
    )
    publisher = _field("The site the article belongs to, as declared in newscrawl/sites: 'detik'.")
    channel = _field(
        "The publisher's channel, by the slug its site declaration gives it (newscrawl/sites), e.g. detik's "
        "'news', 'sport' or 'jabar'."
    )
    article_id = _field("The publisher's numeric article id (int), from the URL or the article id meta.")
    section = _field(
        "Section key: the first URL path segment after the channel (e.g. 'cyberlife', 'sepakbola'); for "
        "old URLs without one (/read/...) the last breadcrumb entry, lowercased (e.g. 'security')."
    )
    section_path = _field(
        "Every path segment between the channel and the article id, joined with '/' (e.g. "
        "'sepakbola/liga-inggris'); the section where the URL names none."
    )
    headline = _field("Headline, whitespace-normalised.")
    summary = _field("The page's meta description (str) or null.")
    published_at = _field(
        "Publication time, ISO 8601 with the page's UTC offset (WIB +07:00, WITA +08:00, "
        "WIT +09:00); to the second where page metadata has seconds, else to the minute "
        "shown. Null (with a warning) when the page has no parseable date, never the crawl time."
    )
    published_raw = _field("The publication date exactly as printed on the page, e.g. 'Senin, 17 Des 2018 20:26 WIB'.")
    authors = _field("List of author names, split from the channel label and from each other.")
    byline = _field("The byline as printed, e.g. 'Virgina Maulita Putri - detikInet'; names come before the last ' - '.")
    editor_initials = _field("Writer/editor initials without parentheses, e.g. 'rns/fyk', or null.")
    image_url = _field("Absolute URL of the lead image as served in the article, or null.")
    photo_caption = _field("Lead photo caption without its credit, or null.")
    photo_credit = _field("Lead photo credit: the text after 'Foto:' (or '(ist)' -> 'ist'), or null.")
    dateline = _field("Dateline place name, e.g. 'Jakarta', or null.")
    body = _field(
        "What a reader reads: paragraphs (and sub-headings) joined by one blank line, the "
        "dateline joined to the first paragraph ('Jakarta - ...'); no ads, 'Baca juga' boxes, "
        "embeds, captions, tags or editor initials."
    )
    images = _field("List of {url, caption, credit} for photos inside the body (not the lead photo).")
    tags = _field("List of tags from the tag block; where the page has none, the keywords metadata.")
    syndicated_from = _field(
        "Where a syndicated story first ran, from its footer ('Artikel ini telah naik di detikBali ...'): the "
        "original article's URL where the footer links it, else the channel's slug ('bali'); null for a story "
        "that says it ran nowhere else."
    )
    page_count = _field("Number of article pages merged into this item (int, 1 for single-page articles).")
    word_count = _field("Number of whitespace-separated words in body (int).")
    content_hash = _field("sha256 hex digest of the normalised body (UTF-8).")
    layout = _field("Which page layout was recognised: detik's '2020s', '2017', '2015' or 'read', or 'fallback'.")
    fetched_at = _field("When the page was fetched, ISO 8601 in UTC.")


ARTICLE_FIELDS: tuple[str, ...] = tuple(ArticleItem.fields)
