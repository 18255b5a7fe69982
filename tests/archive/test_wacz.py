"""newscrawl wacz: a crawl's WARC files as a WACZ that `wacz validate` accepts and pywb replays
(issue 15, item 4)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

CLI = [sys.executable, "-c", "import sys; from newscrawl.cli import main; sys.exit(main())"]
from tests.archive.support import CRAWLED_URLS, expected_item, page_bytes
from tests.archive.test_pywb import REPLAYED, _free_port, _get, _wait_until_serving, pywb  # noqa: F401

WACZ_TOOL = Path(sys.executable).with_name("wacz")


def _wacz(capsys, *arguments) -> tuple[int, str, str]:
    """The command in a child process: the wacz package's imports would grow the test process, which
    every later child's ru_maxrss inherits at fork (the memory tests measure children that way)."""
    done = subprocess.run([*CLI, "wacz", *arguments], capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def packaged(recorded_copy, tmp_path, capsys):
    target = tmp_path / "crawl.wacz"
    code, out, err = _wacz(capsys, "-o", str(target), "--since", "2015-01-01", "--until", "2030-12-31",
                           "--database-url", f"sqlite:///{recorded_copy / 'db.sqlite3'}",
                           "--exports-dir", str(recorded_copy))
    assert code == 0, err
    return target, out


def test_a_wacz_of_a_crawl_holds_its_warc_index_and_article_pages_and_validates(packaged):
    target, out = packaged
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        pages = [json.loads(line) for line in archive.read("pages/pages.jsonl").decode().splitlines()]
    assert [name for name in names if name.startswith("archive/")] and "datapackage.json" in names
    assert any(name.startswith("indexes/") for name in names)
    assert pages[0]["format"] == "json-pages-1.0"
    urls = {page["url"] for page in pages[1:]}
    assert set(REPLAYED) <= urls and urls <= {*CRAWLED_URLS, *(f"{url}?single=1" for url in CRAWLED_URLS)}
    titled = {page["url"]: page.get("title") for page in pages[1:]}
    assert titled[CRAWLED_URLS[2]] == expected_item(REPLAYED[CRAWLED_URLS[2]][0])["headline"]  # the stored headline
    assert out.startswith("packaged 1 WARC files and ")
    validated = subprocess.run([str(WACZ_TOOL), "validate", "-f", str(target)], capture_output=True, text=True,
                               timeout=120)
    assert validated.returncode == 0, validated.stdout + validated.stderr


def test_pywb_replays_a_page_from_the_wacz(packaged, pywb, tmp_path):  # noqa: F811
    target, _ = packaged
    environment = {**os.environ, "PATH": f"{pywb}{os.pathsep}{os.environ['PATH']}"}
    for command in (["wb-manager", "init", "fromwacz"], ["wb-manager", "add", "--unpack-wacz", "fromwacz", str(target)]):
        done = subprocess.run([str(pywb / command[0]), *command[1:]], cwd=tmp_path, env=environment,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
    port = _free_port()
    server = subprocess.Popen([str(pywb / "wayback"), "--bind", "127.0.0.1", "--port", str(port)], cwd=tmp_path,
                              env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_until_serving(server, port)
        url = CRAWLED_URLS[2]
        status, _, body = _get(f"http://127.0.0.1:{port}/fromwacz/id_/{url}")
        assert status == 200
        assert body == page_bytes(REPLAYED[url][0])
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_bad_wacz_requests_are_one_line(recorded_copy, tmp_path, capsys):
    database = f"sqlite:///{recorded_copy / 'db.sqlite3'}"
    assert _wacz(capsys, "-o", str(tmp_path / "x.zip"), "--database-url", database) == (
        2, "", f"newscrawl: error: the output file must end in .wacz: {tmp_path / 'x.zip'}\n")
    (tmp_path / "notes.warc.gz").write_bytes(b"hello")
    assert _wacz(capsys, "-o", str(tmp_path / "x.wacz"), str(tmp_path / "notes.warc.gz"), "--database-url", database) == (
        2, "", f"newscrawl: error: not a WARC file: {tmp_path / 'notes.warc.gz'}\n")
    assert _wacz(capsys, "-o", str(tmp_path / "x.wacz"), "--since", "2001-01-01", "--until", "2001-12-31",
                 "--database-url", database, "--exports-dir", str(recorded_copy)) == (
        1, "", "newscrawl: error: no archived article in that range: nothing to package\n")
    assert not (tmp_path / "x.wacz").exists()
