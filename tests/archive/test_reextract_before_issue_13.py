"""newscrawl reextract on a database that the code before issue 13 built (tests/fixtures/databases,
made by make_before_issue_13.py at commit 0e08f68): the dry run lists exactly the fields issue 13
changed, and the run stores each changed article as the fixture's expected item."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from newscrawl.cli import main
from newscrawl.storage import open_database
from tests.conftest import PAGES

DATABASES = Path(__file__).resolve().parents[1] / "fixtures" / "databases"
# article id -> the fixture it was imported from, and the fields issue 13 changed on it
CHANGED = {
    3062623: ("inet-2015-no-byline-author-meta-url", {"authors"}),  # a Facebook URL is no author
    2943745: ("news-2015-no-byline-author-meta-initials", {"authors"}),  # initials are no author
    7006672: ("bali-syndication-footer-wita", {"syndicated_from"}),
    7007018: ("travel-read-layout-syndicated", {"syndicated_from"}),
    2105155: ("news-2012-legacy-agency-credit", {"dateline", "photo_caption", "photo_credit"}),
    7142210: ("jatim-json-ld-only-plain-dateline", {"authors", "dateline"}),
}
UNCHANGED = (6453785, 5746542, 6453192, 8312907)


def _copy(tmp_path) -> str:
    for name in ("before-issue-13.sqlite3", "before-issue-13.warc.gz"):
        shutil.copy(DATABASES / name, tmp_path / name)
    with sqlite3.connect(tmp_path / "before-issue-13.sqlite3") as connection:  # the archive moved with the copy
        connection.execute("UPDATE article_revisions SET warc_file = ?", (str(tmp_path / "before-issue-13.warc.gz"),))
    return f"sqlite:///{tmp_path / 'before-issue-13.sqlite3'}"


def _expected(name: str) -> dict:
    return json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))["item"]


def test_the_dry_run_lists_the_fields_issue_13_changed_and_the_run_stores_them(tmp_path, capsys):
    url = _copy(tmp_path)
    with open_database(url) as database:  # migrated to today's schema on opening
        before = {record["article_id"]: record for record in database.iter_articles()}
    assert sorted(before) == sorted([*CHANGED, *UNCHANGED])
    counts: dict[str, int] = {}
    for article_id, (name, fields) in CHANGED.items():
        expected = _expected(name)
        assert {field for field in expected if field != "fetched_at" and before[article_id][field] != expected[field]} == fields
        for field in fields:
            counts[field] = counts.get(field, 0) + 1

    arguments = ["reextract", "--database-url", url, "--exports-dir", str(tmp_path)]
    assert main([*arguments, "--dry-run"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "re-extracted 10 of 10 articles: 6 changed (would store as new revisions), 4 unchanged, "
        "0 without an archived response, 0 failed",
        "changed fields: " + ", ".join(f"{field} {count}" for field, count in sorted(counts.items())),
        "dry run: nothing was stored",
    ]

    assert main(arguments) == 0
    capsys.readouterr()
    with open_database(url) as database:
        after = {record["article_id"]: record for record in database.iter_articles()}
    for article_id, (name, _) in CHANGED.items():
        expected = _expected(name)
        assert {k: v for k, v in after[article_id].items() if k != "fetched_at"} == {
            k: v for k, v in expected.items() if k != "fetched_at"}, name
    for article_id in UNCHANGED:
        assert after[article_id] == before[article_id]
