"""newscrawl stats: what the database holds, and (--runs) how the last runs went."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from newscrawl.cli.common import open_from_args
from newscrawl.masking import mask_values
from newscrawl.storage import Stats


def run(args: argparse.Namespace) -> int:
    with open_from_args(args) as database:
        try:
            database.mark_interrupted_runs()  # so a killed run does not show as running for ever
        except SQLAlchemyError as error:  # a read-only database still shows what it holds
            print(f"newscrawl: warning: runs whose process died could not be marked interrupted: "
                  f"{str(getattr(error, 'orig', None) or error).splitlines()[0]}", file=sys.stderr)
        if args.runs:
            print(render_runs(database.recent_runs(args.runs)))
        else:
            print(render(database.stats(channel=args.channel)))
    return 0


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value else "-"


def _headline_counts(counts: dict[str, Any]) -> str:
    """The counts that fit on one line: plain numbers, and a crawl's articles by status."""
    parts = [f"{key} {value}" for key, value in counts.items() if isinstance(value, int)]
    articles = counts.get("articles")
    if isinstance(articles, dict):
        parts.insert(0, "articles " + (", ".join(f"{k} {v}" for k, v in sorted(articles.items())) or "none"))
    return ", ".join(parts)


def render(stats: Stats) -> str:
    lines = [f"articles: {stats.articles}", f"revisions: {stats.revisions} "
             f"({stats.articles_with_several_revisions} articles with more than one)", "", "per month:"]
    lines += [f"  {month or 'undated'}  {count:>7}" for month, count in stats.per_month]
    lines += ["", "per channel:"]
    lines += [f"  {publisher + '/' + channel:<20} {count:>7}" for publisher, channel, count in stats.per_channel]
    lines += ["", "per section:"]
    lines += [f"  {section or '(none)':<20} {count:>7}" for section, count in stats.per_section]
    lines += ["", "field coverage:"]
    lines += [f"  {name:<16} {share:>7.1%}" for name, share in stats.coverage.items()]
    lines += ["", *render_near_duplicates(stats.near_duplicates)]
    lines += ["", "last runs (newscrawl stats --runs for their checks):"]
    if not stats.last_runs:
        lines.append("  (none)")
    for run in stats.last_runs:
        lines.append(f"  #{run['id']} {run['kind']:<8} {_when(run['started_at'])}  {run['outcome'] or 'running'}  "
                     f"{_headline_counts(run['counts'] or {})}")
    return "\n".join(lines)


def render_near_duplicates(groups) -> list[str]:
    lines = [f"near-duplicates (whole archive, Jaccard >= {groups.threshold:g}): {groups.groups} groups of 2 or more "
             f"hold {groups.grouped_articles} of {groups.fingerprinted} fingerprinted articles, the largest "
             f"{groups.largest}"]
    lines += [f"  groups of {size:<5} {count:>7}" for size, count in groups.sizes.items()]
    if groups.unfiled:
        lines.append(f"  {groups.unfiled} articles not fingerprinted yet: run `newscrawl dedupe`")
    return lines


def render_runs(runs: list[dict[str, Any]]) -> str:
    if not runs:
        return "no runs recorded"
    lines = []
    for run in runs:
        counts = run["counts"] or {}
        # Masked again: rows written before arguments were masked on the way in may hold secrets.
        arguments = " ".join(f"{key}={value}" for key, value in mask_values(run["arguments"] or {}).items()) or "(none)"
        lines += [f"run #{run['id']} {run['kind']}  {_when(run['started_at'])} -> {_when(run['finished_at'])}  "
                  f"{run['outcome'] or 'running'}", f"  arguments: {arguments}"]
        if _headline_counts(counts):
            lines.append(f"  counts: {_headline_counts(counts)}")
        for check in counts.get("checks", []):
            figures = "" if check.get("value") is None else f"{check['value']} (limit {check['limit']})"
            state = "ok  " if check["ok"] else "FAIL"
            lines.append(f"  {state} {check['name']:<22} {figures}" + ("" if check["ok"] else f"  {check['message']}"))
        lines.append("")
    return "\n".join(lines).rstrip()
