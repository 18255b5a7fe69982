"""JSON lines: one article object per line, UTF-8, non-ASCII characters kept as they are."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from newscrawl.cli.formats.common import SourceRecord


class JsonLinesWriter:
    def __init__(self, path: Path) -> None:
        self._file = path.open("w", encoding="utf-8", newline="\n")

    def write(self, record: dict[str, Any]) -> None:
        self._file.write(json.dumps(record, ensure_ascii=False) + "\n")

    def close(self) -> None:
        self._file.close()


def open_writer(path: Path) -> JsonLinesWriter:
    return JsonLinesWriter(path)


def read_records(path: Path) -> Iterator[SourceRecord]:
    """Each line's record; a line that is not UTF-8 or not a JSON object is reported as that line's
    error, and the lines after it are read as usual."""
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            location = f"line {number}"
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                yield SourceRecord(location, error=f"not valid UTF-8: {error.reason} at byte {error.start + 1}")
                continue
            if not line.strip():
                continue
            try:
                record = json.loads(line.rstrip("\r\n"))
            except json.JSONDecodeError as error:
                yield SourceRecord(location, error=f"invalid JSON: {error.msg} (column {error.colno})")
                continue
            except ValueError as error:  # e.g. a number with more digits than Python converts
                yield SourceRecord(location, error=f"invalid JSON: {error}")
                continue
            except RecursionError:
                yield SourceRecord(location, error="invalid JSON: nested too deeply")
                continue
            if not isinstance(record, dict):
                yield SourceRecord(location, error=f"expected a JSON object, got {type(record).__name__}")
                continue
            yield SourceRecord(location, record)
