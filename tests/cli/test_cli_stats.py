from newscrawl.cli import main
from newscrawl.storage.migrate import head_revision
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
    assert lines[lines.index("per month:") + 1 : lines.index("per channel:") - 1] == [
        "  2022-12        1",
        "  2023-01        1",
        "  undated        1",
    ]
    assert lines[lines.index("per channel:") + 1 : lines.index("per section:") - 1] == [
        "  detik/inet                 3",
    ]
    assert "  cyberlife                  2" in lines
    assert "  gadget                     1" in lines
    assert "  summary            66.7%" in lines
    assert "  body              100.0%" in lines
    [run_line] = lines[lines.index("last runs (newscrawl stats --runs for their checks):") + 1 :]
    assert run_line.startswith(f"  #{run_id} crawl    ")
    assert run_line.endswith("  finished  new 3, changed 1")


def test_stats_of_one_channel(database, database_url, capsys):
    database.store_articles([
        make_article(1), make_article(2, channel="news", url="https://news.detik.com/berita/d-2/judul", section="berita",
                                      section_path="berita"),
        make_article(3, channel="news", url="https://news.detik.com/berita/d-3/judul", section="berita",
                     section_path="berita"),
    ])
    database.store_articles([make_article(3, channel="news", url="https://news.detik.com/berita/d-3/judul",
                                          section="berita", section_path="berita", body="Diperbarui.")])

    assert main(["stats", "--database-url", database_url, "--channel", "news"]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == ["articles: 2", "revisions: 3 (1 articles with more than one)"]
    assert lines[lines.index("per channel:") + 1 : lines.index("per section:") - 1] == ["  detik/news                 2"]
    assert "  berita                     2" in lines and not any("cyberlife" in line for line in lines)


def test_db_upgrade_reports_the_schema_revision(database_url, capsys):
    assert main(["db", "upgrade", "--database-url", database_url]) == 0
    assert main(["db", "upgrade", "--database-url", database_url]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out == [f"database {database_url} is at schema revision {head_revision()}"] * 2


def test_stats_runs_lists_each_check_with_its_figures(database, database_url, capsys):
    ok_run = database.start_run("crawl", {"since": "2024-05-01", "until": "2024-05-01"})
    database.finish_run(ok_run, {"articles": {"new": 30}, "checks": [
        {"name": "index_read", "ok": True, "value": 2, "limit": 1, "message": "no index page could be read"}]}, "ok")
    failed_run = database.start_run("crawl", {})
    database.finish_run(failed_run, {"articles": {"new": 2, "unchanged": 9}, "checks": [
        {"name": "index_read", "ok": True, "value": 3, "limit": 1, "message": "no index page could be read"},
        {"name": "fallback_share", "ok": False, "value": 1.0, "limit": 0.05,
         "message": "100% of items needed the metadata fallback (limit 5%): has the site's layout changed?"}]}, "failed")

    assert main(["stats", "--runs", "--database-url", database_url]) == 0

    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"run #{failed_run} crawl  ") and lines[0].endswith("  failed")
    assert lines[1:5] == [
        "  arguments: (none)",
        "  counts: articles new 2, unchanged 9",
        "  ok   index_read             3 (limit 1)",
        "  FAIL fallback_share         1.0 (limit 0.05)  100% of items needed the metadata fallback (limit 5%): "
        "has the site's layout changed?",
    ]
    assert lines[6].startswith(f"run #{ok_run} crawl  ") and lines[6].endswith("  ok")
    assert lines[7:10] == ["  arguments: since=2024-05-01 until=2024-05-01", "  counts: articles new 30",
                           "  ok   index_read             2 (limit 1)"]
