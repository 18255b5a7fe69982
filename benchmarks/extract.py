"""Extraction speed and accuracy on the saved pages: lxml parse vs newscrawl vs trafilatura.

Run from the repository root (trafilatura comes with the ``bench`` extra)::

    .venv/bin/pip install -e '.[test,bench]'
    .venv/bin/python -m benchmarks.extract                  # ~1-2 min: 40 timed repetitions + accuracy
    .venv/bin/python -m benchmarks.extract --profile        # cProfile of newscrawl's extraction instead

Every article page of tests/fixtures/pages (pages whose expected JSON has kind "article"; the
gallery and video pages are skipped) is fed as the bytes on disk to, in one process and one run:

* ``parse``   - ``lxml.etree.fromstring(bytes, lxml.etree.HTMLParser(recover=True, encoding="utf-8",
  huge_tree=True))``: the lxml call newscrawl's own parse makes (newscrawl.extraction.page.parse_html,
  through parsel's create_root_node), and nothing else. This is the floor the ratio
  newscrawl/parse is taken against.
* ``lxml``    - ``lxml.html.document_fromstring(bytes)``: lxml.html's parse, shown for reference.
* ``newscrawl`` - ``newscrawl.extraction.extract(url, bytes, fetched_at=...)``, parse included.
* ``trafilatura`` - ``trafilatura.bare_extraction(bytes, url=url, with_metadata=True)``.

The four are interleaved: each repetition walks every page and, per page, calls the four in an
order rotated from page to page and from repetition to repetition, so machine noise lands on all
of them alike. The first repetition is a warm-up and is not counted. Ratios are taken inside one
repetition (same page, same moment) and their median over repetitions is reported.

Accuracy compares each extractor's output with the hand-written expected JSON beside the page.
Note that those JSON files are newscrawl's own test expectations, so newscrawl's accuracy on them
is a regression check rather than an independent measurement.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import platform
import pstats
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from pathlib import Path

import lxml.etree
import lxml.html

from newscrawl.extraction import extract

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "tests" / "fixtures" / "pages"
FETCHED_AT = "2026-11-28T03:00:00+00:00"  # the value the expected JSON files were written with
# Pages saved from the site as they were served (../shared/fixtures), not built from our notes.
REAL_PAGES = (
    "detikinet-2015-11-05-3062623", "detikinet-2022-12-10-d-6453192",
    "detiknews-2015-06-16-2943745", "detiknews-2022-12-10-d-6453785", "detiksport-2021-09-30-d-5746542",
)
REAL_GROUP = "real pages (5: detikInet 2015, 2022; detikNews 2015, 2022; detikSport 2021)"
HAND_GROUP = "hand-built pages"
ALL_GROUP = "all article pages"
# Fields both extractors give, compared exactly; the body by token F1 and the date by minute.
SHARED_FIELDS = ("headline", "summary", "authors", "tags", "image_url")
METHODS = ("parse", "lxml", "newscrawl", "trafilatura")
# Accuracy-only variant: trafilatura asked for a time as well as a date (not timed).
TRAFILATURA_TIME_PARAMS = {"extensive_search": True, "original_date": True, "outputformat": "%Y-%m-%dT%H:%M:%S"}


@dataclass
class Page:
    name: str
    url: str
    html: bytes
    expected: dict

    @property
    def real(self) -> bool:
        return self.name in REAL_PAGES


def load_pages() -> list[Page]:
    pages = []
    for json_path in sorted(PAGES.glob("*.json")):
        html_path = json_path.with_suffix(".html")
        if not html_path.exists():
            continue  # multipage-merged.json: an expected merge, no page of its own
        case = json.loads(json_path.read_text(encoding="utf-8"))
        if case["kind"] != "article":
            continue
        pages.append(Page(json_path.stem, case["request_url"], html_path.read_bytes(), case["item"]))
    return pages


def _trafilatura():
    try:
        from trafilatura import bare_extraction
    except ImportError:
        sys.exit("trafilatura is not installed: .venv/bin/pip install -e '.[bench]'")
    return bare_extraction


def callables() -> dict:
    bare_extraction = _trafilatura()
    return {
        "parse": lambda page: lxml.etree.fromstring(
            page.html, lxml.etree.HTMLParser(recover=True, encoding="utf-8", huge_tree=True), base_url=page.url
        ),
        "lxml": lambda page: lxml.html.document_fromstring(page.html),
        "newscrawl": lambda page: extract(page.url, page.html, fetched_at=FETCHED_AT),
        "trafilatura": lambda page: bare_extraction(page.html, url=page.url, with_metadata=True),
    }


# -- timing -----------------------------------------------------------------------------------


def time_all(pages: list[Page], reps: int) -> dict[str, dict[str, list[float]]]:
    """samples[method][page name] = seconds per call, one per counted repetition."""
    funcs = callables()
    samples = {method: {page.name: [] for page in pages} for method in METHODS}
    clock = time.perf_counter
    for rep in range(reps + 1):  # repetition 0 warms up caches (compiled selectors, imports)
        gc.collect()
        for index, page in enumerate(pages):
            shift = (rep + index) % len(METHODS)
            for method in METHODS[shift:] + METHODS[:shift]:
                func = funcs[method]
                start = clock()
                func(page)
                elapsed = clock() - start
                if rep:
                    samples[method][page.name].append(elapsed)
        print(f"\rrepetition {rep}/{reps}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return samples


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(share * len(ordered) + 0.5)))
    return ordered[rank - 1]


def ratio_per_rep(samples, top: str, bottom: str, names: list[str]) -> list[float]:
    """Per repetition: total time of ``top`` over total time of ``bottom`` on the given pages."""
    reps = len(samples[top][names[0]])
    return [
        sum(samples[top][name][rep] for name in names) / sum(samples[bottom][name][rep] for name in names)
        for rep in range(reps)
    ]


def timing_report(pages: list[Page], samples) -> tuple[list[str], dict]:
    ms = 1000.0
    lines = [
        "| page | KB | lxml parse med / p90 | lxml.html med / p90 | newscrawl med / p90 | trafilatura med / p90 "
        "| newscrawl / parse | newscrawl / lxml.html | trafilatura / newscrawl |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    figures: dict = {"pages": {}}
    for page in pages:
        row = {method: samples[method][page.name] for method in METHODS}
        med = {method: statistics.median(values) * ms for method, values in row.items()}
        p90 = {method: percentile(values, 0.9) * ms for method, values in row.items()}
        names = [page.name]
        ratios = {
            "newscrawl/parse": statistics.median(ratio_per_rep(samples, "newscrawl", "parse", names)),
            "newscrawl/lxml": statistics.median(ratio_per_rep(samples, "newscrawl", "lxml", names)),
            "trafilatura/newscrawl": statistics.median(ratio_per_rep(samples, "trafilatura", "newscrawl", names)),
        }
        figures["pages"][page.name] = {"kb": len(page.html) / 1000, "median_ms": med, "p90_ms": p90, "ratios": ratios}
        label = f"**{page.name}** (real)" if page.real else page.name
        lines.append(
            f"| {label} | {len(page.html) / 1000:.0f} | "
            + " | ".join(f"{med[m]:.2f} / {p90[m]:.2f}" for m in METHODS)
            + f" | {ratios['newscrawl/parse']:.2f} | {ratios['newscrawl/lxml']:.2f} | {ratios['trafilatura/newscrawl']:.1f} |"
        )
    groups = page_groups(pages)
    lines += [
        "",
        "Pooled over pages (every page x repetition sample), and ratios of the group's total time per repetition"
        " (median over repetitions, min-max in brackets):",
        "",
        "| pages | n | lxml parse med / p90 ms | lxml.html med / p90 ms | newscrawl med / p90 ms | trafilatura med / p90 ms "
        "| newscrawl / parse | newscrawl / lxml.html | trafilatura / newscrawl |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    figures["groups"] = {}
    for group, names in groups.items():
        pooled = {method: [v for name in names for v in samples[method][name]] for method in METHODS}
        cells = [f"{statistics.median(pooled[m]) * ms:.2f} / {percentile(pooled[m], 0.9) * ms:.2f}" for m in METHODS]
        ratio_cells = []
        group_figures = {
            "pages": len(names),
            "median_ms": {m: statistics.median(pooled[m]) * ms for m in METHODS},
            "p90_ms": {m: percentile(pooled[m], 0.9) * ms for m in METHODS},
        }
        for top, bottom in (("newscrawl", "parse"), ("newscrawl", "lxml"), ("trafilatura", "newscrawl")):
            per_rep = ratio_per_rep(samples, top, bottom, names)
            group_figures[f"{top}/{bottom}"] = statistics.median(per_rep)
            group_figures[f"{top}/{bottom} per rep"] = per_rep
            ratio_cells.append(f"{statistics.median(per_rep):.2f} ({min(per_rep):.2f}-{max(per_rep):.2f})")
        figures["groups"][group] = group_figures
        lines.append(f"| {group} | {len(names)} | " + " | ".join(cells) + " | " + " | ".join(ratio_cells) + " |")
    return lines, figures


def page_groups(pages: list[Page]) -> dict[str, list[str]]:
    return {
        ALL_GROUP: [page.name for page in pages],
        REAL_GROUP: [page.name for page in pages if page.real],
        HAND_GROUP: [page.name for page in pages if not page.real],
    }


# -- accuracy ---------------------------------------------------------------------------------


def token_f1(expected: str | None, got: str | None) -> float:
    """F1 of whitespace tokens, counted as multisets."""
    want, have = Counter((expected or "").split()), Counter((got or "").split())
    if not want and not have:
        return 1.0
    overlap = sum((want & have).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(have.values()), overlap / sum(want.values())
    return 2 * precision * recall / (precision + recall)


def _minute(value: str | None) -> tuple | None:
    """(wall-clock minute, UTC offset or None) of an ISO date/time string; None if none."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed.strftime("%Y-%m-%dT%H:%M"), parsed.utcoffset()


def date_scores(expected: str | None, got: str | None) -> tuple[bool, bool]:
    """(same calendar date, same minute). Expected null is matched by a null answer only.

    The minute needs a time in the answer: a bare date ("2022-12-10") or a midnight filled in by a
    date-only parser never matches. A naive answer (trafilatura gives no offset) is compared on the
    wall clock alone, which is generous to it; an answer with an offset must also carry the same one.
    """
    if not expected:
        return (not got, not got)
    if not got:
        return (False, False)
    same_date = got[:10] == expected[:10]
    if len(got) <= 10:
        return same_date, False
    want, have = _minute(expected), _minute(got)
    if have is None:
        return same_date, False
    same_minute = have[0] == want[0] and (have[1] is None or have[1] == want[1])
    return same_date, same_minute


def split_trafilatura_authors(author: str | None) -> list[str]:
    return [name.strip() for name in (author or "").split(";") if name.strip()]


def split_trafilatura_tags(tags) -> list[str]:
    """trafilatura gives the keywords meta as one comma-joined string in a list."""
    return [tag.strip() for value in (tags or []) for tag in value.split(",") if tag.strip()]


def accuracy(pages: list[Page]) -> tuple[list[str], dict]:
    bare_extraction = _trafilatura()
    rows = []
    for page in pages:
        want = page.expected
        ours = extract(page.url, page.html, fetched_at=FETCHED_AT).item or {}
        theirs = bare_extraction(page.html, url=page.url, with_metadata=True)
        theirs_timed = bare_extraction(
            page.html, url=page.url, with_metadata=True, date_extraction_params=TRAFILATURA_TIME_PARAMS
        )
        ours_date = date_scores(want["published_at"], ours.get("published_at"))
        theirs_date = date_scores(want["published_at"], theirs.date if theirs else None)
        theirs_time = date_scores(want["published_at"], theirs_timed.date if theirs_timed else None)
        ours_fields = {name: ours.get(name) == value for name, value in want.items() if name != "fetched_at"}
        theirs_fields = {
            "headline": (theirs.title if theirs else None) == want["headline"],
            "summary": (theirs.description if theirs else None) == want["summary"],
            "authors": split_trafilatura_authors(theirs.author if theirs else None) == list(want["authors"] or []),
            "tags": split_trafilatura_tags(theirs.tags if theirs else None) == list(want["tags"] or []),
            "image_url": (theirs.image if theirs else None) == want["image_url"],
        }
        rows.append({
            "page": page.name,
            "real": page.real,
            "fields": {"newscrawl": ours_fields, "trafilatura": theirs_fields},
            "newscrawl": {
                "headline": ours.get("headline") == want["headline"],
                "date": ours_date[0],
                "minute": ours_date[1],
                "authors": list(ours.get("authors") or []) == list(want["authors"] or []),
                "body_f1": token_f1(want["body"], ours.get("body")),
                "full_item": dict(ours) == want,
            },
            "trafilatura": {
                "headline": (theirs.title if theirs else None) == want["headline"],
                "date": theirs_date[0],
                "minute": theirs_date[1],
                "minute_with_time_params": theirs_time[1],
                "authors": split_trafilatura_authors(theirs.author if theirs else None) == list(want["authors"] or []),
                "body_f1": token_f1(want["body"], theirs.text if theirs else None),
            },
        })
    mark = {True: "yes", False: "**no**"}
    lines = [
        "| page | headline n / t | date n / t | minute n / t (t with time params) | authors n / t | body F1 n / t |",
        "|---|---|---|---|---|---:|",
    ]
    for row in rows:
        n, t = row["newscrawl"], row["trafilatura"]
        lines.append(
            f"| {row['page']} | {mark[n['headline']]} / {mark[t['headline']]} | {mark[n['date']]} / {mark[t['date']]} "
            f"| {mark[n['minute']]} / {mark[t['minute']]} ({mark[t['minute_with_time_params']]}) "
            f"| {mark[n['authors']]} / {mark[t['authors']]} | {n['body_f1']:.3f} / {t['body_f1']:.3f} |"
        )
    count = len(rows)
    totals = {}
    for who in ("newscrawl", "trafilatura"):
        keys = ["headline", "date", "minute", "authors"] + (["minute_with_time_params"] if who == "trafilatura" else [])
        totals[who] = {key: sum(row[who][key] for row in rows) for key in keys}
        totals[who]["body_f1_mean"] = statistics.mean(row[who]["body_f1"] for row in rows)
        totals[who]["body_f1_min"] = min(row[who]["body_f1"] for row in rows)
    n, t = totals["newscrawl"], totals["trafilatura"]
    lines.append(
        f"| **total ({count} pages)** | {n['headline']} / {t['headline']} | {n['date']} / {t['date']} "
        f"| {n['minute']} / {t['minute']} ({t['minute_with_time_params']}) | {n['authors']} / {t['authors']} "
        f"| mean {n['body_f1_mean']:.3f} / {t['body_f1_mean']:.3f} (min {n['body_f1_min']:.3f} / {t['body_f1_min']:.3f}) |"
    )
    full = sum(row["newscrawl"]["full_item"] for row in rows)
    lines += ["", f"newscrawl items equal to the expected JSON in every field: {full} of {count}."]
    field_lines, by_group = field_accuracy(rows, page_groups(pages))
    lines += ["", "Per field, pages whose value equals the expected JSON exactly (n = newscrawl, t = trafilatura; "
              "- where trafilatura has no such field):", ""] + field_lines
    return lines, {"rows": rows, "totals": totals, "fields_by_group": by_group}


def field_accuracy(rows: list[dict], groups: dict[str, list[str]]) -> tuple[list[str], dict]:
    """Per group and field: how many pages newscrawl (and, where it has the field, trafilatura) got exact."""
    by_name = {row["page"]: row for row in rows}
    fields = list(rows[0]["fields"]["newscrawl"]) if rows else []
    by_group: dict = {}
    header = "| field | " + " | ".join(f"{group} n / t" for group in groups) + " |"
    lines = [header, "|---|" + "---|" * len(groups)]
    for group, names in groups.items():
        group_rows = [by_name[name] for name in names if name in by_name]
        by_group[group] = {
            "pages": len(group_rows),
            "newscrawl": {field: sum(row["fields"]["newscrawl"][field] for row in group_rows) for field in fields},
            "trafilatura": {field: sum(row["fields"]["trafilatura"][field] for row in group_rows) for field in SHARED_FIELDS},
            "trafilatura_body_f1_mean": statistics.mean(row["trafilatura"]["body_f1"] for row in group_rows) if group_rows else None,
            "trafilatura_minute": sum(row["trafilatura"]["minute"] for row in group_rows),
        }
    for field in fields:
        cells = []
        for group in groups:
            figures = by_group[group]
            theirs = figures["trafilatura"].get(field)
            if field == "published_at":
                theirs = f"{figures['trafilatura_minute']} (minute)"
            elif field == "body":
                f1 = figures["trafilatura_body_f1_mean"]
                theirs = f"F1 {f1:.3f}" if f1 is not None else "-"
            cells.append(f"{figures['newscrawl'][field]}/{figures['pages']} / {'-' if theirs is None else theirs}")
        lines.append(f"| {field} | " + " | ".join(cells) + " |")
    return lines, by_group


# -- profile ----------------------------------------------------------------------------------


def profile(pages: list[Page], reps: int, top: int) -> None:
    for page in pages:  # warm up: compiled selectors, lazy imports
        extract(page.url, page.html, fetched_at=FETCHED_AT)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(reps):
        for page in pages:
            extract(page.url, page.html, fetched_at=FETCHED_AT)
    profiler.disable()
    for key in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(key).print_stats(top)
        print(f"## newscrawl extraction, {reps} x {len(pages)} pages, sorted by {key}\n")
        print(out.getvalue())


# -- main -------------------------------------------------------------------------------------


def machine() -> list[str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    versions = ", ".join(
        f"{name} {metadata.version(name)}" for name in ("lxml", "parsel", "Scrapy", "itemloaders", "trafilatura", "htmldate")
    )
    return [
        f"machine: {os.cpu_count()} CPUs ({model}), Python {platform.python_version()}, {versions}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=40, help="counted repetitions over all pages (default 40)")
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--profile", action="store_true", help="cProfile newscrawl's extraction and exit")
    parser.add_argument("--top", type=int, default=35, help="rows of the profile to print")
    args = parser.parse_args(argv)

    pages = load_pages()
    if args.profile:
        profile(pages, args.reps, args.top)
        return 0
    started = time.perf_counter()
    samples = time_all(pages, args.reps)
    timing_lines, timing_figures = timing_report(pages, samples)
    accuracy_lines, accuracy_figures = accuracy(pages)
    print("\n".join(machine()))
    print(f"{len(pages)} article pages, {args.reps} counted repetitions (+1 warm-up), milliseconds per page\n")
    print("\n".join(timing_lines))
    print("\nAccuracy against the expected JSON (n = newscrawl, t = trafilatura):\n")
    print("\n".join(accuracy_lines))
    groups = timing_figures["groups"]
    print("\nTargets:")
    for group in (ALL_GROUP, REAL_GROUP):
        figures = groups[group]
        a, b = figures["newscrawl/parse"], figures["trafilatura/newscrawl"]
        print(f"  {group}: newscrawl/parse {a:.2f} (target <= 2: {'met' if a <= 2 else 'NOT met'}), "
              f"trafilatura/newscrawl {b:.1f} (target >= 10: {'met' if b >= 10 else 'NOT met'})")
    print(f"\n(took {time.perf_counter() - started:.0f} s)")
    if args.json:
        args.json.write_text(json.dumps({"timing": timing_figures, "accuracy": accuracy_figures,
                                         "raw_seconds": samples}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
