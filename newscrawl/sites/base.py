"""What a site declaration is made of. Generic: no publisher and no host is named here.

A ``Site`` (in the spirit of Fundus's ``Publisher``) declares everything particular to one publisher:
its channels (hosts, path prefixes, discovery sources), how its URLs are read (``UrlRules``), its page
layouts in detection order, its byline labels and its in-body noise. Spiders, extraction, storage
keys, import, re-extraction, the run checks and the CLI read it; nothing outside a site's own
package names one of its hosts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from importlib import import_module
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ..extraction.body import NoiseRules
    from ..extraction.layouts.base import Layout
    from ..extraction.page import Page

PAGE_KINDS = ("article", "gallery", "video", "index", "other")


@dataclass(frozen=True)
class Channel:
    """One channel of a site: where it lives and where its new articles are listed."""

    slug: str  # stored with every article (`channel`), e.g. "news", "jabar"
    label: str  # as printed in bylines and page titles, e.g. "detikNews"
    host: str
    prefix: str = ""  # path prefix on a host several channels share, e.g. "/jabar"
    index_paths: tuple[str, ...] = ("/indeks",)  # index-by-day pages, relative to the channel root
    rss_paths: tuple[str, ...] = ("/rss",)
    min_articles_per_day: int | None = None  # a small channel lists fewer; None: the run-wide setting
    verified: str = ""  # how the host and the discovery URLs were checked (the channels table says)

    @property
    def root(self) -> str:
        return f"https://{self.host}{self.prefix}"


@dataclass(frozen=True)
class PageUrl:
    """What a URL is, read by its site's rules."""

    kind: str  # one of PAGE_KINDS
    publisher: str | None = None  # the site's name; None for a URL of no known site
    channel: Channel | None = None
    article_id: int | None = None
    section_path: tuple[str, ...] = ()  # path segments between the channel and the article id
    page: int = 1  # page n of a multi-page article (<canonical>/<n>)
    canonical: str | None = None  # articles: https, the channel's host, no query or page number
    legacy: bool = False  # an old URL form whose path names no section (/read/...)

    @property
    def section(self) -> str | None:
        return self.section_path[0] if self.section_path else None


class UrlRules(Protocol):
    """How one site's URLs are read and written."""

    def parse(self, url: str) -> PageUrl | None:
        """The URL read by these rules, or None when it is not on one of the site's hosts."""

    def index_url(self, channel: Channel, index_path: str, day: date, page: int = 1) -> str: ...

    def page_url(self, canonical: str, page: int) -> str:
        """Page ``page`` of a multi-page article."""

    def single_view_url(self, canonical: str) -> str:
        """The all-pages view of a multi-page article."""


class IndexReader(Protocol):
    """How one site's index pages are read."""

    def cards(self, selector) -> list[tuple[str, str | None]]:
        """(href, epoch seconds of the card or None) of each listed item, in page order."""

    def linked_pages(self, selector, base_url: str) -> set[int]:
        """The result-page numbers the page's pagination links to."""


def load_object(path: str) -> Any:
    """``"package.module:NAME"`` -> that object."""
    module, _, name = path.partition(":")
    return getattr(import_module(module), name)


@dataclass(frozen=True)
class Site:
    """A publisher's declaration. The parts that extraction uses (layouts, noise rules, metadata
    readers) are named by import path, as Scrapy names its components, and loaded on first use:
    URL rules and channels can then be read without the extraction machinery (the CLI does)."""

    name: str  # the publisher key stored with every article, e.g. "detik"
    label: str
    channels: tuple[Channel, ...]
    urls: UrlRules
    index: IndexReader
    layouts_path: str  # -> tuple of Layouts in detection order; the metadata fallback comes after them
    noise_path: str  # -> NoiseRules of the body walk
    published_sources_path: str  # -> callable(page, local_zone) -> machine-readable publication times
    byline_labels: frozenset[str] = frozenset()  # what follows " - " in a byline; names never do
    article_id_meta: tuple[str, ...] = ()  # <meta> names holding the article id
    author_meta: tuple[str, ...] = ()  # <meta> names holding author names (used without a byline)
    keywords_meta: tuple[str, ...] = ()  # <meta> names holding comma-separated tags
    page_nav_classes: tuple[str, ...] = ()  # classes of multi-page navigation near a page-number link
    _by_slug: dict = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def layouts(self) -> tuple[Layout, ...]:
        return tuple(load_object(self.layouts_path))

    @cached_property
    def noise(self) -> NoiseRules:
        return load_object(self.noise_path)

    @cached_property
    def published_sources(self):
        return load_object(self.published_sources_path)

    def __post_init__(self) -> None:
        slugs = [channel.slug for channel in self.channels]
        if len(set(slugs)) != len(slugs):
            raise ValueError(f"site {self.name}: channel slugs repeat")
        self._by_slug.update((channel.slug, channel) for channel in self.channels)

    def channel(self, slug: str) -> Channel:
        try:
            return self._by_slug[slug]
        except KeyError:
            known = ", ".join(self._by_slug)
            raise KeyError(f"site {self.name} has no channel {slug!r} (channels: {known})") from None

    def channel_by_label(self, label: str) -> Channel | None:
        """The channel printed as ``label`` ("detikBali", any case), or None."""
        wanted = label.lower()
        return next((channel for channel in self.channels if channel.label.lower() == wanted), None)

    def parse_url(self, url: str) -> PageUrl | None:
        return self.urls.parse(url)

    def published_candidates(self, page: Page, local_zone) -> list:
        return list(self.published_sources(page, local_zone))
