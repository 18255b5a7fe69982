"""Near-duplicates from the command line on the database a crawl of the replica made (issue 15, item 1):
the crawl groups as it stores, `import` of the near-duplicate pages joins them, `stats` reports the
groups, `export --dedupe near` keeps the earliest of each, `dedupe` backfills and regroups."""

from __future__ import annotations

import json
import shutil

import sqlalchemy as sa

from newscrawl.cli import main
from tests.archive.support import EXPECTED_FIXTURE
from tests.conftest import FIXTURES

PAIRS = FIXTURES / "near-duplicates"
CRAWLED_IDS = sorted(EXPECTED_FIXTURE)


def run(capsys, *arguments) -> tuple[int, str, str]:
    code = main(list(arguments))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def with_pairs(recorded_copy, tmp_path, capsys) -> str:
    """The crawl's database with the five near-duplicate pages imported into it."""
    url = f"sqlite:///{recorded_copy / 'db.sqlite3'}"
    pages = tmp_path / "pages"
    pages.mkdir()
    for name in json.loads((PAIRS / "pages.json").read_text(encoding="utf-8"))["pages"]:
        shutil.copy(FIXTURES / f"{name}.html", pages)
    code, out, err = run(capsys, "import", str(pages), "--jobs", "1", "--database-url", url,
                         "--exports-dir", str(recorded_copy))
    assert code == 0, err
    return url


def test_the_crawl_fingerprinted_every_article_it_stored(recorded_copy, capsys):
    url = f"sqlite:///{recorded_copy / 'db.sqlite3'}"
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT article_id, group_article_id, length(signature) FROM near_duplicates ORDER BY article_id")).all()
    engine.dispose()
    # Five different articles: each a group of its own, with a 128 x 4-byte signature.
    assert [tuple(row) for row in rows] == [(i, i, 512) for i in CRAWLED_IDS]


def test_stats_reports_the_groups(recorded_copy, tmp_path, capsys):
    url = with_pairs(recorded_copy, tmp_path, capsys)

    code, out, err = run(capsys, "stats", "--database-url", url)

    assert code == 0, err
    lines = out.splitlines()
    start = lines.index("near-duplicates (whole archive, Jaccard >= 0.8): 2 groups of 2 or more hold 4 of 10 "
                        "fingerprinted articles, the largest 2")
    assert lines[start + 1:start + 5] == ["  groups of 2           2", "  groups of 3-5         0",
                                          "  groups of 6-10        0", "  groups of 11+         0"]


def test_export_dedupe_near_keeps_the_earliest_of_each_group(recorded_copy, tmp_path, capsys):
    url = with_pairs(recorded_copy, tmp_path, capsys)
    target = tmp_path / "deduped.jsonl"

    code, out, err = run(capsys, "export", "--format", "jsonl", "--dedupe", "near", "-o", str(target),
                         "--database-url", url)

    assert (code, err) == (0, "")
    assert out == f"exported 8 articles to {target}\n"
    exported = [json.loads(line)["article_id"] for line in target.read_text(encoding="utf-8").splitlines()]
    assert sorted(exported) == sorted([*CRAWLED_IDS, 7006603, 7006690, 6453785])  # not 7006672 nor 6453912


def test_export_dedupe_near_refuses_an_archive_not_fingerprinted_yet(recorded_copy, tmp_path, capsys):
    url = with_pairs(recorded_copy, tmp_path, capsys)
    engine = sa.create_engine(url)
    with engine.begin() as connection:  # as a database upgraded to revision 0006 is
        connection.execute(sa.text("DELETE FROM near_duplicate_buckets"))
        connection.execute(sa.text("DELETE FROM near_duplicates"))
    engine.dispose()
    target = tmp_path / "deduped.jsonl"

    code, out, err = run(capsys, "export", "--format", "jsonl", "--dedupe", "near", "-o", str(target),
                         "--database-url", url)

    assert (code, out) == (1, "")
    assert err == ("newscrawl: error: 10 articles have no near-duplicate fingerprint yet (stored before grouping "
                   "existed): run `newscrawl dedupe` first\n")
    assert not target.exists()

    code, out, err = run(capsys, "dedupe", "--database-url", url)

    assert (code, err) == (0, "")
    assert out == ("fingerprinted 10 articles; 2 near-duplicate groups (Jaccard >= 0.8) hold 4 of 10 articles, "
                   "the largest 2\n")
    code, out, err = run(capsys, "export", "--format", "jsonl", "--dedupe", "near", "-o", str(target),
                         "--database-url", url)
    assert (code, out) == (0, f"exported 8 articles to {target}\n")


def test_dedupe_threshold_regroups_and_bad_thresholds_are_one_line(recorded_copy, tmp_path, capsys):
    url = with_pairs(recorded_copy, tmp_path, capsys)

    code, out, err = run(capsys, "dedupe", "--threshold", "0.95", "--database-url", url)

    assert (code, err) == (0, "")
    assert out.splitlines() == [
        "near-duplicate threshold set to 0.95 (16 bands of 8 rows); regrouping the whole archive",
        "fingerprinted 10 articles; 0 near-duplicate groups (Jaccard >= 0.95) hold 0 of 10 articles, the largest 0",
    ]
    for bad in ("0", "1.2", "tinggi"):
        try:
            main(["dedupe", "--threshold", bad, "--database-url", url])
        except SystemExit as exit:
            assert exit.code == 2
        err = capsys.readouterr().err
        assert err == (f"newscrawl dedupe: error: argument --threshold: invalid threshold {bad!r} (expected a "
                       "Jaccard similarity above 0, at most 1) (see newscrawl dedupe --help)\n")
