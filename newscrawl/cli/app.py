"""The ``newscrawl`` command's parser and its dispatch to the commands (newscrawl.cli.main runs it).

Each command's module is imported only when it runs: reextract and import bring the extraction
(and Scrapy, for its items), export and load Parquet's pyarrow, which the others need not wait for."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import NoReturn

from sqlalchemy.exc import SQLAlchemyError

from newscrawl.cli import default_jobs
from newscrawl.sites import SITES
from newscrawl.cli.errors import CliError
from newscrawl.cli.formats import FORMATS
from newscrawl.masking import mask_secrets
from newscrawl.storage import DATABASE_URL_ENV, BadDatabaseUrl, DatabaseUnavailable, InvalidRecord, migrate
from newscrawl.storage import resolve_database_url

USAGE_ERROR = 2


class OneLineErrorParser(argparse.ArgumentParser):
    """argparse, but a usage error is a single line on stderr (the usage text is one --help away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(USAGE_ERROR, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {text!r} (expected YYYY-MM-DD)") from None


def parse_article_id(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"invalid article id {text!r} (expected a number)")
    return int(text)


def parse_run_id(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"invalid run id {text!r} (expected a number, as newscrawl stats --runs shows)")
    return int(text)


def parse_revision(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"invalid revision {text!r} (expected a number, 1 or more)")
    return int(text)


def parse_jobs(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"invalid number of jobs {text!r} (expected a whole number, 1 or more)")
    return int(text)


def parse_threshold(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 < value <= 1.0:
        raise argparse.ArgumentTypeError(f"invalid threshold {text!r} (expected a Jaccard similarity above 0, at most 1)")
    return value


def channel_slugs() -> list[str]:
    return sorted({channel.slug for site in SITES for channel in site.channels})


def parse_channel(text: str) -> str:
    if text not in channel_slugs():
        raise argparse.ArgumentTypeError(f"unknown channel {text!r} (channels: {', '.join(channel_slugs())})")
    return text


def _lazy(module: str, function: str = "run"):
    def handler(args: argparse.Namespace) -> int:
        return getattr(importlib.import_module(f"newscrawl.cli.{module}"), function)(args)

    return handler


def build_parser() -> argparse.ArgumentParser:
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument(
        "--database-url",
        metavar="URL",
        help=f"SQLAlchemy URL (default: ${DATABASE_URL_ENV}, else sqlite:///exports/newscrawl.sqlite3)",
    )
    parser = OneLineErrorParser(prog="newscrawl", description="The archive of the news sites newscrawl crawls.")
    channel = argparse.ArgumentParser(add_help=False)
    channel.add_argument("--channel", type=parse_channel, metavar="SLUG",
                         help=f"only this channel's articles ({', '.join(channel_slugs())})")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    exporting = commands.add_parser(
        "export",
        parents=[database, channel],
        help="write the current articles to a file, in publication order",
        description="Stream the current articles to a file in publication order. Dates compare "
        "with each article's publication date as printed (its own UTC offset), both ends inclusive.",
    )
    exporting.add_argument("--format", required=True, choices=sorted([*FORMATS, "dataset"]),
                           help="a file of jsonl, csv or parquet; or dataset: a folder of monthly Parquet files "
                           "with a dataset card and a manifest, as Hugging Face datasets loads it (-o DIR)")
    exporting.add_argument("--since", type=parse_date, metavar="DATE", help="first publication date, YYYY-MM-DD")
    exporting.add_argument("--until", type=parse_date, metavar="DATE", help="last publication date, YYYY-MM-DD")
    exporting.add_argument("--section", metavar="S", help="only this section, e.g. cyberlife")
    exporting.add_argument("--dedupe", choices=["near"],
                           help="near: only the earliest of each group of near-duplicate articles (a syndicated "
                           "copy, a republished edit) among those selected (newscrawl dedupe groups older ones)")
    exporting.add_argument("--run", type=parse_run_id, metavar="ID",
                           help="instead: the article versions crawl run ID stored (new or changed), in the order "
                           "stored, as its JSON lines file has them (newscrawl stats --runs lists the runs)")
    exporting.add_argument(
        "-o", "--output", type=Path, metavar="PATH",
        help="default: exports/<channel, else articles>-<UTC time>.<format>"
    )
    exporting.set_defaults(handler=_lazy("export"))

    loading = commands.add_parser(
        "load",
        parents=[database],
        help="import articles from a JSON lines file (also CSV or Parquet as written by export)",
        description="Import articles; loading the same file again changes nothing. Invalid records "
        "are reported with their line and skipped (exit status 1 when there were any).",
    )
    loading.add_argument("file", type=Path, metavar="FILE")
    loading.add_argument("--format", choices=sorted(FORMATS), help="default: from the file name ending, else jsonl")
    loading.set_defaults(handler=_lazy("load"))

    reporting = commands.add_parser(
        "stats", parents=[database, channel],
        help="articles per month, channel and section, field coverage, revisions, last runs"
    )
    reporting.add_argument("--runs", nargs="?", type=int, const=10, default=0, metavar="N",
                           help="instead: the last N runs (default 10) with their checks and figures")
    reporting.set_defaults(handler=_lazy("stats"))

    exports = argparse.ArgumentParser(add_help=False)
    exports.add_argument(
        "--exports-dir",
        metavar="DIR",
        default=os.environ.get("NEWSCRAWL_EXPORTS_DIR", "exports"),
        help="the crawl's NEWSCRAWL_EXPORTS_DIR: WARC file names stored relative to it are found there "
        "(default: $NEWSCRAWL_EXPORTS_DIR, else exports)",
    )
    jobs = argparse.ArgumentParser(add_help=False)
    jobs.add_argument(
        "--jobs", "-j", type=parse_jobs, metavar="N", default=default_jobs(),
        help="processes that decode and extract pages (default: the machine's cores, here %(default)s); "
        "one process stores the results, in input order",
    )
    reextracting = commands.add_parser(
        "reextract",
        parents=[database, exports, channel, jobs],
        help="run today's extraction over the archived responses; store what changed",
        description="Read the archived response of each current article (its WARC file and offset), extract it "
        "again and store a new revision (reason reextract) where any field changed. Prints how many articles "
        "changed per field; articles without an archived response are counted.",
    )
    reextracting.add_argument("--since", type=parse_date, metavar="DATE", help="first publication date, YYYY-MM-DD")
    reextracting.add_argument("--until", type=parse_date, metavar="DATE", help="last publication date, YYYY-MM-DD")
    reextracting.add_argument("--article-id", type=parse_article_id, metavar="ID", help="only this article")
    reextracting.add_argument("--dry-run", action="store_true", help="report what would change, store nothing")
    reextracting.set_defaults(handler=_lazy("reextract"))

    importing = commands.add_parser(
        "import",
        parents=[database, exports, jobs],
        help="store the articles of WARC files and folders of saved .html pages",
        description="Import article pages of every site and channel newscrawl knows from .warc/.warc.gz files "
        "(other sites, galleries, videos and index pages are skipped) and from folders of saved .html pages (URL from <link rel=canonical>, or a "
        "<name>.url file beside the page). Importing the same input again adds nothing; bad input is counted "
        "by reason and reported, and ends with exit status 1.",
    )
    importing.add_argument("paths", nargs="+", metavar="PATH", help="a WARC file, an .html page, or a folder of them")
    importing.set_defaults(handler=_lazy("imports"))

    diffing = commands.add_parser(
        "diff",
        parents=[database],
        help="what changed in an article between two of its stored revisions",
        description="Compare two revisions of one article (the newest two by default): the fields that changed, "
        "before and after, and a word-level diff of the body ([-removed-] {+added+}).",
    )
    diffing.add_argument("article_id", type=parse_article_id, metavar="ARTICLE_ID")
    diffing.add_argument("--from", dest="from_revision", type=parse_revision, metavar="N",
                         help="the older revision (default: the one before --to)")
    diffing.add_argument("--to", dest="to_revision", type=parse_revision, metavar="M",
                         help="the newer revision (default: the newest)")
    diffing.add_argument("--publisher", metavar="NAME", help="when the id is stored for several publishers")
    diffing.add_argument("--json", action="store_true", help="one JSON object instead of text")
    diffing.set_defaults(handler=_lazy("diff", "run_diff"))

    changing = commands.add_parser(
        "changes",
        parents=[database],
        help="articles edited after publication: the edits crawls have seen, with what changed",
        description="List every edit stored from --since on: a version fetched anew (crawl or import) that "
        "follows another version of the article, with its headline change, body size change and tags added "
        "and removed. Re-extractions and loads are no edits. See newscrawl diff for the whole change.",
    )
    changing.add_argument("--since", type=parse_date, required=True, metavar="DATE",
                          help="first day (UTC) the edit was stored, YYYY-MM-DD")
    changing.add_argument("--until", type=parse_date, metavar="DATE", help="last day (UTC), YYYY-MM-DD")
    changing.add_argument("--json", action="store_true", help="one JSON object a line instead of text")
    changing.set_defaults(handler=_lazy("diff", "run_changes"))

    waczing = commands.add_parser(
        "wacz",
        parents=[database, exports, channel],
        help="package archived WARC files, their index and pages as one WACZ file",
        description="Package WARC files as a WACZ (the WARC files, a CDXJ index, pages/pages.jsonl of the archived "
        "articles with their stored headlines, a datapackage of hashes) that ReplayWeb.page and pywb open "
        "directly: the WARC files given, or those holding the current captures of the articles published "
        "--since/--until (and of --channel).",
    )
    waczing.add_argument("warc_files", nargs="*", metavar="WARC", help="WARC files (default: chosen from the database)")
    waczing.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.wacz")
    waczing.add_argument("--since", type=parse_date, metavar="DATE", help="first publication date, YYYY-MM-DD")
    waczing.add_argument("--until", type=parse_date, metavar="DATE", help="last publication date, YYYY-MM-DD")
    waczing.set_defaults(handler=_lazy("wacz"))

    deduping = commands.add_parser(
        "dedupe",
        parents=[database],
        help="group near-duplicate articles stored before grouping existed, or regroup at a new --threshold",
        description="Articles are fingerprinted (MinHash of the body's word 5-shingles) and grouped with their "
        "near-duplicates as they are stored. This fingerprints the articles that have no fingerprint yet (stored "
        "before schema revision 0006); with --threshold it first drops every group and regroups the whole archive.",
    )
    deduping.add_argument("--threshold", type=parse_threshold, metavar="J",
                          help="the estimated Jaccard similarity from which two articles are near-duplicates "
                          "(new databases: 0.8)")
    deduping.set_defaults(handler=_lazy("dedupe"))

    database_commands = commands.add_parser("db", help="database maintenance")
    db_commands = database_commands.add_subparsers(dest="db_command", metavar="COMMAND", required=True)
    upgrading = db_commands.add_parser("upgrade", parents=[database], help="apply the schema migrations")
    upgrading.set_defaults(handler=_lazy("db", "run_upgrade"))
    stamping = db_commands.add_parser(
        "stamp", parents=[database], help="record the schema revision of tables whose alembic_version table is lost",
        description="Record REVISION in the alembic_version table without running any migration. Only for a "
        "database whose tables are those of REVISION but whose alembic_version table is gone (newscrawl says so "
        "when it finds one).",
    )
    stamping.add_argument("revision", choices=migrate.revisions(), metavar="REVISION",
                          help=f"one of {', '.join(migrate.revisions())}")
    stamping.set_defaults(handler=_lazy("db", "run_stamp"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "since", None) and getattr(args, "until", None) and args.since > args.until:
        parser.error(f"--since {args.since} is after --until {args.until}")
    if getattr(args, "run", None) is not None and (args.since or args.until or args.section or args.channel
                                                   or args.dedupe):
        parser.error("--run cannot be combined with --since, --until, --section, --channel or --dedupe")
    # Every failure line is masked against the database URL in use: a driver's text may quote it.
    url = getattr(args, "database_url", None) or resolve_database_url()
    try:
        return args.handler(args)
    except CliError as error:
        return _fail(mask_secrets(str(error), url), error.exit_code)
    except BadDatabaseUrl as error:
        return _fail(mask_secrets(str(error), url), USAGE_ERROR)
    except DatabaseUnavailable as error:
        return _fail(mask_secrets(str(error), url), 1)
    except (SQLAlchemyError, InvalidRecord) as error:
        return _fail(f"database error: {mask_secrets(_first_line(error), url)}", 1)
    except KeyboardInterrupt:
        return _fail("interrupted", 130)


def _first_line(error: BaseException) -> str:
    text = str(getattr(error, "orig", None) or error)
    return text.strip().splitlines()[0] if text.strip() else type(error).__name__


def _fail(message: str, exit_code: int) -> int:
    print(f"newscrawl: error: {message}", file=sys.stderr)
    return exit_code
