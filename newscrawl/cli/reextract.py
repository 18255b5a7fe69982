"""newscrawl reextract: run today's extraction over the archived responses of the stored articles.

For each current article version that has an archived response (article_revisions.warc_file and
warc_offset), the response is read back, decoded and extracted again; where any field differs,
a new revision with reason ``reextract`` is stored (fetched_at is the capture's WARC-Date, so the
version's fetch time does not change). Articles are read in pages by id, so memory stays flat.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from newscrawl.cli.common import open_from_args
from newscrawl.cli.parallel import WorkerFunction, ordered_map
from newscrawl.cli.progress import progress
from newscrawl.near_duplicates import Signed
from newscrawl.storage import Database, DatabaseUnavailable, Refusal, Status

BATCH_SIZE = 200
REEXTRACT_MODULE = "newscrawl.cli.reextract_worker"  # not imported here: see newscrawl.cli.reextract_worker


def run(args: argparse.Namespace) -> int:
    exports_dir = Path(args.exports_dir)
    filters = {"since": args.since, "until": args.until, "article_id": args.article_id, "channel": args.channel}
    counts: Counter[str] = Counter(articles=0, changed=0, unchanged=0, no_capture=0, failed=0)
    fields: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    with open_from_args(args) as database:
        arguments = {key: str(value) for key, value in filters.items() if value is not None}
        run_id = None if args.dry_run else database.start_run("reextract", arguments)
        writer = _Writer(database, run_id)
        outcome = "failed"

        def count_refused() -> None:
            # A changed version the database refused is a failed article, and its changes are not made.
            nonlocal fields
            for record, changed, refusal in writer.take_refused():
                counts["changed"] -= 1
                counts["failed"] += 1
                failures[refusal.reason] += 1
                fields -= Counter(changed)
                print(f"article {record['article_id']}: not stored: {refusal.reason}: {refusal.message}",
                      file=sys.stderr)

        try:
            rows = progress(database.iter_current_captures(**filters),
                            lambda: database.count_current_captures(**filters), "article")
            reextract_one = WorkerFunction(REEXTRACT_MODULE, "reextract_one", (("exports_dir", exports_dir),))
            for outcome_of in ordered_map(reextract_one, rows, args.jobs):
                counts["articles"] += 1
                counts[outcome_of.outcome] += 1
                if outcome_of.outcome == "failed":
                    failures[outcome_of.reason] += 1
                    print(outcome_of.message, file=sys.stderr)
                elif outcome_of.outcome == "changed":
                    fields.update(outcome_of.changed)
                    if not args.dry_run:
                        writer.add(outcome_of.record, outcome_of.capture, outcome_of.signed, outcome_of.changed)
                        count_refused()
            writer.flush()
            outcome = "finished"
        except (KeyboardInterrupt, DatabaseUnavailable) as error:
            if not args.dry_run:
                when = "once the database is available" if isinstance(error, DatabaseUnavailable) else "to finish"
                print(f"reextract stopped; new revisions stored: {writer.stored}. Run it again {when} (what it "
                      "stored compares unchanged now)", file=sys.stderr)
            raise
        finally:
            count_refused()  # the last batch's, and those of a batch an error cut short
            if run_id is not None:
                # "changed" counts what the extraction found; "stored" what reached the database.
                _record_run(database, run_id, {**counts, "stored": writer.stored, "fields": dict(fields),
                                               "failures": dict(failures)}, outcome)
    print(_summary(counts, fields, failures, args.dry_run))
    return 1 if counts["failed"] else 0


def _record_run(database: Database, run_id: int, counts: dict[str, Any], outcome: str) -> None:
    try:
        database.finish_run(run_id, counts, outcome)
    except DatabaseUnavailable:
        if outcome == "finished":
            raise
        # A failed run's error is being raised already: the run stays "running" until a later
        # command finds its process gone and marks it interrupted.


class _Writer:
    """Stores changed versions in batches, one transaction each. A version the schema or the
    database refuses costs only itself (store_isolated); ``take_refused`` hands those back."""

    def __init__(self, database: Database, run_id: int | None) -> None:
        self.database = database
        self.run_id = run_id
        self.records: list[dict[str, Any]] = []
        self.captures: dict[tuple[str, int], tuple[str, int]] = {}
        self.signatures: dict[tuple[str, int], Signed] = {}
        self.changes: list[list[str]] = []  # each record's changed fields
        self.stored = 0  # changed versions stored, batch by batch
        self.refused: list[tuple[dict[str, Any], list[str], Refusal]] = []

    def add(self, record: dict[str, Any], capture: tuple[str, int], signature: Signed | None = None,
            changed: list[str] = ()) -> None:
        self.records.append(record)
        self.changes.append(list(changed))
        key = (record["publisher"], record["article_id"])
        self.captures[key] = capture
        if signature is not None:
            self.signatures[key] = signature
        if len(self.records) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        if self.records:
            results: list[Status | Refusal | None] = [None] * len(self.records)
            try:
                self.database.store_isolated(self.records, reason="reextract", run_id=self.run_id,
                                             captures=self.captures, results=results, signatures=self.signatures)
            finally:  # an outage part-way through: what was stored before it is counted
                for record, changed, result in zip(self.records, self.changes, results):
                    if isinstance(result, Refusal):
                        self.refused.append((record, changed, result))
                    elif result is not None:
                        self.stored += 1
        self.records, self.changes, self.captures, self.signatures = [], [], {}, {}

    def take_refused(self) -> list[tuple[dict[str, Any], list[str], Refusal]]:
        refused, self.refused = self.refused, []
        return refused


def _summary(counts: Counter[str], fields: Counter[str], failures: Counter[str], dry_run: bool) -> str:
    verb = "would store" if dry_run else "stored"
    lines = [
        f"re-extracted {counts['articles'] - counts['no_capture'] - counts['failed']} of {counts['articles']} articles: "
        f"{counts['changed']} changed ({verb} as new revisions), {counts['unchanged']} unchanged, "
        f"{counts['no_capture']} without an archived response, {counts['failed']} failed"
    ]
    if fields:
        lines.append("changed fields: " + ", ".join(f"{name} {count}" for name, count in sorted(fields.items())))
    if failures:
        lines.append("failed: " + ", ".join(f"{reason} {count}" for reason, count in sorted(failures.items())))
    if dry_run:
        lines.append("dry run: nothing was stored")
    return "\n".join(lines)
