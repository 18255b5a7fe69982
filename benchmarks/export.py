"""Time and peak RSS of ``newscrawl export --format parquet`` at 25,000 and 100,000 articles.

    .venv/bin/python -m benchmarks.export            # builds the databases once (cached), 3 exports of each size

The databases are filled with generated articles (benchmarks/sitegen.py: the same records a crawl
of the generated site stores, ~2.6 KB bodies) by a bulk path: every record goes through the
storage layer's own normalise_record and record_to_columns (validation, UTC timestamps, ISO copies,
fields_hash), and the rows a first store_articles call would create (the article row and its
revision 1, reason "load") are inserted with one executemany per 5,000 articles. The storage
layer's store_articles is measured on a sample of 2,000 articles beside it, for reference.

Each export runs ``newscrawl export --format parquet --database-url ... -o ...`` in a child
process, alternating sizes; wall time and the child's ru_maxrss (os.wait4) are reported, and the
Parquet file's row count is checked.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NEWSCRAWL = Path(sys.executable).with_name("newscrawl")
CHUNK = 5000


def _records(site, start: int, stop: int):
    for number in range(start, stop):
        yield site.article(number).record()


def build_database(path: Path, articles: int) -> float:
    """A SQLite database of ``articles`` generated articles; returns the seconds it took."""
    from sqlalchemy import insert

    from benchmarks.sitegen import Site
    from newscrawl.storage import normalise_record, open_database
    from newscrawl.storage.engine import write_connection
    from newscrawl.storage.models import Article, ArticleRevision
    from newscrawl.storage.rows import record_to_columns

    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    site = Site(articles)
    database = open_database(f"sqlite:///{path}")
    now = datetime.now(timezone.utc)
    try:
        for start in range(0, articles, CHUNK):
            columns = [record_to_columns(normalise_record(record))
                       for record in _records(site, start, min(articles, start + CHUNK))]
            rows = [{**c, "current_revision": 1, "revision_count": 1, "first_seen_at": c["fetched_at"],
                     "last_seen_at": c["fetched_at"], "updated_at": now} for c in columns]
            revisions = [{**c, "revision": 1, "reason": "load", "run_id": None, "created_at": now,
                          "warc_file": None, "warc_offset": None} for c in columns]
            with write_connection(database.engine) as connection, connection.begin():
                connection.execute(insert(Article), rows)
                connection.execute(insert(ArticleRevision), revisions)
    finally:
        database.close()
    return time.perf_counter() - started


def storage_layer_rate(workdir: Path, sample: int = 2000, batch: int = 50) -> float:
    """Articles per second through Database.store_articles (batches of 50, like the crawl)."""
    from benchmarks.sitegen import Site
    from newscrawl.storage import open_database

    path = workdir / "store-sample.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    site = Site(sample)
    records = list(_records(site, 0, sample))
    database = open_database(f"sqlite:///{path}")
    started = time.perf_counter()
    for start in range(0, sample, batch):
        database.store_articles(records[start:start + batch], reason="load")
    elapsed = time.perf_counter() - started
    database.close()
    return sample / elapsed


def cached_database(workdir: Path, articles: int, rebuild: bool) -> tuple[Path, float | None]:
    path = workdir / f"articles-{articles}.sqlite3"
    if path.exists() and not rebuild:
        with sqlite3.connect(path) as connection:
            if connection.execute("SELECT count(*) FROM articles").fetchone()[0] == articles:
                return path, None
    return path, build_database(path, articles)


def export_once(database: Path, output: Path) -> dict:
    output.unlink(missing_ok=True)
    command = [str(NEWSCRAWL), "export", "--format", "parquet", "--database-url", f"sqlite:///{database}",
               "-o", str(output)]
    env = {name: value for name, value in os.environ.items() if not name.upper().startswith("NEWSCRAWL_")}
    started = time.perf_counter()
    with open(output.with_suffix(".log"), "w") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    import pyarrow.parquet as pq

    rows = pq.ParquetFile(output).metadata.num_rows if output.exists() else 0
    return {"returncode": code, "seconds": wall, "max_rss_mb": usage.ru_maxrss / 1024,
            "cpu_s": usage.ru_utime + usage.ru_stime, "rows": rows,
            "bytes": output.stat().st_size if output.exists() else 0}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.export", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[25_000, 100_000])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "newscrawl-bench-export",
                        help="databases are kept here and reused (default: %(default)s)")
    parser.add_argument("--rebuild", action="store_true", help="build the databases again")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"working in {args.workdir}", flush=True)
    summary: dict = {"sizes": args.sizes, "runs": []}

    rate = storage_layer_rate(args.workdir)
    summary["store_articles_per_s"] = rate
    print(f"storage layer (store_articles, batches of 50): {rate:.0f} articles/s "
          f"(100,000 would take {100_000 / rate:.0f} s)", flush=True)
    databases = {}
    for size in args.sizes:
        path, seconds = cached_database(args.workdir, size, args.rebuild)
        databases[size] = path
        db_mb = sum(Path(f"{path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{path}{s}").exists()) / 2**20
        note = f"built in {seconds:.1f} s ({size / seconds:.0f} articles/s)" if seconds else "reused"
        summary[f"database_{size}"] = {"path": str(path), "build_seconds": seconds, "mb": db_mb}
        print(f"database of {size} articles: {path} ({db_mb:.0f} MB), {note}", flush=True)

    results: dict[int, list[dict]] = {size: [] for size in args.sizes}
    for rep in range(args.reps):
        for size in (args.sizes if rep % 2 == 0 else list(reversed(args.sizes))):
            result = export_once(databases[size], args.workdir / f"export-{size}.parquet")
            result["articles"] = size
            results[size].append(result)
            summary["runs"].append(result)
            problem = "" if result["returncode"] == 0 and result["rows"] == size else \
                f"  PROBLEM: exit {result['returncode']}, {result['rows']} rows"
            print(f"export {size:7d} articles: {result['seconds']:6.1f} s ({size / result['seconds']:6.0f} articles/s), "
                  f"peak RSS {result['max_rss_mb']:6.1f} MB, CPU {result['cpu_s']:5.1f} s, "
                  f"{result['bytes'] / 2**20:.0f} MB parquet{problem}", flush=True)
    medians = {size: {"seconds": statistics.median(r["seconds"] for r in runs),
                      "max_rss_mb": statistics.median(r["max_rss_mb"] for r in runs)}
               for size, runs in results.items()}
    summary["medians"] = medians
    small, large = min(args.sizes), max(args.sizes)
    summary["rss_growth"] = medians[large]["max_rss_mb"] / medians[small]["max_rss_mb"]
    print("\nmedians: " + "; ".join(f"{size} articles {m['seconds']:.1f} s, {m['max_rss_mb']:.1f} MB"
                                   for size, m in medians.items())
          + f"; peak RSS {large}/{small}: {summary['rss_growth']:.2f}x")
    for size in args.sizes:
        (args.workdir / f"export-{size}.parquet").unlink(missing_ok=True)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
