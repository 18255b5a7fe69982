"""Extraction: one response (url, html) in, one article item (or a non-article verdict) out.

Pure: no network, no database, no clock unless ``fetched_at`` is omitted. The spider, the
re-extract and import tools and the tests all call ``extract``. The page's URL says which site's
declaration (newscrawl/sites) reads it: its layouts, noise rules and metadata names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from parsel import Selector

from .. import sites
from ..items import ARTICLE_FIELDS, ArticleItem
from ..sites import PageUrl, Site
from .layouts import FALLBACK, Layout, detect_layout
from .loader import LIST_FIELDS, ArticleLoader
from .page import Page, parse_page
from .processors import dates
from .processors.bylines import byline_label, split_authors
from .processors.text import content_hash, join_paragraphs, split_keywords, word_count

NO_DATE_WARNING = "no parseable publication date"
_PAGE_NUMBER_DIGITS = 9  # longer "numbers" in the navigation are not page numbers (and int() may refuse them)


@dataclass
class Extraction:
    kind: str  # "article", "gallery", "video", "index" or "other"
    item: ArticleItem | None = None
    layout: str | None = None
    warnings: list[str] = field(default_factory=list)
    pages_in_nav: int = 1  # highest page number the page's multi-page navigation links to
    cut_short: str | None = None  # why the page could not be read whole (it is also in warnings)


def extract(url: str, html: str | bytes, fetched_at: datetime | str | None = None,
            encoding: str = "utf-8") -> Extraction:
    """Extract one saved or fetched page. ``url`` is the URL it was requested with; bytes are read
    in ``encoding``."""
    return _extract_page(parse_page(url, html, encoding), fetched_at)


def extract_response(response, fetched_at: datetime | str | None = None) -> Extraction:
    """Extract a Scrapy response: its body parsed once, here, in the encoding Scrapy detected.
    The spider never touches ``response.selector`` of an article page, so nothing parses it twice."""
    return _extract_page(parse_page(response.url, response.body, response.encoding), fetched_at)


def extract_selector(url: str, selector: Selector, fetched_at: datetime | str | None = None) -> Extraction:
    return _extract_page(Page(url, selector), fetched_at)


def _extract_page(page: Page, fetched_at: datetime | str | None) -> Extraction:
    kind, target = _page_kind(page)
    if kind != "article":
        return Extraction(kind=kind)
    site = sites.site_named(target.publisher)
    layout = detect_layout(page, site.layouts)
    extraction = _extract_with(layout, site, target, page, fetched_at)
    missing = [name for name in ("headline", "body") if not extraction.item.get(name)]
    if missing and layout is not FALLBACK:
        # A known layout whose selectors found nothing means the markup changed: never return an
        # empty item quietly, read the page from its metadata instead and say so.
        fallback = _extract_with(FALLBACK, site, target, page, fetched_at)
        fallback.warnings.insert(0, f"layout {layout.name} matched but found no {' or '.join(missing)}; used the fallback")
        extraction = fallback
    if extraction.layout == FALLBACK.name and not missing:
        extraction.warnings.insert(0, "unknown layout; read from metadata (fallback)")
    for name in ("headline", "body"):
        if not extraction.item.get(name):
            extraction.warnings.append(f"no {name} found")
    if page.cut_short:
        extraction.cut_short = page.cut_short
        extraction.warnings.append(page.cut_short)
    return extraction


def _page_kind(page: Page) -> tuple[str, PageUrl]:
    """What the page is, by its request URL and its canonical URL: a gallery or video by either, an
    article by either (the canonical one preferred: it names the article's own channel)."""
    targets = [sites.parse_url(page.url)]
    if page.canonical:
        targets.insert(0, sites.parse_url(page.canonical))
    for kind in ("gallery", "video"):
        if any(target.kind == kind for target in targets):
            return kind, next(target for target in targets if target.kind == kind)
    article = next((target for target in targets if target.kind == "article"), None)
    if article is not None:
        return "article", article
    return targets[-1].kind, targets[-1]


def _extract_with(layout: Layout, site: Site, target: PageUrl, page: Page, fetched_at) -> Extraction:
    loader = ArticleLoader(selector=page.selector, page=page)
    warnings: list[str] = []
    loader.add_value("url", target.canonical)
    loader.add_value("publisher", site.name)
    loader.add_value("channel", target.channel.slug)
    loader.add_value("article_id", target.article_id)
    loader.add_value("article_id", page.meta_value(*site.article_id_meta))
    # Old URL forms (/read/...) name no section: the breadcrumb does.
    section = target.section or (layout.breadcrumb_section(page) or "").lower() or None
    loader.add_value("section", section)
    loader.add_value("section_path", "/".join(target.section_path) or section)
    loader.add_value("summary", page.meta_value("description", "og:description", "twitter:description"))

    layout.fill(loader, page)
    label = byline_label(loader.get_output_value("byline"))
    if label is not None and label.lower() not in site.byline_labels:
        warnings.append(f"byline label {label!r} is not one of the site's labels (taken for a label, not a name)")
    if not loader.get_collected_values("authors"):
        loader.add_value("authors", _meta_names(site, page.meta_value(*site.author_meta)))
    if not loader.get_collected_values("authors"):
        loader.add_value("authors", [name for value in _json_ld_author_names(page.news_article.get("author"))
                                     for name in _meta_names(site, value)])
    if not loader.get_collected_values("tags"):
        loader.add_value("tags", split_keywords(page.meta_value(*site.keywords_meta)))

    published = _published(site, page, loader.get_output_value("published_raw"))
    if published is None:
        warnings.append(NO_DATE_WARNING)
    loader.add_value("published_at", dates.isoformat(published))

    body = layout.body(page, site.noise)
    text = join_paragraphs(body.paragraphs) if body and body.paragraphs else None
    loader.add_value("body", text)
    loader.add_value("dateline", body.dateline if body else None)
    loader.add_value("editor_initials", body.editor_initials if body else None)
    loader.add_value("images", body.images if body else [])
    if body and (body.syndicated_label or body.syndicated_url):
        source, unknown = _syndication_source(site, body.syndicated_label, body.syndicated_url)
        loader.add_value("syndicated_from", source)
        if unknown:
            warnings.append(f"syndication footer names {body.syndicated_label!r}, which is none of the site's channels")
    loader.add_value("page_count", max(1, body.page_sections if body else 0))
    loader.add_value("word_count", word_count(text))
    loader.add_value("content_hash", content_hash(text))
    loader.add_value("layout", layout.name)
    loader.add_value("fetched_at", _fetched_at(fetched_at))
    return Extraction(
        kind="article", item=_complete(loader.load_item()), layout=layout.name,
        warnings=warnings, pages_in_nav=_pages_in_nav(page, site.page_nav_classes),
    )


def _syndication_source(site: Site, label: str | None, url: str | None) -> tuple[str | None, bool]:
    """(syndicated_from, whether the label named no channel of the site). The linked article's
    canonical URL where there is one; else the channel the label names; else the label as printed."""
    if url:
        target = sites.parse_url(url)
        return (target.canonical if target.kind == "article" else url), False
    channel = site.channel_by_label(label) if label else None
    if channel is not None:
        return channel.slug, False
    return label, label is not None


def _meta_names(site: Site, value: str | None) -> list[str]:
    """Author names from metadata; a channel's label alone ("detikJatim") names no author."""
    return [name for name in split_authors(value) if name.lower() not in site.byline_labels]


def _json_ld_author_names(value) -> list[str]:
    entries = value if isinstance(value, list) else [value]
    names = [entry.get("name") if isinstance(entry, dict) else entry for entry in entries]
    return [name for name in names if isinstance(name, str) and name.strip()]


def _published(site: Site, page: Page, published_raw: str | None) -> datetime | None:
    display = dates.parse_display_date(published_raw)
    local_zone = display.tzinfo if display else dates.WIB
    return dates.resolve_published(display, site.published_candidates(page, local_zone))


def _pages_in_nav(page: Page, nav_classes: tuple[str, ...]) -> int:
    """The highest page number linked from the page's multi-page navigation (1 if none).
    Only links whose text is a number are looked at closely, which keeps this cheap."""
    highest = 1
    for link in page.root.iter("a"):
        text = (link.text or "").strip()
        # isdecimal, not isdigit: int() refuses digits such as "²"; and a page number is short.
        if (text.isdecimal() and len(text) <= _PAGE_NUMBER_DIGITS and int(text) > highest
                and _in_page_nav(link, nav_classes)):
            highest = int(text)
    return highest


def _in_page_nav(link, nav_classes: tuple[str, ...]) -> bool:
    element = link
    for _ in range(3):  # the link itself, its parent and grandparent
        if element is None:
            return False
        classes = element.get("class") or ""
        if any(name in classes for name in nav_classes):
            return True
        element = element.getparent()
    return False


def _fetched_at(value: datetime | str | None) -> str:
    if isinstance(value, str):
        return value
    value = value or datetime.now(timezone.utc)
    return value.astimezone(timezone.utc).isoformat(timespec="seconds")


def _complete(item: ArticleItem) -> ArticleItem:
    """Every schema field present, in schema order: lists default to [], the rest to None."""
    return ArticleItem({name: item.get(name, [] if name in LIST_FIELDS else None) for name in ARTICLE_FIELDS})


def merge_pages(items: list[ArticleItem]) -> ArticleItem:
    """One item from the items of a multi-page article's pages, in page order.

    Fields come from page 1, except the body (pages joined), the inline photos (concatenated),
    and the initials and tags, which detik prints at the end of the last page.
    """
    if not items:
        raise ValueError("merge_pages needs at least one page")
    merged = ArticleItem(items[0])
    bodies = [item["body"] for item in items if item.get("body")]
    merged["body"] = join_paragraphs(bodies) if bodies else None
    merged["images"] = [image for item in items for image in item.get("images") or []]
    for name in ("editor_initials", "tags"):
        values = [item[name] for item in items if item.get(name)]
        if values:
            merged[name] = values[-1]
    merged["page_count"] = len(items)
    merged["word_count"] = word_count(merged["body"])
    merged["content_hash"] = content_hash(merged["body"])
    return merged


__all__ = ["Extraction", "extract", "extract_response", "extract_selector", "merge_pages", "NO_DATE_WARNING"]
