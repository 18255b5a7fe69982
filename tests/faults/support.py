"""Shared by the fault tests: the real crawl command against the replica with any database URL and
exports folder, the advice a failed run prints (run as printed), what the database holds afterwards,
and small real file systems that fill up."""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from newscrawl.archive import read_response
from newscrawl.items import ARTICLE_FIELDS
from newscrawl.settings import DOWNLOAD_MAXSIZE
from newscrawl.storage import open_database
from tests.e2e.conftest import FAST, REPO, Run, crawl_env, killable_temp
from tests.replica import Replica

BIN = Path(sys.executable).parent  # where `scrapy` and `newscrawl` are installed
COMPARED = [name for name in ARTICLE_FIELDS if name != "fetched_at"]
# Thresholds of the replica's busy day (it lists one undated article of two) and quick database retries.
BUSY_DAY = ("-s", "NEWSCRAWL_MIN_COVERAGE=0.5", "-s", "NEWSCRAWL_DATABASE_RETRY_BASE=0.05",
            "-s", "NEWSCRAWL_DATABASE_RETRY_MAX=0.2", "-s", "NEWSCRAWL_STORE_BATCH_SIZE=1")
_COMMAND = re.compile(r"`([^`]+)`")


def crawl(replica: Replica, workdir: Path, database_url: str, *arguments: str, timeout: float = 90) -> Run:
    """``scrapy crawl detikinet <arguments>`` against the replica, storing into ``database_url``."""
    workdir.mkdir(parents=True, exist_ok=True)
    replica.reset()
    command = [sys.executable, "-m", "scrapy", "crawl", "detikinet", "-s", f"NEWSCRAWL_EXPORTS_DIR={workdir}",
               *FAST, *arguments]
    started = time.time()
    result = subprocess.run(command, cwd=REPO, env=environment(replica, workdir, database_url), capture_output=True,
                            text=True, timeout=timeout)
    return Run(result.returncode, result.stdout, result.stderr, replica.requests(), workdir, started, time.time())


def environment(replica: Replica, workdir: Path, database_url: str) -> dict[str, str]:
    return {**crawl_env(replica, workdir), "NEWSCRAWL_DATABASE_URL": database_url}


def advice_line(stderr: str) -> str:
    """The one line of advice a run that gave up on the database ends with."""
    [line] = [line for line in stderr.splitlines() if "run the same crawl again" in line]
    return line


def advised_commands(stderr: str) -> list[list[str]]:
    return [shlex.split(command) for command in _COMMAND.findall(advice_line(stderr))]


def run_advised(command: list[str], env: dict[str, str], timeout: float = 90) -> subprocess.CompletedProcess:
    """Run a command exactly as the advice prints it, with the installed `scrapy` or `newscrawl`."""
    assert command[0] in ("scrapy", "newscrawl"), command
    return subprocess.run([str(BIN / command[0]), *command[1:]], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout)


def stored(database_url: str) -> dict[int, dict]:
    """Every stored article with its revisions: {article_id: {"record": ..., "revisions": [(n, warc_file, offset)]}}."""
    with open_database(database_url, migrate_schema=False) as database:
        records = {record["article_id"]: record for record in database.iter_articles()}
        with database.engine.connect() as connection:
            rows = connection.execute(sa.text(
                "SELECT article_id, revision, warc_file, warc_offset FROM article_revisions ORDER BY article_id, revision"
            )).all()
    revisions: dict[int, list[tuple]] = {}
    for article_id, revision, warc_file, warc_offset in rows:
        revisions.setdefault(article_id, []).append((revision, warc_file, warc_offset))
    return {article_id: {"record": record, "revisions": revisions.get(article_id, [])}
            for article_id, record in records.items()}


def assert_every_article_stored_once_with_its_capture(database_url: str, articles, exports_dir: Path) -> None:
    """Each of ``articles`` (the replica's site map) is stored with the expected fields, in one revision
    whose WARC location holds that article's response; nothing else is stored."""
    held = stored(database_url)
    assert sorted(held) == sorted(article.article_id for article in articles)
    for article in articles:
        entry = held[article.article_id]
        assert {name: entry["record"][name] for name in COMPARED} == {name: article.item[name] for name in COMPARED}
        [(revision, warc_file, warc_offset)] = entry["revisions"]
        assert revision == 1 and warc_file is not None and warc_offset is not None, (article.url, entry["revisions"])
        response = read_response(exports_dir / warc_file, warc_offset, max_bytes=DOWNLOAD_MAXSIZE)
        assert (response.url, response.status) == (article.fetch_urls[-1], 200)


def refuse_article_in_the_database(database_url: str, article_id: int) -> None:
    """A trigger in a PostgreSQL test schema: the server refuses this article's row (SQLSTATE 22000,
    a DataError, as it refuses a NUL in text), whatever the schema's validation thinks of it."""
    with open_database(database_url) as database, database.engine.begin() as connection:
        connection.execute(sa.text(f"""
            CREATE FUNCTION refuse_article() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.article_id = {article_id} THEN
                RAISE EXCEPTION 'refused by the test trigger' USING ERRCODE = 'data_exception';
              END IF;
              RETURN NEW;
            END $$"""))
        connection.execute(sa.text(
            "CREATE TRIGGER refuse_article BEFORE INSERT ON articles FOR EACH ROW EXECUTE FUNCTION refuse_article()"))


# -- the crawl command with its exports folder and database anywhere; file systems that fill up --------
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
    """The same crawl, started; its log is read from ``stderr`` as it comes (its TMPDIR: killable_temp)."""
    replica.reset()
    env = {**crawl_environment(replica, database_url), "TMPDIR": str(killable_temp(exports))}
    return subprocess.Popen(crawl_command(exports, *arguments), cwd=REPO, env=env,
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
