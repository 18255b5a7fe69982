from newscrawl.cli import main
from tests.storage.support import make_article


def test_stats_report(database, database_url, capsys):
    january = {"published_at": "2023-01-02T10:00:00+07:00", "section": "gadget"}
    database.store_articles(
        [make_article(1, summary=None), make_article(2, **january), make_article(3, published_at=None)]
    )
    database.store_articles([make_article(2, body="Diperbarui.", **january)])
    run_id = database.start_run("crawl", {"pages": 2})
    database.finish_run(run_id, {"new": 3, "changed": 1}, "finished")

    assert main(["stats", "--database-url", database_url]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["articles: 3", "revisions: 4 (1 articles with more than one)"]
    assert lines[lines.index("per month:") + 1 : lines.index("per section:") - 1] == [
        "  2022-12        1",
        "  2023-01        1",
        "  undated        1",
    ]
    assert "  cyberlife                  2" in lines
    assert "  gadget                     1" in lines
    assert "  summary            66.7%" in lines
    assert "  body              100.0%" in lines
    [run_line] = lines[lines.index("last runs:") + 1 :]
    assert run_line.startswith(f"  #{run_id} crawl    ")
    assert run_line.endswith("  finished  new 3, changed 1")


def test_db_upgrade_reports_the_schema_revision(database_url, capsys):
    assert main(["db", "upgrade", "--database-url", database_url]) == 0
    assert main(["db", "upgrade", "--database-url", database_url]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out == [f"database {database_url} is at schema revision 0002"] * 2
