"""newscrawl wacz: package archived WARC files as one WACZ file (Web Archive Collection Zipped).

A WACZ holds the WARC files, a CDXJ index of them, ``pages/pages.jsonl`` (the pages a reader starts
from) and a datapackage with every file's hash, so ReplayWeb.page and pywb open it directly. The
packaging is the ``wacz`` package's (py-wacz, the Webrecorder project's own tool); newscrawl chooses
the WARC files and writes the pages: every archived article response in them, titled with the
stored headline where the database has the article.

    newscrawl wacz -o inet-2024-05.wacz --since 2024-05-01 --until 2024-05-31   # WARC files of those articles
    newscrawl wacz -o run.wacz exports/warc/detik-2026-11-28T03-00-00-*.warc.gz
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from newscrawl.archive.capture import Capture
from newscrawl.archive.reader import is_warc_name, looks_like_warc
from newscrawl.cli.common import open_from_args
from newscrawl.cli.errors import CliError
from newscrawl.cli.output import atomic_output
from newscrawl.cli.progress import progress
from newscrawl.sites import parse_url


def _warc_files_of_articles(database, exports_dir: Path, since, until, channel) -> list[Path]:
    """The WARC files holding the current captures of the articles published in the range."""
    files: set[Path] = set()
    captures = database.iter_current_captures(since=since, until=until, channel=channel)
    for record, warc_file, warc_offset in progress(captures, lambda: None, "article"):
        if warc_file is not None:
            files.add(Capture(warc_file, warc_offset or 0, record["fetched_at"] or "").path(exports_dir))
    return sorted(files)


def _article_pages(paths: list[Path]) -> list[tuple[dict[str, str], str]]:
    """(page, canonical URL) for every archived article response (its URL and WARC-Date), in file order."""
    pages = []
    for path in paths:
        with open(path, "rb") as handle:
            for record in ArchiveIterator(handle):
                if record.rec_type != "response":
                    continue
                url = record.rec_headers.get_header("WARC-Target-URI") or ""
                target = parse_url(url)
                if target.kind == "article":
                    pages.append(({"url": url, "ts": record.rec_headers.get_header("WARC-Date") or ""},
                                  target.canonical or url))
    return pages


def _titled(pages: list[tuple[dict[str, str], str]], database) -> list[dict[str, str]]:
    """The pages, each with its article's stored headline where the database has the article; only
    the headlines of these pages are kept while the articles are read."""
    wanted = {canonical for _, canonical in pages}
    headlines = {record["url"]: record["headline"] for record in database.iter_articles() if record["url"] in wanted}
    titled = []
    for page, canonical in pages:
        if headlines.get(canonical):
            page = {**page, "title": headlines[canonical]}
        titled.append(page)
    return titled


def _check_inputs(paths: list[Path]) -> None:
    for path in paths:
        if not path.is_file():
            raise CliError(f"no such WARC file: {path}", exit_code=2)
        with open(path, "rb") as handle:
            if not is_warc_name(path) or not looks_like_warc(handle):
                raise CliError(f"not a WARC file: {path}", exit_code=2)


def run(args: argparse.Namespace) -> int:
    target: Path = args.output
    if target.suffix.lower() != ".wacz":
        raise CliError(f"the output file must end in .wacz: {target}", exit_code=2)
    exports_dir = Path(args.exports_dir)
    with open_from_args(args) as database:
        if args.warc_files:
            if args.since or args.until or args.channel:
                raise CliError("give WARC files or --since/--until/--channel, not both", exit_code=2)
            paths = [Path(path) for path in args.warc_files]
        else:
            paths = _warc_files_of_articles(database, exports_dir, args.since, args.until, args.channel)
            missing = [path for path in paths if not path.is_file()]
            if missing:
                raise CliError(f"{len(missing)} WARC files named by the database are missing, e.g. {missing[0]} "
                               "(give --exports-dir, where the crawl wrote them)", exit_code=1)
        if not paths:
            raise CliError("no archived article in that range: nothing to package", exit_code=1)
        _check_inputs(paths)
        pages = _titled(_article_pages(paths), database)
    with atomic_output(target) as temporary, contextlib.ExitStack() as stack:
        pages_file = temporary.with_name(temporary.name + ".pages.jsonl")
        stack.callback(pages_file.unlink, missing_ok=True)
        with open(pages_file, "w", encoding="utf-8") as out:
            out.write(json.dumps({"format": "json-pages-1.0", "id": "pages", "title": "newscrawl articles"}) + "\n")
            for page in pages:
                out.write(json.dumps(page, ensure_ascii=False) + "\n")
        from wacz.main import main as wacz_main  # imported here: only this command needs it

        output = io.StringIO()  # the wacz tool talks on stdout; keep it for when it fails
        with contextlib.redirect_stdout(output):
            status = wacz_main(["create", "-o", str(temporary), "-p", str(pages_file), *map(str, paths)])
        if status not in (0, None):
            last = output.getvalue().strip().splitlines()[-1:] or [f"exit status {status}"]
            raise CliError(f"the wacz tool could not package the files: {last[0]}", exit_code=1)
    print(f"packaged {len(paths)} WARC files and {len(pages)} article pages into {target}")
    return 0


__all__ = ["run"]
