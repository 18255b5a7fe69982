"""One parsed page: its selector, its <head> metadata and its JSON-LD, each read once."""

from __future__ import annotations

import json
from functools import cached_property

from parsel import Selector



class Page:
    def __init__(self, url: str, selector: Selector):
        self.url = url
        self.selector = selector

    @cached_property
    def meta(self) -> dict[str, str]:
        """name/property/itemprop -> content of every <meta>; the first occurrence wins."""
        values: dict[str, str] = {}
        for element in self.selector.root.iter("meta"):
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
        for text in self.selector.xpath('//script[@type="application/ld+json"]/text()').getall():
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
        href = self.selector.xpath('//link[@rel="canonical"]/@href').get()
        return href.strip() if href else self.meta_value("og:url")
