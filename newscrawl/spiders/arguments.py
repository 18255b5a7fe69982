"""A site spider's -a arguments, checked before anything is fetched."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from ..archive.reader import warc_files_in
from ..extraction.processors.dates import WIB
from ..sites import Site

KNOWN = ("since", "until", "urls", "url_file", "refresh", "replay")
CHANNELS_ARGUMENT = "channels"  # only the spider of a whole site takes it


class ArgumentError(ValueError):
    """A bad -a argument; its message is the one line shown to the user."""


@dataclass(frozen=True)
class CrawlPlan:
    channels: tuple[str, ...] = ()  # slugs of the channels this run crawls, in the site's order
    days: tuple[date, ...] = ()  # index pages to read, one day each (WIB dates)
    read_rss: bool = False
    article_urls: tuple[str, ...] = ()
    refresh: bool = False
    bounded: bool = False  # since/until given: store only articles published inside the range
    replay: str | None = None  # a WARC file or folder: answer requests from it, fetch nothing
    arguments: dict = field(default_factory=dict)

    @property
    def first_day(self) -> date | None:
        return self.days[0] if self.days else None

    @property
    def last_day(self) -> date | None:
        return self.days[-1] if self.days else None


def _parse_day(name: str, value: str) -> date:
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d").date()
    except ValueError:
        raise ArgumentError(f"{name}={value!r} is not a date in the form YYYY-MM-DD") from None


def _parse_flag(name: str, value: str) -> bool:
    lowered = str(value).strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ArgumentError(f"{name}={value!r} must be 1 or 0")


def _channels(site: Site, value: str) -> tuple[str, ...]:
    asked = [slug.strip() for slug in value.split(",") if slug.strip()]
    if not asked:
        raise ArgumentError(f"{CHANNELS_ARGUMENT}= names no channel; channels: {', '.join(c.slug for c in site.channels)}")
    known = {channel.slug for channel in site.channels}
    unknown = [slug for slug in asked if slug not in known]
    if unknown:
        raise ArgumentError(f"unknown channel {unknown[0]!r}; channels: {', '.join(c.slug for c in site.channels)}")
    return tuple(channel.slug for channel in site.channels if channel.slug in asked)


def _article_urls(site: Site, channels: tuple[str, ...], raw: list[str]) -> tuple[str, ...]:
    checked = []
    for url in (line.strip() for line in raw):
        if not url or url.startswith("#"):
            continue
        parsed = site.parse_url(url)
        if parsed is None or parsed.kind != "article" or parsed.channel.slug not in channels:
            raise ArgumentError(f"{url!r} is not {_what_is_wanted(site, channels)}")
        checked.append(parsed.canonical)
    if not checked:
        raise ArgumentError("no article URL given")
    return tuple(dict.fromkeys(checked))


def _what_is_wanted(site: Site, channels: tuple[str, ...]) -> str:
    if len(channels) == 1:
        channel = site.channel(channels[0])
        return f"a {channel.label} article URL ({channel.root}/<section>/d-<id>/<slug>)"
    return f"an article URL of {site.label} ({', '.join(channels)})"


def _replay_path(value: str) -> str:
    path = Path(value)
    if not path.exists():
        raise ArgumentError(f"replay={value!r} does not exist")
    if path.is_file() and not str(path).lower().endswith((".warc", ".warc.gz")):
        raise ArgumentError(f"replay={value!r} is not a WARC file (*.warc, *.warc.gz)")
    if not warc_files_in(path):
        raise ArgumentError(f"replay={value!r} holds no WARC files (*.warc, *.warc.gz)")
    return str(path)


def plan_crawl(arguments: dict, site: Site, channels: Sequence[str] | None = None,
               today: date | None = None) -> CrawlPlan:
    """Turn the spider's keyword arguments into a crawl plan, or raise ArgumentError.

    ``channels``: the channels a channel spider always crawls; None for the spider of the whole
    site, which crawls every channel unless ``-a channels=a,b`` chooses.
    """
    known = KNOWN if channels is not None else (*KNOWN, CHANNELS_ARGUMENT)
    unknown = sorted(set(arguments) - set(known))
    if unknown:
        raise ArgumentError(f"unknown argument {unknown[0]!r}; known arguments: {', '.join(known)}")
    if channels is None:
        channels = (_channels(site, arguments[CHANNELS_ARGUMENT]) if CHANNELS_ARGUMENT in arguments
                    else tuple(channel.slug for channel in site.channels))
    channels = tuple(channels)
    today = today or datetime.now(WIB).date()
    refresh = _parse_flag("refresh", arguments.get("refresh", "0"))
    replay = _replay_path(arguments["replay"]) if "replay" in arguments else None
    common = {"channels": channels, "refresh": refresh, "replay": replay, "arguments": dict(arguments)}

    if "urls" in arguments or "url_file" in arguments:
        if "since" in arguments or "until" in arguments:
            raise ArgumentError("urls/url_file cannot be combined with since/until")
        raw: list[str] = []
        if "urls" in arguments:
            raw.extend(arguments["urls"].split(","))
        if "url_file" in arguments:
            path = Path(arguments["url_file"])
            try:
                raw.extend(path.read_text(encoding="utf-8").splitlines())
            except OSError as error:
                raise ArgumentError(f"url_file {str(path)!r} cannot be read: {error.strerror}") from None
        return CrawlPlan(article_urls=_article_urls(site, channels, raw), **{**common, "refresh": True})

    if "since" in arguments or "until" in arguments:
        since = _parse_day("since", arguments["since"]) if "since" in arguments else None
        until = _parse_day("until", arguments["until"]) if "until" in arguments else today
        since = since or until
        if since > until:
            raise ArgumentError(f"since={since.isoformat()} is after until={until.isoformat()}")
        if until > today:
            raise ArgumentError(f"until={until.isoformat()} is in the future (today is {today.isoformat()} WIB)")
        days = tuple(since + timedelta(days=offset) for offset in range((until - since).days + 1))
        return CrawlPlan(days=days, bounded=True, **common)

    # The scheduled case: yesterday and today (WIB) plus the RSS feeds for the newest items.
    return CrawlPlan(days=(today - timedelta(days=1), today), read_rss=True, **common)
