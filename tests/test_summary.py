"""The run summary and its checks, from stats dictionaries built here."""

from __future__ import annotations

from newscrawl.summary import Thresholds, summarize

LIMITS = Thresholds(max_error_share=0.2, min_articles_per_day=10, min_coverage=0.95,
                    coverage_fields=("headline", "body", "published_at", "authors"), max_fallback_share=0.05)


def stats(**values):
    return {f"newscrawl/{key.replace('__', '/')}": value for key, value in values.items()}


def test_a_healthy_run_passes_every_check():
    summary = summarize(stats(pages__index=4, pages__article=20, index__articles__2024_05_01=25,
                              **{"layout/2020s": 20}, coverage__items=20, coverage__headline=20,
                              coverage__body=20, coverage__published_at=20, coverage__authors=20),
                        LIMITS, expects_index=True, full_days=[])
    assert summary.outcome == "ok"
    assert [check.name for check in summary.checks] == [
        "index_read", "error_share", "coverage_headline", "coverage_body", "coverage_published_at",
        "coverage_authors", "fallback_share"]


def test_no_index_page_fails_the_run():
    summary = summarize(stats(failed__index__503=2), LIMITS, expects_index=True)
    assert summary.failures == ["no index page could be read", "2 of 2 pages failed (limit 20%)"]


def test_gone_articles_are_reported_but_not_failures():
    rerun = summarize(stats(pages__index=94, failed__article__404=1, skipped__already_stored=6), LIMITS, True)
    assert rerun.outcome == "ok"
    assert rerun.errors_by_status == {"404": 1}
    unavailable = summarize(stats(pages__index=1, pages__article=2, failed__article__503=1,
                                  failed__article__404=5), LIMITS, True)
    assert unavailable.failures == ["1 of 4 pages failed (limit 20%)"]  # the 404s count in neither part
    assert unavailable.errors_by_status == {"503": 1, "404": 5}
    blocked = summarize(stats(pages__index=1, failed__article__403=1), LIMITS, True)
    assert blocked.failures == ["1 of 2 pages failed (limit 20%)"]


def test_a_finished_day_with_too_few_articles_fails():
    summary = summarize({"newscrawl/pages/index": 2, "newscrawl/index/articles/inet/2024-05-01": 3,
                         "newscrawl/index/articles/inet/2024-05-02": 12}, LIMITS, True,
                        full_days=["2024-05-01", "2024-05-02"], channels=("inet",))
    assert summary.failures == ["1 of 2 finished days listed fewer than 10 articles (2024-05-01: 3)"]
    (check,) = [check for check in summary.checks if check.name == "articles_per_day"]
    assert (check.ok, check.value, check.limit) == (False, 1, 10)
    days = [f"2024-05-{day:02d}" for day in range(1, 8)]
    many = summarize({f"newscrawl/index/pages/inet/{day}": 1 for day in days}, LIMITS, False, full_days=days, channels=("inet",))
    assert many.failures == ["7 of 7 finished days listed fewer than 10 articles "
                             "(2024-05-01: 0, 2024-05-02: 0, 2024-05-03: 0, 2024-05-04: 0, 2024-05-05: 0, ...)"]


def test_low_coverage_and_the_layout_change_alarm():
    summary = summarize({"newscrawl/pages/article": 10, "newscrawl/layout/2020s": 7, "newscrawl/layout/fallback": 3,
                         "newscrawl/coverage/items": 10, "newscrawl/coverage/headline": 10,
                         "newscrawl/coverage/body": 10, "newscrawl/coverage/published_at": 10,
                         "newscrawl/coverage/authors": 9}, LIMITS)
    assert summary.failures == [
        "authors filled in 90% of items (minimum 95%)",
        "30% of items needed the metadata fallback (limit 5%): has the site's layout changed?",
    ]
    assert summary.coverage["headline"] == 1.0 and summary.coverage["photo_credit"] == 0.0
    assert summary.layouts == {"2020s": 7, "fallback": 3}


def test_storage_and_archive_failures_fail_the_run_and_counts_carry_the_checks():
    summary = summarize(stats(pages__article=1, store_failed=1, warc__write_failed=1), LIMITS)
    assert summary.outcome == "failed"
    counts = summary.counts()
    assert [check["name"] for check in counts["checks"] if not check["ok"]] == ["warc_written", "stored"]
    assert counts["failures"][-1] == "1 fetched article not stored: the database was unavailable (the log says how to store them)"
