"""newscrawl export: stream the current articles to a JSON lines, CSV or Parquet file."""

from __future__ import annotations

import argparse
from datetime import datetime, timezone
from pathlib import Path

from newscrawl.cli.common import open_from_args
from newscrawl.cli.dataset import export_dataset
from newscrawl.cli.errors import CliError
from newscrawl.cli.formats import format_module
from newscrawl.cli.output import atomic_output
from newscrawl.cli.progress import progress

EXPORTS_DIR = Path("exports")


def default_output(file_format: str, channel: str | None = None) -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return EXPORTS_DIR / f"{channel or 'articles'}-{stamp}.{file_format}"


def _check_fingerprinted(database) -> None:
    missing = database.count_unfingerprinted()
    if missing:
        database.close()
        raise CliError(f"{missing} articles have no near-duplicate fingerprint yet (stored before grouping existed): "
                       "run `newscrawl dedupe` first")


def run(args: argparse.Namespace) -> int:
    target: Path = args.output or default_output(args.format, args.channel)
    database = open_from_args(args)
    filters = {"since": args.since, "until": args.until, "section": args.section, "channel": args.channel,
               "dedupe_near": args.dedupe == "near"}
    if args.dedupe == "near":
        _check_fingerprinted(database)
    if args.format == "dataset":
        if args.run is not None:
            raise CliError("--format dataset exports current articles; it takes no --run", exit_code=2)
        with database:
            articles = progress(database.iter_articles(**filters), lambda: database.count_articles(**filters),
                                "article")
            count = export_dataset(articles, target)
        print(f"exported {count} articles to {target}")
        return 0
    count = 0
    with database, atomic_output(target) as temporary:
        writer = format_module(args.format).open_writer(temporary)
        try:
            if args.run is not None:  # the versions one crawl stored, as its JSON lines file has them
                articles = progress(database.iter_run_articles(args.run),
                                    lambda: database.count_run_articles(args.run), "article")
            else:
                articles = progress(
                    database.iter_articles(**filters), lambda: database.count_articles(**filters), "article"
                )
            for record in articles:
                writer.write(record)
                count += 1
        finally:
            writer.close()
    print(f"exported {count} articles to {target}")
    return 0
