"""newscrawl export --format dataset: a release Hugging Face's datasets library loads (issue 15, item 2)."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import textwrap

import pyarrow.parquet as pq
import pytest
import yaml

from newscrawl.cli import main
from newscrawl.storage import open_database
from tests.storage.support import make_article

PUBLISHED = {
    1: "2022-11-30T23:30:00+07:00",  # November in WIB though 16:30 UTC
    2: "2022-12-01T00:10:00+08:00",  # December in WITA, 16:10 UTC: before article 1 in UTC order
    3: "2022-12-10T07:16:35+07:00",
    4: "2023-01-02T09:00:00+09:00",
    5: None,  # no publication date
}


@pytest.fixture
def url(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    with open_database(url) as database:
        database.store_articles([make_article(number, published_at=published)
                                 for number, published in PUBLISHED.items()], reason="crawl")
    return url


def _export(url, target, capsys, *extra) -> int:
    code = main(["export", "--format", "dataset", "-o", str(target), "--database-url", url, *extra])
    capsys.readouterr()
    return code


def _with_datasets(code: str, *arguments: str) -> dict:
    """Run ``code`` with the datasets library in a child process and return the JSON it prints: loading
    datasets (pandas, numpy, its caches) in the test process would grow it by some 200 MB, which every
    later child's ru_maxrss inherits at fork (the memory tests measure children that way)."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code), *arguments], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _front_matter(card: str) -> dict:
    assert card.startswith("---\n")
    return yaml.safe_load(card.split("---\n")[1])


def test_a_dataset_release_has_monthly_files_a_manifest_and_a_card(url, tmp_path, capsys):
    target = tmp_path / "release"
    assert _export(url, target, capsys) == 0
    files = sorted(str(path.relative_to(target)) for path in target.rglob("*") if path.is_file())
    assert files == ["README.md", "data/2022/2022-11.parquet", "data/2022/2022-12.parquet",
                     "data/2023/2023-01.parquet", "data/undated/undated.parquet", "manifest.json"]
    manifest = json.loads((target / "manifest.json").read_text())
    assert manifest["rows"] == 5
    assert [(entry["path"], entry["rows"]) for entry in manifest["files"]] == [
        ("data/2022/2022-11.parquet", 1), ("data/2022/2022-12.parquet", 2), ("data/2023/2023-01.parquet", 1),
        ("data/undated/undated.parquet", 1)]
    for entry in manifest["files"]:
        data = (target / entry["path"]).read_bytes()
        assert (entry["sha256"], entry["bytes"]) == (hashlib.sha256(data).hexdigest(), len(data))
        assert pq.read_metadata(target / entry["path"]).num_rows == entry["rows"]
    assert pq.read_table(target / "data/2022/2022-12.parquet").column("article_id").to_pylist() == [2, 3]

    card = (target / "README.md").read_text()
    meta = _front_matter(card)
    assert meta["language"] == ["id"] and meta["size_categories"] == ["n<1K"]
    assert (meta["license"], meta["license_name"]) == ("other", "publisher-copyright")
    assert meta["dataset_info"]["splits"] == [{"name": "2022", "num_examples": 3}, {"name": "2023", "num_examples": 1},
                                              {"name": "undated", "num_examples": 1}]
    assert meta["configs"] == [{"config_name": "default", "data_files": [
        {"split": "2022", "path": "data/2022/*.parquet"}, {"split": "2023", "path": "data/2023/*.parquet"},
        {"split": "undated", "path": "data/undated/*.parquet"}]}]
    # The card's features are exactly the files' schema, as datasets reads both.
    same = _with_datasets("""
        import json, sys
        import datasets, pyarrow.parquet as pq, yaml
        card = open(sys.argv[1], encoding="utf-8").read().split("---\\n")[1]
        from_card = datasets.Features._from_yaml_list(yaml.safe_load(card)["dataset_info"]["features"])
        print(json.dumps(from_card == datasets.Features.from_arrow_schema(pq.read_schema(sys.argv[2]))))
    """, str(target / "README.md"), str(target / "data/2022/2022-12.parquet"))
    assert same is True
    assert "## Terms of use" in card and "copyright stays with the publisher (detikcom)" in " ".join(card.split())


def test_the_datasets_library_loads_the_release(url, tmp_path, capsys):
    target = tmp_path / "release"
    assert _export(url, target, capsys) == 0
    loaded = _with_datasets("""
        import json, sys
        from datetime import datetime
        import datasets
        target, cache = sys.argv[1], sys.argv[2]
        rows = datasets.load_dataset("parquet", data_dir=target + "/data", cache_dir=cache)["train"]
        first = next(row for row in rows if row["article_id"] == 2)
        by_year = datasets.load_dataset(target, cache_dir=cache)  # the card's configs: one split per year
        print(json.dumps({
            "rows": rows.num_rows, "ids": sorted(rows["article_id"]),
            "published_at_type": rows.features["published_at"] == datasets.Value("timestamp[us, tz=UTC]"),
            "tags_type": rows.features["tags"] == datasets.List(datasets.Value("string")),
            "first_published": first["published_at"] == datetime.fromisoformat("2022-12-01T00:10:00+08:00"),
            "first_offset": first["published_at_offset_minutes"], "first_tags": first["tags"],
            "splits": {name: split.num_rows for name, split in by_year.items()},
        }))
    """, str(target), str(tmp_path / "hf-cache"))
    assert loaded == {"rows": 5, "ids": [1, 2, 3, 4, 5], "published_at_type": True, "tags_type": True,
                      "first_published": True, "first_offset": 480, "first_tags": ["kripto", "ftx"],
                      "splits": {"2022": 3, "2023": 1, "undated": 1}}


def test_the_same_database_gives_byte_identical_output(url, tmp_path, capsys):
    assert _export(url, tmp_path / "one", capsys) == 0
    assert _export(url, tmp_path / "two", capsys) == 0
    def contents(root):
        return {str(path.relative_to(root)): path.read_bytes() for path in root.rglob("*") if path.is_file()}
    assert contents(tmp_path / "one") == contents(tmp_path / "two")


def test_an_existing_folder_is_refused_and_nothing_is_left_behind(url, tmp_path, capsys):
    (tmp_path / "taken").mkdir()
    code = main(["export", "--format", "dataset", "-o", str(tmp_path / "taken"), "--database-url", url])
    assert code == 2
    assert capsys.readouterr().err == (f"newscrawl: error: {tmp_path / 'taken'} exists: give a folder that does not "
                                       "exist yet\n")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["db.sqlite3", "taken"]
