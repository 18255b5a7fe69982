import csv
import io
import json
import tracemalloc

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from newscrawl.cli import main
from newscrawl.cli.formats import format_module, jsonl, parquet
from newscrawl.storage import ARTICLE_FIELDS
from tests.storage.support import make_article


@pytest.fixture
def stored(database):
    articles = [
        make_article(3, published_at="2022-12-12T09:00:00+07:00", section="gadget"),
        make_article(1, published_at="2022-11-30T23:00:00+07:00", body='Ia berkata "halo",\n\nlalu pergi. Señor.'),
        make_article(2, published_at="2022-12-01T00:30:00+07:00"),
    ]
    database.store_articles(articles)
    return {article["article_id"]: article for article in articles}


def export(database_url, *arguments):
    return main(["export", "--database-url", database_url, *arguments])


def test_jsonl_is_one_utf8_article_per_line_in_publication_order(stored, database_url, tmp_path, capsys):
    target = tmp_path / "out.jsonl"

    assert export(database_url, "--format", "jsonl", "-o", str(target)) == 0

    text = target.read_text(encoding="utf-8")
    lines = text.splitlines()
    assert [json.loads(line) for line in lines] == [stored[1], stored[2], stored[3]]
    assert list(json.loads(lines[0])) == list(ARTICLE_FIELDS)
    assert 'Ia berkata \\"halo\\",\\n\\nlalu pergi. Señor.' in lines[0]  # non-ASCII kept, not escaped
    assert capsys.readouterr().out == f"exported 3 articles to {target}\n"


def test_filters_by_printed_date_and_section(stored, database_url, tmp_path):
    target = tmp_path / "december.jsonl"

    assert export(database_url, "--format", "jsonl", "--since", "2022-12-01", "--until", "2022-12-31",
                  "--section", "cyberlife", "-o", str(target)) == 0

    assert [json.loads(line)["article_id"] for line in target.read_text().splitlines()] == [2]


def test_csv_keeps_quotes_newlines_and_lists(stored, database_url, tmp_path):
    target = tmp_path / "out.csv"

    assert export(database_url, "--format", "csv", "-o", str(target)) == 0

    with target.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [int(row["article_id"]) for row in rows] == [1, 2, 3]
    assert list(rows[0]) == list(ARTICLE_FIELDS)
    assert rows[0]["body"] == 'Ia berkata "halo",\n\nlalu pergi. Señor.'
    assert json.loads(rows[0]["authors"]) == ["Virgina Maulita Putri", "Fino Yurio Kristo"]
    assert json.loads(rows[0]["images"]) == [{"url": "https://akcdn.detik.net.id/a.jpg", "caption": "Grafik", "credit": None}]
    assert rows[0]["published_at"] == "2022-11-30T23:00:00+07:00"


def test_parquet_has_typed_columns_and_row_groups(stored, database_url, tmp_path, monkeypatch):
    monkeypatch.setattr(parquet, "ROW_GROUP_SIZE", 2)
    target = tmp_path / "out.parquet"

    assert export(database_url, "--format", "parquet", "-o", str(target)) == 0

    file = pq.ParquetFile(target)
    assert file.metadata.num_row_groups == 2
    schema = file.schema_arrow
    assert schema.field("published_at").type == pa.timestamp("us", tz="UTC")
    assert schema.field("fetched_at").type == pa.timestamp("us", tz="UTC")
    assert schema.field("published_at_offset_minutes").type == pa.int16()
    assert schema.field("authors").type == pa.list_(pa.string())
    assert schema.field("images").type == pa.list_(
        pa.struct([("url", pa.string()), ("caption", pa.string()), ("credit", pa.string())])
    )
    assert schema.field("article_id").type == pa.int64()
    table = file.read()
    assert table.column("article_id").to_pylist() == [1, 2, 3]
    assert table.column("published_at_offset_minutes").to_pylist() == [420, 420, 420]
    assert str(table.column("published_at")[0]) == "2022-11-30 16:00:00+00:00"


def test_default_output_goes_to_exports_with_a_utc_timestamp(stored, database_url, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)

    assert export(database_url, "--format", "csv") == 0

    [written] = (tmp_path / "exports").iterdir()
    assert written.name.startswith("articles-") and written.name.endswith("Z.csv")
    assert len(written.name) == len("articles-20261128T030000Z.csv")
    assert capsys.readouterr().out == f"exported 3 articles to exports/{written.name}\n"


def test_interrupted_export_leaves_no_file_under_the_final_name(stored, database_url, tmp_path, monkeypatch, capsys):
    target = tmp_path / "out.jsonl"
    target.write_text("previous export\n")
    written = []

    def write_then_interrupt(self, record):
        written.append(record)
        if len(written) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(jsonl.JsonLinesWriter, "write", write_then_interrupt)

    assert export(database_url, "--format", "jsonl", "-o", str(target)) == 130

    assert target.read_text() == "previous export\n"
    assert [path.name for path in tmp_path.iterdir() if path.name.endswith(".part")] == []
    assert capsys.readouterr().err == "newscrawl: error: interrupted\n"


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_only_on_a_terminal(stored, database_url, tmp_path, monkeypatch, capsys):
    assert export(database_url, "--format", "jsonl", "-o", str(tmp_path / "a.jsonl")) == 0
    assert capsys.readouterr().err == ""

    terminal = Terminal()
    monkeypatch.setattr("sys.stderr", terminal)
    assert export(database_url, "--format", "jsonl", "-o", str(tmp_path / "b.jsonl")) == 0
    assert "3/3" in terminal.getvalue() and "article" in terminal.getvalue()


def test_export_memory_stays_flat(sqlite_url, tmp_path, monkeypatch):
    from newscrawl.storage import open_database

    monkeypatch.setattr(parquet, "ROW_GROUP_SIZE", 200)
    body = "kata " * 4000  # 20 kB per article, 48 MB in all
    with open_database(sqlite_url) as database:
        for start in range(0, 2400, 400):
            database.store_articles([make_article(i, body=body) for i in range(start + 1, start + 401)])  # ids are positive

    for file_format in ("jsonl", "csv", "parquet"):
        # Once untraced first: pyarrow 26 imports modules of its own on its first write (some 19 MB of
        # code objects), a one-time cost that is not the rows.
        warm = format_module(file_format).open_writer(tmp_path / f"warm.{file_format}")
        warm.write(make_article(1))
        warm.close()
        tracemalloc.start()
        try:
            assert export(sqlite_url, "--format", file_format, "-o", str(tmp_path / f"big.{file_format}")) == 0
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 16_000_000, file_format  # a third of the data: rows are streamed, not gathered
