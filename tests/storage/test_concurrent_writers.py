"""Two OS processes store overlapping batches of the same articles into one database at once."""

import multiprocessing
from collections import Counter

import pytest
import sqlalchemy as sa

from newscrawl.storage import open_database
from tests.storage.support import make_article
from tests.storage.writer_process import write_batches, write_in_step

FIRST_FETCH = "2026-11-28T03:00:00+00:00"
SECOND_FETCH = "2026-11-28T05:00:00+00:00"


def version(article_id, text, fetched_at):
    return make_article(article_id, body=f"Jakarta - {text} artikel {article_id}.", fetched_at=fetched_at)


def batches_of(articles, size):
    return [articles[start : start + size] for start in range(0, len(articles), size)]


def run_writers(url, work, target=write_batches):
    """Run one process per list of batches, started together; return each one's status counts."""
    context = multiprocessing.get_context("spawn")
    start, results = context.Barrier(len(work)), context.Queue()
    processes = [context.Process(target=target, args=(url, batches, start, results)) for batches in work]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
    for process in processes:
        if process.is_alive():  # hung: stop it so the schema can be dropped
            process.terminate()
            process.join()
    exit_codes = [process.exitcode for process in processes]
    assert exit_codes == [0] * len(work), "a writer failed (its traceback is in the captured stderr)"
    return [results.get(timeout=5) for _ in processes]


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_two_processes_lose_and_duplicate_nothing(backend, request):
    url = request.getfixturevalue(f"{backend}_url")
    # Writer A: articles 1-40, first text. Writer B: 21-30 with the same text, 31-60 with
    # a second text fetched later, walking its batches backwards, then all of it again.
    writer_a = [version(i, "teks pertama", FIRST_FETCH) for i in range(1, 41)]
    writer_b = [version(i, "teks pertama", SECOND_FETCH) for i in range(21, 31)]
    writer_b += [version(i, "teks kedua", SECOND_FETCH) for i in range(31, 61)]
    work = [batches_of(writer_a, 4), batches_of(writer_b, 4)[::-1] + batches_of(writer_b, 7)]

    statuses = run_writers(url, work)

    # Each article is new exactly once; 31-40 change once; B's repeat and 21-30 are unchanged.
    assert sum(map(Counter, statuses), Counter()) == Counter(new=60, changed=10, unchanged=50)
    with open_database(url) as database, database.engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT article_id, body, current_revision, revision_count FROM articles ORDER BY article_id")
        ).all()
        stored = connection.execute(
            sa.text("SELECT article_id, revision, body FROM article_revisions ORDER BY article_id, revision")
        ).all()

    assert [row.article_id for row in rows] == list(range(1, 61))
    for row in rows:
        newest = "teks kedua" if row.article_id > 30 else "teks pertama"
        assert row.body == f"Jakarta - {newest} artikel {row.article_id}."
        assert row.revision_count == (2 if 31 <= row.article_id <= 40 else 1)
    assert len(stored) == 70
    by_article = {}
    for article_id, revision, body in stored:
        by_article.setdefault(article_id, []).append((revision, body))
    for article_id in range(31, 41):
        numbers, bodies = zip(*by_article[article_id], strict=True)
        assert numbers == (1, 2)
        assert set(bodies) == {
            f"Jakarta - teks pertama artikel {article_id}.",
            f"Jakarta - teks kedua artikel {article_id}.",
        }
    assert all(len(by_article[i]) == 1 for i in [*range(1, 31), *range(41, 61)])


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_two_processes_revising_the_same_articles_number_revisions_without_gaps(backend, request):
    url = request.getfixturevalue(f"{backend}_url")
    rounds, article_ids = 25, range(1, 6)

    def revised(writer, round_number, article_id):
        # Every (writer, round) is a new text; fetch times interleave so the newest is known.
        fetched = f"2026-11-28T03:{round_number:02d}:{writer * 30:02d}+00:00"
        return version(article_id, f"ralat {writer}.{round_number}", fetched)

    work = [[[revised(writer, r, i) for i in article_ids] for r in range(rounds)] for writer in (0, 1)]

    statuses = run_writers(url, work)

    assert sum(map(Counter, statuses), Counter()) == Counter(new=5, changed=2 * rounds * 5 - 5)
    with open_database(url) as database, database.engine.connect() as connection:
        for article_id in article_ids:
            numbers = connection.scalars(
                sa.text("SELECT revision FROM article_revisions WHERE article_id = :id ORDER BY revision"),
                {"id": article_id},
            ).all()
            assert numbers == list(range(1, 2 * rounds + 1))
            row = connection.execute(
                sa.text("SELECT body, revision_count FROM articles WHERE article_id = :id"), {"id": article_id}
            ).one()
            assert row == (f"Jakarta - ralat 1.{rounds - 1} artikel {article_id}.", 2 * rounds)


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_two_processes_creating_the_same_new_articles_at_the_same_moment(backend, request):
    """Both writers insert the same new articles in step, round after round. On PostgreSQL the two
    inserts can meet on the url index before the article_id one; that must end as one new row and
    one unchanged, never as a unique violation (it did, a few rounds in a hundred, while only
    article_id was the ON CONFLICT target)."""
    url = request.getfixturevalue(f"{backend}_url")
    rounds = 100
    batches = [[make_article(1000 + 10 * r + i) for i in range(5)] for r in range(rounds)]

    statuses = run_writers(url, [batches, batches], target=write_in_step)

    assert sum(map(Counter, statuses), Counter()) == Counter(new=5 * rounds, unchanged=5 * rounds)
    with open_database(url) as database, database.engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM articles")) == 5 * rounds
        assert connection.scalar(sa.text("SELECT count(*) FROM article_revisions")) == 5 * rounds


def story(number: int, article_id: int, ending: str) -> dict:
    words = " ".join(f"cerita{number}kata{index}" for index in range(80))
    return make_article(article_id, body=f"{words} {ending}", fetched_at=FIRST_FETCH)


@pytest.mark.parametrize("backend", ["postgres", "sqlite"])
def test_two_processes_storing_copies_of_a_story_at_the_same_moment_group_them(backend, request):
    """Each step, one writer stores a story and the other its copy: neither may miss the other's."""
    url = request.getfixturevalue(f"{backend}_url")
    originals = [[story(number, 1000 + number, "Selesai.")] for number in range(20)]
    copies = [[story(number, 2000 + number, "Artikel ini telah naik di detikJatim.")] for number in range(20)]

    run_writers(url, [originals, copies], target=write_in_step)

    with open_database(url) as database, database.engine.connect() as connection:
        rows = connection.execute(sa.text(
            "SELECT article_id, group_article_id FROM near_duplicates ORDER BY article_id")).all()
    # Same publication time: the lower key heads the group.
    assert [tuple(row) for row in rows] == [(1000 + n, 1000 + n) for n in range(20)] + \
        [(2000 + n, 1000 + n) for n in range(20)]
