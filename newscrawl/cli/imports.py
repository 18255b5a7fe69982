"""newscrawl import: store the articles found in WARC files and folders of saved pages.

Pages go through the same extraction as a crawl and are stored like a crawl's items (dedupe and
revisions by store_articles, reason ``import``, a crawl_runs row of kind ``import``), so importing
the same input again adds nothing. A response that is not an article of a site newscrawl knows (any
of its channels) is counted as
skipped; broken input (not a WARC, a truncated file, a record that is not HTML, a page that is not
an article, an extraction without headline or body, a record the schema or the database refuses) is
counted by reason and reported on stderr, and never stops the rest nor writes part of an article.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from newscrawl.cli.common import open_from_args
from newscrawl.cli.errors import CliError
from newscrawl.cli.parallel import WorkerFunction, ordered_map
from newscrawl.cli.progress import progress
from newscrawl.cli.results import Extracted
from newscrawl.cli.shared_bodies import ParkedPage, ring_for
from newscrawl.cli.sources import Page, Passed, read_inputs
from newscrawl.near_duplicates import Signed, signed
from newscrawl.storage import Database, DatabaseUnavailable, Refusal, Status

BATCH_SIZE = 100
EXTRACT_PAGE_MODULE = "newscrawl.cli.import_worker"  # not imported here: see newscrawl.cli.import_worker


def report(where: str, reason: str, message: str) -> None:
    """One line on stderr for a page of the input that was not stored: bad input, or refused."""
    print(f"{where}: {reason}: {message}", file=sys.stderr)


class Tally:
    """What the run did. ``stored`` and ``refused`` are counted by the store's thread, as each batch
    is committed, the rest by the caller's: a Ctrl-C (raised on the caller's thread only) can then
    not come between a batch's commit and its count."""

    def __init__(self) -> None:
        self.stored: Counter[str] = Counter(new=0, changed=0, unchanged=0)
        self.skipped: Counter[str] = Counter()
        self.bad: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()  # records of the input the database would not take

    def passed(self, where: str, reason: str, message: str, skipped: bool) -> None:
        if skipped:
            self.skipped[reason] += 1
        else:
            self.bad[reason] += 1
            report(where, reason, message)

    def all_bad(self) -> Counter[str]:
        return self.bad + self.refused

    def counts(self) -> dict[str, Any]:
        return {**self.stored, "skipped": dict(self.skipped), "bad": dict(self.all_bad())}


def run(args: argparse.Namespace) -> int:
    paths = [Path(path) for path in args.paths]
    for path in paths:
        if not path.exists():
            raise CliError(f"no such file or folder: {path}", exit_code=2)
    exports_dir = Path(args.exports_dir)
    tally = Tally()
    with open_from_args(args) as database:
        run_id = database.start_run("import", {"paths": [str(path) for path in paths]})
        batch = _Batch(database, run_id, tally)
        pages: Iterable[Page | Passed | ParkedPage] = progress(read_inputs(paths, exports_dir), lambda: None, "page")
        ring = ring_for(args.jobs) if args.jobs > 1 else None
        if ring is not None:
            pages = ring.park_all(pages)
        results = None
        try:
            # Workers sign what they extract; in one process the store's thread signs (_Batch).
            extract = WorkerFunction(EXTRACT_PAGE_MODULE, "extract_page", () if args.jobs > 1 else (("sign", False),))
            results = ordered_map(extract, pages, args.jobs)
            for result in results:
                if ring is not None:
                    ring.release_oldest()
                if isinstance(result, Passed):
                    tally.passed(result.where, result.reason, result.message, result.skipped)
                else:
                    batch.add(result)
            batch.flush()
            batch.wait()
        except DatabaseUnavailable as error:
            batch.close()
            _record_failed_run(database, run_id, tally)
            raise CliError(f"{error}; {sum(tally.stored.values())} articles were stored before that: once the "
                           "database is available, import the same input again (what is stored already is "
                           "left as it is)") from error
        except BaseException as error:
            batch.close()
            _record_failed_run(database, run_id, tally)
            if isinstance(error, KeyboardInterrupt):
                print(f"import stopped; articles stored: {sum(tally.stored.values())}. Import the same input again "
                      "to store the rest (what is stored already is left as it is)", file=sys.stderr)
            raise
        finally:
            if results is not None:
                results.close()  # the workers are stopped and waited for ...
            if ring is not None:
                ring.close()  # ... before the memory they read from goes
        batch.close()
        database.finish_run(run_id, tally.counts(), "finished")
    print(_summary(tally))
    return 1 if tally.all_bad() else 0


def _record_failed_run(database: Database, run_id: int, tally: Tally) -> None:
    try:
        database.finish_run(run_id, tally.counts(), "failed")
    except DatabaseUnavailable:
        pass  # the error being raised says it already


class _Batch:
    """Articles stored BATCH_SIZE at a time; an article seen twice goes into separate batches so
    each version keeps its own capture.

    A batch is signed (its articles that came without a signature) and stored on a thread of its
    own while the next one is extracted: numpy, SQLite and the database drivers let go of the GIL
    while they compute, execute and commit, so that time overlaps the extraction instead of adding
    to it (one process imported at 0.75 of its floor storing on the caller's thread, 0.86 this way).
    One batch at most is being stored, and batches are stored in input order. The store's thread
    counts a batch as it commits it (see ``Tally``); the caller's thread reports its refusals when
    the next batch is handed over (``wait``), where a DatabaseUnavailable of the store is raised too.
    """

    def __init__(self, database: Database, run_id: int, tally: Tally) -> None:
        self.database, self.run_id, self.tally = database, run_id, tally
        self.records: list[dict[str, Any]] = []
        self.wheres: list[str] = []  # where each record came from, for messages
        self.captures: dict[tuple[str, int], tuple[str, int]] = {}
        self.signatures: dict[tuple[str, int], Signed] = {}
        self.keys: set[tuple[str, int]] = set()  # (publisher, article_id) of the records
        self.writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-store")
        self.storing: Future[list[tuple[str, Refusal]]] | None = None

    def add(self, extracted: Extracted) -> None:
        record = extracted.record
        key = (record["publisher"], record["article_id"])
        if key in self.keys:
            self.flush()
        self.records.append(record)
        self.keys.add(key)
        self.wheres.append(extracted.where)
        if extracted.capture is not None:
            self.captures[key] = extracted.capture
        if extracted.signed is not None:
            self.signatures[key] = extracted.signed
        if len(self.records) >= BATCH_SIZE:
            self.flush()

    def flush(self) -> None:
        """Hand the batch over to be stored, once the one before it is stored."""
        records, wheres, captures, signatures = self.records, self.wheres, self.captures, self.signatures
        self.records, self.wheres, self.captures, self.signatures, self.keys = [], [], {}, {}, set()
        self.wait()
        if not records:
            return
        # A record refused (its URL stored under another article id, a value the database will not
        # take) costs only itself: it is reported, the others are stored.
        self.storing = self.writer.submit(self._sign_store_and_count, records, wheres, captures, signatures)

    def _sign_store_and_count(self, records: list[dict[str, Any]], wheres: list[str],
                              captures: dict[tuple[str, int], tuple[str, int]],
                              signatures: dict[tuple[str, int], Signed]) -> list[tuple[str, Refusal]]:
        # The store would sign what comes unsigned too, but inside its write transaction (holding
        # SQLite's lock from other writers): signed here, before it begins.
        for record in records:
            key = (record["publisher"], record["article_id"])
            if key not in signatures:
                signatures[key] = signed(record["body"])
        results: list[Status | Refusal | None] = [None] * len(records)
        try:
            self.database.store_isolated(records, reason="import", run_id=self.run_id, captures=captures,
                                         signatures=signatures, results=results)
        except BaseException:
            # The database went away while the batch was stored record by record (one of them was
            # refused): what was stored before that is in ``results``, and counted; the caller hears
            # only of the error, so the refusals are said here.
            for where, refusal in self._count(results, wheres):
                report(where, refusal.reason, refusal.message)
            raise
        return self._count(results, wheres)

    def _count(self, results: list[Status | Refusal | None], wheres: list[str]) -> list[tuple[str, Refusal]]:
        refusals = []
        for result, where in zip(results, wheres, strict=True):
            if isinstance(result, Refusal):
                self.tally.refused[result.reason] += 1
                refusals.append((where, result))
            elif result is not None:
                self.tally.stored[result] += 1
        return refusals

    def wait(self) -> None:
        """Wait for the batch being stored and report its refusals; what stopped its store is raised here."""
        if self.storing is None:
            return
        refusals = self.storing.result()
        self.storing = None
        for where, refusal in refusals:
            report(where, refusal.reason, refusal.message)

    def close(self) -> None:
        """Let the batch being stored finish, whatever stopped the run (Ctrl-C included), so that
        nothing is stored after the run is recorded and its counts say what it stored."""
        try:
            self.wait()
        except Exception:  # noqa: BLE001 - its articles are not stored, so they are not counted
            pass
        finally:
            self.writer.shutdown(wait=True)


def _summary(tally: Tally) -> str:
    stored = tally.stored
    lines = [f"imported {sum(stored.values())} articles: {stored['new']} new, {stored['changed']} changed, "
             f"{stored['unchanged']} unchanged"]

    def show(counts: Counter[str]) -> str:
        return ", ".join(f"{reason} {count}" for reason, count in sorted(counts.items())) or "none"

    lines.append(f"skipped {sum(tally.skipped.values())}: {show(tally.skipped)}")
    bad = tally.all_bad()
    lines.append(f"bad input {sum(bad.values())}: {show(bad)}")
    return "\n".join(lines)
