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
from newscrawl.cli.formats import SourceRecord, format_module, format_of
from newscrawl.sites import parse_url
from newscrawl.storage import Database, DatabaseUnavailable, InvalidRecord, Refusal, Status, normalise_record

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
        try:
            _load(database, _read(path, file_format), counts, run_id)
        except DatabaseUnavailable as error:
            _record_failed_run(database, run_id, counts)
            stored = counts["new"] + counts["changed"] + counts["unchanged"]
            raise CliError(f"{error}; {stored} records of {path} were stored before that: once the database is "
                           "available, load the file again (what is stored already is left as it is)") from error
        except BaseException:
            _record_failed_run(database, run_id, counts)
            raise
        database.finish_run(run_id, dict(counts), "finished")
    print(
        f"loaded {path}: {counts['new']} new, {counts['changed']} changed, "
        f"{counts['unchanged']} unchanged, {counts['invalid']} invalid"
    )
    # Non-zero tells scripts that some records were skipped; the valid ones are stored.
    return 1 if counts["invalid"] else 0


def _read(path: Path, file_format: str) -> Iterator[SourceRecord]:
    """The file's records; a file that cannot be read at all (not UTF-8, not Parquet) ends the load."""
    try:
        yield from format_module(file_format).read_records(path)
    except (UnicodeDecodeError, OSError, ValueError) as error:
        raise CliError(f"cannot read {path} as {file_format}: {error}") from error


def _record_failed_run(database: Database, run_id: int, counts: Counter[str]) -> None:
    try:
        database.finish_run(run_id, dict(counts), "failed")
    except DatabaseUnavailable:
        pass  # the error being raised says it already


def with_site_fields(record: Any) -> Any:
    """A record exported before newscrawl knew publishers and channels (it has neither) with them
    filled in from its URL, as the schema migration filled in the stored rows; anything else as it is."""
    if not isinstance(record, dict) or record.get("publisher") is not None or not isinstance(record.get("url"), str):
        return record
    target = parse_url(record["url"])
    if target.publisher is None or target.channel is None:
        return record  # the schema's validation says what is missing
    section_path = "/".join(target.section_path) or record.get("section")
    return {**record, "publisher": target.publisher, "channel": record.get("channel") or target.channel.slug,
            "section_path": record.get("section_path") or section_path}


def _load(database: Database, source: Iterator[SourceRecord], counts: Counter[str], run_id: int) -> None:
    """Validate every record before it is stored: an invalid one, or one the database refuses, is
    reported with its line and skipped whole; the others are stored."""
    batch: list[tuple[str, dict[str, Any] | None, str | None]] = []  # (location, record, error) in file order
    for item in source:
        record, error = item.record, item.error
        if error is None:
            try:
                record = normalise_record(with_site_fields(record))
            except InvalidRecord as invalid:
                error = str(invalid)
        batch.append((item.location, record, error))
        if len(batch) >= BATCH_SIZE:
            _store(database, batch, counts, run_id)
            batch = []
    _store(database, batch, counts, run_id)


def _store(
    database: Database, batch: list[tuple[str, dict[str, Any] | None, str | None]], counts: Counter[str], run_id: int
) -> None:
    """Store a batch's valid records; report every refused one in the order of the file.

    When the database goes away while the batch is stored record by record (one was refused),
    what was stored and refused before that is counted and reported all the same: store_isolated
    fills ``results`` as it goes."""
    valid = [record for _, record, error in batch if error is None]
    results: list[Status | Refusal | None] = [None] * len(valid)
    try:
        if valid:
            database.store_isolated(valid, reason="load", run_id=run_id, results=results)
    finally:
        stored = iter(results)
        for location, _, error in batch:
            result = next(stored) if error is None else None
            if isinstance(result, Refusal):
                error = result.message
            if error is not None:
                counts["invalid"] += 1
                print(f"{location}: {error}", file=sys.stderr)
            elif result is not None:
                counts[result] += 1
