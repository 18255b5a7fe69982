"""Gone articles (404/410) are reported but do not count as failed fetches in the run's outcome."""

from __future__ import annotations

from newscrawl.summary import summarize


def test_a_rerun_whose_only_article_request_is_a_gone_link_is_ok():
    summary = summarize({"newscrawl/pages/index": 94, "newscrawl/failed/article/404": 1,
                         "newscrawl/skipped/already_stored": 6}, True, 0.2)
    assert summary.outcome == "ok" and summary.failures == []
    assert summary.errors_by_status == {"404": 1}
    assert summary.failed == {"article/404": 1}


def test_gone_articles_do_not_dilute_or_raise_the_failed_share():
    only_gone = summarize({"newscrawl/pages/index": 1, "newscrawl/pages/article": 1,
                           "newscrawl/failed/article/410": 3}, True, 0.2)
    assert only_gone.outcome == "ok"
    unavailable = summarize({"newscrawl/pages/index": 1, "newscrawl/pages/article": 3,
                             "newscrawl/failed/article/503": 1, "newscrawl/failed/article/404": 5}, True, 0.2)
    assert unavailable.failures == ["1 of 4 article pages failed (limit 20%)"]
    assert unavailable.errors_by_status == {"503": 1, "404": 5}


def test_other_failed_statuses_still_fail_the_run():
    blocked = summarize({"newscrawl/pages/index": 1, "newscrawl/failed/article/403": 1}, True, 0.2)
    assert blocked.failures == ["1 of 1 article pages failed (limit 20%)"]
