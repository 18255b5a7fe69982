"""export -> load into an empty database -> the same articles, for every format."""

import pytest

from newscrawl.cli import main
from newscrawl.storage import open_database
from tests.storage.support import make_article


def varied_articles():
    return [
        make_article(1),
        make_article(
            2,
            published_at="2018-12-17T20:26:00+08:00",
            published_raw="Senin, 17 Des 2018 20:26 WITA",
            body='Makassar - Dia bilang, "ini \'uji\'; koma, titik."\n\nParagraf dua: café — 日本語.',
            dateline="Makassar",
        ),
        make_article(
            3,
            published_at="2015-11-05T17:08:58+09:00",
            summary=None,
            authors=[],
            images=[],
            tags=[],
            editor_initials=None,
            image_url=None,
            photo_caption=None,
            photo_credit=None,
            page_count=2,
            layout="2015",
        ),
        make_article(
            4,
            published_at=None,
            published_raw=None,
            authors=None,
            byline=None,
            images=[{"url": "https://akcdn.detik.net.id/b.jpg", "caption": None, "credit": "ist"}],
            section="telecommunication",
            fetched_at="2026-11-28T03:00:00.123456+00:00",
            layout="fallback",
        ),
    ]


@pytest.mark.parametrize("file_format", ["jsonl", "csv", "parquet"])
def test_export_then_load_gives_identical_rows(file_format, database, database_url, tmp_path, capsys):
    articles = varied_articles()
    database.store_articles(articles)
    exported = tmp_path / f"articles.{file_format}"
    target_url = f"sqlite:///{tmp_path / 'copy.sqlite3'}"

    assert main(["export", "--format", file_format, "-o", str(exported), "--database-url", database_url]) == 0
    assert main(["load", str(exported), "--database-url", target_url]) == 0

    output = capsys.readouterr().out.splitlines()
    assert output == [
        f"exported 4 articles to {exported}",
        f"loaded {exported}: 4 new, 0 changed, 0 unchanged, 0 invalid",
    ]
    with open_database(target_url) as copy:
        assert list(copy.iter_articles()) == list(database.iter_articles())
        assert {record["article_id"]: record for record in copy.iter_articles()} == {
            article["article_id"]: article for article in articles
        }
        assert copy.stats().revisions == 4
    # Loading the export back into its own source changes nothing.
    assert main(["load", str(exported), "--database-url", database_url]) == 0
    assert capsys.readouterr().out.strip().endswith(": 0 new, 0 changed, 4 unchanged, 0 invalid")
