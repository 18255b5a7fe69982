"""The end-of-run summary and the run-level checks, computed from the crawl stats alone (pure).

Stats keys written by the spider and pipelines:
  newscrawl/pages/<kind>             pages read: index, rss, article
  newscrawl/failed/<kind>/<status>   pages that failed for good (after retries); status spider_<Type>: the
                                     spider raised <Type> on the page
  newscrawl/index/articles/<channel>/<day>   article links listed on a channel's index pages of a day
                                     (YYYY-MM-DD; its main index, not sub-channel indexes)
  newscrawl/index/pages/<channel>/<day>      index pages of that day read (none: the day was not read)
  newscrawl/layout/<name>            items extracted per page layout (2020s, 2017, 2015, read, fallback)
  newscrawl/channel_layout/<channel>/<name>  the same per channel: the layout alarm is per channel
  newscrawl/articles/<status>        new, changed, unchanged (as stored)
  newscrawl/dropped/<reason>         items dropped before storage
  newscrawl/non_article/<kind>       fetched pages that were galleries, videos, ...
  newscrawl/skipped/<reason>         links not fetched: gallery, video, other, outside_range, already_stored, gone,
                                     robots_txt (disallowed by robots.txt: not an error)
  newscrawl/coverage/<field>         items with that field filled; newscrawl/coverage/items = items seen
  newscrawl/warc/write_failed        writing the WARC archive failed (warc/file, warc/error: where, why;
                                     warc/not_archived: responses not archived since)
  newscrawl/feed/write_failed        writing the JSON lines file failed (feed/file, feed/error: where, why;
                                     feed/items, feed/items_not_written: items given to it, and not written)
  feedexport/failed_count/<storage>  Scrapy's: a feed could not be stored
  newscrawl/store_failed             articles fetched and not stored: the database was unavailable

A failed check marks the run failed (exit code 1), with its figures in the log, the stats and
the run's crawl_runs row. The checks are small and exact, so they live here rather than in a
monitoring framework; see the README for why spidermon was not used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field

from .items import ARTICLE_FIELDS

PREFIX = "newscrawl/"
GONE_STATUSES = ("404", "410")  # an article that is gone is reported, not a failed fetch


@dataclass(frozen=True)
class Thresholds:
    """The run checks' limits; their defaults are the NEWSCRAWL_* settings of the same names."""

    max_error_share: float
    min_articles_per_day: int
    min_coverage: float
    coverage_fields: tuple[str, ...]
    max_fallback_share: float
    # A channel's own minimum where it differs from min_articles_per_day (a small channel lists fewer).
    min_articles_per_day_by_channel: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_settings(cls, settings, channels: Sequence = ()) -> "Thresholds":
        """``channels``: the run's channels (sites.Channel); a channel that declares a smaller minimum
        gets it (never more than NEWSCRAWL_MIN_ARTICLES_PER_DAY), NEWSCRAWL_MIN_ARTICLES_PER_DAY_BY_CHANNEL
        overrides both."""
        minimum = settings.getint("NEWSCRAWL_MIN_ARTICLES_PER_DAY")
        by_channel = {channel.slug: min(channel.min_articles_per_day, minimum)
                      for channel in channels if channel.min_articles_per_day is not None}
        by_channel.update({slug: int(value) for slug, value in settings.getdict("NEWSCRAWL_MIN_ARTICLES_PER_DAY_BY_CHANNEL").items()})
        return cls(
            max_error_share=settings.getfloat("NEWSCRAWL_MAX_ERROR_SHARE"),
            min_articles_per_day=minimum,
            min_coverage=settings.getfloat("NEWSCRAWL_MIN_COVERAGE"),
            coverage_fields=tuple(settings.getlist("NEWSCRAWL_COVERAGE_FIELDS")),
            max_fallback_share=settings.getfloat("NEWSCRAWL_MAX_FALLBACK_SHARE"),
            min_articles_per_day_by_channel=by_channel,
        )

    def minimum_for(self, channel: str) -> int:
        return self.min_articles_per_day_by_channel.get(channel, self.min_articles_per_day)


@dataclass
class Check:
    name: str
    ok: bool
    value: float | int | None = None
    limit: float | int | None = None
    message: str = ""


@dataclass
class Summary:
    pages: dict[str, int] = field(default_factory=dict)
    failed: dict[str, int] = field(default_factory=dict)
    articles: dict[str, int] = field(default_factory=dict)
    dropped: dict[str, int] = field(default_factory=dict)
    non_article: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    layouts: dict[str, int] = field(default_factory=dict)
    channels: dict[str, int] = field(default_factory=dict)  # items per channel
    errors_by_status: dict[str, int] = field(default_factory=dict)
    coverage: dict[str, float] = field(default_factory=dict)
    checks: list[Check] = field(default_factory=list)

    @property
    def failures(self) -> list[str]:
        return [check.message for check in self.checks if not check.ok]

    @property
    def outcome(self) -> str:
        return "failed" if self.failures else "ok"

    def counts(self) -> dict:
        return {
            "pages": self.pages, "failed": self.failed, "articles": self.articles, "dropped": self.dropped,
            "non_article": self.non_article, "skipped": self.skipped, "layouts": self.layouts,
            "channels": self.channels,
            "errors_by_status": self.errors_by_status, "coverage": self.coverage,
            "checks": [asdict(check) for check in self.checks], "failures": self.failures,
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
            f"layouts: {show(self.layouts)}",
            f"channels: {show(self.channels)}",
            f"field coverage: {coverage}",
            f"outcome: {self.outcome}" + (f" ({' | '.join(self.failures)})" if self.failures else ""),
        ]


def _group(stats: dict, name: str) -> dict[str, int]:
    prefix = f"{PREFIX}{name}/"
    return {key[len(prefix):]: value for key, value in stats.items() if key.startswith(prefix)}


def summarize(
    stats: dict, thresholds: Thresholds, expects_index: bool = False,
    full_days: Sequence[str] = (), run_id: int | None = None, channels: Sequence[str] = (),
) -> Summary:
    """Summarise a run and run its checks.

    ``expects_index``: the run was asked to read index pages. ``full_days``: the days (YYYY-MM-DD)
    of the run that are over, whose index must have been read and list at least each channel's
    minimum of articles. ``run_id``: the run's crawl_runs row, named in advice. ``channels``: the
    run's channels (slugs), whose days and layouts are judged one by one.
    """
    failed = _group(stats, "failed")
    errors: dict[str, int] = {}
    for key, count in failed.items():
        status = key.split("/", 1)[1] if "/" in key else key
        errors[status] = errors.get(status, 0) + count
    summary = Summary(
        pages=_group(stats, "pages"), failed=failed, articles=_group(stats, "articles"),
        dropped=_group(stats, "dropped"), non_article=_group(stats, "non_article"),
        skipped=_group(stats, "skipped"), layouts=_group(stats, "layout"), errors_by_status=errors,
    )
    for key, count in _group(stats, "channel_layout").items():
        channel = key.split("/", 1)[0]
        summary.channels[channel] = summary.channels.get(channel, 0) + count
    coverage = _group(stats, "coverage")
    items = coverage.get("items", 0)
    if items:
        summary.coverage = {name: coverage.get(name, 0) / items for name in ARTICLE_FIELDS}
    checks = summary.checks

    if expects_index:
        read = summary.pages.get("index", 0)
        checks.append(Check("index_read", read > 0, read, 1, "no index page could be read"))

    failures = sum(count for key, count in failed.items()
                   if not (key.startswith("article/") and key.split("/", 1)[1] in GONE_STATUSES))
    attempts = sum(summary.pages.values()) + failures
    if attempts:
        share = failures / attempts
        checks.append(Check("error_share", share <= thresholds.max_error_share, round(share, 4),
                            thresholds.max_error_share,
                            f"{failures} of {attempts} pages failed (limit {thresholds.max_error_share:.0%})"))

    if full_days and channels:
        checks.append(_days_check(stats, full_days, channels, thresholds))

    if items:
        for name in thresholds.coverage_fields:
            share = summary.coverage.get(name, 0.0)
            checks.append(Check(f"coverage_{name}", share >= thresholds.min_coverage, round(share, 4),
                                thresholds.min_coverage,
                                f"{name} filled in {share:.0%} of items (minimum {thresholds.min_coverage:.0%})"))
        checks.extend(_layout_alarms(stats, summary.layouts, channels, thresholds.max_fallback_share))

    checks.extend(_output_checks(stats, run_id))
    return summary


def _days_check(stats: dict, full_days: Sequence[str], channels: Sequence[str], thresholds: Thresholds) -> Check:
    """Every finished day's index of every channel was read and listed at least the channel's minimum
    of articles. A day none of whose index pages was read (the run was interrupted, its index
    failed) is "not read", not 0. With one channel the days are named alone, else with their channel."""
    listed, pages = _group(stats, "index/articles"), _group(stats, "index/pages")
    several = len(channels) > 1
    bad: list[str] = []
    unread = short = 0
    for channel in channels:
        minimum = thresholds.minimum_for(channel)
        for day in full_days:
            key = f"{channel}/{day}"
            name = f"{channel} {day}" if several else day
            if not pages.get(key) and key not in listed:
                unread += 1
                bad.append(f"{name}: not read")
            elif listed.get(key, 0) < minimum:
                short += 1
                bad.append(f"{name}: {listed.get(key, 0)}" + (f" of {minimum}" if several else ""))
    shown = ", ".join(bad[:5]) + (", ..." if len(bad) > 5 else "")
    few = ("listed fewer than their channel's minimum of articles" if several
           else f"listed fewer than {thresholds.min_articles_per_day} articles")
    what = few if not unread else "were not read" if not short else f"were not read or {few}"
    days = f"{len(full_days) * len(channels)} finished channel days" if several else f"{len(full_days)} finished days"
    return Check("articles_per_day", not bad, len(bad), thresholds.min_articles_per_day,
                 f"{len(bad)} of {days} {what} ({shown})")


def _layout_alarms(stats: dict, layouts: Mapping[str, int], channels: Sequence[str], limit: float) -> list[Check]:
    """The layout-change alarm: too many items read by the metadata fallback means the known layouts
    no longer match what the site serves. Judged per channel when the run has several, and naming it."""
    if len(channels) <= 1:
        extracted = sum(layouts.values())
        if not extracted:
            return []
        share = layouts.get("fallback", 0) / extracted
        return [Check("fallback_share", share <= limit, round(share, 4), limit,
                      f"{share:.0%} of items needed the metadata fallback (limit {limit:.0%}): has the site's layout "
                      "changed?")]
    per_channel = _group(stats, "channel_layout")
    checks = []
    for channel in channels:
        counts = {key.split("/", 1)[1]: count for key, count in per_channel.items() if key.startswith(f"{channel}/")}
        extracted = sum(counts.values())
        if not extracted:
            continue
        share = counts.get("fallback", 0) / extracted
        checks.append(Check(f"fallback_share_{channel}", share <= limit, round(share, 4), limit,
                            f"channel {channel}: {share:.0%} of its items needed the metadata fallback (limit "
                            f"{limit:.0%}): has the layout of channel {channel} changed?"))
    return checks


def _output_checks(stats: dict, run_id: int | None) -> list[Check]:
    """The run's own files and database writes: the WARC archive, the JSON lines file, the store."""
    checks = []
    store_failed = bool(stats.get(f"{PREFIX}store_failed"))  # a count of articles
    feed = _group(stats, "feed")
    feed_failed = bool(feed.get("write_failed")) or any(
        count for key, count in stats.items() if key.startswith("feedexport/failed_count/"))
    if stats.get(f"{PREFIX}warc/write_failed"):
        warc = _group(stats, "warc")
        if warc.get("file"):
            message = (f"writing the WARC file {warc['file']} failed ({warc.get('error', 'error')}): "
                       f"{warc.get('not_archived', 0)} responses were not archived")
        else:
            message = "writing the WARC archive failed; later responses were not archived"
        checks.append(Check("warc_written", False, warc.get("not_archived"), message=message))
    if feed_failed:
        checks.append(_feed_check(feed, store_failed, run_id))
    not_stored = stats.get(f"{PREFIX}store_failed")
    if not_stored:
        checks.append(Check("stored", False, not_stored, 0,
                            f"{not_stored} fetched article{'s' if not_stored != 1 else ''} not stored: the database was unavailable "
                            "(the log says how to store them)"))
    return checks


def _feed_check(feed: dict, store_failed: bool, run_id: int | None) -> Check:
    if "file" not in feed:  # another storage's failure, counted by Scrapy only
        return Check("exported", False, message="the feed export failed to store the run's items (see the log)")
    not_written, items = feed.get("items_not_written", 0), feed.get("items", 0)
    lacks = f"the JSON lines file {feed['file']} lacks {not_written} of the run's {items} items ({feed.get('error', 'error')})"
    if store_failed:
        return Check("exported", False, not_written, message=f"{lacks}; storing to the database failed too")
    run = f" --run {run_id}" if run_id is not None else ""
    return Check("exported", False, not_written,
                 message=f"{lacks}; the database has the run's articles: newscrawl export --format jsonl{run} "
                         f"-o <file> writes them")
