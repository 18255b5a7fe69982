"""The bulk paths against their floor: `newscrawl import` of a WARC and `newscrawl reextract`.

Run from the repository root::

    .venv/bin/python -m benchmarks.bulk                       # 5,000 responses, 3 repetitions
    .venv/bin/python -m benchmarks.bulk --responses 20000 --reps 1 --jobs 1
    .venv/bin/python -m benchmarks.bulk --profile import      # cProfile of one import, in process

The WARC is what a crawl writes (newscrawl.archive.writer.WarcFiles, one gzip member per record, a
request and a response record per page): N generated detikInet article pages (benchmarks/sitegen.py,
113-146 KB each) served uncompressed, as in benchmarks/crawl.py.

Per repetition, in this order, each on a fresh database:

* ``floor``: in this process, the one-core cost of the work itself: newscrawl's WARC reader
  (warcio, ``iter_responses``: read, gunzip, digest check), the body decoding, and the extraction
  (``newscrawl.extraction.extract``) of every response. Nothing is stored.
* ``import --jobs J`` for each J asked: the command, as a child process, into a fresh SQLite file.
* ``reextract --dry-run --jobs J``: the command over the database the first import wrote.

Figures: articles/s (responses / wall seconds), the ratio to the floor's rate measured in the
same repetition, the main process's CPU seconds and peak RSS (``os.wait4``: the --jobs workers are
not its waited-for children), and the peak resident memory of the whole process tree, workers
included, sampled from /proc every 0.2 s. Every import must store N
articles and every dry run must report N unchanged, else the benchmark fails.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

from benchmarks.sitegen import Site
from newscrawl.archive import iter_responses
from newscrawl.archive.writer import Exchange, WarcFiles
from newscrawl.cli.sources import MAX_BODY_BYTES
from newscrawl.extraction import extract

ROOT = Path(__file__).resolve().parent.parent
NEWSCRAWL = [sys.executable, "-c", "import sys; from newscrawl.cli import main; sys.exit(main())"]
REQUEST_HEADERS = [("User-Agent", "newscrawl-bench"), ("Accept", "text/html")]


def build_warc(folder: Path, responses: int) -> Path:
    """One WARC file of ``responses`` article exchanges, as the crawl's WARC capture writes them."""
    site = Site(responses)
    files = WarcFiles(folder, "bench", {"software": "benchmarks.bulk"}, max_bytes=1 << 40)
    date = datetime(2025, 1, 1, tzinfo=timezone.utc)
    for number in range(responses):
        article = site.article(number)
        body = site.article_html(article)
        files.write_exchange(Exchange(
            url=article.url, method="GET", request_headers=REQUEST_HEADERS, status=200, reason="OK",
            response_headers=[("Content-Type", "text/html; charset=UTF-8"), ("Content-Length", str(len(body)))],
            body=body, date=date))
    files.close()
    (path,) = files.files_written
    return path


def floor(warc: Path) -> dict:
    """Read, decode and extract every response in this process: seconds and count."""
    started, cpu_started = time.perf_counter(), time.process_time()
    count = 0
    for response in iter_responses(warc, max_bytes=MAX_BODY_BYTES):
        extraction = extract(response.url, response.decoded_body(), fetched_at=response.fetched_at)
        count += extraction.kind == "article"
    return {"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu_started, "articles": count}


def _tree_rss_mb(root: int) -> float:
    """Resident memory of a process and all its descendants now (from /proc), in MB."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total = 0
    for pid in rss:
        ancestor = pid
        while ancestor > 1 and ancestor != root:
            ancestor = parents.get(ancestor, 0)
        if ancestor == root:
            total += rss[pid]
    return total / 1e6


class TreeMemory(threading.Thread):
    """The largest resident memory of a process tree, sampled every 0.2 s while it runs (workers
    of --jobs are grandchildren, which the child's own ru_maxrss does not include)."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root, self.peak_mb, self.done = root, 0.0, threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.2):
            self.peak_mb = max(self.peak_mb, _tree_rss_mb(self.root))


def timed_child(arguments: list[str]) -> dict:
    """Run a newscrawl command as a child; wall seconds, CPU seconds and peak RSS from wait4."""
    started = time.perf_counter()
    child = subprocess.Popen([*NEWSCRAWL, *arguments], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    memory = TreeMemory(child.pid)
    memory.start()
    out = child.stdout.read()
    err = child.stderr.read()
    memory.done.set()
    memory.join()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"newscrawl {' '.join(arguments)} failed ({status}):\n{err.decode()[-3000:]}")
    # ru_maxrss is the largest child's; the children of a --jobs run are counted by RUSAGE_CHILDREN.
    return {"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024,
            "tree_peak_rss_mb": memory.peak_mb, "stdout": out.decode()}


def check_import(result: dict, responses: int) -> None:
    first = result["stdout"].splitlines()[0]
    expected = f"imported {responses} articles: {responses} new, 0 changed, 0 unchanged"
    if first != expected:
        raise SystemExit(f"import did not store every article: {first!r}")


def check_reextract(result: dict, responses: int) -> None:
    first = result["stdout"].splitlines()[0]
    expected = (f"re-extracted {responses} of {responses} articles: 0 changed (would store as new revisions), "
                f"{responses} unchanged, 0 without an archived response, 0 failed")
    if first != expected:
        raise SystemExit(f"reextract did not find every article unchanged: {first!r}")


def profile_in_process(command: str, warc: Path, work: Path, top: int) -> None:
    from newscrawl.cli import main

    database = f"sqlite:///{work / 'profile.sqlite3'}"
    if command == "reextract":
        main(["import", str(warc), "--database-url", database, "--exports-dir", str(work), "--jobs", "1"])
        arguments = ["reextract", "--dry-run", "--database-url", database, "--exports-dir", str(work), "--jobs", "1"]
    else:
        arguments = ["import", str(warc), "--database-url", database, "--exports-dir", str(work), "--jobs", "1"]
    profiler = cProfile.Profile()
    profiler.enable()
    main(arguments)
    profiler.disable()
    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(key).print_stats(top)
        print(f"## newscrawl {command}, sorted by {key}\n{out.getvalue()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--responses", type=int, default=5000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--jobs", default="1,2", help="comma-separated --jobs values to run (default 1,2)")
    parser.add_argument("--profile", choices=("import", "reextract"), help="cProfile one command in process and exit")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    jobs = [int(value) for value in args.jobs.split(",")]

    work = Path(tempfile.mkdtemp(prefix="newscrawl-bench-bulk-"))
    try:
        warc = build_warc(work / "warc", args.responses)
        size_mb = warc.stat().st_size / 1e6
        print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}; WARC {warc.name}: {args.responses} "
              f"responses, {size_mb:.1f} MB", flush=True)
        if args.profile:
            profile_in_process(args.profile, warc, work, args.top)
            return 0
        rows: list[dict] = []
        for rep in range(1, args.reps + 1):
            base = floor(warc)
            if base["articles"] != args.responses:
                raise SystemExit(f"the floor extracted {base['articles']} articles of {args.responses}")
            row = {"rep": rep, "floor": base, "import": {}, "reextract": {}}
            for job in jobs:
                database = work / f"db-{rep}-{job}.sqlite3"
                result = timed_child(["import", str(warc), "--database-url", f"sqlite:///{database}",
                                      "--exports-dir", str(work), "--jobs", str(job)])
                check_import(result, args.responses)
                row["import"][job] = result
            database = f"sqlite:///{work / f'db-{rep}-{jobs[0]}.sqlite3'}"
            for job in jobs:
                result = timed_child(["reextract", "--dry-run", "--database-url", database, "--exports-dir", str(work),
                                      "--jobs", str(job)])
                check_reextract(result, args.responses)
                row["reextract"][job] = result
            rows.append(row)
            floor_rate = args.responses / base["seconds"]
            parts = [f"rep {rep}: floor {floor_rate:.0f}/s"]
            for command in ("import", "reextract"):
                for job, result in row[command].items():
                    rate = args.responses / result["seconds"]
                    parts.append(f"{command} -j{job} {rate:.0f}/s ({rate / floor_rate:.2f} of floor, "
                                 f"CPU {result['cpu']:.0f} s, RSS {result['peak_rss_mb']:.0f} MB)")
            print("; ".join(parts), flush=True)
        report(rows, args.responses, jobs)
        if args.json:
            for row in rows:
                for command in ("import", "reextract"):
                    for result in row[command].values():
                        result.pop("stdout", None)
            args.json.write_text(json.dumps(rows, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def report(rows: list[dict], responses: int, jobs: list[int]) -> None:
    def median(values):
        return statistics.median(values)

    floor_rates = [responses / row["floor"]["seconds"] for row in rows]
    print(f"\nmedians over {len(rows)} repetitions, {responses} responses:")
    print("| path | articles/s | of the one-core floor | CPU s (main process) | peak RSS MB (main / all processes) |")
    print("|---|---:|---:|---:|---:|")
    print(f"| floor (read + decode + extract, one core, in process) | {median(floor_rates):.0f} | 1.00 | "
          f"{median([row['floor']['cpu'] for row in rows]):.1f} | |")
    for command in ("import", "reextract"):
        for job in jobs:
            rates = [responses / row[command][job]["seconds"] for row in rows]
            ratios = [rate / floor_rate for rate, floor_rate in zip(rates, floor_rates)]
            print(f"| {command} --jobs {job} | {median(rates):.0f} | {median(ratios):.2f} "
                  f"({min(ratios):.2f}-{max(ratios):.2f}) | {median([row[command][job]['cpu'] for row in rows]):.1f} | "
                  f"{median([row[command][job]['peak_rss_mb'] for row in rows]):.0f} / "
                  f"{median([row[command][job]['tree_peak_rss_mb'] for row in rows]):.0f} |")
        if len(jobs) > 1:
            one = [row[command][jobs[0]]["seconds"] for row in rows]
            for job in jobs[1:]:
                speedups = [a / row[command][job]["seconds"] for a, row in zip(one, rows)]
                print(f"  {command}: --jobs {job} / --jobs {jobs[0]} speed-up {median(speedups):.2f}")


if __name__ == "__main__":
    raise SystemExit(main())
