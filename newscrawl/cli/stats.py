"""newscrawl stats: what the database holds."""

from __future__ import annotations

import argparse

from newscrawl.cli.common import open_from_args
from newscrawl.storage import Stats


def run(args: argparse.Namespace) -> int:
    with open_from_args(args) as database:
        print(render(database.stats()))
    return 0


def render(stats: Stats) -> str:
    lines = [f"articles: {stats.articles}", f"revisions: {stats.revisions} "
             f"({stats.articles_with_several_revisions} articles with more than one)", "", "per month:"]
    lines += [f"  {month or 'undated'}  {count:>7}" for month, count in stats.per_month]
    lines += ["", "per section:"]
    lines += [f"  {section or '(none)':<20} {count:>7}" for section, count in stats.per_section]
    lines += ["", "field coverage:"]
    lines += [f"  {name:<16} {share:>7.1%}" for name, share in stats.coverage.items()]
    lines += ["", "last runs:"]
    if not stats.last_runs:
        lines.append("  (none)")
    for run in stats.last_runs:
        started = run["started_at"].strftime("%Y-%m-%d %H:%M:%SZ")
        counts = ", ".join(f"{key} {value}" for key, value in (run["counts"] or {}).items())
        lines.append(f"  #{run['id']} {run['kind']:<8} {started}  {run['outcome'] or 'running'}  {counts}")
    return "\n".join(lines)
