"""The end-of-run summary, computed from the crawl stats alone (a pure function, tested as such).

Stats keys written by the spider and pipelines:
  newscrawl/pages/<kind>             pages read: index, rss, article
  newscrawl/failed/<kind>/<status>   pages that failed for good (after retries)
  newscrawl/articles/<status>        new, changed, unchanged (as stored)
  newscrawl/dropped/<reason>         items dropped before storage
  newscrawl/non_article/<kind>       fetched pages that were galleries, videos, ...
  newscrawl/skipped/<reason>         links not fetched: gallery, video, other, outside_range, already_stored
  newscrawl/coverage/<field>         items with that field filled; newscrawl/coverage/items = items seen
  newscrawl/warc/write_failed        writing the WARC archive failed (the run is marked failed)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .items import ARTICLE_FIELDS

PREFIX = "newscrawl/"
GONE_ARTICLE_KEYS = ("article/404", "article/410")  # failed/<kind>/<status> keys of removed articles


@dataclass
class Summary:
    pages: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    articles: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    non_article: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    errors_by_status: dict[str, int] = field(default_factory=dict)
    coverage: dict[str, float] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def outcome(self) -> str:
        return "failed" if self.failures else "ok"

    def counts(self) -> dict:
        return {
            "pages": self.pages, "failed": self.failed, "articles": self.articles, "dropped": self.dropped,
            "non_article": self.non_article, "skipped": self.skipped, "errors_by_status": self.errors_by_status,
            "coverage": self.coverage, "failures": self.failures,
        }

    def lines(self) -> list[str]:
        def show(values: dict) -> str:
            return ", ".join(f"{key} {value}" for key, value in sorted(values.items())) or "none"

        coverage = ", ".join(f"{name} {share:.0%}" for name, share in self.coverage.items()) or "no items"
        return [
            f"pages fetched: {show(self.pages)}",
            f"articles: {show(self.articles)}; dropped: {show(self.dropped)}",
            f"non-article pages: {show(self.non_article)}; links not followed: {show(self.skipped)}",
            f"errors by status: {show(self.errors_by_status)}",
            f"field coverage: {coverage}",
            f"outcome: {self.outcome}" + (f" ({'; '.join(self.failures)})" if self.failures else ""),
        ]


def _group(stats: dict, name: str) -> dict[str, int]:
    prefix = f"{PREFIX}{name}/"
    return {key[len(prefix):]: value for key, value in stats.items() if key.startswith(prefix)}


def summarize(stats: dict, expects_index: bool, max_failed_share: float) -> Summary:
    """Summarise a run. ``expects_index``: the run was asked to read index pages."""
    failed = _group(stats, "failed")
    errors: dict[str, int] = {}
    for key, count in failed.items():
        status = key.split("/", 1)[1] if "/" in key else key
        errors[status] = errors.get(status, 0) + count
    summary = Summary(
        pages=_group(stats, "pages"), failed=failed, articles=_group(stats, "articles"),
        dropped=_group(stats, "dropped"), non_article=_group(stats, "non_article"),
        skipped=_group(stats, "skipped"), errors_by_status=errors,
    )
    coverage = _group(stats, "coverage")
    seen = coverage.get("items", 0)
    if seen:
        summary.coverage = {name: coverage.get(name, 0) / seen for name in ARTICLE_FIELDS}

    if expects_index and not summary.pages.get("index"):
        summary.failures.append("no index page could be read")
    # 404/410 say the article is gone (it stays listed in errors_by_status); only pages that could
    # not be fetched count against the share. Else a re-run in which every listed article is
    # already stored fails on the one gone link it asks for again ("1 of 1 article pages failed").
    article_failures = sum(count for key, count in failed.items()
                           if key.startswith("article/") and key not in GONE_ARTICLE_KEYS)
    article_attempts = summary.pages.get("article", 0) + article_failures
    if article_attempts and article_failures / article_attempts > max_failed_share:
        summary.failures.append(
            f"{article_failures} of {article_attempts} article pages failed (limit {max_failed_share:.0%})"
        )
    if stats.get(f"{PREFIX}warc/write_failed"):
        summary.failures.append("writing the WARC archive failed; later responses were not archived")
    if stats.get(f"{PREFIX}store_failed"):
        summary.failures.append("storing to the database failed; the run's JSON lines file has the items")
    return summary
