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
    with path.open(encoding="utf-8", errors="strict") as lines:
        for number, line in enumerate(lines, start=1):
            location = f"line {number}"
            if not line.strip():
                continue
            try:
                record = json.loads(line.rstrip("\r\n"))
            except json.JSONDecodeError as error:
                yield SourceRecord(location, error=f"invalid JSON: {error.msg} (column {error.colno})")
                continue
            if not isinstance(record, dict):
                yield SourceRecord(location, error=f"expected a JSON object, got {type(record).__name__}")
                continue
            yield SourceRecord(location, record)
