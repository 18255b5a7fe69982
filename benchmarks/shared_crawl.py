"""The shared crawl on one machine: N ``scrapy crawl detikinet`` processes through REDIS_URL, against the
bare spider.

Run from the repository root (PostgreSQL on 127.0.0.1:5432 with database ``test``, Redis on
127.0.0.1:6379, as for the tests)::

    .venv/bin/python -m benchmarks.shared_crawl                    # 2,000 articles, 2 processes, 3 repetitions
    .venv/bin/python -m benchmarks.shared_crawl --articles 5000 --processes 2 --reps 2

One generated replica (benchmarks/server.py, as benchmarks/crawl.py uses), four variants per
repetition, their order rotated from one repetition to the next:

* ``bare``: benchmarks/bare_spider.py, one process, fetching every URL of the replica.
* ``full``: one ``scrapy crawl detikinet`` with the default embedded SQLite (benchmarks/crawl.py's full).
* ``full-pg``: the same one process storing into PostgreSQL (a schema of its own), which the shared
  crawl needs: it shows what PostgreSQL costs apart from sharing.
* ``shared``: N processes started together with the same arguments, REDIS_URL set (a key prefix of
  their own), one PostgreSQL schema, an exports folder each: the README's "Several machines" on one.

Every process gets benchmarks/crawl.py's politeness overrides (no delays, CONCURRENT_REQUESTS=c
each, so the shared crawl has N*c requests in flight). pages/s = responses received (the sum of
every process's downloader/response_count, each reads its own robots.txt) / the crawl's span: from
the first process's start_time to the first finish_time of any of them. A worker closes only once its
queue is empty and no other worker is busy, so the first close is the end of the crawl's work; the
others close after their next idle check (up to 5 s later, Scrapy's idle heartbeat), which the span
leaves out and the report gives as the last close. CPU is the machine's busy time during the run
minus the replica server's: crawl processes, their extraction workers, PostgreSQL and Redis. Every
run must store each article once (the database's count), write one JSON line per article across
the exports folders and exit 0, else the benchmark says so.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

import redis
import sqlalchemy as sa

from benchmarks.crawl import (PYTHON, REPO, BenchServer, check_bare_settings, child_env, full_command,
                              machine_busy_seconds, run_bare, run_full, scrapy_stat)
from benchmarks.sitegen import Site

POSTGRES_URL = os.environ.get("NEWSCRAWL_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("NEWSCRAWL_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
VARIANTS = ("bare", "full", "full-pg", "shared")
_STAT_TIME = r"'{name}': datetime\.datetime\(([0-9, ]+)(?:, tzinfo=[^)]*\))?"


@dataclass
class Run:
    variant: str
    processes: int
    returncodes: list[int]
    pages: int
    span: float  # first start_time to first finish_time
    last_close: float  # first start_time to last finish_time
    max_rss_mb: list[float]
    crawl_cpu: float  # the crawl processes' own CPU (os.wait4; not their extraction workers)
    machine_cpu: float  # the machine's busy CPU during the run minus the server's
    server_cpu: float
    stored: int | None = None
    jsonl_lines: int | None = None

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.span if self.span else 0.0


def stat_time(log: str, name: str) -> datetime | None:
    match = re.search(_STAT_TIME.format(name=re.escape(name)), log)
    if not match:
        return None
    parts = [int(part) for part in match.group(1).split(",") if part.strip()]
    return datetime(*parts, tzinfo=timezone.utc)


class PostgresSchema:
    """A schema of its own for one run, dropped afterwards."""

    def __init__(self, admin: sa.Engine, name: str) -> None:
        self.admin, self.name = admin, name
        with admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{name}"'))
        self.url = f"{POSTGRES_URL}?options={quote(f'-csearch_path={name}')}"

    def count_articles(self) -> int | None:
        with self.admin.connect() as connection:
            try:
                return connection.scalar(sa.text(f'SELECT count(*) FROM "{self.name}".articles'))
            except sa.exc.ProgrammingError:
                return None

    def drop(self) -> None:
        with self.admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{self.name}" CASCADE'))


def run_processes(site: Site, server: BenchServer, concurrency: int, folder: Path, processes: int,
                  schema: PostgresSchema, redis_prefix: str | None) -> Run:
    """``processes`` full crawls at once into one PostgreSQL schema (through Redis when more than one)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    server.control("reset")
    server_before, machine_before = server.cpu_seconds(), machine_busy_seconds()
    children = []
    for number in range(processes):
        exports, log = folder / f"exports-{number}", folder / f"crawl-{number}.log"
        env = child_env(server.proxy) | {"NEWSCRAWL_DATABASE_URL": schema.url}
        extra = []
        if redis_prefix is not None:
            env["REDIS_URL"] = REDIS_URL
            extra = ["-s", f"NEWSCRAWL_REDIS_PREFIX={redis_prefix}"]
        output = open(log, "w")
        children.append((subprocess.Popen([PYTHON, *full_command(site, concurrency, exports, extra)], cwd=REPO,
                                          env=env, stdout=output, stderr=subprocess.STDOUT), output, exports, log))
    codes, rss, cpu = [], [], 0.0
    for process, output, _, _ in children:
        _, status, usage = os.wait4(process.pid, 0)
        output.close()
        codes.append(os.waitstatus_to_exitcode(status))
        rss.append(usage.ru_maxrss / 1024)
        cpu += usage.ru_utime + usage.ru_stime
    server_cpu = server.cpu_seconds() - server_before
    machine_cpu = machine_busy_seconds() - machine_before - server_cpu
    logs = [log.read_text(errors="replace") for _, _, _, log in children]
    starts = [stat_time(text, "start_time") for text in logs]
    finishes = [stat_time(text, "finish_time") for text in logs]
    span = last = 0.0
    if all(starts) and all(finishes):
        span = (min(finishes) - min(starts)).total_seconds()
        last = (max(finishes) - min(starts)).total_seconds()
    lines = sum(sum(1 for _ in path.open(encoding="utf-8"))
                for _, _, exports, _ in children for path in exports.glob("detikinet/*.jsonl"))
    return Run("shared" if redis_prefix else "full-pg", processes, codes,
               sum(int(scrapy_stat(text, "downloader/response_count") or 0) for text in logs),
               span, last, rss, cpu, machine_cpu, server_cpu, schema.count_articles(), lines)


def from_crawl_result(result) -> Run:
    """benchmarks.crawl's RunResult of one process (bare or full) in this benchmark's terms."""
    return Run(result.variant, 1, [result.returncode], result.pages, result.elapsed, result.elapsed,
               [result.max_rss_mb], result.cpu_user + result.cpu_sys, result.crawler_tree_cpu or 0.0,
               result.server_cpu, result.stored, result.jsonl_lines)


def problems_of(run: Run, site: Site) -> list[str]:
    problems = [f"exit code {code}" for code in run.returncodes if code != 0]
    if run.variant != "bare":
        if run.stored != site.n:
            problems.append(f"{run.stored} articles stored, expected {site.n}")
        if run.jsonl_lines != site.n:
            problems.append(f"{run.jsonl_lines} JSON lines, expected {site.n}")
    if not run.span:
        problems.append("no start/finish time in the logs")
    return problems


def describe(run: Run) -> str:
    return (f"{run.variant:8s} x{run.processes}: {run.pages:6d} pages in {run.span:6.2f} s = {run.pages_per_s:6.1f} "
            f"pages/s (last close {run.last_close:6.2f} s); crawl processes' CPU {run.crawl_cpu:5.1f} s, machine "
            f"{run.machine_cpu:5.1f} s ({1000 * run.machine_cpu / max(run.pages, 1):.2f} ms/page), server "
            f"{run.server_cpu:4.1f} s; peak RSS {', '.join(f'{mb:.0f}' for mb in run.max_rss_mb)} MB")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.shared_crawl", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--processes", type=int, default=2, help="crawl processes of the shared crawl")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16, help="CONCURRENT_REQUESTS of each process")
    parser.add_argument("--server-workers", type=int, default=1)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    check_bare_settings()
    redis.Redis.from_url(REDIS_URL).ping()  # a clear error before anything runs
    admin = sa.create_engine(POSTGRES_URL)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="newscrawl-bench-shared-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"working in {workdir}", flush=True)
    site = Site(args.articles)
    urls_file = workdir / "urls.txt"
    urls_file.write_text("\n".join([*site.index_urls(), *site.article_urls()]) + "\n", encoding="utf-8")
    server = BenchServer(site.n, args.server_workers)
    runs: list[Run] = []
    started = time.perf_counter()
    try:
        for rep in range(args.reps):
            shift = rep % len(VARIANTS)
            for variant in VARIANTS[shift:] + VARIANTS[:shift]:
                folder = workdir / f"{rep:02d}-{variant}"
                if variant == "bare":
                    run = from_crawl_result(run_bare(site, server, args.concurrency, folder, urls_file))
                elif variant == "full":
                    run = from_crawl_result(run_full(site, server, args.concurrency, folder))
                else:
                    schema = PostgresSchema(admin, f"bench_shared_{os.getpid()}_{rep}_{variant.replace('-', '_')}")
                    try:
                        processes = args.processes if variant == "shared" else 1
                        prefix = f"bench-{os.getpid()}-{rep}" if variant == "shared" else None
                        run = run_processes(site, server, args.concurrency, folder, processes, schema, prefix)
                    finally:
                        schema.drop()
                problems = problems_of(run, site)
                print(describe(run) + (f"  PROBLEMS: {'; '.join(problems)}" if problems else ""), flush=True)
                runs.append(run)
                shutil.rmtree(folder, ignore_errors=True)
    finally:
        server.stop()
        admin.dispose()
    by_rep = [runs[index:index + len(VARIANTS)] for index in range(0, len(runs), len(VARIANTS))]

    def ratio(variant: str, base: str) -> list[float]:
        return [next(r for r in rep if r.variant == variant).pages_per_s / next(r for r in rep if r.variant == base).pages_per_s
                for rep in by_rep]

    medians = {variant: statistics.median(r.pages_per_s for r in runs if r.variant == variant) for variant in VARIANTS}
    summary = {
        "articles": site.n, "processes": args.processes, "concurrency": args.concurrency, "reps": args.reps,
        "cpus": os.cpu_count(), "pages_per_s_median": medians,
        "of_bare_per_rep": {variant: ratio(variant, "bare") for variant in VARIANTS if variant != "bare"},
        "shared_over_full_pg_per_rep": ratio("shared", "full-pg"),
        "runs": [asdict(r) | {"pages_per_s": r.pages_per_s} for r in runs],
    }
    print(f"\n{site.n} articles, {args.processes} processes in the shared crawl, {os.cpu_count()} CPUs, "
          f"{args.reps} repetitions, {time.perf_counter() - started:.0f} s")
    print("| variant | median pages/s | of bare, per repetition (median) | machine CPU ms/page (median) |")
    print("|---|---:|---|---:|")
    for variant in VARIANTS:
        cpu = statistics.median(1000 * r.machine_cpu / max(r.pages, 1) for r in runs if r.variant == variant)
        ratios = summary["of_bare_per_rep"].get(variant)
        shown = f"{', '.join(f'{x:.3f}' for x in ratios)} ({statistics.median(ratios):.3f})" if ratios else "1"
        print(f"| {variant} | {medians[variant]:.1f} | {shown} | {cpu:.2f} |")
    shared = summary["shared_over_full_pg_per_rep"]
    print(f"shared / full-pg: {', '.join(f'{x:.3f}' for x in shared)} (median {statistics.median(shared):.3f})")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, default=str) + "\n")


if __name__ == "__main__":
    sys.exit(main())
