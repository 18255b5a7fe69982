"""One parsed page: its selector, its <head> metadata and its JSON-LD, each read once."""

from __future__ import annotations

import json
import re
from functools import cached_property

from lxml import etree
from parsel import Selector
from parsel.selector import create_root_node

# Compiled once: element.xpath("...") compiles its expression again on every call.
_JSON_LD_IN = etree.XPath('.//script[@type="application/ld+json"]/text()')
_JSON_LD_ANYWHERE = etree.XPath('//script[@type="application/ld+json"]/text()')
_CANONICAL_HREF = etree.XPath('.//link[@rel="canonical"]/@href')


# libxml2 stops parsing at this nesting depth (2048 with huge_tree) and drops the rest of the page.
_DEPTH_LIMIT = re.compile(r"Excessive depth in document: (\d+)")


def parse_html(url: str, html: str | bytes, encoding: str = "utf-8") -> Selector:
    """The page's selector (see parse_page)."""
    return parse_page(url, html, encoding).selector


def parse_page(url: str, html: str | bytes, encoding: str = "utf-8") -> Page:
    """Parse a page with lxml's plain HTML parser.

    The tree is libxml2's, exactly as parsel's default lxml.html parser builds it, but without
    lxml.html's Python element-class lookup, which runs for every element the extraction
    touches (about 7% of the extraction). parsel's create_root_node keeps its handling of NUL
    bytes, empty documents and bytes the encoding cannot decode. A page nested deeper than
    libxml2 allows is read up to that point only, and the Page says so (``cut_short``).
    """
    parsers: list[etree.HTMLParser] = []

    def parser(**options) -> etree.HTMLParser:
        made = etree.HTMLParser(**options)
        parsers.append(made)  # the last one made parsed the tree; its error log says how it went
        return made

    if isinstance(html, str):
        root = create_root_node(html, parser, base_url=url)
    else:
        root = create_root_node("", parser, base_url=url, body=html, encoding=encoding)
    page = Page(url, Selector(root=root, type="html", base_url=url))
    if parsers:
        for error in parsers[-1].error_log.filter_types([etree.ErrorTypes.ERR_RESOURCE_LIMIT]):
            depth = _DEPTH_LIMIT.match(error.message)
            if depth:
                page.cut_short = (f"the page nests elements more than {depth.group(1)} deep: the HTML parser "
                                  "stops there, so the rest of the page is missing")
    return page


class Page:
    def __init__(self, url: str, selector: Selector):
        self.url = url
        self.selector = selector
        # <head> lookups stay inside <head>: a whole-document search costs as much as the rest
        # of the extraction on a large page. Pages without a <head> are searched whole.
        self.root = selector.root
        head = self.root.find("head") if hasattr(self.root, "find") else None
        self._head = head if head is not None else self.root
        self._memo: dict = {}
        self.cut_short: str | None = None  # why the parser did not read the whole page, if it did not

    def memo(self, key: str, compute):
        """Compute a lookup once per page (layouts ask for their anchor element more than once)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    @cached_property
    def meta(self) -> dict[str, str]:
        """name/property/itemprop -> content of every <meta>; the first occurrence wins."""
        values: dict[str, str] = {}
        for element in self._head.iter("meta"):
            content = element.get("content")
            if content is None:
                continue
            for key in ("name", "property", "itemprop"):
                name = element.get(key)
                if name:
                    values.setdefault(name.strip().lower(), content)
        return values

    def meta_value(self, *names: str) -> str | None:
        for name in names:
            value = self.meta.get(name.lower())
            if value and value.strip():
                return value.strip()
        return None

    @cached_property
    def json_ld(self) -> list[dict]:
        """Every JSON-LD object of the page (lists and @graph flattened); broken blocks skipped."""
        objects: list[dict] = []
        scripts = _JSON_LD_IN(self._head)
        if not scripts and self._head is not self.root:
            scripts = _JSON_LD_ANYWHERE(self.root)
        for text in scripts:
            try:
                data = json.loads(text)
            except ValueError:
                continue
            stack = data if isinstance(data, list) else [data]
            for entry in stack:
                if isinstance(entry, dict):
                    objects.append(entry)
                    objects.extend(item for item in entry.get("@graph", []) if isinstance(item, dict))
        return objects

    def json_ld_of_type(self, *types: str) -> dict | None:
        for entry in self.json_ld:
            kind = entry.get("@type")
            kinds = kind if isinstance(kind, list) else [kind]
            if any(k in types for k in kinds):
                return entry
        return None

    @cached_property
    def news_article(self) -> dict:
        return self.json_ld_of_type("NewsArticle", "Article", "ReportageNewsArticle") or {}

    @cached_property
    def canonical(self) -> str | None:
        hrefs = _CANONICAL_HREF(self._head)
        return hrefs[0].strip() if hrefs and hrefs[0].strip() else self.meta_value("og:url")
