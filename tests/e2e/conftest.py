"""End-to-end fixtures: the replica in this process, the real crawl command in a subprocess.

The crawl reaches the replica only through ``http_proxy``/``https_proxy`` (Scrapy's standard
HttpProxyMiddleware); nothing in newscrawl knows about the replica. Politeness settings are lifted
on the command line for speed, nothing else is changed.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.replica import LoggedRequest, Replica

REPO = Path(__file__).resolve().parents[2]
# Politeness lifted for speed, against a server on 127.0.0.1 (the site-wide ceiling included).
FAST = ("-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "NEWSCRAWL_RETRY_BACKOFF_BASE=0.05",
        "-s", "NEWSCRAWL_SITE_MIN_INTERVAL=0",
        # The replica lists a few articles a day (production expects at least 10) and serves one
        # undated page on purpose (1 of 5 items without published_at); the other run checks keep
        # their production thresholds.
        "-s", "NEWSCRAWL_MIN_ARTICLES_PER_DAY=0", "-s", "NEWSCRAWL_MIN_COVERAGE=0.75")
# Anything that could send the crawl elsewhere than the replica, or change how it runs.
_CLEARED_ENV = re.compile(r"^(https?_proxy|all_proxy|no_proxy|ftp_proxy|newscrawl_.*|redis_url|scrapy_.*)$", re.I)


@dataclass
class Run:
    """One finished crawl: its process result, what the replica saw, and where it wrote."""

    returncode: int
    stdout: str
    stderr: str
    requests: list[LoggedRequest]
    workdir: Path
    started: float
    finished: float
    db: dict | None = None  # what the database held right after the run (filled by the tests)
    jsonl_before: dict | None = None  # JSON lines files before the run (filled by the tests)
    spider: str = "detikinet"

    @property
    def gets(self) -> list[LoggedRequest]:
        return [request for request in self.requests if request.method == "GET"]

    @property
    def database(self) -> Path:
        return self.workdir / "db.sqlite3"

    def summary(self) -> dict[str, str]:
        """The run summary the RunSummary extension logs: {'pages fetched': 'article 6, index 94', ...}."""
        lines = self.stderr.splitlines()
        start = next(n for n, line in enumerate(lines) if f"run summary of {self.spider} (" in line)
        summary = {}
        for line in lines[start + 1:]:
            if not line.startswith("  "):
                break
            for part in line.strip().split("; "):
                key, _, value = part.partition(": ")
                summary[key] = value
        return summary

    def jsonl_files(self) -> list[Path]:
        return sorted((self.workdir / self.spider).glob("*.jsonl"))

    def jsonl_records(self) -> list[dict]:
        return [json.loads(line) for path in self.jsonl_files()
                for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def sql(self, query: str, *parameters) -> list[tuple]:
        with sqlite3.connect(self.database) as connection:
            return connection.execute(query, parameters).fetchall()


def crawl_env(replica: Replica, workdir: Path) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not _CLEARED_ENV.match(name)}
    env.update(
        http_proxy=replica.proxy_url,
        https_proxy=replica.proxy_url,
        NEWSCRAWL_DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


def killable_temp(exports: Path) -> Path:
    """A TMPDIR beside ``exports`` for a crawl a test may kill: one killed with SIGKILL leaves its
    extraction workers' multiprocessing folder (the forkserver's socket) behind, there rather than in /tmp."""
    folder = exports.with_name(f"{exports.name}.tmp")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def run_crawl(replica: Replica, workdir: Path, *arguments: str, timeout: float = 90, spider: str = "detikinet") -> Run:
    """``scrapy crawl <spider> <arguments>`` against the replica; the replica's log is reset first."""
    workdir.mkdir(parents=True, exist_ok=True)
    replica.reset()
    command = [sys.executable, "-m", "scrapy", "crawl", spider, *arguments,
               "-s", f"NEWSCRAWL_EXPORTS_DIR={workdir}", *FAST]
    started = time.time()
    result = subprocess.run(command, cwd=REPO, env=crawl_env(replica, workdir), capture_output=True, text=True,
                            timeout=timeout)
    finished = time.time()
    return Run(result.returncode, result.stdout, result.stderr, replica.requests(), workdir, started, finished,
               spider=spider)


@pytest.fixture(scope="session")
def replica():
    with Replica() as server:
        yield server
