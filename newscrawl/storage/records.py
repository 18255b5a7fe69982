"""Article records as plain dicts: the schema's field list, validation and hashing.

The field list is repeated here (and checked against ``newscrawl.items`` by a test)
because the storage layer must not import Scrapy.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

ARTICLE_FIELDS: tuple[str, ...] = (
    "url",
    "article_id",
    "section",
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
    "page_count",
    "word_count",
    "content_hash",
    "layout",
    "fetched_at",
)

REQUIRED_TEXT_FIELDS = ("url", "headline", "body")
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


class InvalidRecord(ValueError):
    """A record that cannot be stored: the message says which field and why."""


def normalise_record(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Return the record with exactly the schema's fields, or raise InvalidRecord.

    Missing optional fields become None; keys outside the schema are ignored.
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
    for name in INT_FIELDS:
        # bool is an int subclass, but True is no article id.
        if isinstance(record[name], bool):
            raise InvalidRecord(f"{name} must be an integer, got a boolean")
        _check_type(name, record[name], int)
    for name in STRING_LIST_FIELDS:
        _check_type(name, record[name], list)
        for value in record[name] or ():
            if not isinstance(value, str):
                raise InvalidRecord(f"{name} must hold strings, got {type(value).__name__}")
    record["images"] = _normalise_images(record["images"])
    for name in TIMESTAMP_FIELDS:
        _check_type(name, record[name], str)
        if record[name] is not None:
            parse_timestamp(record[name], name)
    return record


def _check_type(name: str, value: Any, expected: type) -> None:
    if value is not None and not isinstance(value, expected):
        raise InvalidRecord(f"{name} must be {expected.__name__} or null, got {type(value).__name__}")


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
            raise InvalidRecord(f"images hold unknown keys: {', '.join(sorted(unknown))}")
        for key in IMAGE_KEYS:
            _check_type(f"images.{key}", image.get(key), str)
        # One key order for every image, so exports and hashes do not depend on the source's order.
        normalised.append({key: image.get(key) for key in IMAGE_KEYS})
    return normalised


def parse_timestamp(text: str, name: str = "timestamp") -> datetime:
    """Parse an ISO 8601 timestamp that carries a UTC offset."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidRecord(f"{name} is not an ISO 8601 timestamp: {text!r}") from None
    if value.utcoffset() is None:
        raise InvalidRecord(f"{name} has no UTC offset: {text!r}")
    return value


def to_utc(text: str | None) -> datetime | None:
    return None if text is None else parse_timestamp(text).astimezone(timezone.utc)


def fields_hash(record: Mapping[str, Any]) -> str:
    """sha256 over every schema field except fetched_at, in a canonical JSON form."""
    canonical = json.dumps(
        {name: record.get(name) for name in HASHED_FIELDS},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
