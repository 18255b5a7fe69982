"""Shared by the fault tests: the real crawl command against the replica, with its exports folder
and database wherever the test puts them, and small real file systems that fill up."""

from __future__ import annotations

import ast
import json
import os
import re
import sqlite3
import subprocess
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.conftest import FAST, REPO, crawl_env

NEWSCRAWL = Path(sys.executable).with_name("newscrawl")


@dataclass
class Crawl:
    returncode: int
    stderr: str

    def lines(self, pattern: str) -> list[str]:
        """Log lines matching a regular expression."""
        return [line for line in self.stderr.splitlines() if re.search(pattern, line)]

    def stat(self, name: str):
        """A value from Scrapy's stats dump at the end of the log."""
        match = re.search(rf"^[{{ ]'{re.escape(name)}': (.*?)[,}}]?$", self.stderr, re.M)
        return None if match is None else ast.literal_eval(match.group(1))

    def outcome_line(self) -> str:
        [line] = [line for line in self.stderr.splitlines() if line.startswith("  outcome: ")]
        return line


def crawl_command(exports: Path, *arguments: str) -> list[str]:
    return [sys.executable, "-m", "scrapy", "crawl", "detikinet", *arguments,
            "-s", f"NEWSCRAWL_EXPORTS_DIR={exports}", *FAST]


def crawl_environment(replica, database_url: str) -> dict[str, str]:
    env = crawl_env(replica, Path("/nonexistent"))
    env["NEWSCRAWL_DATABASE_URL"] = database_url
    return env


def run_crawl(replica, database_url: str, exports: Path, *arguments: str, timeout: float = 90) -> Crawl:
    """`scrapy crawl detikinet` through the replica, into ``exports`` and ``database_url``."""
    replica.reset()
    result = subprocess.run(crawl_command(exports, *arguments), cwd=REPO, env=crawl_environment(replica, database_url),
                            capture_output=True, text=True, timeout=timeout)
    return Crawl(result.returncode, result.stderr)


def start_crawl(replica, database_url: str, exports: Path, *arguments: str) -> subprocess.Popen:
    """The same crawl, started; its log is read from ``stderr`` as it comes."""
    replica.reset()
    return subprocess.Popen(crawl_command(exports, *arguments), cwd=REPO, env=crawl_environment(replica, database_url),
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)


def read_until(stream, pattern: str, limit: int = 2000) -> tuple[re.Match, list[str]]:
    """Read log lines until one matches ``pattern``; the match and every line read."""
    lines = []
    for _ in range(limit):
        line = stream.readline()
        if not line:
            break
        lines.append(line)
        match = re.search(pattern, line)
        if match:
            return match, lines
    raise AssertionError(f"no log line matched {pattern!r}; read:\n{''.join(lines[-40:])}")


def newscrawl(*arguments: str, env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key != "NEWSCRAWL_DATABASE_URL"}
    environment.update(env or {})
    return subprocess.run([str(NEWSCRAWL), *arguments], capture_output=True, text=True, timeout=60, env=environment)


def sqlite_rows(path: Path, query: str, *parameters) -> list[tuple]:
    with sqlite3.connect(path) as connection:
        return connection.execute(query, parameters).fetchall()


def jsonl_records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@contextmanager
def tmpfs(path: Path, size: str):
    """A real tmpfs of ``size`` (e.g. "8k") mounted at ``path`` for the block, unmounted after."""
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        # A file still open (a failed assertion inside the block) would keep it busy: detach it then.
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "--lazy", str(path)], check=True)


def fill(folder: Path) -> None:
    """Fill the file system under ``folder`` to the last byte."""
    with open(folder / "filler", "wb", buffering=0) as filler:
        block = b"\0" * 4096
        try:
            while True:
                filler.write(block)
        except OSError as error:
            assert error.errno == 28, error  # ENOSPC
    with open(folder / "filler", "ab", buffering=0) as filler:
        try:
            while True:
                filler.write(b"\0")
        except OSError as error:
            assert error.errno == 28, error
