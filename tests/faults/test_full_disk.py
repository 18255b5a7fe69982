"""A full disk under the exports folder (JSON lines, WARC files) and under an export's output, on real
small tmpfs mounts: the run fails with one clear line per file, the files hold whole records only,
nothing is lost (the database keeps every article), and the log claims nothing untrue."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from scrapy.utils.project import get_project_settings

from newscrawl.archive import iter_responses, read_response
from newscrawl.cli import main
from newscrawl.extensions import summarize_crawl
from newscrawl.settings import DOWNLOAD_MAXSIZE
from newscrawl.storage import open_database
from newscrawl.summary import Thresholds, summarize
from tests.replica import CRAWL_RANGE
from tests.storage.support import make_article

from .support import fill, jsonl_records, newscrawl, run_crawl, sqlite_rows, tmpfs

SINCE, UNTIL = CRAWL_RANGE
RANGE = ("-a", f"since={SINCE}", "-a", f"until={UNTIL}")
WARCIO = Path(sys.executable).with_name("warcio")


def listed_ids(replica) -> list[int]:
    return sorted(article.article_id for article in replica.site.articles_listed(SINCE, UNTIL))


def untrue_or_noisy(crawl, feed_failed: bool = True) -> list[str]:
    """Lines that must not appear: tracebacks, handler errors, and a failed feed reported as stored."""
    return crawl.lines(r"Traceback|Error caught on signal handler" + (r"|Stored jsonlines feed" if feed_failed else ""))


def the_run(database: Path) -> tuple[int, str]:
    [(run_id, outcome)] = sqlite_rows(database, "SELECT id, outcome FROM crawl_runs")
    return run_id, outcome


def test_the_json_lines_file_filling_its_disk_fails_the_run_with_one_line(replica, tmp_path):
    exports, database = tmp_path / "exports", tmp_path / "db.sqlite3"
    with tmpfs(exports / "detikinet", "8k"):  # the run's 5 items take 11.8 kB
        crawl = run_crawl(replica, f"sqlite:///{database}", exports, *RANGE)
        [jsonl] = (exports / "detikinet").glob("*.jsonl")
        in_file = jsonl_records(jsonl)  # every line whole: the file was cut back to its last item
    ids = listed_ids(replica)
    run_id, outcome = the_run(database)

    assert crawl.returncode == 1
    assert outcome == "failed"
    assert 0 < len(in_file) < len(ids)
    missing = len(ids) - len(in_file)
    [line] = crawl.lines(r"\[newscrawl\.feeds\]")
    assert line.endswith(f" ERROR: no space left on device writing {jsonl}: it holds the run's first {len(in_file)} "
                         "items; no further items are written to it")
    assert (f"the JSON lines file {jsonl} lacks {missing} of the run's {len(ids)} items (no space left on device); "
            f"the database has the run's articles: newscrawl export --format jsonl --run {run_id} -o <file> writes them"
            ) in crawl.outcome_line()
    assert crawl.lines(r"\[scrapy\.extensions\.feedexport\] ERROR: Error storing jsonlines feed") != []
    assert crawl.stat("feedexport/failed_count/FeedStorage") == 1
    assert untrue_or_noisy(crawl) == []

    # What the summary says to do works: the run's articles, all of them, as the file has them.
    rescued = tmp_path / "rescued.jsonl"
    export = newscrawl("export", "--format", "jsonl", "--run", str(run_id), "-o", str(rescued),
                       "--database-url", f"sqlite:///{database}")
    assert export.returncode == 0, export.stderr
    by_id = {record["article_id"]: record for record in jsonl_records(rescued)}
    assert sorted(by_id) == ids
    assert [by_id[record["article_id"]] for record in in_file] == in_file


def test_the_warc_archive_filling_its_disk_fails_the_run_with_one_line(replica, tmp_path):
    exports, database = tmp_path / "exports", tmp_path / "db.sqlite3"
    with tmpfs(exports / "warc", "24k"):  # its article pages and robots.txt take 44 kB compressed
        crawl = run_crawl(replica, f"sqlite:///{database}", exports, *RANGE, "-s", "NEWSCRAWL_WARC_INDEX_PAGES=False")
        [warc] = (exports / "warc").glob("*.warc.gz")
        check = subprocess.run([str(WARCIO), "check", str(warc)], capture_output=True, text=True)
        in_file = [response.url for response in iter_responses(warc, max_bytes=DOWNLOAD_MAXSIZE)]
        revisions = sqlite_rows(database, "SELECT article_id, url, warc_file, warc_offset FROM article_revisions")
        archived_pages = {url: read_response(exports / warc_file, offset, max_bytes=DOWNLOAD_MAXSIZE).url
                          for _, url, warc_file, offset in revisions if warc_file is not None}
    archived, not_archived = crawl.stat("newscrawl/warc/responses"), crawl.stat("newscrawl/warc/not_archived")

    assert crawl.returncode == 1
    assert the_run(database)[1] == "failed"
    assert check.returncode == 0, check.stdout + check.stderr  # it ends with whole records
    assert len(in_file) == archived > 0
    assert not_archived > 0
    # Every response but the index pages' was wanted.
    assert archived + not_archived == crawl.stat("downloader/response_count") - crawl.stat("newscrawl/pages/index")
    [line] = crawl.lines(r"\[newscrawl\.warc_middlewares\]")
    assert line.endswith(f" ERROR: no space left on device writing {warc}: no further responses are archived in this "
                         f"run ({archived} archived before)")
    assert (f"writing the WARC file {warc} failed (no space left on device): {not_archived} responses were not archived"
            in crawl.outcome_line())
    assert untrue_or_noisy(crawl, feed_failed=False) == []
    assert len(crawl.lines(rf"INFO: Stored jsonlines feed \({len(listed_ids(replica))} items\)")) == 1
    # Nothing is lost but the archive copies: every article stored and in the JSON lines file;
    # a revision names an archived response only where one was written, and it reads back.
    assert sorted(record["article_id"] for record in jsonl_records(next((exports / "detikinet").glob("*.jsonl")))) \
        == listed_ids(replica)
    assert sorted(article_id for article_id, *_ in revisions) == listed_ids(replica)
    assert archived_pages  # the disk filled after some article pages
    assert all(page in (url, f"{url}?single=1") for url, page in archived_pages.items())


def test_a_full_exports_folder_fails_the_run_with_one_line_for_each_file(replica, tmp_path):
    exports, database = tmp_path / "exports", tmp_path / "db.sqlite3"
    with tmpfs(exports, "64k"):
        fill(exports)
        crawl = run_crawl(replica, f"sqlite:///{database}", exports, *RANGE)
        [jsonl] = (exports / "detikinet").glob("*.jsonl")
        jsonl_size = jsonl.stat().st_size
        warc_files = list((exports / "warc").glob("*"))
    run_id, outcome = the_run(database)

    assert crawl.returncode == 1
    assert outcome == "failed"
    [warc_line] = crawl.lines(r"\[newscrawl\.warc_middlewares\]")
    assert " ERROR: no space left on device writing " in warc_line
    assert warc_line.endswith(": no further responses are archived in this run (0 archived before)")
    [feed_line] = crawl.lines(r"\[newscrawl\.feeds\]")
    assert feed_line.endswith(f" ERROR: no space left on device writing {jsonl}: it holds no item; "
                              "no further items are written to it")
    assert jsonl_size == 0
    assert warc_files == []  # no WARC file that holds no record
    failures = crawl.outcome_line()
    assert f"the JSON lines file {jsonl} lacks 5 of the run's 5 items (no space left on device)" in failures
    assert "responses were not archived" in failures
    assert untrue_or_noisy(crawl) == []
    assert sorted(row[0] for row in sqlite_rows(database, "SELECT article_id FROM articles")) == listed_ids(replica)


@pytest.mark.parametrize("file_format", ["jsonl", "csv", "parquet"])
def test_export_to_a_full_disk_is_one_line_and_leaves_no_file(file_format, tmp_path, sqlite_url):
    with open_database(sqlite_url) as database:
        # Incompressible bodies, so that even Parquet needs far more than the disk holds.
        database.store_articles([make_article(7000000 + n, body=os.urandom(3000).hex()) for n in range(40)])
    out = tmp_path / "out"
    with tmpfs(out, "32k"):
        target = out / f"all.{file_format}"
        result = newscrawl("export", "--format", file_format, "-o", str(target), "--database-url", sqlite_url)
        left = sorted(path.name for path in out.iterdir())

    assert result.returncode == 1
    [line] = result.stderr.splitlines()
    assert line.startswith(f"newscrawl: error: cannot write to {target}: ")
    assert "No space left on device" in line
    assert line.endswith("; nothing was written under that name")
    assert left == []


# -- what the summary says, from the stats alone -----------------------------------------------------
LIMITS = Thresholds(max_error_share=0.2, min_articles_per_day=10, min_coverage=0.95,
                    coverage_fields=("headline",), max_fallback_share=0.05)
FEED_FAILED = {"newscrawl/feed/write_failed": 1, "newscrawl/feed/file": "exports/detikinet/x.jsonl",
               "newscrawl/feed/error": "no space left on device", "newscrawl/feed/items": 5,
               "newscrawl/feed/items_not_written": 2}


def test_with_the_database_failing_too_the_summary_does_not_promise_either_has_the_items():
    summary = summarize({**FEED_FAILED, "newscrawl/store_failed": 1}, LIMITS, run_id=7)
    assert summary.failures == [
        "the JSON lines file exports/detikinet/x.jsonl lacks 2 of the run's 5 items (no space left on device); "
        "storing to the database failed too",
        "1 fetched article not stored: the database was unavailable (the log says how to store them)",
    ]


def test_a_feed_scrapy_could_not_store_fails_the_run():
    summary = summarize({"feedexport/failed_count/S3FeedStorage": 1}, LIMITS)
    assert summary.failures == ["the feed export failed to store the run's items (see the log)"]
    assert [check.name for check in summary.checks] == ["exported"]


def test_in_a_shared_crawl_each_worker_s_own_files_are_judged_by_its_own_stats():
    stats = {**FEED_FAILED, "newscrawl/shared/pages/article": 4, "newscrawl/shared/coverage/items": 0}
    crawler = SimpleNamespace(spider=SimpleNamespace(plan=None), settings=get_project_settings(),
                              stats=SimpleNamespace(get_stats=lambda: stats))
    summary = summarize_crawl(crawler, "finished", run_id=3)
    assert [check.name for check in summary.checks if not check.ok] == ["exported"]
    assert summary.failures[0].endswith("newscrawl export --format jsonl --run 3 -o <file> writes them")


def test_export_run_takes_no_date_or_section_filter(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["export", "--format", "jsonl", "--run", "3", "--since", "2024-01-01"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines() == [
        "newscrawl: error: --run cannot be combined with --since, --until, --section, --channel or --dedupe "
        "(see newscrawl --help)"]


def test_export_run_takes_no_dedupe(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["export", "--format", "jsonl", "--run", "3", "--dedupe", "near"])
    assert exited.value.code == 2
    assert capsys.readouterr().err.splitlines() == [
        "newscrawl: error: --run cannot be combined with --since, --until, --section, --channel or --dedupe "
        "(see newscrawl --help)"]
