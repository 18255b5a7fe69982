"""Near-duplicate grouping on a generated archive: time, memory and what it finds.

Run from the repository root::

    .venv/bin/python -m benchmarks.near                      # 100,000 articles into SQLite
    .venv/bin/python -m benchmarks.near --articles 20000

N articles of 250-400 words are drawn from a Zipf-weighted vocabulary of 20,000 generated words
(seeded, so every run makes the same archive). One in ten is a planted copy of an earlier article:
half syndicated (a new headline, the same body plus a syndication footer), half lightly edited (three
words replaced, one sentence added). The articles go into a fresh database with plain executemany
INSERTs (so the rows exist), then, measured:

* ``floor``: ``newscrawl.near_duplicates.signature`` of every body, in this process: the MinHash
  work itself (shingling, hashing, the 128 minima), nothing stored.
* ``backfill``: ``Database.fingerprint_unfingerprinted`` (what ``newscrawl dedupe`` runs): signatures,
  LSH bucket lookups, grouping and the writes, in batches of 200 articles per transaction.

Reported: articles/s of each, their ratio, the peak RSS of the process (it must not grow with N), the
rows written, and the groups found against the planted ones (a copy found in its original's group,
and groups holding articles that were not planted together).
"""

from __future__ import annotations

import argparse
import random
import resource
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import sqlalchemy as sa

from newscrawl import near_duplicates as fingerprints
from newscrawl.storage import open_database
from newscrawl.storage.models import Article, NearDuplicate, NearDuplicateBucket
from newscrawl.storage.records import normalise_record
from newscrawl.storage.rows import record_to_columns

VOCABULARY = 20_000
COPY_SHARE = 10  # one in ten articles is a copy


def _words(rng: random.Random) -> list[str]:
    syllables = ["ka", "ta", "ba", "ri", "su", "ng", "la", "me", "pe", "di", "an", "ke", "ru", "si", "po"]
    return ["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) + str(index % 7)
            for index in range(VOCABULARY)]


def generate(count: int, seed: int = 15):
    """Yield (record, original article_id or None) in publication order."""
    rng = random.Random(seed)
    words = _words(rng)
    weights = [1 / (rank + 1) for rank in range(VOCABULARY)]
    start = datetime(2020, 1, 1, tzinfo=timezone.utc)
    bodies: list[str] = []
    for index in range(count):
        article_id = 1_000_000 + index
        original = None
        if index >= 100 and index % COPY_SHARE == 0:
            original = rng.randrange(index - 100, index)
            body = bodies[original]
            if index % (2 * COPY_SHARE) == 0:
                body += "\n\nArtikel ini telah naik di detikJatim dan bisa dibaca selengkapnya di sini."
            else:
                tokens = body.split(" ")
                for _ in range(3):
                    tokens[rng.randrange(len(tokens))] = rng.choice(words[:500])
                body = " ".join(tokens) + " " + " ".join(rng.choices(words, weights, k=10)) + "."
            original += 1_000_000
        else:
            body = " ".join(rng.choices(words, weights, k=rng.randint(250, 400))) + "."
        bodies.append(body)
        published = start + timedelta(minutes=7 * index)
        record = {
            "url": f"https://news.detik.com/berita/d-{article_id}/artikel", "publisher": "detik", "channel": "news",
            "article_id": article_id, "section": "berita", "section_path": "berita", "headline": f"Judul {index}",
            "summary": None, "published_at": published.isoformat(), "published_raw": None, "authors": ["Redaksi"],
            "byline": None, "editor_initials": None, "image_url": None, "photo_caption": None, "photo_credit": None,
            "dateline": None, "body": body, "images": [], "tags": [], "syndicated_from": None, "page_count": 1,
            "word_count": len(body.split()), "content_hash": None, "layout": "2020s",
            "fetched_at": "2026-12-01T00:00:00+00:00",
        }
        yield record, original


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--database-url", help="default: a fresh SQLite file in a temporary folder")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="newscrawl-near-"))
    url = args.database_url or f"sqlite:///{folder / 'near.sqlite3'}"
    planted: dict[int, int] = {}
    now = datetime.now(timezone.utc)
    with open_database(url) as database:
        started = time.perf_counter()
        batch = []
        bodies_seconds = 0.0
        for record, original in generate(args.articles):
            if original is not None:
                planted[record["article_id"]] = original
            columns = record_to_columns(normalise_record(record))
            batch.append({**columns, "current_revision": 1, "revision_count": 1, "first_seen_at": now,
                          "last_seen_at": now, "updated_at": now})
            if len(batch) == 1000:
                with database.engine.begin() as connection:
                    connection.execute(sa.insert(Article), batch)
                batch = []
        if batch:
            with database.engine.begin() as connection:
                connection.execute(sa.insert(Article), batch)
        print(f"generated and inserted {args.articles} articles ({len(planted)} planted copies) "
              f"in {time.perf_counter() - started:.1f} s; peak RSS {_peak_rss_mb():.0f} MB")

        # The floor: signatures alone, read back in pages as the backfill reads them.
        started = time.perf_counter()
        with database.engine.connect() as connection:
            result = connection.execution_options(yield_per=1000).execute(sa.select(Article.body))
            for (body,) in result:
                fingerprints.signature(body)
        floor_seconds = time.perf_counter() - started
        floor_rss = _peak_rss_mb()

        started = time.perf_counter()
        done = database.fingerprint_unfingerprinted()
        backfill_seconds = time.perf_counter() - started
        assert done == args.articles, done

        with database.engine.connect() as connection:
            group_of = dict(connection.execute(sa.select(NearDuplicate.article_id, NearDuplicate.group_article_id)).all())
            buckets = connection.scalar(sa.select(sa.func.count()).select_from(NearDuplicateBucket))
        stats = database.stats().near_duplicates

    found = sum(1 for copy, original in planted.items() if group_of[copy] == group_of[original])
    # Planted families: a copy's original, transitively. A group mixing two families is a false merge.
    family = {}
    for article_id in sorted(group_of):
        family[article_id] = family.get(planted.get(article_id, article_id), article_id)
    members: dict[int, set[int]] = {}
    for article_id, group in group_of.items():
        members.setdefault(group, set()).add(family[article_id])
    mixed = sum(1 for families in members.values() if len(families) > 1)
    print(f"floor (signatures only): {args.articles / floor_seconds:,.0f} articles/s "
          f"({floor_seconds * 1000 / args.articles:.2f} ms each); peak RSS {floor_rss:.0f} MB")
    print(f"backfill (newscrawl dedupe): {args.articles / backfill_seconds:,.0f} articles/s "
          f"({backfill_seconds * 1000 / args.articles:.2f} ms each), {backfill_seconds:.0f} s; "
          f"ratio to floor {floor_seconds / backfill_seconds:.2f}; peak RSS {_peak_rss_mb():.0f} MB")
    print(f"rows: {stats.fingerprinted} fingerprints, {buckets} buckets; database {folder}")
    print(f"groups: {stats.groups} of 2+ holding {stats.grouped_articles}, largest {stats.largest}; "
          f"planted copies found {found}/{len(planted)}; groups mixing unrelated articles {mixed}")


if __name__ == "__main__":
    main()
