"""--jobs: import and reextract on several worker processes store exactly what one process stores,
in input order, and Ctrl-C stops them cleanly (issue 14, item 1)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading

import pytest
from warcio.warcwriter import WARCWriter

from newscrawl import near_duplicates
from newscrawl.cli import imports, main, shared_bodies, workers_module
from newscrawl.cli.parallel import ordered_map
from newscrawl.storage import Database, open_database
from tests.archive.support import page_bytes, response_record
from tests.storage.support import make_article, outage_at_single_store
from tests.support import wait_for

TEMPLATE = "noise-2020s"  # a 2020s article; its id is replaced to make many different articles
TEMPLATE_ID = b"7347215"
HTML = [("Content-Type", "text/html; charset=UTF-8")]
CLI = [sys.executable, "-c", "import sys; from newscrawl.cli import main; sys.exit(main())"]


def _square(number: int) -> int:
    if number == 13:
        raise ValueError("thirteen")
    return number * number


def test_ordered_map_keeps_the_input_order_on_workers():
    assert list(ordered_map(_square, range(12), jobs=2, chunk=3)) == [n * n for n in range(12)]
    assert list(ordered_map(_square, range(12), jobs=1)) == [n * n for n in range(12)]


def test_an_error_in_a_worker_is_raised_in_the_caller():
    results = ordered_map(_square, range(20), jobs=2, chunk=2)
    with pytest.raises(ValueError, match="thirteen"):
        list(results)


@pytest.mark.parametrize(("arguments", "module"), [
    (["import", "--jobs", "2", "a.warc.gz"], "newscrawl.cli.import_worker"),
    (["import", "-j3", "a.warc.gz"], "newscrawl.cli.import_worker"),
    (["reextract", "--jobs=2", "--dry-run"], "newscrawl.cli.reextract_worker"),
    (["import", "--jobs", "1", "a.warc.gz"], None),
    (["reextract", "-j", "1"], None),
    (["export", "--jobs", "2"], None),
    ([], None),
])
def test_the_commands_that_start_workers_are_told_before_parsing(arguments, module):
    assert workers_module(arguments) == module


def test_preloaded_workers_start_with_the_module_imported():
    # In a process of its own: the forkserver is started once per process, with the preload of that moment.
    code = (
        "from newscrawl.process_pool import preload_workers, worker_pool\n"
        "import sys\n"
        "if sys.argv[1] == 'preload':\n"
        "    preload_workers(['newscrawl.cli.imports'])\n"
        "pool = worker_pool(1, ())\n"
        "print(pool.submit(eval, \"'newscrawl.cli.imports' in __import__('sys').modules\").result())\n"
        "pool.shutdown()\n"
    )
    outputs = [subprocess.run([sys.executable, "-c", code, mode], capture_output=True, text=True, timeout=60,
                              check=True).stdout.strip() for mode in ("preload", "no")]
    assert outputs == ["True", "False"]


@pytest.mark.parametrize(("caller", "worker"), [
    ("newscrawl.cli.imports", "newscrawl.cli.import_worker"),
    ("newscrawl.cli.reextract", "newscrawl.cli.reextract_worker"),
])
def test_the_caller_and_the_workers_each_import_only_their_half(caller, worker):
    """The caller of --jobs stores and never extracts; its workers extract and never store. Each
    importing the other's half (Scrapy and lxml; SQLAlchemy) would make both start ~0.4 s later."""
    code = "import sys\nimport {modules}\nprint(sorted(name for name in {absent} if name in sys.modules))\n"
    sources = [code.format(modules=f"newscrawl.cli.app, {caller}, newscrawl.cli.results",
                           absent=("scrapy", "lxml", "parsel", "newscrawl.extraction")),
               code.format(modules=worker, absent=("sqlalchemy", "newscrawl.storage.database"))]
    outputs = [subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, timeout=60,
                              check=True).stdout.strip() for source in sources]
    assert outputs == ["[]", "[]"]


def test_every_name_storage_exports_resolves():
    # storage's names are imported when first asked for (so its records module needs no SQLAlchemy).
    from newscrawl import storage
    from newscrawl.storage import database, records, writes

    assert sorted(storage.__all__) == sorted(storage._MODULE_OF)  # the two lists of names are one list
    assert [name for name in storage.__all__ if not hasattr(storage, name)] == []
    assert (storage.Database, storage.normalise_record, storage.Status) == (
        database.Database, records.normalise_record, writes.Status)
    with pytest.raises(AttributeError):
        storage.no_such_name  # noqa: B018


def _warc(path, count: int, first_id: int = 8000001) -> list[int]:
    """A WARC of ``count`` different articles (the template with another id each), and a non-article."""
    template = page_bytes(TEMPLATE)
    ids = [first_id + number for number in range(count)]
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for number, article_id in enumerate(ids):
            body = template.replace(TEMPLATE_ID, str(article_id).encode())
            url = f"https://inet.detik.com/science/d-{article_id}/roket-falcon-9-cetak-rekor-booster-mendarat-untuk-ke-20-kalinya"
            writer.write_record(response_record(writer, url, body, HTML))
            if number == count // 2:
                writer.write_record(response_record(writer, "https://example.com/", b"<html>x</html>", HTML))
    return ids


def _articles(database) -> list[tuple]:
    with sqlite3.connect(database) as connection:
        return connection.execute(
            "SELECT a.article_id, a.url, a.body, a.fields_hash, r.warc_offset FROM articles a "
            "JOIN article_revisions r ON r.publisher = a.publisher AND r.article_id = a.article_id "
            "ORDER BY a.article_id").fetchall()


def _revision_order(database) -> list[int]:
    with sqlite3.connect(database) as connection:
        return [row[0] for row in connection.execute("SELECT article_id FROM article_revisions ORDER BY id")]


def _fingerprints(database) -> list[tuple]:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT article_id, signature, group_article_id FROM near_duplicates "
                                  "ORDER BY article_id").fetchall()


def test_import_and_reextract_on_two_workers_store_what_one_process_stores(tmp_path, capsys, monkeypatch):
    ids = _warc(tmp_path / "in.warc.gz", 40)
    rings = []  # (bodies parked in shared memory, bodies sent down the pipe) of each ring closed
    close = shared_bodies.BodyRing.close
    monkeypatch.setattr(shared_bodies.BodyRing, "close", lambda ring: (rings.append((ring.parked, ring.inline)),
                                                                        close(ring)))
    outputs = {}
    for jobs in (1, 2):
        if jobs == 2:  # the workers sign the bodies: the storing process computes no signature
            monkeypatch.setattr(near_duplicates, "signature", lambda text: pytest.fail("signed in the store"))
        database = tmp_path / f"jobs{jobs}.sqlite3"
        url = f"sqlite:///{database}"
        assert main(["import", str(tmp_path / "in.warc.gz"), "--database-url", url, "--jobs", str(jobs)]) == 0
        imported = capsys.readouterr().out.splitlines()
        assert main(["reextract", "--dry-run", "--database-url", url, "--jobs", str(jobs)]) == 0
        outputs[jobs] = (imported, capsys.readouterr().out.splitlines(), _articles(database), _revision_order(database),
                         _fingerprints(database))
    assert outputs[1] == outputs[2]
    imported, reextracted, articles, order, fingerprints = outputs[2]
    assert imported == ["imported 40 articles: 40 new, 0 changed, 0 unchanged", "skipped 1: other_site 1",
                        "bad input 0: none"]
    assert reextracted[0] == ("re-extracted 40 of 40 articles: 0 changed (would store as new revisions), "
                              "40 unchanged, 0 without an archived response, 0 failed")
    assert [row[0] for row in articles] == ids
    assert order == ids  # stored in the order of the input
    assert len(fingerprints) == 40 and all(len(row[1]) == 512 for row in fingerprints)
    assert rings == [(40, 0)]  # with --jobs 2 every article's body reached its worker through shared memory


def _stored(database) -> int:
    try:
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=0.1) as connection:
            return connection.execute("SELECT count(*) FROM articles").fetchone()[0]
    except sqlite3.OperationalError:  # not created yet, or being migrated
        return 0


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_stops_the_workers_and_the_rerun_stores_the_rest(tmp_path, jobs):
    ids = _warc(tmp_path / "in.warc.gz", 600)
    shared_memory_before = _shared_memory()
    database = tmp_path / "db.sqlite3"
    arguments = [*CLI, "import", str(tmp_path / "in.warc.gz"), "--database-url", f"sqlite:///{database}",
                 "--jobs", jobs]
    child = subprocess.Popen(arguments, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True)
    try:
        wait_for(lambda: _stored(database) >= 100 or child.poll() is not None)
        os.killpg(child.pid, signal.SIGINT)  # as a terminal's Ctrl-C: to the whole process group
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
    assert child.returncode == 130, err
    assert err.strip().splitlines()[-1] == "newscrawl: error: interrupted"
    said = err.strip().splitlines()[-2]
    wait_for(lambda: _group_gone(child.pid), timeout=30)  # no worker (nor forkserver) of the group is left
    assert _shared_memory() == shared_memory_before  # the ring of page bodies is given back
    stored = _stored(database)
    assert 100 <= stored < len(ids)
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT kind, outcome FROM crawl_runs").fetchall() == [("import", "failed")]
        # The batch being stored when Ctrl-C came was let finish, and counted: the run says what is stored.
        counts = json.loads(connection.execute("SELECT counts FROM crawl_runs").fetchone()[0])
        assert (counts["new"], counts["changed"], counts["unchanged"]) == (stored, 0, 0)
        assert said == (f"import stopped; articles stored: {stored}. Import the same input again to store the "
                        "rest (what is stored already is left as it is)")
        # Whole batches only: every stored article has its revision and capture.
        assert connection.execute("SELECT count(*) FROM article_revisions WHERE warc_offset IS NOT NULL").fetchone()[0] == stored

    rerun = subprocess.run(arguments, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert rerun.stdout.splitlines()[0] == (
        f"imported {len(ids)} articles: {len(ids) - stored} new, 0 changed, {stored} unchanged")
    assert _stored(database) == len(ids)


def test_a_ctrl_c_while_a_batch_is_being_stored_counts_that_batch(tmp_path, capsys, monkeypatch):
    """The Ctrl-C lands exactly while the caller waits for the second batch's commit (the moment
    the subprocess test above hits only sometimes): that batch is committed, and counted."""
    _warc(tmp_path / "in.warc.gz", 250)
    database = tmp_path / "db.sqlite3"
    waited = []
    second_awaited = threading.Event()
    wait = imports._Batch.wait

    def counting_wait(batch):
        if batch.storing is not None:
            waited.append(batch.storing)
            if len(waited) == 2:
                second_awaited.set()
        wait(batch)

    stores = []
    store = Database.store_isolated

    def interrupted_store(database, records, **keywords):
        stores.append(len(records))
        if len(stores) == 2:  # the caller is (about to be) waiting for this one: interrupt it there
            assert second_awaited.wait(timeout=60)
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
        return store(database, records, **keywords)

    monkeypatch.setattr(imports._Batch, "wait", counting_wait)
    monkeypatch.setattr(Database, "store_isolated", interrupted_store)
    arguments = ["import", str(tmp_path / "in.warc.gz"), "--database-url", f"sqlite:///{database}", "--jobs", "1"]
    assert main(arguments) == 130
    assert capsys.readouterr().err.strip().splitlines()[-2:] == [
        "import stopped; articles stored: 200. Import the same input again to store the rest (what is stored "
        "already is left as it is)",
        "newscrawl: error: interrupted"]
    assert stores == [100, 100]
    assert _stored(database) == 200
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT outcome FROM crawl_runs").fetchall() == [("failed",)]
        counts = json.loads(connection.execute("SELECT counts FROM crawl_runs").fetchone()[0])
    assert (counts["new"], counts["changed"], counts["unchanged"]) == (200, 0, 0)


def test_an_outage_while_a_batch_is_stored_record_by_record_counts_what_was_stored(tmp_path, capsys, monkeypatch):
    """A refused record makes the store take its batch record by record; the database then goes away
    at the fourth: the two stored before the refusal are counted, and the refusal is said."""
    ids = _warc(tmp_path / "in.warc.gz", 5)
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    taken = f"https://inet.detik.com/science/d-{ids[2]}/roket-falcon-9-cetak-rekor-booster-mendarat-untuk-ke-20-kalinya"
    with open_database(url) as database:
        database.store_articles([make_article(1, url=taken)], reason="load")  # the third article's URL
    singles = outage_at_single_store(monkeypatch, url, at=4)
    assert main(["import", str(tmp_path / "in.warc.gz"), "--database-url", url, "--jobs", "1"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert singles == ids[:4]
    assert err[-2].endswith(f": conflicting_record: url {taken} is already stored under article_id 1")
    assert err[-1] == (f"newscrawl: error: database {url} is unavailable: connection lost; 2 articles were stored "
                       "before that: once the database is available, import the same input again (what is stored "
                       "already is left as it is)")
    with sqlite3.connect(tmp_path / "db.sqlite3") as connection:
        assert [row[0] for row in connection.execute("SELECT article_id FROM articles ORDER BY article_id")] == \
            [1, *ids[:2]]
        outcome, counts = connection.execute("SELECT outcome, counts FROM crawl_runs WHERE kind = 'import'").fetchone()
    counts = json.loads(counts)
    assert (outcome, counts["new"], counts["bad"]) == ("failed", 2, {"conflicting_record": 1})


def test_a_page_the_extraction_fails_on_is_reported_and_the_import_goes_on(tmp_path, capsys, monkeypatch):
    ids = _warc(tmp_path / "in.warc.gz", 5)
    from newscrawl.cli import import_worker

    extract = import_worker.article_from_response

    def failing_on_the_third(response):
        if f"/d-{ids[2]}/" in response.url:
            raise TypeError("'NoneType' object is not subscriptable")  # as a bug would
        return extract(response)

    monkeypatch.setattr(import_worker, "article_from_response", failing_on_the_third)
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    assert main(["import", str(tmp_path / "in.warc.gz"), "--database-url", url, "--jobs", "1"]) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines() == ["imported 4 articles: 4 new, 0 changed, 0 unchanged",
                                         "skipped 1: other_site 1", "bad input 1: extraction_error 1"]
    [line] = captured.err.strip().splitlines()
    assert line.endswith(": extraction_error: the extraction failed (TypeError: 'NoneType' object is not "
                         "subscriptable); this is a bug in newscrawl, please report it with this page")
    assert [row[0] for row in _articles(tmp_path / "db.sqlite3")] == [ids[0], ids[1], ids[3], ids[4]]


def _shared_memory() -> set[str]:
    return {name for name in os.listdir("/dev/shm") if name.startswith("psm_")}


def _group_gone(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return True
    return False
