"""Article records as plain dicts: the schema's field list, validation and hashing.

The field list is repeated here (and checked against ``newscrawl.items`` by a test)
because the storage layer must not import Scrapy.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

ARTICLE_FIELDS: tuple[str, ...] = (
    "url",
    "publisher",
    "channel",
    "article_id",
    "section",
    "section_path",
    "headline",
    "summary",
    "published_at",
    "published_raw",
    "authors",
    "byline",
    "editor_initials",
    "image_url",
    "photo_caption",
    "photo_credit",
    "dateline",
    "body",
    "images",
    "tags",
    "syndicated_from",
    "page_count",
    "word_count",
    "content_hash",
    "layout",
    "fetched_at",
)

REQUIRED_TEXT_FIELDS = ("url", "publisher", "channel", "headline", "body")
INT_FIELDS = ("article_id", "page_count", "word_count")
STRING_LIST_FIELDS = ("authors", "tags")
LIST_FIELDS = ("authors", "images", "tags")
TIMESTAMP_FIELDS = ("published_at", "fetched_at")
IMAGE_KEYS = ("url", "caption", "credit")
TEXT_FIELDS = tuple(
    name for name in ARTICLE_FIELDS if name not in INT_FIELDS + LIST_FIELDS + TIMESTAMP_FIELDS
)

# fetched_at changes on every crawl; it says nothing about whether the article changed.
HASHED_FIELDS = tuple(name for name in ARTICLE_FIELDS if name != "fetched_at")
# Fields added to the schema after revision 0004 enter the hash only when they hold a value, so the
# hash of every record stored before (where they are null) stays what it was: no rehash of the
# archive, and an unchanged article still compares unchanged.
HASHED_WHEN_SET = frozenset(("syndicated_from",))


# Value ranges the tables hold: article_id is a BIGINT key (and detik's ids are positive), the counts
# are PostgreSQL INTEGERs.
INT_RANGES = {"article_id": (1, 2**63 - 1), "page_count": (0, 2**31 - 1), "word_count": (0, 2**31 - 1)}

# C0 control characters other than tab, line feed and carriage return (the set XML 1.0 refuses too):
# no reader's text holds them, and PostgreSQL refuses NUL in text, which would refuse the record.
_CONTROL_CHARACTERS = tuple(chr(code) for code in (*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20)))
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


class InvalidRecord(ValueError):
    """A record that cannot be stored: the message says which field and why."""


def normalise_record(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Return the record with exactly the schema's fields, checked and cleaned, or raise InvalidRecord.

    The one validation of the schema, shared by the crawl (ValidatePipeline), the store, ``newscrawl
    load`` and ``newscrawl import``: types, value ranges the tables can hold, timestamps with an
    offset that convert to UTC, strings that are valid UTF-8. Control characters are removed from
    every string (tab and newlines kept); when that changes the body, its content_hash and
    word_count follow. Missing optional fields become None; keys outside the schema are ignored.
    """
    if not isinstance(raw, Mapping):
        raise InvalidRecord(f"expected an object, got {type(raw).__name__}")
    record = {name: raw.get(name) for name in ARTICLE_FIELDS}
    for name in REQUIRED_TEXT_FIELDS:
        if not isinstance(record[name], str) or not record[name].strip():
            raise InvalidRecord(f"{name} is missing or empty")
    if record["article_id"] is None:
        raise InvalidRecord("article_id is missing")
    for name in TEXT_FIELDS:
        _check_type(name, record[name], str)
        record[name] = clean_text(name, record[name])
    for name in REQUIRED_TEXT_FIELDS:
        if not record[name].strip():
            raise InvalidRecord(f"{name} is empty once control characters are removed")
    for name in INT_FIELDS:
        # bool is an int subclass, but True is no article id.
        if isinstance(record[name], bool):
            raise InvalidRecord(f"{name} must be an integer, got a boolean")
        _check_type(name, record[name], int)
        _check_range(name, record[name])
    for name in STRING_LIST_FIELDS:
        _check_type(name, record[name], list)
        if record[name] is not None:
            for value in record[name]:
                if not isinstance(value, str):
                    raise InvalidRecord(f"{name} must hold strings, got {type(value).__name__}")
            record[name] = [clean_text(name, value) for value in record[name]]
    record["images"] = _normalise_images(record["images"])
    for name in TIMESTAMP_FIELDS:
        _check_type(name, record[name], str)
        if record[name] is not None:
            parse_timestamp(record[name], name)
    if record["body"] != raw.get("body"):
        _recount_body(record)
    return record


def clean_text(name: str, value: str | None) -> str | None:
    """The string without control characters (tab and newlines kept); InvalidRecord if it is not
    valid UTF-8 text (a lone surrogate, e.g. from JSON "\\ud800", is no character)."""
    if value is None:
        return None
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as error:
            raise InvalidRecord(f"{name} is not valid UTF-8 text: lone surrogate U+{ord(value[error.start]):04X} "
                                f"at character {error.start + 1}") from None
    # isprintable() is true of most fields (no control character, no newline) and costs little; else
    # a scan for each character is several times faster than a regular expression over a long text,
    # and the substitution runs only for the rare string that needs it.
    if not value.isprintable() and any(character in value for character in _CONTROL_CHARACTERS):
        return _CONTROLS.sub("", value)
    return value


def _recount_body(record: dict[str, Any]) -> None:
    """content_hash and word_count describe the body: keep them true once the body was cleaned."""
    body = record["body"]
    if record["content_hash"] is not None:
        record["content_hash"] = hashlib.sha256(body.encode("utf-8")).hexdigest()
    if record["word_count"] is not None:
        record["word_count"] = len(body.split())


def _check_type(name: str, value: Any, expected: type) -> None:
    if value is not None and not isinstance(value, expected):
        raise InvalidRecord(f"{name} must be {expected.__name__} or null, got {type(value).__name__}")


def _check_range(name: str, value: int | None) -> None:
    low, high = INT_RANGES[name]
    if value is not None and not low <= value <= high:
        raise InvalidRecord(f"{name} must be between {low} and {high}, got {value}")


def _normalise_images(images: Any) -> list[dict[str, Any]] | None:
    _check_type("images", images, list)
    if images is None:
        return None
    normalised = []
    for image in images:
        if not isinstance(image, Mapping):
            raise InvalidRecord(f"images must hold objects, got {type(image).__name__}")
        unknown = set(image) - set(IMAGE_KEYS)
        if unknown:
            shown = sorted(key if isinstance(key, str) and key.isprintable() else repr(key) for key in unknown)
            raise InvalidRecord(f"images hold unknown keys: {', '.join(shown)}")
        for key in IMAGE_KEYS:
            _check_type(f"images.{key}", image.get(key), str)
        # One key order for every image, so exports and hashes do not depend on the source's order.
        normalised.append({key: clean_text(f"images.{key}", image.get(key)) for key in IMAGE_KEYS})
    return normalised


def parse_timestamp(text: str, name: str = "timestamp") -> datetime:
    """Parse an ISO 8601 timestamp that carries a UTC offset and has a UTC time (the tables keep one)."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidRecord(f"{name} is not an ISO 8601 timestamp: {text!r}") from None
    if value.utcoffset() is None:
        raise InvalidRecord(f"{name} has no UTC offset: {text!r}")
    try:
        value.astimezone(timezone.utc)
    except OverflowError:
        # e.g. 0001-01-01T00:00:00+05:00: its UTC time would be in year 0.
        raise InvalidRecord(f"{name} is out of range in UTC: {text!r}") from None
    return value


def to_utc(text: str | None) -> datetime | None:
    return None if text is None else parse_timestamp(text).astimezone(timezone.utc)


def fields_hash(record: Mapping[str, Any]) -> str:
    """sha256 over every schema field except fetched_at (and the HASHED_WHEN_SET fields that are
    null), in a canonical JSON form."""
    canonical = json.dumps(
        {name: record.get(name) for name in HASHED_FIELDS
         if name not in HASHED_WHEN_SET or record.get(name) is not None},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
