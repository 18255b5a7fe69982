"""newscrawl dedupe: fingerprint the articles stored before near-duplicate grouping, or regroup at a new threshold.

Articles stored by a crawl, load, import or reextract are grouped as they are stored; this command
is for those stored before (schema revision 0006) and for changing the threshold.
"""

from __future__ import annotations

import argparse
import sys

from tqdm import tqdm

from newscrawl.cli.common import open_from_args


def run(args: argparse.Namespace) -> int:
    with open_from_args(args) as database:
        if args.threshold is not None:
            layout = database.set_near_duplicate_threshold(args.threshold)
            print(f"near-duplicate threshold set to {layout.threshold:g} ({layout.bands} bands of {layout.rows} "
                  "rows); regrouping the whole archive")
        todo = database.count_unfingerprinted()
        bar = tqdm(total=todo, unit="article", file=sys.stderr, dynamic_ncols=True, disable=not sys.stderr.isatty())
        with bar:
            done = database.fingerprint_unfingerprinted(bar.update)
        groups = database.stats().near_duplicates
    print(f"fingerprinted {done} articles; {groups.groups} near-duplicate groups (Jaccard >= {groups.threshold:g}) "
          f"hold {groups.grouped_articles} of {groups.fingerprinted} articles, the largest {groups.largest}")
    return 0
