"""File formats for export and load: JSON lines, CSV and Parquet.

Each format has ``open_writer(path)`` returning an object with ``write(record)`` and
``close()``, and ``read_records(path)`` yielding SourceRecord for every record in a file.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from newscrawl.cli.formats import csvfile, jsonl, parquet
from newscrawl.cli.formats.common import SourceRecord

FORMATS: dict[str, ModuleType] = {"jsonl": jsonl, "csv": csvfile, "parquet": parquet}
# File name endings that tell the format of a file to load.
EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}


def format_of(path: Path) -> str | None:
    return EXTENSIONS.get(path.suffix.lower())


__all__ = ["EXTENSIONS", "FORMATS", "SourceRecord", "format_of"]
