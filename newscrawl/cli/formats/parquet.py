"""Parquet: typed columns, written one row group at a time while streaming.

published_at and fetched_at are UTC timestamps; since a Parquet column has a single
time zone, published_at_offset_minutes keeps each article's own offset (WIB = 420),
so published_at reads back as the ISO string with its original offset.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from newscrawl.cli.formats.common import SourceRecord
from newscrawl.storage import ARTICLE_FIELDS

ROW_GROUP_SIZE = 1000
OFFSET_COLUMN = "published_at_offset_minutes"

_TIMESTAMP = pa.timestamp("us", tz="UTC")
_TYPES = {
    "article_id": pa.int64(),
    "published_at": _TIMESTAMP,
    "fetched_at": _TIMESTAMP,
    "authors": pa.list_(pa.string()),
    "tags": pa.list_(pa.string()),
    "images": pa.list_(
        pa.struct([("url", pa.string()), ("caption", pa.string()), ("credit", pa.string())])
    ),
    "page_count": pa.int32(),
    "word_count": pa.int32(),
}


def _schema() -> pa.Schema:
    fields = []
    for name in ARTICLE_FIELDS:
        fields.append(pa.field(name, _TYPES.get(name, pa.string()), nullable=name not in ("url", "article_id")))
        if name == "published_at":
            fields.append(pa.field(OFFSET_COLUMN, pa.int16()))
    return pa.schema(fields)


SCHEMA = _schema()


def _utc(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text).astimezone(timezone.utc)


def _to_row(record: dict[str, Any]) -> dict[str, Any]:
    row = {name: record.get(name) for name in ARTICLE_FIELDS}
    published = record.get("published_at")
    offset = datetime.fromisoformat(published).utcoffset() if published else None
    row[OFFSET_COLUMN] = None if offset is None else int(offset.total_seconds() // 60)
    row["published_at"] = _utc(published)
    row["fetched_at"] = _utc(record.get("fetched_at"))
    return row


class ParquetWriter:
    def __init__(self, path: Path) -> None:
        self._writer = pq.ParquetWriter(path, SCHEMA, compression="zstd")
        self._rows: list[dict[str, Any]] = []

    def write(self, record: dict[str, Any]) -> None:
        self._rows.append(_to_row(record))
        if len(self._rows) >= ROW_GROUP_SIZE:
            self._flush()

    def _flush(self) -> None:
        if self._rows:
            self._writer.write_table(pa.Table.from_pylist(self._rows, schema=SCHEMA))
            self._rows = []

    def close(self) -> None:
        self._flush()
        self._writer.close()


def open_writer(path: Path) -> ParquetWriter:
    return ParquetWriter(path)


def _from_row(row: dict[str, Any]) -> dict[str, Any]:
    record = {name: row.get(name) for name in ARTICLE_FIELDS}
    offset = row.get(OFFSET_COLUMN)
    if record["published_at"] is not None:
        zone = timezone(timedelta(minutes=offset or 0))
        record["published_at"] = record["published_at"].astimezone(zone).isoformat()
    if record["fetched_at"] is not None:
        record["fetched_at"] = record["fetched_at"].astimezone(timezone.utc).isoformat()
    return record


def read_records(path: Path) -> Iterator[SourceRecord]:
    number = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=ROW_GROUP_SIZE):
        for row in batch.to_pylist():
            number += 1
            yield SourceRecord(f"row {number}", _from_row(row))
