"""newscrawl diff and newscrawl changes: what changed in an article between two stored versions.

``diff ARTICLE_ID`` compares two revisions of one article (the newest two by default): the fields
that differ, with their values before and after, and a word-level diff of the body. ``changes
--since DATE`` lists the edits crawls have seen (newscrawl/storage/revisions.py: a version fetched
anew that follows another), each with what changed: the headline, the body's size, the tags.
Text for a terminal, or ``--json`` (one object; one line per edit for ``changes``).
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
from datetime import datetime, time, timedelta, timezone
from typing import Any

from newscrawl.cli.common import open_from_args
from newscrawl.cli.errors import CliError
from newscrawl.cli.progress import progress
from newscrawl.storage import ARTICLE_FIELDS
from newscrawl.storage.revisions import Revision

# fetched_at changes with every fetch; word_count and content_hash follow the body.
COMPARED_FIELDS = tuple(name for name in ARTICLE_FIELDS if name not in ("fetched_at", "word_count", "content_hash"))
CONTEXT_WORDS = 8  # unchanged words shown on each side of a change in the text output
NOT_FOUND, BAD_INPUT = 1, 2


# -- comparing two versions ---------------------------------------------------------------------
def changed_fields(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [name for name in COMPARED_FIELDS if before.get(name) != after.get(name)]


def word_diff(before: str | None, after: str | None) -> list[dict[str, str]]:
    """The body as runs of words: equal, deleted, inserted or replaced (``from`` / ``to`` text)."""
    old, new = (before or "").split(), (after or "").split()
    runs = []
    for operation, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        run = {"op": operation}
        if operation in ("equal", "delete", "replace"):
            run["from"] = " ".join(old[i1:i2])
        if operation in ("insert", "replace"):
            run["to"] = " ".join(new[j1:j2])
        runs.append(run)
    return runs


def _version(revision: Revision) -> dict[str, Any]:
    return {"revision": revision.revision, "reason": revision.reason, "stored_at": _when(revision.created_at),
            "fetched_at": revision.record.get("fetched_at")}


def comparison(before: Revision, after: Revision) -> dict[str, Any]:
    fields = changed_fields(before.record, after.record)
    return {
        "publisher": after.publisher, "article_id": after.article_id, "url": after.record["url"],
        "from": _version(before), "to": _version(after),
        "changed": {name: {"from": before.record.get(name), "to": after.record.get(name)}
                    for name in fields if name != "body"},
        "body_changed": "body" in fields,
        "body_diff": word_diff(before.record.get("body"), after.record.get("body")) if "body" in fields else [],
    }


def _when(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


# -- newscrawl diff ------------------------------------------------------------------------------
def run_diff(args: argparse.Namespace) -> int:
    with open_from_args(args) as database:
        publisher = _publisher(database, args.article_id, args.publisher)
        versions = database.article_revisions(publisher, args.article_id)
    numbers = [version.revision for version in versions]
    if len(versions) < 2 and args.from_revision is None and args.to_revision is None:
        print(f"article {args.article_id} ({publisher}) has one revision: nothing to compare")
        return 0
    to_number = args.to_revision if args.to_revision is not None else numbers[-1]
    from_number = args.from_revision if args.from_revision is not None else _before(numbers, to_number)
    by_number = {version.revision: version for version in versions}
    for number in (from_number, to_number):
        if number not in by_number:
            raise CliError(f"article {args.article_id} has revisions {_ranges(numbers)}; no revision {number}",
                           exit_code=BAD_INPUT)
    result = comparison(by_number[from_number], by_number[to_number])
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(render_diff(result, colour=sys.stdout.isatty()))
    return 0


def _publisher(database, article_id: int, wanted: str | None) -> str:
    publishers = database.publishers_of(article_id)
    if wanted is not None:
        if wanted not in publishers:
            raise CliError(f"no article {article_id} of publisher {wanted!r} is stored", exit_code=NOT_FOUND)
        return wanted
    if not publishers:
        raise CliError(f"no article {article_id} is stored", exit_code=NOT_FOUND)
    if len(publishers) > 1:
        raise CliError(f"article id {article_id} is stored for several publishers ({', '.join(publishers)}): "
                       "choose one with --publisher", exit_code=BAD_INPUT)
    return publishers[0]


def _before(numbers: list[int], number: int) -> int:
    earlier = [candidate for candidate in numbers if candidate < number]
    return earlier[-1] if earlier else number


def _ranges(numbers: list[int]) -> str:
    return f"{numbers[0]}-{numbers[-1]}" if len(numbers) > 1 else str(numbers[0])


def _marks(colour: bool) -> tuple[str, str, str, str]:
    if colour:
        return "\x1b[31m[-", "-]\x1b[0m", "\x1b[32m{+", "+}\x1b[0m"
    return "[-", "-]", "{+", "+}"


def render_diff(result: dict[str, Any], colour: bool = False) -> str:
    start_del, end_del, start_ins, end_ins = _marks(colour)
    old, new = result["from"], result["to"]
    lines = [f"article {result['article_id']} ({result['publisher']}) {result['url']}",
             f"revision {old['revision']} ({old['reason']}, stored {old['stored_at']}) -> "
             f"revision {new['revision']} ({new['reason']}, stored {new['stored_at']})"]
    names = [*result["changed"], *(["body"] if result["body_changed"] else [])]
    lines.append("changed: " + (", ".join(names) if names else "nothing"))
    for name, values in result["changed"].items():
        lines.append(f"{name}:")
        lines.append(f"  - {_shown(values['from'])}")
        lines.append(f"  + {_shown(values['to'])}")
    if result["body_changed"]:
        lines.append("body:")
        parts = []
        runs = result["body_diff"]
        for index, run in enumerate(runs):
            if run["op"] == "equal":
                words = run["from"].split()
                head = words[:CONTEXT_WORDS] if index > 0 else []
                tail = words[-CONTEXT_WORDS:] if index < len(runs) - 1 else []
                if len(words) > len(head) + len(tail):
                    parts.append(" ".join(head + ["..."] + tail) if head or tail else "...")
                else:
                    parts.append(run["from"])
                continue
            if "from" in run:
                parts.append(f"{start_del}{run['from']}{end_del}")
            if "to" in run:
                parts.append(f"{start_ins}{run['to']}{end_ins}")
        lines.append("  " + " ".join(part for part in parts if part))
    return "\n".join(lines)


def _shown(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# -- newscrawl changes ---------------------------------------------------------------------------
def summary_of_edit(before: Revision, after: Revision) -> dict[str, Any]:
    old, new = before.record, after.record
    fields = changed_fields(old, new)
    summary: dict[str, Any] = {
        "publisher": after.publisher, "article_id": after.article_id, "url": new["url"],
        "from_revision": before.revision, "to_revision": after.revision, "stored_at": _when(after.created_at),
        "published_at": new.get("published_at"), "changed": fields,
    }
    if "headline" in fields:
        summary["headline"] = {"from": old.get("headline"), "to": new.get("headline")}
    if "body" in fields:
        summary["words"] = {"from": old.get("word_count"), "to": new.get("word_count")}
    if "tags" in fields:
        summary["tags"] = {"added": [tag for tag in new.get("tags") or [] if tag not in (old.get("tags") or [])],
                           "removed": [tag for tag in old.get("tags") or [] if tag not in (new.get("tags") or [])]}
    return summary


def render_edit(summary: dict[str, Any]) -> str:
    parts = []
    if "headline" in summary:
        parts.append(f"headline {summary['headline']['from']!r} -> {summary['headline']['to']!r}")
    if "words" in summary:
        old, new = summary["words"]["from"] or 0, summary["words"]["to"] or 0
        parts.append(f"body {old} -> {new} words ({new - old:+d})")
    if "tags" in summary:
        tags = summary["tags"]
        parts.append("tags " + " ".join([*(f"+{tag}" for tag in tags["added"]), *(f"-{tag}" for tag in tags["removed"])]))
    others = [name for name in summary["changed"] if name not in ("headline", "body", "tags")]
    if others:
        parts.append("also " + ", ".join(others))
    return (f"{summary['stored_at']}  {summary['publisher']} {summary['article_id']} "
            f"r{summary['from_revision']}->r{summary['to_revision']}  {'; '.join(parts)}  {summary['url']}")


def run_changes(args: argparse.Namespace) -> int:
    since = datetime.combine(args.since, time.min, tzinfo=timezone.utc)
    until = datetime.combine(args.until + timedelta(days=1), time.min, tzinfo=timezone.utc) if args.until else None
    count = 0
    with open_from_args(args) as database:
        for before, after in progress(database.iter_edits(since, until), lambda: None, "edit"):
            summary = summary_of_edit(before, after)
            print(json.dumps(summary, ensure_ascii=False) if args.json else render_edit(summary))
            count += 1
    if not args.json:
        print(f"{count} edits stored from {args.since}" + (f" to {args.until}" if args.until else ""),
              file=sys.stderr)
    return 0
