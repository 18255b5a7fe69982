"""Bad input: one line on stderr and a non-zero exit status."""

import subprocess
import sys
from pathlib import Path

import pytest

from newscrawl.cli import main

NEWSCRAWL = Path(sys.executable).with_name("newscrawl")


def run(arguments, capsys):
    with pytest.raises(SystemExit) as exited:
        main(arguments)
    return exited.value.code, capsys.readouterr()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["export", "--format", "xml"],
         "newscrawl export: error: argument --format: invalid choice: 'xml' (choose from 'csv', 'dataset', 'jsonl', 'parquet')"),
        (["export", "--format", "csv", "--since", "2022-02-30"],
         "newscrawl export: error: argument --since: invalid date '2022-02-30' (expected YYYY-MM-DD)"),
        (["export", "--format", "csv", "--since", "2022-12-02", "--until", "2022-12-01"],
         "newscrawl: error: --since 2022-12-02 is after --until 2022-12-01"),
        (["export"], "newscrawl export: error: the following arguments are required: --format"),
        (["load"], "newscrawl load: error: the following arguments are required: FILE"),
        (["crawl"], "newscrawl: error: argument COMMAND: invalid choice: 'crawl' "
             "(choose from 'export', 'load', 'stats', 'reextract', 'import', 'diff', 'changes', 'wacz', 'dedupe', 'db')"),
        (["db", "downgrade"], "newscrawl db: error: argument COMMAND: invalid choice: 'downgrade' (choose from 'upgrade', 'stamp')"),
        (["import", "x.warc.gz", "--jobs", "0"],
         "newscrawl import: error: argument --jobs/-j: invalid number of jobs '0' (expected a whole number, 1 or more)"),
        (["reextract", "-j", "two"],
         "newscrawl reextract: error: argument --jobs/-j: invalid number of jobs 'two' (expected a whole number, 1 or more)"),
    ],
)
def test_usage_errors_exit_2_with_one_line(arguments, message, capsys):
    code, captured = run(arguments, capsys)

    assert code == 2
    assert captured.out == ""
    assert captured.err.splitlines() == [f"{message} (see {message.split(': error')[0]} --help)"]


def test_unreachable_database_is_one_line_with_the_password_masked(tmp_path, capsys):
    url = "postgresql+psycopg://crawler:s3cret@127.0.0.1:1/news"

    assert main(["stats", "--database-url", url]) == 1

    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("newscrawl: error: database postgresql+psycopg://crawler:***@127.0.0.1:1/news is unavailable: ")
    assert "s3cret" not in line


def test_unreachable_database_from_the_environment(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("NEWSCRAWL_DATABASE_URL", "postgresql+psycopg://crawler:s3cret@127.0.0.1:1/news")

    assert main(["export", "--format", "jsonl", "-o", str(tmp_path / "out.jsonl")]) == 1

    assert "crawler:***@127.0.0.1:1/news is unavailable" in capsys.readouterr().err
    assert not (tmp_path / "out.jsonl").exists()


def test_unwritable_output_path(sqlite_url, tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")

    assert main(["export", "--format", "jsonl", "-o", str(blocker / "out.jsonl"), "--database-url", sqlite_url]) == 1

    assert capsys.readouterr().err == f"newscrawl: error: cannot write to {blocker / 'out.jsonl'}: File exists\n"


def test_missing_file_to_load(sqlite_url, tmp_path, capsys):
    assert main(["load", str(tmp_path / "nothing.jsonl"), "--database-url", sqlite_url]) == 2
    assert capsys.readouterr().err == f"newscrawl: error: no such file: {tmp_path / 'nothing.jsonl'}\n"


def test_a_line_that_is_not_utf8_is_reported_by_its_number(sqlite_url, tmp_path, capsys):
    source = tmp_path / "latin1.jsonl"
    source.write_bytes('{"headline": "café"}\n'.encode("latin-1"))

    assert main(["load", str(source), "--database-url", sqlite_url]) == 1

    captured = capsys.readouterr()
    assert captured.err.splitlines() == ["line 1: not valid UTF-8: invalid continuation byte at byte 18"]
    assert captured.out == f"loaded {source}: 0 new, 0 changed, 0 unchanged, 1 invalid\n"


def test_file_that_is_not_parquet(sqlite_url, tmp_path, capsys):
    source = tmp_path / "articles.parquet"
    source.write_text("not parquet")

    assert main(["load", str(source), "--database-url", sqlite_url]) == 1

    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"newscrawl: error: cannot read {source} as parquet: ")


def test_console_script_help_and_error_exit_codes(tmp_path):
    helped = subprocess.run([NEWSCRAWL, "export", "--help"], capture_output=True, text=True)
    assert helped.returncode == 0
    assert helped.stdout.startswith("usage: newscrawl export [-h] [--database-url URL] [--channel SLUG] --format")

    blocker = tmp_path / "a-file"
    blocker.write_text("")
    failed = subprocess.run(
        [NEWSCRAWL, "stats", "--database-url", f"sqlite:///{blocker}/db.sqlite3"], capture_output=True, text=True
    )
    assert failed.returncode == 1
    assert failed.stderr == (
        f"newscrawl: error: database sqlite:///{blocker}/db.sqlite3 is unavailable: "
        f"cannot create folder {blocker}: File exists\n"
    )
