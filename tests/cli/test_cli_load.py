import json
import sqlite3

import sqlalchemy as sa

from newscrawl.cli import main
from newscrawl.storage import open_database
from tests.storage.support import make_article, outage_at_single_store, table_counts


def write_lines(path, lines):
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def load(database_url, path):
    return main(["load", str(path), "--database-url", database_url])


def test_invalid_lines_are_counted_reported_and_skipped(database, database_url, tmp_path, capsys):
    source = write_lines(
        tmp_path / "feed.jsonl",
        [
            json.dumps(make_article(1)),
            '{"url": "https://inet.detik.com/x/d-9/y", "headline": ',
            json.dumps({key: value for key, value in make_article(2).items() if key != "url"}),
            json.dumps(make_article(3)),
            "",
            json.dumps(make_article(4, body="   ")),
            json.dumps(make_article(5, headline=None)),
            "[1, 2]",
            json.dumps(dict(make_article(6), article_id="6")),
            json.dumps(make_article(7), ensure_ascii=False),
        ],
    )

    assert load(database_url, source) == 1

    captured = capsys.readouterr()
    assert captured.out == f"loaded {source}: 3 new, 0 changed, 0 unchanged, 6 invalid\n"
    assert captured.err.splitlines() == [
        "line 2: invalid JSON: Expecting value (column 55)",
        "line 3: url is missing or empty",
        "line 6: body is missing or empty",
        "line 7: headline is missing or empty",
        "line 8: expected a JSON object, got list",
        "line 9: article_id must be int or null, got str",
    ]
    assert database.known_articles("detik", range(1, 10)) == dict.fromkeys([1, 3, 7], "2022-12-10T07:16:35+07:00")
    assert table_counts(database) == {"articles": 3, "article_revisions": 3, "crawl_runs": 1}


def test_loading_twice_changes_nothing(database, database_url, tmp_path, capsys):
    source = write_lines(tmp_path / "feed.jsonl", [json.dumps(make_article(i)) for i in (1, 2, 3)])
    assert load(database_url, source) == 0
    with database.engine.connect() as connection:
        before = connection.execute(sa.text("SELECT * FROM articles ORDER BY article_id")).all()

    assert load(database_url, source) == 0

    assert capsys.readouterr().out.splitlines() == [
        f"loaded {source}: 3 new, 0 changed, 0 unchanged, 0 invalid",
        f"loaded {source}: 0 new, 0 changed, 3 unchanged, 0 invalid",
    ]
    with database.engine.connect() as connection:
        assert connection.execute(sa.text("SELECT * FROM articles ORDER BY article_id")).all() == before
    assert table_counts(database) == {"articles": 3, "article_revisions": 3, "crawl_runs": 2}


def test_load_counts_changes_and_records_the_run(database, database_url, tmp_path, capsys):
    database.store_articles([make_article(1), make_article(2)])
    source = write_lines(
        tmp_path / "feed.jsonl",
        [
            json.dumps(make_article(1, body="Badan yang diralat.", fetched_at="2026-11-29T03:00:00+00:00")),
            json.dumps(make_article(2)),
            json.dumps(make_article(3)),
        ],
    )

    assert load(database_url, source) == 0

    assert capsys.readouterr().out == f"loaded {source}: 1 new, 1 changed, 1 unchanged, 0 invalid\n"
    [run] = database.stats().last_runs
    assert (run["kind"], run["outcome"]) == ("load", "finished")
    assert run["arguments"] == {"file": str(source), "format": "jsonl"}
    assert run["counts"] == {"new": 1, "changed": 1, "unchanged": 1, "invalid": 0}
    with database.engine.connect() as connection:
        reasons = connection.execute(
            sa.text("SELECT article_id, revision, reason FROM article_revisions ORDER BY article_id, revision")
        ).all()
    assert reasons == [(1, 1, "crawl"), (1, 2, "load"), (2, 1, "crawl"), (3, 1, "load")]


def test_load_batches_a_large_file(sqlite_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("newscrawl.cli.load.BATCH_SIZE", 7)
    source = write_lines(tmp_path / "feed.jsonl", [json.dumps(make_article(i)) for i in range(1, 31)])

    assert load(sqlite_url, source) == 0

    assert capsys.readouterr().out == f"loaded {source}: 30 new, 0 changed, 0 unchanged, 0 invalid\n"
    with open_database(sqlite_url) as database:
        assert database.count_articles() == 30


def test_csv_with_a_bad_cell_is_reported_by_row(sqlite_url, tmp_path, capsys):
    source = tmp_path / "articles.csv"
    source.write_text(
        "url,article_id,headline,body,authors\n"
        "https://inet.detik.com/x/d-1/a,1,Satu,\"Baris satu\nbaris dua\",\"[\"\"A\"\"]\"\n"
        "https://inet.detik.com/x/d-2/b,dua,Dua,Isi,\n"
        "https://inet.detik.com/x/d-3/c,3,Tiga,Isi,[oops\n",
        encoding="utf-8",
    )

    assert load(sqlite_url, source) == 1

    captured = capsys.readouterr()
    assert captured.out == f"loaded {source}: 1 new, 0 changed, 0 unchanged, 2 invalid\n"
    assert captured.err.splitlines() == [
        "row 2 (line 4): invalid number: invalid literal for int() with base 10: 'dua'",
        "row 3 (line 5): invalid JSON in a list cell: Expecting value",
    ]
    with open_database(sqlite_url) as database:
        [article] = database.iter_articles()
    assert (article["body"], article["authors"], article["summary"]) == ("Baris satu\nbaris dua", ["A"], None)


def test_lines_json_cannot_turn_into_python_values_are_reported_and_the_rest_loaded(sqlite_url, tmp_path, capsys):
    source = write_lines(tmp_path / "feed.jsonl", [
        '{"article_id": ' + "9" * 5000 + "}",  # more digits than Python converts
        "[" * 100_000 + "]" * 100_000,  # nested deeper than the decoder goes
        json.dumps(make_article(3)),
    ])

    assert load(sqlite_url, source) == 1

    captured = capsys.readouterr()
    assert captured.out == f"loaded {source}: 1 new, 0 changed, 0 unchanged, 2 invalid\n"
    assert captured.err.splitlines() == [
        "line 1: invalid JSON: Exceeds the limit (4300 digits) for integer string conversion: value has 5000 digits; "
        "use sys.set_int_max_str_digits() to increase the limit",
        "line 2: invalid JSON: nested too deeply",
    ]


def test_an_outage_while_a_batch_is_stored_record_by_record_counts_what_was_stored(sqlite_url, tmp_path, capsys,
                                                                                  monkeypatch):
    """A refused record makes the store take the batch record by record; the database then goes away
    at the fourth: the two stored before the refusal are counted, and the refusal is reported."""
    with open_database(sqlite_url) as database:
        database.store_articles([make_article(1)], reason="load")
    taken = make_article(13, url=make_article(1)["url"])
    source = write_lines(tmp_path / "feed.jsonl", [json.dumps(record) for record in (
        make_article(11), make_article(12), taken, make_article(14), make_article(15))])
    singles = outage_at_single_store(monkeypatch, sqlite_url, at=4)
    assert load(sqlite_url, source) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert singles == [11, 12, 13, 14]
    assert err == [
        f"line 3: url {taken['url']} is already stored under article_id 1",
        f"newscrawl: error: database {sqlite_url} is unavailable: connection lost; 2 records of {source} were "
        "stored before that: once the database is available, load the file again (what is stored already is "
        "left as it is)",
    ]
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as connection:
        stored = [row[0] for row in connection.execute("SELECT article_id FROM articles ORDER BY article_id")]
        outcome, counts = connection.execute("SELECT outcome, counts FROM crawl_runs WHERE kind = 'load' "
                                             "ORDER BY id DESC").fetchone()
    assert stored == [1, 11, 12]
    assert (outcome, json.loads(counts)) == ("failed", {"new": 2, "changed": 0, "unchanged": 0, "invalid": 1})
