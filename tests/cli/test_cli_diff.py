"""newscrawl diff and newscrawl changes (issue 15, item 3)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from newscrawl.cli import main
from newscrawl.storage import open_database
from tests.storage.support import make_article

ID = 6453192
BODY_1 = "Jakarta - Bos kripto FTX bangkrut pekan lalu.\n\nIa membeli rumah mewah di Bahama."
BODY_2 = "Jakarta - Bos kripto FTX yang bangkrut pekan lalu ditangkap.\n\nIa membeli rumah mewah di Bahama."


@pytest.fixture
def url(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    first = make_article(ID, body=BODY_1, headline="Bos Kripto Bangkrut", tags=["kripto", "ftx"])
    edited = make_article(ID, body=BODY_2, headline="Bos Kripto Bangkrut Ditangkap", tags=["kripto", "bahama"],
                          fetched_at="2026-11-29T03:00:00+00:00")
    reextracted = dict(edited, dateline=None)  # newer extraction rules over the same page: no edit
    other = make_article(ID + 1)
    with open_database(url) as database:
        assert database.store_articles([first, other], reason="crawl") == ["new", "new"]
        assert database.store_articles([edited], reason="crawl") == ["changed"]
        assert database.store_articles([reextracted], reason="reextract") == ["changed"]
    return url


def _run(capsys, *arguments):
    code = main(list(arguments))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_diff_of_the_newest_two_revisions_by_default(url, capsys):
    code, out, _ = _run(capsys, "diff", str(ID), "--database-url", url)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == f"article {ID} (detik) https://inet.detik.com/cyberlife/d-{ID}/artikel-{ID}"
    assert lines[1].startswith("revision 2 (crawl, stored ") and " -> revision 3 (reextract, stored " in lines[1]
    assert lines[2:] == ["changed: dateline", "dateline:", "  - Jakarta", "  + (none)"]


def test_diff_of_an_edit_as_text_and_json(url, capsys):
    code, out, _ = _run(capsys, "diff", str(ID), "--from", "1", "--to", "2", "--database-url", url)
    assert code == 0
    assert out.splitlines()[2:] == [
        "changed: headline, tags, body",
        "headline:", "  - Bos Kripto Bangkrut", "  + Bos Kripto Bangkrut Ditangkap",
        "tags:", '  - ["kripto", "ftx"]', '  + ["kripto", "bahama"]',
        "body:",
        "  Jakarta - Bos kripto FTX {+yang+} bangkrut pekan [-lalu.-] {+lalu ditangkap.+} Ia membeli rumah mewah di Bahama.",
    ]

    code, out, _ = _run(capsys, "diff", str(ID), "--from", "1", "--to", "2", "--json", "--database-url", url)
    result = json.loads(out)
    assert (result["from"]["revision"], result["from"]["reason"], result["to"]["revision"]) == (1, "crawl", 2)
    assert result["to"]["fetched_at"] == "2026-11-29T03:00:00+00:00"
    assert result["changed"] == {"headline": {"from": "Bos Kripto Bangkrut", "to": "Bos Kripto Bangkrut Ditangkap"},
                                 "tags": {"from": ["kripto", "ftx"], "to": ["kripto", "bahama"]}}
    assert result["body_changed"] is True
    assert result["body_diff"] == [
        {"op": "equal", "from": "Jakarta - Bos kripto FTX"}, {"op": "insert", "to": "yang"},
        {"op": "equal", "from": "bangkrut pekan"}, {"op": "replace", "from": "lalu.", "to": "lalu ditangkap."},
        {"op": "equal", "from": "Ia membeli rumah mewah di Bahama."}]


def test_diff_errors_are_one_line(url, capsys):
    assert _run(capsys, "diff", "999", "--database-url", url) == (1, "", "newscrawl: error: no article 999 is stored\n")
    assert _run(capsys, "diff", str(ID), "--to", "7", "--database-url", url) == (
        2, "", f"newscrawl: error: article {ID} has revisions 1-3; no revision 7\n")
    assert _run(capsys, "diff", str(ID), "--publisher", "kompas", "--database-url", url) == (
        1, "", f"newscrawl: error: no article {ID} of publisher 'kompas' is stored\n")
    assert _run(capsys, "diff", str(ID + 1), "--database-url", url) == (
        0, f"article {ID + 1} (detik) has one revision: nothing to compare\n", "")


def test_changes_lists_edits_not_reextractions(url, capsys):
    today = datetime.now(timezone.utc).date()
    code, out, err = _run(capsys, "changes", "--since", str(today - timedelta(days=1)), "--database-url", url)
    assert code == 0
    (line,) = out.splitlines()
    assert line.endswith(f"  detik {ID} r1->r2  headline 'Bos Kripto Bangkrut' -> 'Bos Kripto Bangkrut Ditangkap'; "
                         f"body 14 -> 16 words (+2); tags +bahama -ftx  https://inet.detik.com/cyberlife/d-{ID}/artikel-{ID}")
    assert err == f"1 edits stored from {today - timedelta(days=1)}\n"

    code, out, _ = _run(capsys, "changes", "--since", str(today), "--json", "--database-url", url)
    (edit,) = [json.loads(line) for line in out.splitlines()]
    assert (edit["article_id"], edit["from_revision"], edit["to_revision"]) == (ID, 1, 2)
    assert edit["changed"] == ["headline", "body", "tags"]  # in schema order
    assert edit["words"] == {"from": 14, "to": 16} and edit["tags"] == {"added": ["bahama"], "removed": ["ftx"]}

    assert _run(capsys, "changes", "--since", str(today + timedelta(days=1)), "--database-url", url)[1] == ""
    assert _run(capsys, "changes", "--since", str(today - timedelta(days=3)), "--until",
                str(today - timedelta(days=2)), "--database-url", url)[1] == ""


def test_long_unchanged_stretches_are_shortened_to_their_context():
    from newscrawl.cli.diff import render_diff, word_diff

    words = [f"w{n}" for n in range(40)]
    before, after = " ".join(words), " ".join(words[:20] + ["BARU"] + words[20:])
    result = {"publisher": "detik", "article_id": 1, "url": "u", "changed": {}, "body_changed": True,
              "from": {"revision": 1, "reason": "crawl", "stored_at": "a"},
              "to": {"revision": 2, "reason": "crawl", "stored_at": "b"}, "body_diff": word_diff(before, after)}
    assert render_diff(result).splitlines()[-1] == (
        "  ... w12 w13 w14 w15 w16 w17 w18 w19 {+BARU+} w20 w21 w22 w23 w24 w25 w26 w27 ...")
    assert render_diff(result, colour=True).splitlines()[-1].count("\x1b[32m{+BARU+}\x1b[0m") == 1
