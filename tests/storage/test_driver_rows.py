"""The batch of new articles is inserted through the driver (storage.driver_rows): its rows must hold
exactly what SQLAlchemy's per-row path writes for the same record."""

import hashlib

from newscrawl.storage import writes
from tests.storage.support import make_article

# Columns that differ between the articles by construction (their keys and URLs) or by row order.
_OWN = {"article_id", "url", "id", "image_url", "headline", "summary", "fields_hash"}


def raw_rows(database, table):
    """Rows as the database holds them (no SQLAlchemy result processing), keyed by article id."""
    with database.engine.connect() as connection:
        result = connection.exec_driver_sql(f"SELECT * FROM {table}")
        names = list(result.keys())
        return {row[names.index("article_id")]: dict(zip(names, row)) for row in result}


def test_batch_rows_equal_per_row_rows(database, monkeypatch):
    fields = {"body": "Jakarta - Ünïcode \"kutip\" dan\tTab.\n\nParagraf ☃ kedua.",
              "published_at": "2018-12-17T20:26:00+08:00", "published_raw": "Senin, 17 Des 2018 20:26 WITA",
              "authors": ["Ädi", "B \"kutip\""], "tags": ["ä", "b"], "syndicated_from": "CNN Indonesia",
              "images": [{"url": "https://akcdn.detik.net.id/x.jpg", "caption": "Foto ☃", "credit": "Dok"},
                         {"url": "https://akcdn.detik.net.id/y.jpg", "caption": None, "credit": None}]}
    fields["word_count"] = len(fields["body"].split())
    fields["content_hash"] = hashlib.sha256(fields["body"].encode()).hexdigest()
    capture = ("crawl-1.warc.gz", 1234)
    single = make_article(1, **fields)
    batch = [make_article(2, **fields), make_article(3, **fields, fetched_at=None)]
    single_none = make_article(4, **fields, fetched_at=None)

    # One record takes the per-row path (SQLAlchemy); two new ones the driver's executemany.
    assert database.store_articles([single], captures={("detik", 1): capture}) == ["new"]
    assert database.store_articles([single_none]) == ["new"]
    calls = []
    original = writes._new_article_inserts

    def counted(dialect):
        calls.append(dialect.name)
        return original(dialect)
    monkeypatch.setattr(writes, "_new_article_inserts", counted)
    assert database.store_articles(batch, captures={("detik", 2): capture}) == ["new", "new"]
    assert calls == [database.engine.dialect.name]

    for table in ("articles", "article_revisions"):
        rows = raw_rows(database, table)
        assert set(rows) == {1, 2, 3, 4}
        # updated_at and created_at are the time of each store call; fetched_at=None takes it too.
        moving = {"updated_at", "created_at"}
        for by_driver, by_sqlalchemy in ((2, 1), (3, 4)):
            ours = {name: value for name, value in rows[by_driver].items() if name not in _OWN | moving}
            theirs = {name: value for name, value in rows[by_sqlalchemy].items() if name not in _OWN | moving}
            if by_driver == 3:  # first/last seen are the store call's time
                for name in ("first_seen_at", "last_seen_at"):
                    ours.pop(name, None)
                    theirs.pop(name, None)
            assert ours == theirs, table
            assert type(rows[by_driver]["updated_at" if table == "articles" else "created_at"]) \
                is type(rows[by_sqlalchemy]["updated_at" if table == "articles" else "created_at"])
    revision_rows = raw_rows(database, "article_revisions")
    assert (revision_rows[2]["warc_file"], revision_rows[2]["warc_offset"]) == capture
    assert (revision_rows[3]["warc_file"], revision_rows[3]["warc_offset"]) == (None, None)
    # And read back through the models, every record is what was stored.
    assert sorted(database.iter_articles(), key=lambda record: record["article_id"]) == [
        single, batch[0], batch[1], single_none]
