"""A crawl of the whole detik network at the politeness limit: what one process fetches per second, and what
it costs the machine, when the servers answer with a real latency and the production politeness is kept.

The production command, ``scrapy crawl detik -a since=D -a until=D`` (every channel of the declaration),
runs against benchmarks/network_server.py: a generated network (benchmarks/networkgen.py: 22 channels on
the declaration's 11 hosts, each channel's articles a day as networkgen.PER_DAY assumes, 1,220 a day at
--scale 1) served through an HTTP proxy on 127.0.0.1 that waits 150-400 ms (uniform, seeded per URL)
before every answer.

    .venv/bin/python -m benchmarks.network                   # 1 day of the network, production politeness,
                                                             # then the same with the site interval lifted
    .venv/bin/python -m benchmarks.network --days 2 --scale 0.5 --variants production --json out.json

Variants (--variants):
  production  newscrawl/settings.py's politeness as it is: DOWNLOAD_DELAY 0.5 s and AutoThrottle per host,
              CONCURRENT_REQUESTS 16, CONCURRENT_REQUESTS_PER_DOMAIN 4, NEWSCRAWL_SITE_MIN_INTERVAL 0.1 s
              (one request every 0.1 s to all of detik's hosts together), robots.txt obeyed.
  no-site-interval  NOT PRODUCTION: the same with -s NEWSCRAWL_SITE_MIN_INTERVAL=0, to show what the
              per-host limits alone allow.
Nothing else is overridden: the database (NEWSCRAWL_DATABASE_URL, a fresh SQLite file per run), the
exports folder (-s NEWSCRAWL_EXPORTS_DIR) and the proxy (http_proxy/https_proxy) only. Scrapy does not
verify server certificates by default, so the replica's self-signed one needs no setting.

Measured per run: pages/s = downloader/response_count (robots.txt, index pages, articles) / the crawl's
elapsed_time_seconds, from Scrapy's stats in the log; the rate of each minute (Scrapy's LogStats lines);
what each host was asked per second (the server's counts / elapsed); the crawler's CPU seconds (user +
system, os.wait4) and CPU share = CPU s / elapsed s; its peak RSS (ru_maxrss); the server's CPU from
/proc; and whether the SQLite database the crawl wrote holds every generated article (by article id).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from benchmarks.crawl import PYTHON, REPO, BenchServer, child_env, machine_busy_seconds, run_child, scrapy_stat
from benchmarks.networkgen import Network

VARIANTS = {
    "production": [],
    "no-site-interval": ["-s", "NEWSCRAWL_SITE_MIN_INTERVAL=0"],  # NOT production
}
POLITENESS = ("DOWNLOAD_DELAY", "RANDOMIZE_DOWNLOAD_DELAY", "AUTOTHROTTLE_ENABLED", "AUTOTHROTTLE_START_DELAY",
              "AUTOTHROTTLE_MAX_DELAY", "AUTOTHROTTLE_TARGET_CONCURRENCY", "CONCURRENT_REQUESTS",
              "CONCURRENT_REQUESTS_PER_DOMAIN", "NEWSCRAWL_SITE_MIN_INTERVAL", "ROBOTSTXT_OBEY")


class NetworkBenchServer(BenchServer):
    """benchmarks/network_server.py in a subprocess (BenchServer's control, CPU and stop)."""

    def __init__(self, days: int, scale: float, seed: int):
        self.process = subprocess.Popen(
            [PYTHON, "-m", "benchmarks.network_server", "--days", str(days), "--scale", str(scale), "--seed", str(seed)],
            cwd=REPO, stdout=subprocess.PIPE, text=True)
        self.info = json.loads(self.process.stdout.readline())
        self.port = self.info["port"]
        self.pids = self.info["pids"]
        self.proxy = f"http://127.0.0.1:{self.port}"


@dataclass
class Result:
    variant: str
    returncode: int
    pages: int
    elapsed: float
    wall: float
    max_rss_mb: float
    cpu_user: float
    cpu_sys: float
    server_cpu: float
    articles_expected: int
    articles_stored: int | None
    articles_missing: int | None
    items: int
    per_minute: list[int] = field(default_factory=list)  # pages crawled in each LogStats minute
    served: dict = field(default_factory=dict)
    overrides: list[str] = field(default_factory=list)
    # The machine's busy CPU during the run minus the server's: the crawler with its extraction
    # worker processes (wait4 sees the crawler alone), on a quiet machine.
    tree_cpu: float | None = None

    @property
    def cpu(self) -> float:
        return self.cpu_user + self.cpu_sys

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.elapsed if self.elapsed else 0.0

    @property
    def cpu_share(self) -> float:
        return self.cpu / self.elapsed if self.elapsed else 0.0


def effective_politeness(overrides: list[str]) -> dict:
    """The politeness settings the crawl runs with: Scrapy's project settings plus ``-s`` overrides."""
    code = ("import json, sys; from scrapy.utils.project import get_project_settings; s = get_project_settings(); "
            "[s.set(*kv.split('=', 1), priority='cmdline') for kv in sys.argv[1:]]; "
            f"print(json.dumps({{n: s.get(n) for n in {list(POLITENESS)!r}}}))")
    pairs = [overrides[i + 1] for i in range(0, len(overrides), 2)]
    out = subprocess.run([PYTHON, "-c", code, *pairs], cwd=REPO, capture_output=True, text=True, check=True,
                         env=child_env("http://127.0.0.1:9"))
    return json.loads(out.stdout)


def run(network: Network, server: NetworkBenchServer, variant: str, folder: Path) -> Result:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    database, exports = folder / "db.sqlite3", folder / "exports"
    overrides = ["-s", f"NEWSCRAWL_EXPORTS_DIR={exports}", *VARIANTS[variant]]
    command = [PYTHON, "-m", "scrapy", "crawl", "detik", "-a", f"since={network.first_day}",
               "-a", f"until={network.last_day}", *overrides]
    server.control("reset")
    cpu_before, machine_before = server.cpu_seconds(), machine_busy_seconds()
    code, wall, rss, user, system = run_child(command, REPO, child_env(server.proxy, database), folder / "crawl.log")
    server_cpu = server.cpu_seconds() - cpu_before
    tree_cpu = machine_busy_seconds() - machine_before - server_cpu
    log = (folder / "crawl.log").read_text(errors="replace")
    expected = network.article_ids()
    stored = missing = None
    if database.exists():
        with sqlite3.connect(database) as connection:
            ids = {row[0] for row in connection.execute("SELECT article_id FROM articles")}
        stored, missing = len(ids), len(expected - ids)
    return Result(variant, code, int(scrapy_stat(log, "downloader/response_count") or 0),
                  scrapy_stat(log, "elapsed_time_seconds") or 0.0, wall, rss, user, system, server_cpu,
                  len(expected), stored, missing, int(scrapy_stat(log, "item_scraped_count") or 0),
                  _per_minute(log), server.control("stats"), overrides, tree_cpu)


def _per_minute(log: str) -> list[int]:
    counts = [int(n) for n in re.findall(r"Crawled (\d+) pages \(at \d+ pages/min\)", log)]
    return [b - a for a, b in zip(counts, counts[1:])]


def describe(result: Result) -> str:
    hosts = result.served.get("by_host", {})
    busiest = max(hosts, key=hosts.get) if hosts else "-"
    return (f"{result.variant:16s} exit {result.returncode}: {result.pages} pages in {result.elapsed:.1f} s = "
            f"{result.pages_per_s:.2f} pages/s (wall {result.wall:.1f} s); crawler CPU {result.cpu:.1f} s = "
            f"{100 * result.cpu_share:.1f}% of one core (with its workers {result.tree_cpu or 0:.1f} s); peak RSS {result.max_rss_mb:.0f} MB; server CPU "
            f"{result.server_cpu:.1f} s; stored {result.articles_stored}/{result.articles_expected} articles "
            f"({result.articles_missing} missing); busiest host {busiest} "
            f"{hosts.get(busiest, 0) / result.elapsed if result.elapsed else 0:.2f} req/s; "
            f"pages per minute {result.per_minute}")


def machine() -> dict:
    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor())
    return {"nproc": os.cpu_count(), "cpu": model, "python": platform.python_version()}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.network", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=1, help="days crawled (since..until)")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies networkgen.PER_DAY")
    parser.add_argument("--seed", type=int, default=1, help="the server's latency seed")
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--workdir", type=Path, help="default: a new folder under /tmp, removed at the end")
    parser.add_argument("--keep", action="store_true", help="keep each run's database, exports and log")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="newscrawl-network-"))
    workdir.mkdir(parents=True, exist_ok=True)
    network = Network(args.days, args.scale)
    summary: dict = {"machine": machine(), "days": args.days, "scale": args.scale,
                     "since": str(network.first_day), "until": str(network.last_day),
                     "channels": len(network.sites), "hosts": list(network.hosts), "articles": network.articles,
                     "index_pages": network.index_pages(), "runs": []}
    print(f"working in {workdir}; {summary['machine']}", flush=True)
    print(f"{len(network.sites)} channels on {len(network.hosts)} hosts, {network.articles} articles, "
          f"{network.index_pages()} index pages, {network.first_day}..{network.last_day}", flush=True)
    server = NetworkBenchServer(args.days, args.scale, args.seed)
    try:
        for n, variant in enumerate(args.variants):
            settings = effective_politeness(VARIANTS[variant])
            print(f"{variant}: {settings}", flush=True)
            result = run(network, server, variant, workdir / f"{n:02d}-{variant}")
            print(describe(result), flush=True)
            if result.returncode != 0 or result.articles_missing:
                print(f"{variant}: exit {result.returncode}, {result.articles_missing} articles missing "
                      f"(see {workdir / f'{n:02d}-{variant}' / 'crawl.log'})", file=sys.stderr)
            summary["runs"].append(asdict(result) | {"pages_per_s": result.pages_per_s, "cpu": result.cpu,
                                                     "cpu_share": result.cpu_share, "politeness": settings})
            if not args.keep:
                for path in ("db.sqlite3", "exports"):
                    target = workdir / f"{n:02d}-{variant}" / path
                    shutil.rmtree(target, ignore_errors=True) if target.is_dir() else target.unlink(missing_ok=True)
    finally:
        server.stop()
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, default=str) + "\n")
    if not args.keep and not args.workdir:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
