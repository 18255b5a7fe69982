"""File formats for export and load: JSON lines, CSV and Parquet.

Each format has ``open_writer(path)`` returning an object with ``write(record)`` and
``close()``, and ``read_records(path)`` yielding SourceRecord for every record in a file. A
format's module is imported when it is used (format_module): Parquet's imports pyarrow, which
every other command would otherwise wait for.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

from newscrawl.cli.formats.common import SourceRecord

# Each format's name and the module of newscrawl.cli.formats that reads and writes it.
FORMATS: dict[str, str] = {"jsonl": "jsonl", "csv": "csvfile", "parquet": "parquet"}
# File name endings that tell the format of a file to load.
EXTENSIONS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".parquet": "parquet"}


def format_of(path: Path) -> str | None:
    return EXTENSIONS.get(path.suffix.lower())


def format_module(name: str) -> ModuleType:
    return importlib.import_module(f"{__name__}.{FORMATS[name]}")


__all__ = ["EXTENSIONS", "FORMATS", "SourceRecord", "format_module", "format_of"]
