"""Conversion between article records (the schema's dicts) and table columns."""

from __future__ import annotations

from typing import Any

from newscrawl.storage.models import Article
from newscrawl.storage.records import ARTICLE_FIELDS, TIMESTAMP_FIELDS, fields_hash, to_utc


def iso_column(field: str) -> str:
    return f"{field}_iso"


# Columns to read back a record: timestamps come from their *_iso strings.
RECORD_COLUMNS = tuple(
    getattr(Article, iso_column(name) if name in TIMESTAMP_FIELDS else name) for name in ARTICLE_FIELDS
)


def record_to_columns(record: dict[str, Any]) -> dict[str, Any]:
    """Column values for a normalised record, fields_hash included."""
    columns = dict(record)
    for name in TIMESTAMP_FIELDS:
        columns[iso_column(name)] = record[name]
        columns[name] = to_utc(record[name])
    columns["fields_hash"] = fields_hash(record)
    return columns


def row_to_record(row: Any) -> dict[str, Any]:
    """A record (schema field order) from a row selected with RECORD_COLUMNS."""
    return dict(zip(ARTICLE_FIELDS, row, strict=True))
