"""Running today's extraction over an archived response: shared by reextract and import."""

from __future__ import annotations

from typing import Any

from newscrawl.archive import ArchivedResponse, UnreadableArchive
from newscrawl.extraction import extract
from newscrawl.storage.records import ARTICLE_FIELDS, InvalidRecord, normalise_record

HTML_TYPES = ("text/html", "application/xhtml+xml")


class NotUsable(Exception):
    """A page that gives no storable article; ``reason`` is a short key for counting, and
    ``skipped`` tells a page that is simply not ours (counted) from a broken one (reported)."""

    def __init__(self, reason: str, message: str, skipped: bool = False) -> None:
        super().__init__(message)
        self.reason = reason
        self.skipped = skipped


def extraction_failure(error: Exception) -> str:
    """The line that reports an unexpected error of the extraction on one page. The bulk commands
    go on with the other pages (the page is counted as bad input or failed): one odd page of a
    large archive must not end the run, and saying it is a bug asks for the page."""
    return (f"the extraction failed ({type(error).__name__}: {error}); this is a bug in newscrawl, please report "
            "it with this page")


def is_html(archived: ArchivedResponse) -> bool:
    if archived.content_type:
        return archived.content_type in HTML_TYPES
    return archived.body.lstrip()[:1] == b"<"  # no Content-Type: look at the bytes


def article_from_html(url: str, html: bytes, fetched_at: str) -> dict[str, Any]:
    """Extract a complete article record from a page, or raise NotUsable."""
    extraction = extract(url, html, fetched_at=fetched_at)
    if extraction.kind != "article":
        raise NotUsable("not_an_article", f"the page is a {extraction.kind} page, not an article")
    if extraction.cut_short:
        # Only what precedes the point where the parser stopped could be read: never store part of an article.
        raise NotUsable("too_deep", extraction.cut_short)
    if extraction.pages_in_nav > 1:
        raise NotUsable("multipage_part", f"one page of a {extraction.pages_in_nav}-page article (its ?single=1 "
                        "view holds the whole article)", skipped=True)
    item = dict(extraction.item)
    missing = [name for name in ("headline", "body") if not item.get(name)]
    if missing:
        raise NotUsable("no_headline_or_body", f"extraction found no {' or '.join(missing)}")
    try:
        return normalise_record(item)
    except InvalidRecord as error:
        raise NotUsable("invalid_record", str(error)) from None


def article_from_response(archived: ArchivedResponse) -> dict[str, Any]:
    """Extract an article from an archived response of an article URL, or raise NotUsable."""
    if archived.status != 200:
        raise NotUsable("http_status", f"HTTP status {archived.status}", skipped=True)
    if not is_html(archived):
        raise NotUsable("not_html", f"Content-Type {archived.content_type or 'missing'} is not HTML")
    try:
        html = archived.decoded_body()
    except UnreadableArchive as error:
        raise NotUsable(error.reason, str(error)) from None
    return article_from_html(archived.url, html, archived.fetched_at)


def changed_fields(stored: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Schema fields (fetched_at aside) whose values differ between two records."""
    before, after = normalise_record(stored), normalise_record(new)
    return [name for name in ARTICLE_FIELDS if name != "fetched_at" and before[name] != after[name]]
