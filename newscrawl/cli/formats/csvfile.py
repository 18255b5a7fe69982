"""CSV: one row per article, the schema's fields as columns.

Lists (authors, tags, images) are JSON in their cells; null is an empty cell. Every
cell with a newline, comma or quote is quoted, so bodies survive any CSV reader.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from newscrawl.cli.formats.common import SourceRecord
from newscrawl.storage import ARTICLE_FIELDS
from newscrawl.storage.records import INT_FIELDS, LIST_FIELDS

# Article bodies can exceed csv's default 128 KiB cell limit.
csv.field_size_limit(64 * 1024 * 1024)


def _cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name in LIST_FIELDS:
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class CsvWriter:
    def __init__(self, path: Path) -> None:
        self._file = path.open("w", encoding="utf-8", newline="")
        self._writer = csv.writer(self._file, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        self._writer.writerow(ARTICLE_FIELDS)

    def write(self, record: dict[str, Any]) -> None:
        self._writer.writerow([_cell(name, record.get(name)) for name in ARTICLE_FIELDS])

    def close(self) -> None:
        self._file.close()


def open_writer(path: Path) -> CsvWriter:
    return CsvWriter(path)


def _value(name: str, cell: str) -> Any:
    if cell == "":
        return None
    if name in LIST_FIELDS:
        return json.loads(cell)
    if name in INT_FIELDS:
        return int(cell)
    return cell


def read_records(path: Path) -> Iterator[SourceRecord]:
    with path.open(encoding="utf-8", newline="") as file:
        rows = csv.DictReader(file)
        for number, row in enumerate(rows, start=1):
            location = f"row {number} (line {rows.line_num})"
            if None in row:
                yield SourceRecord(location, error="more cells than columns")
                continue
            try:
                record = {name: _value(name, cell) for name, cell in row.items() if cell is not None}
            except json.JSONDecodeError as error:
                yield SourceRecord(location, error=f"invalid JSON in a list cell: {error.msg}")
                continue
            except ValueError as error:
                yield SourceRecord(location, error=f"invalid number: {error}")
                continue
            yield SourceRecord(location, record)
