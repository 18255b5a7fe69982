"""What ``reextract`` does with one stored article on a --jobs worker (or in the caller, with one
job): read its archived response back, extract it again, and say what changed.

Apart from cli/reextract.py so that each process imports only its half, as import's workers do
(cli/import_worker.py): the workers the extraction and no database, the caller the database and
no extraction.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from newscrawl.archive import Capture, UnreadableArchive, read_response
from newscrawl.cli.results import Outcome
from newscrawl.cli.rerun import NotUsable, article_from_response, changed_fields, extraction_failure
from newscrawl.cli.sources import MAX_BODY_BYTES
from newscrawl.near_duplicates import signed
from newscrawl.sites import parse_url


def reextract_one(row: tuple[dict[str, Any], str | None, int | None], exports_dir: Path) -> Outcome:
    """Extract one stored article's archived response again (run in a worker process with --jobs)."""
    record, warc_file, warc_offset = row
    if warc_file is None or warc_offset is None:
        return Outcome("no_capture")
    capture = Capture(warc_file, warc_offset, record["fetched_at"] or "")
    try:
        new = _reextract(record, capture, exports_dir)
        changed = changed_fields(record, new)
        signature = signed(new["body"]) if "body" in changed else None
    except (UnreadableArchive, NotUsable) as error:
        return Outcome("failed", reason=error.reason,
                       message=f"article {record['article_id']} ({warc_file}@{warc_offset}): {error}")
    except Exception as error:  # noqa: BLE001 - reported, and the run goes on (extraction_failure)
        where = f"article {record['article_id']} ({warc_file}@{warc_offset})"
        return Outcome("failed", reason="extraction_error", message=f"{where}: {extraction_failure(error)}")
    if not changed:
        return Outcome("unchanged")
    return Outcome("changed", record=new, capture=(warc_file, warc_offset), changed=changed, signed=signature)


def _reextract(record: dict[str, Any], capture: Capture, exports_dir: Path) -> dict[str, Any]:
    archived = read_response(capture.path(exports_dir), capture.warc_offset, max_bytes=MAX_BODY_BYTES)
    target = parse_url(archived.url)
    if (target.publisher, target.article_id) != (record["publisher"], record["article_id"]):
        raise NotUsable("capture_of_another_page", f"the record at that offset is {archived.url}")
    return article_from_response(archived)
