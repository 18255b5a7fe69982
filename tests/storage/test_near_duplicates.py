"""Near-duplicate groups: the fixture pairs, groups merging and splitting, order, backfill and threshold."""

from __future__ import annotations

import itertools
import json
import random

import numpy as np
import pytest
import sqlalchemy as sa

from newscrawl import near_duplicates as fingerprints
from newscrawl.extraction import extract
from newscrawl.storage.models import NearDuplicate, NearDuplicateBucket
from tests.conftest import FETCHED_AT, FIXTURES
from tests.storage.support import make_article

PAIRS = FIXTURES / "near-duplicates"
SPEC = json.loads((PAIRS / "pages.json").read_text(encoding="utf-8"))


def fixture_articles() -> dict[int, dict]:
    articles = {}
    for name, url in SPEC["pages"].items():
        item = extract(url, (FIXTURES / f"{name}.html").read_bytes(), fetched_at=FETCHED_AT).item
        articles[item["article_id"]] = dict(item)
    return articles


ARTICLES = fixture_articles()
EXPECTED_GROUPS = {
    ("detik", article_id): ("detik", int(head)) for head, members in SPEC["groups"].items() for article_id in members
}


def groups(database, ids=None) -> dict[tuple[str, int], tuple[str, int]]:
    with database.engine.connect() as connection:
        rows = connection.execute(sa.select(NearDuplicate.publisher, NearDuplicate.article_id,
                                            NearDuplicate.group_publisher, NearDuplicate.group_article_id))
        found = {(row[0], row[1]): (row[2], row[3]) for row in rows}
    return found if ids is None else {key: found[key] for key in ids}


def test_fixture_pairs_have_the_similarity_the_pages_were_made_with():
    for pair, (low, high) in SPEC["exact_jaccard"].items():
        first, second = (set(fingerprints.shingles(ARTICLES[int(i)]["body"])) for i in pair.split("~"))
        exact = len(first & second) / len(first | second)
        estimate = fingerprints.similarity(fingerprints.signature(ARTICLES[int(pair.split("~")[0])]["body"]),
                                           fingerprints.signature(ARTICLES[int(pair.split("~")[1])]["body"]))
        assert low <= exact <= high, pair
        assert abs(estimate - exact) < 0.1, pair  # 128 permutations: a standard error of about 0.03


WORDS = [f"kata{number}" for number in range(3000)] + [
    "Ütara", "jalan-jalan", "Rp 5.000", "2022", "“kutip”", "naïve–café", "İstanbul", "ΟΔΟΣ", "😀x", "𐐀𐐁", "a_b", "\u0663\u0664"]


def test_words_are_the_regular_expressions_words_of_the_text_lower_cased_character_by_character():
    assert [fingerprints.lower_character(character) for character in "AİΣé😀𐐀"] == ["a", "i", "σ", "é", "😀", "𐐨"]
    rng = random.Random(15)
    texts = [article["body"] for article in ARTICLES.values()]
    texts += [" ".join(rng.choices(WORDS, k=rng.randint(1, 600))) for _ in range(40)]
    for text in texts:
        words = fingerprints._WORD.findall("".join(map(fingerprints.lower_character, text)))
        # Each word hashed on its own gives the value it has inside the text: the same words, in order.
        assert fingerprints.word_hashes(text).tolist() == [fingerprints.word_hashes(word).item() for word in words]
        # And distinct shingles hash apart: as many distinct hashes as shingles.
        assert len(set(fingerprints.shingle_hashes(text).tolist())) == len(fingerprints.shingles(text))


def test_signatures_estimate_the_jaccard_similarity_of_the_shingles():
    rng = random.Random(16)
    for kept in (0, 50, 120, 200, 280, 350, 400, 420):
        first = rng.choices(WORDS, k=420)
        second = first[:kept] + rng.choices(WORDS, k=420 - kept)
        a, b = set(fingerprints.shingles(" ".join(first))), set(fingerprints.shingles(" ".join(second)))
        exact = len(a & b) / len(a | b)
        estimate = fingerprints.similarity(fingerprints.signature(" ".join(first)),
                                           fingerprints.signature(" ".join(second)))
        assert abs(estimate - exact) < 0.15, kept  # 128 permutations: a standard error of at most 0.045
    signature = fingerprints.signature(ARTICLES[7006603]["body"])
    assert signature.dtype == np.dtype("<u4") and signature.shape == (fingerprints.NUM_PERM,)
    assert fingerprints.signature("") is None and fingerprints.signature(" -- ") is None
    # A text shorter than a shingle is one shingle of all its words.
    assert fingerprints.shingle_hashes("satu dua").size == 1


def test_the_first_schemes_fingerprints_are_dropped_by_the_upgrade_and_made_again(sqlite_url):
    from alembic import command

    from newscrawl.storage import migrate, open_database

    with open_database(sqlite_url) as database:
        assert database.store_articles([ARTICLES[7006603], ARTICLES[7006672]]) == ["new", "new"]
        expected = groups(database)
        assert expected == {("detik", 7006603): ("detik", 7006603), ("detik", 7006672): ("detik", 7006603)}
        config = migrate.alembic_config()
        with database.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0006")
            assert connection.scalar(sa.text("SELECT scheme FROM near_duplicate_settings")) == "affine32"
            assert connection.scalar(sa.text("SELECT count(*) FROM near_duplicates")) == 0
            # A fingerprint and a bucket as the first scheme made them.
            connection.execute(sa.text(
                "INSERT INTO near_duplicates VALUES ('detik', 7006603, NULL, NULL, :signature, 'detik', 7006603)"),
                {"signature": bytes(4 * fingerprints.NUM_PERM)})
            connection.execute(sa.text("INSERT INTO near_duplicate_buckets VALUES (17, 'detik', 7006603)"))
    with open_database(sqlite_url) as database:  # migrates to the head
        assert database.schema_revision() == migrate.head_revision()
        with database.engine.connect() as connection:
            assert connection.scalar(sa.text("SELECT scheme FROM near_duplicate_settings")) == "words32"
            assert connection.scalar(sa.text("SELECT count(*) FROM near_duplicate_buckets")) == 0
        assert database.count_unfingerprinted() == 2
        assert database.fingerprint_unfingerprinted() == 2
        assert groups(database) == expected


def test_the_syndicated_copy_keeps_its_own_headline_and_drops_the_footer():
    """What makes the pair a test of near (not exact) duplicates: the stored fields differ."""
    original, copy = ARTICLES[7006603], ARTICLES[7006672]
    assert original["headline"] == "Sopir Truk Antre hingga 6 Jam di Pelabuhan Ketapang"
    assert copy["headline"] == "Antrean Truk Mengular di Pelabuhan Ketapang, Sopir Tunggu hingga 6 Jam"
    assert copy["syndicated_from"].endswith("/jatim/berita/d-7006603/antrean-truk-mengular-di-pelabuhan-ketapang-sopir-tunggu-hingga-6-jam")
    assert "telah naik" not in copy["body"] and original["body"] != copy["body"]


@pytest.mark.parametrize("order", [
    [7006603, 7006672, 7006690, 6453785, 6453912],
    [6453912, 7006690, 7006672, 6453785, 7006603],
    [7006672, 6453912, 7006603, 7006690, 6453785],
])
def test_fixture_pairs_group_with_their_earliest_article_whatever_the_order(database, order):
    for article_id in order:  # one batch each: every article meets the ones stored before it
        assert database.store_articles([ARTICLES[article_id]]) == ["new"]
    assert groups(database) == EXPECTED_GROUPS


def test_one_batch_of_all_pages_groups_them_alike(database):
    database.store_articles([ARTICLES[i] for i in sorted(ARTICLES, reverse=True)])
    assert groups(database) == EXPECTED_GROUPS
    assert database.near_duplicate_groups([("detik", 7006672)]) == {("detik", 7006672): ("detik", 7006603)}


def test_a_lightly_edited_revision_stays_in_its_group_with_a_new_fingerprint(database):
    database.store_articles([ARTICLES[7006603], ARTICLES[7006672]])
    copy = ARTICLES[7006672]
    with database.engine.connect() as connection:
        before = connection.scalar(sa.select(NearDuplicate.signature).where(NearDuplicate.article_id == 7006672))
    # One number changed: 5 of the copy's shingles, which leaves it at Jaccard 0.82 of the original (the
    # two such edits take it to 0.76, below the threshold, and out of the group).
    edited_body = copy["body"].replace("(47)", "(48)")
    shingles = [set(fingerprints.shingles(body)) for body in (ARTICLES[7006603]["body"], edited_body)]
    assert len(shingles[0] & shingles[1]) / len(shingles[0] | shingles[1]) == pytest.approx(0.8222, abs=1e-4)
    revision = {**copy, "body": edited_body, "content_hash": copy["content_hash"][::-1],
                "fetched_at": "2026-11-29T03:00:00+00:00"}

    assert database.store_articles([revision]) == ["changed"]

    with database.engine.connect() as connection:
        after = connection.scalar(sa.select(NearDuplicate.signature).where(NearDuplicate.article_id == 7006672))
        buckets = connection.scalar(sa.select(sa.func.count()).select_from(NearDuplicateBucket)
                                    .where(NearDuplicateBucket.article_id == 7006672))
    assert after != before and after == fingerprints.to_bytes(fingerprints.signature(edited_body))
    assert buckets == 25  # the old buckets went with the old fingerprint
    assert groups(database) == {("detik", 7006603): ("detik", 7006603), ("detik", 7006672): ("detik", 7006603)}


def test_a_version_with_the_same_body_keeps_its_fingerprint(database):
    database.store_articles([ARTICLES[7006603]])
    retagged = {**ARTICLES[7006603], "tags": ["ketapang"], "fetched_at": "2026-11-29T03:00:00+00:00"}
    with database.engine.connect() as connection:
        before = connection.execute(sa.select(NearDuplicate)).all()

    assert database.store_articles([retagged]) == ["changed"]

    with database.engine.connect() as connection:
        assert connection.execute(sa.select(NearDuplicate)).all() == before


# A chain: 1 and 2, and 2 and 3, are near-duplicates at 0.78 (Jaccard 88/104 = 0.85 each); 1 and 3 are
# not (80/112 = 0.71).
CHAIN_THRESHOLD = 0.78
WORDS = [f"kata{number}" for number in range(200)]
CHAIN = {1: " ".join(WORDS[0:100]), 2: " ".join(WORDS[8:108]), 3: " ".join(WORDS[16:116])}
CHAIN_DATES = {1: "2022-01-01T08:00:00+07:00", 2: "2022-01-02T08:00:00+07:00", 3: "2021-12-31T08:00:00+07:00"}


def chain_article(article_id: int, body: str | None = None) -> dict:
    return make_article(article_id, body=CHAIN[article_id] if body is None else body,
                        published_at=CHAIN_DATES[article_id])


def test_chain_preconditions():
    a, b, c = (fingerprints.signature(CHAIN[i]) for i in (1, 2, 3))
    layout = fingerprints.banding_for(CHAIN_THRESHOLD)
    assert fingerprints.similar(a, b, layout) and fingerprints.similar(b, c, layout)
    assert not fingerprints.similar(a, c, layout)


@pytest.mark.parametrize("order", list(itertools.permutations([1, 2, 3])))
def test_an_article_joining_two_groups_merges_them_under_the_earliest(database, order):
    database.set_near_duplicate_threshold(CHAIN_THRESHOLD)
    for article_id in order:
        database.store_articles([chain_article(article_id)])
    # 3 is the earliest (2021-12-31): it heads the whole chain though it is not similar to 1.
    assert groups(database) == {("detik", i): ("detik", 3) for i in (1, 2, 3)}


@pytest.mark.parametrize("order", list(itertools.permutations([1, 2, 3])))
def test_a_chain_stored_in_one_batch_is_one_group_whatever_its_order(database, order):
    database.set_near_duplicate_threshold(CHAIN_THRESHOLD)
    database.store_articles([chain_article(article_id) for article_id in order])
    assert groups(database) == {("detik", i): ("detik", 3) for i in (1, 2, 3)}


def test_a_batch_article_merges_two_stored_groups(database):
    database.set_near_duplicate_threshold(CHAIN_THRESHOLD)
    database.store_articles([chain_article(1), chain_article(3)])
    assert groups(database) == {("detik", 1): ("detik", 1), ("detik", 3): ("detik", 3)}

    database.store_articles([chain_article(2), make_article(4, body="Berita lain tentang cuaca hari ini di Jakarta.")])

    assert groups(database) == {("detik", 1): ("detik", 3), ("detik", 2): ("detik", 3), ("detik", 3): ("detik", 3),
                                ("detik", 4): ("detik", 4)}


def test_past_the_candidate_bound_a_batch_is_filed_article_by_article_alike(database, monkeypatch):
    from newscrawl.storage import near_duplicates as storage

    database.store_articles([ARTICLES[i] for i in (7006603, 6453785, 7006690)])
    filed_alone = []
    file_one = storage._file
    monkeypatch.setattr(storage, "_file", lambda connection, layout, entry: (filed_alone.append(entry.key),
                                                                            file_one(connection, layout, entry)))
    # Each copy shares 15 of its 25 buckets with its original: 30 candidate rows for the batch of two,
    # over its bound of 2 x 10. Filed alone, a copy reads 10 of its 15 rows, each naming its original.
    monkeypatch.setattr(storage, "CANDIDATE_LIMIT", 10)

    database.store_articles([ARTICLES[7006672], ARTICLES[6453912]])

    assert sorted(filed_alone) == [("detik", 6453912), ("detik", 7006672)]
    assert groups(database) == EXPECTED_GROUPS


def test_below_the_bound_a_batch_takes_one_candidate_query(database, monkeypatch):
    from newscrawl.storage import near_duplicates as storage

    database.store_articles([ARTICLES[i] for i in (7006603, 6453785, 7006690)])
    monkeypatch.setattr(storage, "_file", lambda *args: pytest.fail("filed article by article"))
    database.store_articles([ARTICLES[7006672], ARTICLES[6453912]])
    assert groups(database) == EXPECTED_GROUPS


def test_a_signature_computed_ahead_is_used_only_for_its_own_body(database, monkeypatch):
    original, copy = ARTICLES[7006603], ARTICLES[7006672]
    ahead = {("detik", 7006603): fingerprints.Signed(original["body"], fingerprints.signature(original["body"])),
             # computed from another body than the one stored: not used
             ("detik", 7006672): fingerprints.Signed("lain", fingerprints.signature("sama sekali lain"))}
    computed = []
    compute = fingerprints.signature
    monkeypatch.setattr(fingerprints, "signature", lambda text: (computed.append(text), compute(text))[1])

    database.store_articles([original, copy], signatures=ahead)

    assert computed == [copy["body"]]
    assert groups(database) == {("detik", 7006603): ("detik", 7006603), ("detik", 7006672): ("detik", 7006603)}


def test_a_new_body_that_breaks_the_chain_splits_the_group(database):
    database.set_near_duplicate_threshold(CHAIN_THRESHOLD)
    database.store_articles([chain_article(i) for i in (1, 2, 3)])
    rewritten = chain_article(2, body="Isi yang sama sekali lain, tentang hal yang berbeda, ditulis ulang oleh redaksi.")

    assert database.store_articles([{**rewritten, "fetched_at": "2026-11-29T03:00:00+00:00"}]) == ["changed"]

    assert groups(database) == {("detik", 1): ("detik", 1), ("detik", 2): ("detik", 2), ("detik", 3): ("detik", 3)}


def test_a_body_without_words_is_a_group_of_its_own(database):
    database.store_articles([make_article(1, body="..."), make_article(2, body="...")])
    with database.engine.connect() as connection:
        signatures = connection.execute(sa.select(NearDuplicate.signature)).scalars().all()
    assert signatures == [None, None]
    assert groups(database) == {("detik", 1): ("detik", 1), ("detik", 2): ("detik", 2)}


def test_backfill_fingerprints_articles_stored_before_grouping(database):
    database.store_articles([ARTICLES[i] for i in ARTICLES])
    with database.engine.begin() as connection:  # as after upgrading a database to revision 0006
        connection.execute(sa.delete(NearDuplicateBucket))
        connection.execute(sa.delete(NearDuplicate))
    assert database.count_unfingerprinted() == 5
    assert database.stats().near_duplicates.unfiled == 5

    batches = []
    assert database.fingerprint_unfingerprinted(batches.append) == 5

    assert batches == [5] and database.count_unfingerprinted() == 0
    assert groups(database) == EXPECTED_GROUPS
    assert database.fingerprint_unfingerprinted() == 0


def test_a_new_threshold_regroups_everything(database):
    database.store_articles([ARTICLES[i] for i in ARTICLES])

    layout = database.set_near_duplicate_threshold(0.95)

    assert (layout.threshold, layout.bands, layout.rows) == (0.95, 16, 8)
    assert database.count_unfingerprinted() == 5
    database.fingerprint_unfingerprinted()
    assert groups(database) == {("detik", i): ("detik", i) for i in ARTICLES}  # both pairs are below 0.95
    stats = database.stats().near_duplicates
    assert (stats.threshold, stats.groups, stats.fingerprinted) == (0.95, 0, 5)


def test_group_stats_and_the_export_selection(database):
    database.store_articles([ARTICLES[i] for i in ARTICLES])

    stats = database.stats().near_duplicates
    assert (stats.groups, stats.grouped_articles, stats.largest, stats.fingerprinted, stats.unfiled) == (2, 4, 2, 5, 0)
    assert stats.sizes == {"2": 2, "3-5": 0, "6-10": 0, "11+": 0}
    assert [a["article_id"] for a in database.iter_articles(dedupe_near=True)] == [6453785, 7006603, 7006690]
    assert database.count_articles(dedupe_near=True) == 3
    # Among the selected articles: the Bali copy is the earliest of its group in detikBali.
    assert [a["article_id"] for a in database.iter_articles(dedupe_near=True, channel="bali")] == [7006672, 7006690]


def test_fingerprints_made_otherwise_are_refused(database):
    with database.engine.begin() as connection:
        connection.execute(sa.text("UPDATE near_duplicate_settings SET num_perm = 256"))
    with pytest.raises(Exception, match="made with 256 permutations.*newscrawl dedupe --threshold 0.8"):
        database.store_articles([ARTICLES[7006603]])
    assert database.count_articles() == 0  # the transaction stored nothing


def test_on_sqlite_every_batch_asks_for_its_candidates_in_one_and_the_same_statement(sqlite_url):
    # pysqlite keeps each connection's last 128 statements prepared: a statement per batch (its bucket
    # keys written in) made a long import grow by tens of MB.
    from newscrawl.storage import open_database

    statements = []
    with open_database(sqlite_url) as database:
        sa.event.listen(database.engine, "before_cursor_execute",
                        lambda conn, cursor, statement, *rest: statements.append(statement))
        database.store_articles([ARTICLES[i] for i in (7006603, 6453785)])
        database.store_articles([ARTICLES[i] for i in (7006690, 7006672)])
        database.store_articles([ARTICLES[6453912]])
        assert groups(database) == EXPECTED_GROUPS
    candidates = [statement for statement in statements if "JOIN near_duplicates" in statement]
    assert len(candidates) == 3
    assert len(set(candidates)) == 1
