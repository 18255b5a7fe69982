"""Publication dates as detik prints and encodes them.

detik's formats are few and exact, so a small parser beats a general date guesser:
  visible    "Senin, 17 Des 2018 20:26 WIB", "Kamis, 05/11/2015 10:08 WIB"
  publishdate "2022/12/10 07:16:35"              local time, no zone
  unix ms    "1670631395000"                    true UTC, milliseconds
  pubdate    "2022-12-10T07-16-35Z", "2015-11-05 T10:08:58Z"   local time: the Z is false
  JSON-LD    "2022-12-10T07:16:35+07:00"        correct ISO 8601
Every parser returns None for input it cannot read; none raises.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

WIB = timezone(timedelta(hours=7), "WIB")
ZONES = {
    "WIB": WIB,
    "WITA": timezone(timedelta(hours=8), "WITA"),
    "WIT": timezone(timedelta(hours=9), "WIT"),
}

MONTHS = {
    # Indonesian abbreviations as detik prints them, full names, and the English
    # spellings of the months whose Indonesian names differ.
    "jan": 1, "januari": 1, "january": 1,
    "feb": 2, "februari": 2, "pebruari": 2, "february": 2,
    "mar": 3, "maret": 3, "march": 3,
    "apr": 4, "april": 4,
    "mei": 5, "may": 5,
    "jun": 6, "juni": 6, "june": 6,
    "jul": 7, "juli": 7, "july": 7,
    "agu": 8, "agt": 8, "ags": 8, "agus": 8, "agustus": 8, "aug": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9,
    "okt": 10, "oktober": 10, "oct": 10, "october": 10,
    "nov": 11, "nopember": 11, "november": 11,
    "des": 12, "desember": 12, "dec": 12, "december": 12,
}

_ZONE = r"(?P<zone>WITA|WIB|WIT)\b"
_TIME = r"(?P<hour>\d{1,2})[:.](?P<minute>\d{2})"
_NAMED = re.compile(
    r"(?P<day>\d{1,2})\s+(?P<month>[A-Za-z]{3,9})\.?\s+(?P<year>\d{4}),?\s+" + _TIME + r"\s*" + _ZONE,
    re.IGNORECASE,
)
_NUMERIC = re.compile(
    r"(?P<day>\d{1,2})/(?P<month>\d{1,2})/(?P<year>\d{4}),?\s+" + _TIME + r"\s*" + _ZONE,
    re.IGNORECASE,
)
_PUBLISHDATE = re.compile(r"^\s*(\d{4})[/-](\d{2})[/-](\d{2})[ T]+(\d{2}):(\d{2})(?::(\d{2}))?\s*$")
_FAKE_Z = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})\s*T\s*(\d{2})[-:](\d{2})[-:](\d{2})Z\s*$")


def _build(year, month, day, hour, minute, second=0, tz=WIB) -> datetime | None:
    try:
        return datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), tzinfo=tz)
    except (TypeError, ValueError):
        return None


def parse_display_date(text: str | None) -> datetime | None:
    """Parse a visible detik date; the zone word is required, day and month may be 1 or 2 digits."""
    if not text:
        return None
    for pattern in (_NAMED, _NUMERIC):
        match = pattern.search(text)
        if not match:
            continue
        month = match["month"]
        month_number = int(month) if month.isdigit() else MONTHS.get(month.lower())
        if month_number is None:
            return None
        zone = ZONES[match["zone"].upper()]
        return _build(match["year"], month_number, match["day"], match["hour"], match["minute"], 0, zone)
    return None


def parse_local_datetime(text: str | None, tz=WIB) -> datetime | None:
    """Parse the zone-less ``publishdate`` form ("2022/12/10 07:16:35") as local time in ``tz``."""
    match = _PUBLISHDATE.match(text or "")
    return _build(*match.groups(default="0"), tz=tz) if match else None


def parse_fake_utc(text: str | None, tz=WIB) -> datetime | None:
    """Parse detik's ``pubdate`` ("2022-12-10T07-16-35Z"): local time in ``tz`` despite the Z."""
    match = _FAKE_Z.match(text or "")
    return _build(*match.groups(), tz=tz) if match else None


def parse_unix_millis(text: str | int | None) -> datetime | None:
    """Parse ``dtk:publishdateunix`` (epoch milliseconds, true UTC)."""
    try:
        millis = int(str(text).strip())
    except (TypeError, ValueError):
        return None
    if millis <= 0:
        return None
    try:
        return datetime.fromtimestamp(millis / 1000, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def parse_iso(text: str | None) -> datetime | None:
    """Parse a real ISO 8601 timestamp with an offset (JSON-LD); naive values are refused."""
    if not text or not isinstance(text, str):
        return None
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo is not None else None


def resolve_published(
    display: datetime | None, machine_candidates: list[datetime | None]
) -> datetime | None:
    """Choose the publication time.

    The visible date is authoritative for the minute and the offset; metadata only adds
    seconds, and only when it agrees with the visible date to the minute (so a trap such as
    a false "Z" read as UTC can never shift the time). Without a visible date the first
    metadata value that parsed is used, expressed in WIB, detik's home zone.
    """
    candidates = [value for value in machine_candidates if value is not None]
    if display is not None:
        for candidate in candidates:
            local = candidate.astimezone(display.tzinfo)
            if local.replace(second=0, microsecond=0) == display:
                return local.replace(microsecond=0)
        return display
    if candidates:
        return candidates[0].astimezone(WIB).replace(microsecond=0)
    return None


def isoformat(value: datetime | None) -> str | None:
    """ISO 8601 with a numeric offset, to the second (``2018-12-17T20:26:00+07:00``)."""
    return value.isoformat(timespec="seconds") if value is not None else None
