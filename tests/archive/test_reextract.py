"""newscrawl reextract over a recorded crawl: new revisions exactly where a field changed."""

from __future__ import annotations

import json
import sqlite3

from newscrawl.cli import main, reextract
from newscrawl.storage import Database, fields_hash, open_database
from tests.storage.support import fail_single_store, make_article, outage_at_single_store


def _db(out) -> str:
    return f"sqlite:///{out / 'db.sqlite3'}"


def _run(out, *extra) -> int:
    return main(["reextract", "--database-url", _db(out), "--exports-dir", str(out), *extra])


def _spoil(out, article_id: int, **changes) -> None:
    """Make the stored current version differ from what the archived page gives (as an older
    extraction rule would have), in the articles row and its revision alike."""
    with open_database(_db(out)) as database:
        record = next(r for r, _, _ in database.iter_current_captures(article_id=article_id))
    record.update(changes)
    sets = ", ".join(f"{name} = :{name}" for name in changes)
    stored = {name: json.dumps(value) if isinstance(value, list) else value for name, value in changes.items()}
    values = {**stored, "fields_hash": fields_hash(record), "id": article_id}
    with sqlite3.connect(out / "db.sqlite3") as connection:
        for table in ("articles", "article_revisions"):
            connection.execute(f"UPDATE {table} SET {sets}, fields_hash = :fields_hash WHERE article_id = :id", values)


def _revisions(out) -> list[tuple]:
    with sqlite3.connect(out / "db.sqlite3") as connection:
        return connection.execute(
            "SELECT article_id, revision, reason, warc_file, warc_offset, fetched_at_iso, body "
            "FROM article_revisions ORDER BY article_id, revision"
        ).fetchall()


def _count(out, table: str) -> int:
    with sqlite3.connect(out / "db.sqlite3") as connection:
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def _last_run(out) -> tuple[str, dict]:
    with sqlite3.connect(out / "db.sqlite3") as connection:
        outcome, counts = connection.execute("SELECT outcome, counts FROM crawl_runs ORDER BY id DESC").fetchone()
    return outcome, json.loads(counts)


def test_unchanged_archive_gives_no_new_revision(recorded_copy, capsys):
    before = _revisions(recorded_copy)
    assert _run(recorded_copy) == 0
    assert capsys.readouterr().out.splitlines() == [
        "re-extracted 5 of 5 articles: 0 changed (stored as new revisions), 5 unchanged, "
        "0 without an archived response, 0 failed"
    ]
    assert _revisions(recorded_copy) == before


def test_changed_fields_get_reextract_revisions_and_dry_run_writes_nothing(recorded_copy, capsys):
    original = {row[0]: row for row in _revisions(recorded_copy)}
    _spoil(recorded_copy, 6453192, body="Teks lama yang salah.")
    _spoil(recorded_copy, 4346915, tags=["lama"], headline="Judul lama")
    with open_database(_db(recorded_copy)) as database:  # an article with no archived response
        database.store_articles([make_article(9000001)], reason="load")
    runs_before = _count(recorded_copy, "crawl_runs")
    spoiled = _revisions(recorded_copy)

    assert _run(recorded_copy, "--dry-run") == 0
    assert capsys.readouterr().out.splitlines() == [
        "re-extracted 5 of 6 articles: 2 changed (would store as new revisions), 3 unchanged, "
        "1 without an archived response, 0 failed",
        "changed fields: body 1, headline 1, tags 1",
        "dry run: nothing was stored",
    ]
    assert _revisions(recorded_copy) == spoiled
    assert _count(recorded_copy, "crawl_runs") == runs_before

    assert _run(recorded_copy) == 0
    assert capsys.readouterr().out.splitlines()[:2] == [
        "re-extracted 5 of 6 articles: 2 changed (stored as new revisions), 3 unchanged, "
        "1 without an archived response, 0 failed",
        "changed fields: body 1, headline 1, tags 1",
    ]
    rows = _revisions(recorded_copy)
    added = [row for row in rows if row[2] == "reextract"]
    assert [(row[0], row[1]) for row in added] == [(4346915, 2), (6453192, 2)]
    for row in added:
        # Same capture and fetch time as the crawl's revision; the body is the archived page's again.
        assert row[3:7] == original[row[0]][3:7]
    with open_database(_db(recorded_copy)) as database:
        current = {record["article_id"]: record for record, _, _ in database.iter_current_captures()}
    assert current[6453192]["body"] == original[6453192][6]
    assert current[4346915]["headline"] == "Langkah Tik Tok Ubah Imej Alay"
    assert _count(recorded_copy, "crawl_runs") == runs_before + 1

    # Once re-extracted, a second run finds nothing to change.
    assert _run(recorded_copy, "--article-id", "6453192") == 0
    assert capsys.readouterr().out.splitlines() == [
        "re-extracted 1 of 1 articles: 0 changed (stored as new revisions), 1 unchanged, "
        "0 without an archived response, 0 failed"
    ]


def test_a_missing_warc_file_is_reported_and_fails_the_run(recorded_copy, capsys):
    for path in (recorded_copy / "warc").glob("*.warc.gz"):
        path.rename(path.with_name("moved-" + path.name))
    assert _run(recorded_copy, "--since", "2018-01-01", "--until", "2018-12-31") == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "re-extracted 0 of 1 articles: 0 changed (stored as new revisions), 0 unchanged, "
        "0 without an archived response, 1 failed",
        "failed: missing_file 1",
    ]
    assert captured.err.startswith("article 4346915 (warc/detikinet-")


def test_a_ctrl_c_records_what_was_stored_and_says_to_run_again(recorded_copy, capsys, monkeypatch):
    _spoil(recorded_copy, 6453192, body="Teks lama yang salah.")
    _spoil(recorded_copy, 4346915, headline="Judul lama")
    monkeypatch.setattr(reextract, "BATCH_SIZE", 1)  # each changed version stored on its own
    store = Database.store_articles
    singles = fail_single_store(monkeypatch, at=2, error=KeyboardInterrupt())  # Ctrl-C as the second begins
    assert _run(recorded_copy) == 130
    assert capsys.readouterr().err.strip().splitlines()[-2:] == [
        "reextract stopped; new revisions stored: 1. Run it again to finish (what it stored compares unchanged now)",
        "newscrawl: error: interrupted"]
    assert len(singles) == 2
    stored = [row[0] for row in _revisions(recorded_copy) if row[2] == "reextract"]
    assert stored == singles[:1]
    outcome, counts = _last_run(recorded_copy)
    assert (outcome, counts["changed"], counts["stored"]) == ("failed", 2, 1)

    monkeypatch.setattr(Database, "store_articles", store)
    assert _run(recorded_copy) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        "re-extracted 5 of 5 articles: 1 changed (stored as new revisions), 4 unchanged, "
        "0 without an archived response, 0 failed")
    assert sorted(row[0] for row in _revisions(recorded_copy) if row[2] == "reextract") == [4346915, 6453192]


def test_a_version_the_database_refuses_costs_only_its_article(recorded_copy, capsys):
    """6453192's stored URL was spoiled, and its archived URL now belongs to another article: its
    re-extracted version is refused (reported, a failed article); 4346915's is stored."""
    with open_database(_db(recorded_copy)) as database:
        archived_url = next(r for r, _, _ in database.iter_current_captures(article_id=6453192))["url"]
    _spoil(recorded_copy, 6453192, url="https://inet.detik.com/telecommunication/d-6453192/alamat-lama")
    _spoil(recorded_copy, 4346915, headline="Judul lama")
    with open_database(_db(recorded_copy)) as database:
        database.store_articles([make_article(9000001, url=archived_url)], reason="load")

    assert _run(recorded_copy) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "re-extracted 4 of 6 articles: 1 changed (stored as new revisions), 3 unchanged, "
        "1 without an archived response, 1 failed",
        "changed fields: headline 1",
        "failed: conflicting_record 1",
    ]
    assert captured.err.strip().splitlines() == [
        f"article 6453192: not stored: conflicting_record: url {archived_url} is already stored under article_id "
        "9000001"]
    assert [(row[0], row[2]) for row in _revisions(recorded_copy) if row[2] == "reextract"] == [(4346915, "reextract")]
    outcome, counts = _last_run(recorded_copy)
    assert (outcome, counts["changed"], counts["stored"], counts["failed"], counts["failures"], counts["fields"]) == (
        "finished", 1, 1, 1, {"conflicting_record": 1}, {"headline": 1})


def test_an_article_the_extraction_fails_on_is_reported_and_the_run_goes_on(recorded_copy, capsys, monkeypatch):
    from newscrawl.cli import reextract_worker

    _spoil(recorded_copy, 4346915, headline="Judul lama")
    extract = reextract_worker.article_from_response

    def failing_on_one(archived):
        if "/d-6453192/" in archived.url:
            raise KeyError("caption")  # as a bug would
        return extract(archived)

    monkeypatch.setattr(reextract_worker, "article_from_response", failing_on_one)
    assert _run(recorded_copy, "--jobs", "1") == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == [
        "re-extracted 4 of 5 articles: 1 changed (stored as new revisions), 3 unchanged, "
        "0 without an archived response, 1 failed",
        "changed fields: headline 1",
        "failed: extraction_error 1",
    ]
    [line] = captured.err.strip().splitlines()
    assert line.startswith("article 6453192 (")
    assert line.endswith("): the extraction failed (KeyError: 'caption'); this is a bug in newscrawl, please "
                         "report it with this page")
    assert [row[0] for row in _revisions(recorded_copy) if row[2] == "reextract"] == [4346915]


def test_an_outage_says_how_much_was_stored_and_to_run_again(recorded_copy, capsys, monkeypatch):
    _spoil(recorded_copy, 6453192, body="Teks lama yang salah.")
    _spoil(recorded_copy, 4346915, headline="Judul lama")
    monkeypatch.setattr(reextract, "BATCH_SIZE", 1)  # each changed version stored on its own
    singles = outage_at_single_store(monkeypatch, _db(recorded_copy), at=2)
    assert _run(recorded_copy, "--jobs", "1") == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(singles) == 2
    assert err == [
        "reextract stopped; new revisions stored: 1. Run it again once the database is available (what it stored "
        "compares unchanged now)",
        f"newscrawl: error: database {_db(recorded_copy)} is unavailable: connection lost"]
    assert [row[0] for row in _revisions(recorded_copy) if row[2] == "reextract"] == singles[:1]
    outcome, counts = _last_run(recorded_copy)
    assert (outcome, counts["stored"]) == ("failed", 1)
