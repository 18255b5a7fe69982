"""newscrawl load: import articles from a JSON lines (or CSV, Parquet) file."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from newscrawl.cli.common import open_from_args
from newscrawl.cli.errors import CliError
from newscrawl.cli.formats import FORMATS, SourceRecord, format_of
from newscrawl.storage import Database, InvalidRecord, normalise_record

# Records per transaction: big enough to be quick, small enough to keep memory flat.
BATCH_SIZE = 500


def run(args: argparse.Namespace) -> int:
    path: Path = args.file
    file_format = args.format or format_of(path) or "jsonl"
    if not path.is_file():
        raise CliError(f"no such file: {path}", exit_code=2)
    database = open_from_args(args)
    counts: Counter[str] = Counter(new=0, changed=0, unchanged=0, invalid=0)
    with database:
        run_id = database.start_run("load", {"file": str(path), "format": file_format})
        outcome = "failed"
        try:
            _load(database, _read(path, file_format), counts, run_id)
            outcome = "finished"
        finally:
            database.finish_run(run_id, dict(counts), outcome)
    print(
        f"loaded {path}: {counts['new']} new, {counts['changed']} changed, "
        f"{counts['unchanged']} unchanged, {counts['invalid']} invalid"
    )
    # Non-zero tells scripts that some records were skipped; the valid ones are stored.
    return 1 if counts["invalid"] else 0


def _read(path: Path, file_format: str) -> Iterator[SourceRecord]:
    """The file's records; a file that cannot be read at all (not UTF-8, not Parquet) ends the load."""
    try:
        yield from FORMATS[file_format].read_records(path)
    except (UnicodeDecodeError, OSError, ValueError) as error:
        raise CliError(f"cannot read {path} as {file_format}: {error}") from error


def _load(database: Database, source: Iterator[SourceRecord], counts: Counter[str], run_id: int) -> None:
    """Validate every record before it is stored: an invalid one is reported and skipped whole."""
    batch: list[dict[str, Any]] = []
    for item in source:
        record, error = item.record, item.error
        if error is None:
            try:
                record = normalise_record(record)
            except InvalidRecord as invalid:
                error = str(invalid)
        if error is not None:
            counts["invalid"] += 1
            print(f"{item.location}: {error}", file=sys.stderr)
            continue
        batch.append(record)
        if len(batch) >= BATCH_SIZE:
            counts.update(database.store_articles(batch, reason="load", run_id=run_id))
            batch = []
    if batch:
        counts.update(database.store_articles(batch, reason="load", run_id=run_id))
