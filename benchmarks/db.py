"""Articles stored per second: the store pipeline's path vs a plain batched executemany INSERT.

Run from the repository root (PostgreSQL on 127.0.0.1:5432, trust auth, database ``test``)::

    .venv/bin/python -m benchmarks.db                        # SQLite and PostgreSQL, 2,000 articles x 5 reps (~1-2 min)
    .venv/bin/python -m benchmarks.db --profile              # cProfile of the store path, both databases

Both variants start from the same list of records and write them in batches of 50 (the store
pipeline's default NEWSCRAWL_STORE_BATCH_SIZE), one transaction per batch:

* ``store`` - ``Database.store_articles(batch, reason="crawl", run_id=...)``, exactly what
  newscrawl.pipelines.store.StorePipeline.store calls: validation, fields_hash, one articles row
  and one article_revisions row per article, through SQLAlchemy, into the migrated schema.
* ``bare``  - the plain DB-API driver (sqlite3 / psycopg) with ``executemany`` of one INSERT per
  batch into a table with the record's 22 columns and the articles table's column types, no key,
  no index, no constraint; the timed part includes turning each record into a row tuple (lists
  to JSON text). This is the floor: what the database and driver charge for the same rows.
* ``schema`` (diagnostic, not part of the target) - the same plain driver executemany, but into
  newscrawl's own migrated tables: per article one articles row and one article_revisions row,
  with all their indexes and constraints, column values computed beforehand by newscrawl's
  normalise_record/record_to_columns (untimed). It is the floor of the current schema, and shows
  how much of the gap is the schema (two rows, seven indexes) and how much the Python path.

Records are copies of the expected item of the real 2022 page
(tests/fixtures/pages/detikinet-2022-12-10-d-6453192.json) with a new article_id, URL and body
(the page's words shuffled per article, one sentence naming the id added; word_count and
content_hash recomputed), so every store is a new article, none a near-duplicate of another, as
in a crawl of new articles.

Since issue 15 the store also files each new article's near-duplicate fingerprint (one
near_duplicates row, one near_duplicate_buckets row per LSH band). Its MinHash signature is
computed ahead by the crawl's extraction worker (and by import's and reextract's workers), so
``store`` is given them, computed untimed beforehand, as the store pipeline is. ``store_signing``
(diagnostic) computes them in the store, as it does for a caller that gives none. The schema floor
inserts the fingerprint and bucket rows too, with the same precomputed values.

Each repetition gets an empty database (SQLite: new files in a temporary folder; PostgreSQL:
tables truncated in the benchmark's own schema ``bench_<pid>``, dropped at the end). The two
variants alternate (store first in even repetitions, bare first in odd ones); the ratio
store/bare is taken per repetition and its median reported.
"""

from __future__ import annotations

import argparse
import cProfile
import copy
import gc
import hashlib
import io
import json
import os
import platform
import pstats
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from urllib.parse import quote

from datetime import datetime, timezone

import sqlalchemy as sa

from newscrawl import near_duplicates as fingerprints
from newscrawl.storage import ARTICLE_FIELDS, normalise_record, open_database
from newscrawl.storage.rows import record_to_columns

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "pages" / "detikinet-2022-12-10-d-6453192.json"
BATCH_SIZE = 50  # StorePipeline's default (NEWSCRAWL_STORE_BATCH_SIZE)
POSTGRES_URL = os.environ.get("NEWSCRAWL_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
JSON_FIELDS = ("authors", "images", "tags")
INT_FIELDS = ("article_id", "page_count", "word_count")
TIMESTAMP_FIELDS = ("published_at", "fetched_at")


# -- records ----------------------------------------------------------------------------------


def make_records(count: int, first_id: int = 8_000_000) -> list[dict]:
    base = json.loads(FIXTURE.read_text(encoding="utf-8"))["item"]
    paragraphs = base["body"].split("\n\n")
    records = []
    for index in range(count):
        article_id = first_id + index
        # The page's words in a new order per article: every body distinct, none a near-duplicate of
        # another (as a crawl of new articles), at the page's length and paragraph sizes.
        words = [word for paragraph in paragraphs for word in paragraph.split()]
        random.Random(article_id).shuffle(words)
        cut, shuffled = 0, []
        for paragraph in paragraphs:
            size = len(paragraph.split())
            shuffled.append(" ".join(words[cut:cut + size]))
            cut += size
        body = "\n\n".join(shuffled + [f"Artikel nomor {article_id} untuk pengukuran penyimpanan."])
        record = copy.deepcopy(base)
        record.update(
            article_id=article_id,
            url=f"https://inet.detik.com/cyberlife/d-{article_id}/artikel-pengukuran-{article_id}",
            body=body,
            word_count=len(body.split()),
            content_hash=hashlib.sha256(body.encode("utf-8")).hexdigest(),
        )
        records.append(record)
    return records


def batches(records: list[dict]):
    for start in range(0, len(records), BATCH_SIZE):
        yield records[start : start + BATCH_SIZE]


def row_tuple(record: dict) -> tuple:
    return tuple(
        json.dumps(record[name], ensure_ascii=False) if name in JSON_FIELDS and record[name] is not None else record[name]
        for name in ARTICLE_FIELDS
    )


# -- backends ---------------------------------------------------------------------------------


def _column_type(name: str, postgres: bool) -> str:
    if name in INT_FIELDS:
        return "BIGINT" if name == "article_id" else "INTEGER"
    if name in TIMESTAMP_FIELDS:
        return "TIMESTAMP WITH TIME ZONE" if postgres else "DATETIME"
    if name in JSON_FIELDS:
        return "JSON"
    return "TEXT"


def bare_table_ddl(postgres: bool) -> str:
    columns = ", ".join(f"{name} {_column_type(name, postgres)}" for name in ARTICLE_FIELDS)
    return f"CREATE TABLE bare_articles ({columns})"


ARTICLE_EXTRA = ("published_at_iso", "fetched_at_iso", "fields_hash")
ARTICLES_COLUMNS = ARTICLE_FIELDS + ARTICLE_EXTRA + (
    "current_revision", "revision_count", "first_seen_at", "last_seen_at", "updated_at")
REVISIONS_COLUMNS = ARTICLE_FIELDS + ARTICLE_EXTRA + ("revision", "reason", "run_id", "created_at")


NEAR_COLUMNS = ("publisher", "article_id", "content_hash", "published_at", "signature", "group_publisher",
                "group_article_id")
BUCKET_COLUMNS = ("bucket", "publisher", "article_id")
BANDING = fingerprints.Banding(fingerprints.DEFAULT_THRESHOLD, 25, 5)  # migration 0006's default settings


def signatures_of(records: list[dict]) -> dict:
    """What the extraction workers hand the store pipeline: each body's signature."""
    return {(record["publisher"], record["article_id"]): fingerprints.signed(record["body"])
            for record in records}


def schema_rows(records: list[dict], run_id: int) -> list[tuple]:
    """(articles row, article_revisions row, near_duplicates row, bucket rows) per record, as newscrawl
    computes the columns; every article is its own group (none is a near-duplicate of another)."""
    now = datetime.now(timezone.utc).isoformat()
    rows = []
    for record in records:
        columns = record_to_columns(normalise_record(record))
        values = tuple(
            json.dumps(columns[name], ensure_ascii=False) if name in JSON_FIELDS and columns[name] is not None
            else columns[name].isoformat() if name in TIMESTAMP_FIELDS and columns[name] is not None
            else columns[name]
            for name in ARTICLE_FIELDS + ARTICLE_EXTRA
        )
        seen = columns["fetched_at"].isoformat()
        signature = fingerprints.signature(columns["body"])
        key = (columns["publisher"], columns["article_id"])
        near = (*key, columns["content_hash"], columns["published_at"].isoformat(), fingerprints.to_bytes(signature), *key)
        buckets = [(bucket, *key) for bucket in fingerprints.buckets(signature, BANDING)]
        rows.append((values + (1, 1, seen, seen, now), values + (1, "crawl", run_id, now), near, buckets))
    return rows


def insert_sql(table: str, columns: tuple[str, ...], placeholder: str) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([placeholder] * len(columns))})"


def bare_insert_sql(placeholder: str) -> str:
    return f"INSERT INTO bare_articles ({', '.join(ARTICLE_FIELDS)}) VALUES ({', '.join([placeholder] * len(ARTICLE_FIELDS))})"


class SqliteBackend:
    name = "sqlite"

    def __init__(self):
        self.folder = Path(tempfile.mkdtemp(prefix="newscrawl-bench-db-"))
        self.counter = 0

    def _new_path(self, kind: str) -> Path:
        self.counter += 1
        return self.folder / f"{kind}-{self.counter}.sqlite"

    @contextmanager
    def store_database(self):
        path = self._new_path("store")
        database = open_database(f"sqlite:///{path}")  # migrations run here, untimed
        try:
            yield database
        finally:
            database.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

    @contextmanager
    def bare_connection(self):
        path = self._new_path("bare")
        # The store engine's settings: autocommit mode with explicit BEGIN, WAL, default synchronous.
        connection = sqlite3.connect(path, timeout=30, isolation_level=None)
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute(bare_table_ddl(postgres=False))
        try:
            yield connection
        finally:
            connection.close()
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)

    def bare_insert(self, connection, records: list[dict]) -> None:
        sql = bare_insert_sql("?")
        for batch in batches(records):
            rows = [row_tuple(record) for record in batch]
            connection.execute("BEGIN")
            connection.executemany(sql, rows)
            connection.execute("COMMIT")

    def bare_count(self, connection) -> int:
        return connection.execute("SELECT count(*) FROM bare_articles").fetchone()[0]

    def schema_insert(self, database, rows) -> None:
        raw = database.engine.raw_connection()
        try:
            connection = raw.driver_connection  # isolation_level None: BEGIN/COMMIT by hand, as the engine does
            articles = insert_sql("articles", ARTICLES_COLUMNS, "?")
            revisions = insert_sql("article_revisions", REVISIONS_COLUMNS, "?")
            near = insert_sql("near_duplicates", NEAR_COLUMNS, "?")
            buckets = insert_sql("near_duplicate_buckets", BUCKET_COLUMNS, "?")
            for start in range(0, len(rows), BATCH_SIZE):
                batch = rows[start : start + BATCH_SIZE]
                connection.execute("BEGIN IMMEDIATE")
                connection.executemany(articles, [row[0] for row in batch])
                connection.executemany(revisions, [row[1] for row in batch])
                connection.executemany(near, [row[2] for row in batch])
                connection.executemany(buckets, [bucket for row in batch for bucket in row[3]])
                connection.execute("COMMIT")
        finally:
            raw.close()

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


class PostgresBackend:
    name = "postgresql"

    def __init__(self):
        self.schema = f"bench_{os.getpid()}"
        self.admin = sa.create_engine(POSTGRES_URL)
        with self.admin.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{self.schema}"'))
        self.url = f"{POSTGRES_URL}?options={quote(f'-csearch_path={self.schema}')}"
        self.database = open_database(self.url)  # migrations once; tables truncated per repetition
        import psycopg

        params = sa.engine.make_url(POSTGRES_URL)
        self.bare = psycopg.connect(
            host=params.host, port=params.port or 5432, user=params.username, dbname=params.database,
            password=params.password, options=f"-csearch_path={self.schema}",
        )
        self.bare.execute(bare_table_ddl(postgres=True))
        self.bare.commit()

    @contextmanager
    def store_database(self):
        with self.database.engine.begin() as connection:
            connection.execute(sa.text("TRUNCATE articles, article_revisions, crawl_runs, near_duplicates, near_duplicate_buckets "
                                    "RESTART IDENTITY CASCADE"))
        yield self.database

    @contextmanager
    def bare_connection(self):
        self.bare.execute("TRUNCATE bare_articles")
        self.bare.commit()
        yield self.bare

    def bare_insert(self, connection, records: list[dict]) -> None:
        sql = bare_insert_sql("%s")
        for batch in batches(records):
            rows = [row_tuple(record) for record in batch]
            with connection.cursor() as cursor:
                cursor.executemany(sql, rows)
            connection.commit()

    def bare_count(self, connection) -> int:
        return connection.execute("SELECT count(*) FROM bare_articles").fetchone()[0]

    def schema_insert(self, database, rows) -> None:
        raw = database.engine.raw_connection()
        try:
            connection = raw.driver_connection
            articles = insert_sql("articles", ARTICLES_COLUMNS, "%s")
            revisions = insert_sql("article_revisions", REVISIONS_COLUMNS, "%s")
            near = insert_sql("near_duplicates", NEAR_COLUMNS, "%s")
            buckets = insert_sql("near_duplicate_buckets", BUCKET_COLUMNS, "%s")
            for start in range(0, len(rows), BATCH_SIZE):
                batch = rows[start : start + BATCH_SIZE]
                with connection.cursor() as cursor:
                    cursor.executemany(articles, [row[0] for row in batch])
                    cursor.executemany(revisions, [row[1] for row in batch])
                    cursor.executemany(near, [row[2] for row in batch])
                    cursor.executemany(buckets, [bucket for row in batch for bucket in row[3]])
                connection.commit()
        finally:
            raw.close()

    def close(self) -> None:
        self.database.close()
        self.bare.close()
        with self.admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{self.schema}" CASCADE'))
        self.admin.dispose()


BACKENDS = {"sqlite": SqliteBackend, "postgresql": PostgresBackend}


# -- measuring --------------------------------------------------------------------------------


def time_store(backend, records: list[dict], signed: bool = True) -> float:
    signatures = signatures_of(records) if signed else None  # untimed: the extraction workers' work
    with backend.store_database() as database:
        run_id = database.start_run("crawl", {"benchmark": "db"})
        gc.collect()
        start = time.perf_counter()
        statuses = []
        for batch in batches(records):
            statuses += database.store_articles(batch, reason="crawl", run_id=run_id, signatures=signatures)
        elapsed = time.perf_counter() - start
        with database.engine.connect() as connection:
            buckets = connection.scalar(sa.text("SELECT count(*) FROM near_duplicate_buckets"))
        if buckets != len(records) * BANDING.bands:
            raise RuntimeError(f"store path filed {buckets} bucket rows for {len(records)} articles")
        if statuses.count("new") != len(records):
            raise RuntimeError(f"store path stored {statuses.count('new')} new of {len(records)}")
    return elapsed


def time_bare(backend, records: list[dict]) -> float:
    with backend.bare_connection() as connection:
        gc.collect()
        start = time.perf_counter()
        backend.bare_insert(connection, records)
        elapsed = time.perf_counter() - start
        if backend.bare_count(connection) != len(records):
            raise RuntimeError("bare insert lost rows")
    return elapsed


def time_schema(backend, records: list[dict]) -> float:
    with backend.store_database() as database:
        run_id = database.start_run("crawl", {"benchmark": "db"})
        rows = schema_rows(records, run_id)
        gc.collect()
        start = time.perf_counter()
        backend.schema_insert(database, rows)
        elapsed = time.perf_counter() - start
        if database.count_articles() != len(records):
            raise RuntimeError("schema insert lost rows")
    return elapsed


def measure(backend, records: list[dict], reps: int) -> dict:
    # Warm-up (not counted): imports, SQLAlchemy's statement cache, the server's caches.
    variants = {"store": time_store, "bare": time_bare, "schema": time_schema,
                "store_signing": lambda backend, records: time_store(backend, records, signed=False)}
    for func in variants.values():
        func(backend, records[: BATCH_SIZE * 4])
    times: dict[str, list[float]] = {name: [] for name in variants}
    for rep in range(reps):
        names = list(variants)
        shift = rep % len(names)  # rotate the order from repetition to repetition
        for name in names[shift:] + names[:shift]:
            times[name].append(variants[name](backend, records))
        print(f"\r{backend.name}: repetition {rep + 1}/{reps}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    count = len(records)
    store, bare, schema = times["store"], times["bare"], times["schema"]
    ratios = [b / s for s, b in zip(store, bare)]  # store rate / bare rate = bare time / store time
    signing = times["store_signing"]
    return {
        "store_signing_seconds": signing,
        "store_signing_ms_per_article": statistics.median(signing) / count * 1000,
        "store_signing_ratio_to_schema": statistics.median([c / s for s, c in zip(signing, schema)]),
        "schema_seconds": schema,
        "schema_per_s": count / statistics.median(schema),
        "schema_ms_per_article": statistics.median(schema) / count * 1000,
        "schema_ratio_to_bare": statistics.median([b / s for s, b in zip(schema, bare)]),
        "store_ratio_to_schema": statistics.median([c / s for s, c in zip(store, schema)]),
        "articles": count,
        "store_seconds": store,
        "bare_seconds": bare,
        "store_per_s": count / statistics.median(store),
        "bare_per_s": count / statistics.median(bare),
        "store_ms_per_article": statistics.median(store) / count * 1000,
        "bare_ms_per_article": statistics.median(bare) / count * 1000,
        "ratio_per_rep": ratios,
        "ratio": statistics.median(ratios),
    }


# -- profile ----------------------------------------------------------------------------------

GROUPS = (
    ("newscrawl/storage/records.py", "newscrawl: validation + fields_hash (records.py)"),
    ("newscrawl/storage/rows.py", "newscrawl: record -> columns (rows.py)"),
    ("newscrawl/storage", "newscrawl: store loop, models (writes.py, models.py)"),
    ("sqlalchemy/orm", "SQLAlchemy ORM Session"),
    ("sqlalchemy/sql", "SQLAlchemy statement building, cache keys, compiling"),
    ("sqlalchemy/engine", "SQLAlchemy engine: execute, results"),
    ("sqlalchemy/dialects", "SQLAlchemy dialect (insert ... on conflict, type processors)"),
    ("sqlalchemy", "SQLAlchemy other"),
    ("psycopg", "psycopg (Python side)"),
    ("json/", "json"),
)


def _group_of(filename: str, function: str) -> str:
    for fragment, label in GROUPS:
        if fragment in filename:
            return label
    if filename == "~":
        if "sqlite3.Cursor" in function or "sqlite3.Connection" in function:
            return "sqlite3 driver (C: SQL execution, fsync at commit)"
        if "psycopg" in function or "pq" in function:
            return "psycopg C / libpq (network, server)"
        return "builtins (C)"
    return "other Python"


def profile(backend, records: list[dict], top: int) -> list[str]:
    time_store(backend, records[: BATCH_SIZE * 4])  # warm-up
    signatures = signatures_of(records)
    with backend.store_database() as database:
        run_id = database.start_run("crawl", {"benchmark": "db"})
        profiler = cProfile.Profile()
        start = time.perf_counter()
        profiler.enable()
        for batch in batches(records):
            database.store_articles(batch, reason="crawl", run_id=run_id, signatures=signatures)
        profiler.disable()
        wall = time.perf_counter() - start
    stats = pstats.Stats(profiler)
    total = sum(entry[2] for entry in stats.stats.values())  # tottime over every function
    groups: dict[str, float] = defaultdict(float)
    for (filename, _line, function), entry in stats.stats.items():
        groups[_group_of(filename, function)] += entry[2]
    lines = [
        f"### store path under cProfile, {backend.name}, {len(records)} articles: {wall:.2f} s wall "
        f"({wall / len(records) * 1000:.2f} ms per article with the profiler's overhead)",
        "",
        "| where (own time of the functions, grouped) | share |",
        "|---|---:|",
    ]
    for label, seconds in sorted(groups.items(), key=lambda item: -item[1]):
        lines.append(f"| {label} | {seconds / total:.0%} |")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    lines += ["", "```", out.getvalue().strip(), "```"]
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    lines += ["", "```", out.getvalue().strip(), "```"]
    return lines


# -- main -------------------------------------------------------------------------------------


def machine() -> str:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = ", ".join(f"{name} {metadata.version(name)}" for name in ("SQLAlchemy", "psycopg", "psycopg-binary"))
    return (f"machine: {os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, {versions}, "
            f"SQLite {sqlite3.sqlite_version}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000, help="articles per repetition (default 2000)")
    parser.add_argument("--reps", type=int, default=5, help="repetitions per variant (default 5)")
    parser.add_argument("--backends", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--profile", action="store_true", help="cProfile the store path instead of timing")
    parser.add_argument("--top", type=int, default=30, help="rows of each profile listing")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    args = parser.parse_args(argv)

    records = make_records(args.articles)
    print(machine())
    results = {}
    started = time.perf_counter()
    for name in args.backends.split(","):
        backend = BACKENDS[name.strip()]()
        try:
            if name == "postgresql":
                with backend.database.engine.connect() as connection:
                    print("PostgreSQL", connection.execute(sa.text("SHOW server_version")).scalar())
            if args.profile:
                print("\n".join(profile(backend, records, args.top)))
                print()
            else:
                results[name] = measure(backend, records, args.reps)
        finally:
            backend.close()
    if args.profile:
        return 0
    print(f"\n{args.articles} articles per repetition in batches of {BATCH_SIZE}, {args.reps} repetitions per variant\n")
    print("| database | store path articles/s (ms/article) | bare executemany articles/s (ms/article) "
          "| ratio store/bare, median (per repetition) | target >= 0.8 |")
    print("|---|---:|---:|---:|---|")
    for name, figures in results.items():
        per_rep = ", ".join(f"{value:.3f}" for value in figures["ratio_per_rep"])
        print(f"| {name} | {figures['store_per_s']:.0f} ({figures['store_ms_per_article']:.3f}) "
              f"| {figures['bare_per_s']:.0f} ({figures['bare_ms_per_article']:.3f}) "
              f"| **{figures['ratio']:.3f}** ({per_rep}) | {'met' if figures['ratio'] >= 0.8 else 'not met'} |")
    print("\nThe schema's floor: plain executemany into newscrawl's own tables (articles, revisions, fingerprints,"
          " buckets):\n")
    print("| database | schema floor articles/s (ms/article) | schema floor / bare | store path / schema floor "
          "| store computing signatures (ms/article) / schema floor |")
    print("|---|---:|---:|---:|---:|")
    for name, figures in results.items():
        print(f"| {name} | {figures['schema_per_s']:.0f} ({figures['schema_ms_per_article']:.3f}) "
              f"| {figures['schema_ratio_to_bare']:.2f} | **{figures['store_ratio_to_schema']:.3f}** "
              f"| ({figures['store_signing_ms_per_article']:.3f}) {figures['store_signing_ratio_to_schema']:.3f} |")
    print(f"\n(took {time.perf_counter() - started:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
