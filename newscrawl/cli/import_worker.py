"""What an ``import`` page goes through on a --jobs worker (or in the caller, with one job): its
extraction, and its body's near-duplicate signature.

Apart from cli/imports.py so that each process imports only its half: the workers the extraction
(Scrapy, lxml) and no database, the caller the database (SQLAlchemy) and no extraction. The two
then start at once, the caller on one core and the workers' forkserver on the other
(newscrawl.cli.main preloads this module there).
"""

from __future__ import annotations

from newscrawl.cli.rerun import NotUsable, article_from_html, article_from_response, extraction_failure
from newscrawl.cli.results import Extracted
from newscrawl.cli.shared_bodies import ParkedPage
from newscrawl.cli.sources import Page, Passed
from newscrawl.near_duplicates import signed


def extract_page(found: Page | Passed | ParkedPage, sign: bool = True) -> Extracted | Passed:
    """The article of one input page, or why there is none, with its body's near-duplicate
    signature if ``sign``."""
    if isinstance(found, Passed):
        return found
    if isinstance(found, ParkedPage):
        found = found.unpark()
    try:
        if found.response is not None:
            record = article_from_response(found.response)
        else:
            record = article_from_html(found.url, found.html or b"", found.fetched_at or "")
        signature = signed(record["body"]) if sign else None
    except NotUsable as error:
        return Passed(found.where, error.reason, str(error), error.skipped)
    except Exception as error:  # noqa: BLE001 - reported, and the import goes on (extraction_failure)
        return Passed(found.where, "extraction_error", extraction_failure(error), skipped=False)
    return Extracted(found.where, found.capture, record, signature)
