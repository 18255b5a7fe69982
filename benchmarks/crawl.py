"""Crawl throughput and memory of ``scrapy crawl detikinet`` against a generated replica.

Throughput (default): the full crawl (every pipeline on: validate, dedupe, SQLite store, JSON lines
feed, WARC capture, run summary) and a bare Scrapy spider (benchmarks/bare_spider.py) that fetches
the same URLs through the same proxy and does nothing else, alternated in one run (full, bare,
bare, full, ...), each repetition in a fresh folder with a fresh database and exports folder.

    .venv/bin/python -m benchmarks.crawl                      # 5,000 articles, 3 repetitions each
    .venv/bin/python -m benchmarks.crawl --memory             # peak RSS of the full crawl, 5,000 vs 20,000
    .venv/bin/python -m benchmarks.crawl --profile            # one full crawl under cProfile, top functions
    .venv/bin/python -m benchmarks.crawl --trace-memory       # one full crawl with benchmarks/memtrace.py

Both spiders get the same politeness overrides on the command line (and nothing else is changed
for the full crawl): -s DOWNLOAD_DELAY=0 -s AUTOTHROTTLE_ENABLED=False -s NEWSCRAWL_SITE_MIN_INTERVAL=0
-s CONCURRENT_REQUESTS=<c> -s CONCURRENT_REQUESTS_PER_DOMAIN=<c>; ROBOTSTXT_OBEY stays True.

CPU per archived page (2a) is the full crawl's CPU with its extraction workers, a page, against the
floor of one page measured in the same run: the bare spider's CPU a page, plus, for each article page,
lxml's parse of its body (with the freeing of the tree) and its gzip with isal at newscrawl's WARC level,
both timed in this process over the articles the crawl fetched (``page_floor``).

pages/s = responses received (downloader/response_count: robots.txt, index pages, articles) /
the crawl's elapsed_time_seconds (spider open to close) from Scrapy's stats; the process wall time
(interpreter start to exit, database migrations included) is reported beside it. Peak RSS is the
child's ru_maxrss from os.wait4. The server (benchmarks/server.py) runs in its own process; its CPU
seconds per run are read from /proc, which gives its ceiling in pages per CPU-second.
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

from benchmarks.bare_spider import PRODUCTION_NETWORK_SETTINGS
from benchmarks.sitegen import Site

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
CLK_TCK = os.sysconf("SC_CLK_TCK")
# Anything from the environment that could send the crawl elsewhere or change how it runs.
_CLEARED_ENV = re.compile(r"^(https?_proxy|all_proxy|no_proxy|ftp_proxy|newscrawl_.*|redis_url|scrapy_.*)$", re.I)


def politeness(concurrency: int) -> list[str]:
    # NEWSCRAWL_SITE_MIN_INTERVAL: the site-wide ceiling (a release without it ignores the setting).
    return ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "NEWSCRAWL_SITE_MIN_INTERVAL=0",
            "-s", f"CONCURRENT_REQUESTS={concurrency}", "-s", f"CONCURRENT_REQUESTS_PER_DOMAIN={concurrency}"]


@dataclass
class RunResult:
    variant: str
    articles: int
    returncode: int
    pages: int
    elapsed: float  # Scrapy's elapsed_time_seconds
    wall: float  # process start to exit
    max_rss_mb: float
    cpu_user: float
    cpu_sys: float
    server_cpu: float
    served: dict = field(default_factory=dict)
    # Busy CPU seconds of the whole machine during the run, minus the server's: the crawler with
    # every process it starts (extraction workers are not its waited-for children, so wait4 misses
    # them), plus whatever else ran meanwhile (nothing else, on a quiet machine).
    crawler_tree_cpu: float | None = None
    stored: int | None = None
    jsonl_lines: int | None = None
    warc_bytes: int | None = None
    items: int | None = None

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.elapsed if self.elapsed else 0.0


class BenchServer:
    """benchmarks/server.py in a subprocess."""

    def __init__(self, articles: int, workers: int = 1):
        self.process = subprocess.Popen(
            [PYTHON, "-m", "benchmarks.server", "--articles", str(articles), "--workers", str(workers)],
            cwd=REPO, stdout=subprocess.PIPE, text=True)
        self.info = json.loads(self.process.stdout.readline())
        self.port = self.info["port"]
        self.pids = self.info["pids"]
        self.proxy = f"http://127.0.0.1:{self.port}"

    def control(self, what: str) -> dict:
        with urllib.request.urlopen(f"{self.proxy}/_{what}", timeout=10) as answer:  # direct, not proxied
            return json.loads(answer.read())

    def cpu_seconds(self) -> float:
        total = 0
        for pid in self.pids:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / CLK_TCK

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def child_env(proxy: str, database: Path | None = None) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not _CLEARED_ENV.match(name)}
    env.update(http_proxy=proxy, https_proxy=proxy, PYTHONDONTWRITEBYTECODE="1")
    if database is not None:
        env["NEWSCRAWL_DATABASE_URL"] = f"sqlite:///{database}"
    return env


def machine_busy_seconds() -> float:
    """Busy CPU time of all cores since boot (/proc/stat: everything but idle and iowait)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def run_child(command: list[str], cwd: Path, env: dict, log: Path) -> tuple[int, float, float, float, float]:
    """Run to the end; (returncode, wall seconds, max RSS MB, user CPU, system CPU) of this child alone."""
    with open(log, "w") as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, wall, usage.ru_maxrss / 1024, usage.ru_utime, usage.ru_stime


def scrapy_stat(log_text: str, name: str) -> float | None:
    match = re.search(rf"'{re.escape(name)}': ([0-9.]+)", log_text)
    return float(match.group(1)) if match else None


def full_command(site: Site, concurrency: int, exports: Path, extra: list[str] = (), prefix: list[str] = ()) -> list[str]:
    return [*prefix, "-m", "scrapy", "crawl", "detikinet", "-a", f"since={site.first_day}", "-a", f"until={site.last_day}",
            "-s", f"NEWSCRAWL_EXPORTS_DIR={exports}", *politeness(concurrency), *extra]


def run_full(site: Site, server: BenchServer, concurrency: int, folder: Path, extra: list[str] = (),
             prefix: list[str] | None = None, repo: Path = REPO, variant: str = "full") -> RunResult:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    database, exports = folder / "db.sqlite3", folder / "exports"
    server.control("reset")
    cpu_before, machine_before = server.cpu_seconds(), machine_busy_seconds()
    command = full_command(site, concurrency, exports, extra, prefix or [PYTHON])
    # `python -m scrapy` puts its working folder first on sys.path: the newscrawl of `repo` runs.
    code, wall, rss, user, system = run_child(command, repo, child_env(server.proxy, database), folder / "crawl.log")
    server_cpu = server.cpu_seconds() - cpu_before
    tree_cpu = machine_busy_seconds() - machine_before - server_cpu
    log = (folder / "crawl.log").read_text(errors="replace")
    result = RunResult(variant, site.n, code, int(scrapy_stat(log, "downloader/response_count") or 0),
                       scrapy_stat(log, "elapsed_time_seconds") or 0.0, wall, rss, user, system, server_cpu,
                       server.control("stats"))
    result.items = int(scrapy_stat(log, "item_scraped_count") or 0)
    result.crawler_tree_cpu = tree_cpu
    if database.exists():
        with sqlite3.connect(database) as connection:
            result.stored = connection.execute("SELECT count(*) FROM articles").fetchone()[0]
    result.jsonl_lines = sum(sum(1 for _ in path.open(encoding="utf-8")) for path in exports.glob("detikinet/*.jsonl"))
    result.warc_bytes = sum(path.stat().st_size for path in exports.glob("warc/*.warc.gz"))
    return result


def run_bare(site: Site, server: BenchServer, concurrency: int, folder: Path, urls_file: Path) -> RunResult:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    server.control("reset")
    cpu_before, machine_before = server.cpu_seconds(), machine_busy_seconds()
    # From a folder without scrapy.cfg above it: plain Scrapy, none of newscrawl's settings.
    command = [PYTHON, "-m", "scrapy", "runspider", str(REPO / "benchmarks" / "bare_spider.py"),
               "-a", f"urls_file={urls_file}", *politeness(concurrency)]
    code, wall, rss, user, system = run_child(command, folder, child_env(server.proxy), folder / "crawl.log")
    server_cpu = server.cpu_seconds() - cpu_before
    tree_cpu = machine_busy_seconds() - machine_before - server_cpu
    log = (folder / "crawl.log").read_text(errors="replace")
    return RunResult("bare", site.n, code, int(scrapy_stat(log, "downloader/response_count") or 0),
                     scrapy_stat(log, "elapsed_time_seconds") or 0.0, wall, rss, user, system, server_cpu,
                     server.control("stats"), crawler_tree_cpu=tree_cpu)


def check_bare_settings() -> None:
    sys.path.insert(0, str(REPO))
    from newscrawl import settings

    for name, value in PRODUCTION_NETWORK_SETTINGS.items():
        if getattr(settings, name) != value:
            raise SystemExit(f"benchmarks/bare_spider.py: {name} differs from newscrawl/settings.py; update it")


def check_full(result: RunResult, site: Site) -> list[str]:
    problems = []
    if result.returncode != 0:
        problems.append(f"exit code {result.returncode}")
    if result.stored != site.n:
        problems.append(f"{result.stored} articles stored, expected {site.n}")
    if result.jsonl_lines != site.n:
        problems.append(f"{result.jsonl_lines} JSON lines, expected {site.n}")
    if not result.warc_bytes:
        problems.append("no WARC written")
    return problems


def page_floor(site: Site, sample: int = 500) -> dict[str, float]:
    """CPU ms an article page costs beyond its fetch, at the least: lxml's parse of its body (and the
    freeing of the tree) and its gzip with isal at the level newscrawl's WARC writer uses. Timed
    over up to ``sample`` of the site's articles, the median of three passes."""
    from isal import isal_zlib
    from lxml import etree

    from newscrawl.archive.writer import ISAL_LEVEL

    step = max(1, site.n // sample)
    bodies = [site.article_html(site.article(number)) for number in range(0, site.n, step)]

    def parse(body: bytes) -> None:
        etree.fromstring(body, etree.HTMLParser(recover=True, encoding="utf-8"))

    def gzip(body: bytes) -> None:
        compressor = isal_zlib.compressobj(ISAL_LEVEL, isal_zlib.DEFLATED, isal_zlib.MAX_WBITS | 16)
        compressor.compress(body)
        compressor.flush()

    timings = {}
    for name, work in (("parse", parse), ("gzip", gzip)):
        passes = []
        for _ in range(3):
            start = time.process_time()
            for body in bodies:
                work(body)
            passes.append(1000 * (time.process_time() - start) / len(bodies))
        timings[name] = statistics.median(passes)
    return timings


def tree_ms_per_page(result: RunResult) -> float:
    return 1000 * (result.crawler_tree_cpu or 0) / max(result.pages, 1)


def describe(result: RunResult) -> str:
    return (f"{result.variant:4s} {result.articles:6d} articles: {result.pages:6d} pages in {result.elapsed:7.2f} s "
            f"= {result.pages_per_s:7.1f} pages/s (wall {result.wall:6.1f} s); peak RSS {result.max_rss_mb:6.1f} MB; "
            f"crawler CPU {result.cpu_user + result.cpu_sys:6.1f} s (with its workers {result.crawler_tree_cpu or 0:6.1f} s, "
            f"{tree_ms_per_page(result):.2f} ms/page); server CPU {result.server_cpu:5.1f} s "
            f"({result.pages / result.server_cpu if result.server_cpu else 0:6.0f} pages per server CPU-s)")


def throughput(args, workdir: Path) -> dict:
    check_bare_settings()
    site = Site(args.articles)
    urls_file = workdir / "urls.txt"
    urls_file.write_text("\n".join([*site.index_urls(), *site.article_urls()]) + "\n", encoding="utf-8")
    server = BenchServer(site.n, args.server_workers)
    results: list[RunResult] = []
    try:
        candidate = bool(args.candidate_repo or args.candidate_settings)
        variants = ["full", "bare"] + (["candidate"] if candidate else [])
        order = []
        for rep in range(args.reps):
            # Each repetition rotates the order, so no variant always runs first or last.
            order += variants[rep % len(variants):] + variants[:rep % len(variants)]
        for n, variant in enumerate(order):
            folder = workdir / f"{n:02d}-{variant}"
            if variant in ("full", "candidate"):
                repo = (args.candidate_repo or REPO) if variant == "candidate" else REPO
                extra = [part for setting in args.candidate_settings for part in ("-s", setting)] \
                    if variant == "candidate" else []
                result = run_full(site, server, args.concurrency, folder, extra=extra, repo=repo, variant=variant)
                problems = check_full(result, site)
                if problems:
                    print(f"full crawl {folder}: " + "; ".join(problems), file=sys.stderr)
            else:
                result = run_bare(site, server, args.concurrency, folder, urls_file)
                if result.returncode != 0:
                    print(f"bare crawl {folder}: exit code {result.returncode}", file=sys.stderr)
            print(describe(result), flush=True)
            results.append(result)
            if not args.keep:
                for path in (folder / "db.sqlite3", folder / "exports"):
                    shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
    finally:
        server.stop()
    per_variant = {v: [r for r in results if r.variant == v] for v in variants}
    medians = {v: statistics.median(r.pages_per_s for r in runs) for v, runs in per_variant.items()}
    # The ratio within each repetition (runs closest in time), then the median of those.
    reps = [results[i:i + len(variants)] for i in range(0, len(results), len(variants))]
    def rep_ratios(variant: str) -> list[float]:
        return [next(r for r in rep if r.variant == variant).pages_per_s / next(r for r in rep if r.variant == "bare").pages_per_s
                for rep in reps]
    summary = {
        "articles": site.n, "concurrency": args.concurrency, "reps": args.reps,
        "pages_per_s_median": medians,
        "ratio_of_medians": {v: medians[v] / medians["bare"] for v in variants if v != "bare"},
        "rep_ratios": {v: rep_ratios(v) for v in variants if v != "bare"},
        "peak_rss_mb_median": {v: statistics.median(r.max_rss_mb for r in runs) for v, runs in per_variant.items()},
        "runs": [asdict(r) | {"pages_per_s": r.pages_per_s} for r in results],
    }
    # 2a: CPU per archived page against the floor of one page, in this run.
    floor_parts = page_floor(site)
    article_share = site.n / statistics.median(r.pages for r in per_variant["full"])
    bare_ms = statistics.median(tree_ms_per_page(r) for r in per_variant["bare"])
    floor_ms = bare_ms + article_share * (floor_parts["parse"] + floor_parts["gzip"])
    cpu_ms = {v: statistics.median(tree_ms_per_page(r) for r in runs) for v, runs in per_variant.items() if v != "bare"}
    summary["cpu_ms_per_page"] = {**cpu_ms, "floor": floor_ms, "bare": bare_ms, **floor_parts}
    print("\nmedian pages/s: " + ", ".join(f"{v} {m:.1f}" for v, m in medians.items()))
    for v in summary["rep_ratios"]:
        ratios = summary["rep_ratios"][v]
        print(f"{v}/bare: {summary['ratio_of_medians'][v]:.3f} (ratio of medians); per repetition "
              f"{', '.join(f'{r:.3f}' for r in ratios)} (median {statistics.median(ratios):.3f}); target >= 0.70")
    print(f"CPU a page with the extraction workers: floor {floor_ms:.2f} ms (bare {bare_ms:.2f} + articles' share "
          f"{article_share:.3f} x (lxml parse {floor_parts['parse']:.2f} + isal gzip {floor_parts['gzip']:.2f}))")
    for v, ms in cpu_ms.items():
        print(f"{v}/floor CPU a page: {ms:.2f} / {floor_ms:.2f} ms = {ms / floor_ms:.2f}; target <= 1.5")
    if candidate:
        speedups = [next(r for r in rep if r.variant == "candidate").pages_per_s / next(r for r in rep if r.variant == "full").pages_per_s
                    for rep in reps]
        summary["candidate_speedup"] = speedups
        print(f"candidate/full: per repetition {', '.join(f'{s:.3f}' for s in speedups)} "
              f"(median {statistics.median(speedups):.3f})")
    return summary


def memory(args, workdir: Path) -> dict:
    sizes = args.memory_sizes
    summary: dict = {"concurrency": args.concurrency, "runs": []}
    peaks: dict[int, list[float]] = {n: [] for n in sizes}
    for rep in range(args.memory_reps):
        for articles in (sizes if rep % 2 == 0 else list(reversed(sizes))):
            site = Site(articles)
            server = BenchServer(articles, args.server_workers)
            try:
                folder = workdir / f"mem-{articles}-{rep}"
                result = run_full(site, server, args.concurrency, folder)
            finally:
                server.stop()
            problems = check_full(result, site)
            if problems:
                print(f"full crawl {folder}: " + "; ".join(problems), file=sys.stderr)
            print(describe(result), flush=True)
            peaks[articles].append(result.max_rss_mb)
            summary["runs"].append(asdict(result) | {"pages_per_s": result.pages_per_s})
            if not args.keep:
                shutil.rmtree(folder / "exports", ignore_errors=True)
                (folder / "db.sqlite3").unlink(missing_ok=True)
    medians = {n: statistics.median(values) for n, values in peaks.items()}
    summary["peak_rss_mb_median"] = medians
    small, large = sizes[0], sizes[-1]
    summary["growth"] = medians[large] / medians[small]
    print("\nmedian peak RSS: " + ", ".join(f"{n} articles {mb:.1f} MB" for n, mb in medians.items())
          + f"; growth {small}->{large}: {summary['growth']:.2f}x (target <= 1.30x)")
    return summary


def profile(args, workdir: Path) -> dict:
    """One full crawl under cProfile; prints the top functions by cumulative and by own time."""
    site = Site(args.articles)
    server = BenchServer(site.n, args.server_workers)
    folder = workdir / "profile"
    output = workdir / "crawl.prof"
    try:
        result = run_full(site, server, args.concurrency, folder, prefix=[PYTHON, "-m", "cProfile", "-o", str(output)])
    finally:
        server.stop()
    print(describe(result))
    stats = pstats.Stats(str(output))
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(30)
    print(f"profile: {output} (e.g. .venv/bin/python -m pstats {output})")
    return {"profile": str(output), "run": asdict(result)}


def trace_memory(args, workdir: Path) -> dict:
    """One full crawl with the MemTrace extension added: RSS, Python-traced memory and what grew."""
    site = Site(args.articles)
    server = BenchServer(site.n, args.server_workers)
    folder = workdir / "trace-memory"
    marks = workdir / "memtrace.jsonl"
    marks.unlink(missing_ok=True)
    extensions = {"newscrawl.extensions.RunSummary": 500, "benchmarks.memtrace.MemTrace": 900}
    extra = ["-s", f"EXTENSIONS={json.dumps(extensions)}", "-s", f"BENCH_MEMTRACE_OUT={marks}",
             "-s", f"BENCH_MEMTRACE_EVERY={args.trace_every}"]
    try:
        result = run_full(site, server, args.concurrency, folder, extra=extra)
    finally:
        server.stop()
    print(describe(result))
    entries = [json.loads(line) for line in marks.read_text().splitlines()]
    for entry in entries:
        if "mark" in entry:
            print(f"{entry['mark']:>12s}: RSS {entry['rss_mb']:7.1f} MB, Python-traced {entry['traced_mb']:7.1f} MB, "
                  f"{entry['gc_objects']} gc objects")
        else:
            print("\n".join(entry["top_growth"]))
    return {"run": asdict(result), "marks": entries}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.crawl", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--reps", type=int, default=3, help="repetitions of each variant (throughput)")
    parser.add_argument("--concurrency", type=int, default=16,
                        help="CONCURRENT_REQUESTS and CONCURRENT_REQUESTS_PER_DOMAIN for both spiders")
    parser.add_argument("--server-workers", type=int, default=1)
    parser.add_argument("--candidate-repo", type=Path,
                        help="also run the full crawl from this checkout (a patched copy), alternated with the others")
    parser.add_argument("--candidate-settings", nargs="+", default=[], metavar="NAME=VALUE",
                        help="also run the full crawl with these -s settings (from --candidate-repo, else this checkout)")
    parser.add_argument("--memory", action="store_true", help="peak RSS of the full crawl at --memory-sizes")
    parser.add_argument("--memory-sizes", type=int, nargs="+", default=[5000, 20000])
    parser.add_argument("--memory-reps", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="one full crawl under cProfile")
    parser.add_argument("--trace-memory", action="store_true", help="one full crawl with benchmarks/memtrace.py")
    parser.add_argument("--trace-every", type=int, default=1000, help="items between --trace-memory marks")
    parser.add_argument("--workdir", type=Path, help="default: a new folder under /tmp")
    parser.add_argument("--keep", action="store_true", help="keep each run's database and exports")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="newscrawl-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    print(f"working in {workdir}", flush=True)
    if args.profile:
        summary = profile(args, workdir)
    elif args.trace_memory:
        summary = trace_memory(args, workdir)
    elif args.memory:
        summary = memory(args, workdir)
    else:
        summary = throughput(args, workdir)
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
