"""newscrawl export --format dataset -o DIR: a dataset release, as Hugging Face's ``datasets`` reads it.

    DIR/README.md                        the dataset card: YAML metadata (language, size category,
                                         licence, features of the schema, one split per year) and text
    DIR/manifest.json                    every data file with its sha256 and row count
    DIR/data/<year>/<year>-<month>.parquet   the articles of one month (publication date as printed,
                                         in the article's own offset), in publication order
    DIR/data/undated/undated.parquet     articles without a publication date, if any

The same database gives byte-identical files: rows come in a fixed order, nothing records the time
of the export, and the Parquet writer's settings are fixed. The folder appears under its name only
once complete (it is written beside it and renamed); an existing DIR is refused.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pyarrow as pa

from newscrawl.cli.errors import CliError
from newscrawl.cli.formats.parquet import SCHEMA, ParquetWriter
from newscrawl.sites import SITES

UNDATED = "undated"
# Local publication dates run at most 14 hours ahead of UTC: once the stream (in UTC order) is a
# day past a month's end, no article of that month can follow and its file is closed.
_LATEST_OFFSET = timedelta(days=1)
SIZE_CATEGORIES = ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                   (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"))


def _month_of(record: dict[str, Any]) -> str:
    published = record.get("published_at")
    return published[:7] if published else UNDATED


def _month_end_utc(month: str) -> datetime:
    year, number = int(month[:4]), int(month[5:7])
    start_next = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=timezone.utc)
    return start_next + _LATEST_OFFSET


def _relative(month: str) -> str:
    if month == UNDATED:
        return f"data/{UNDATED}/{UNDATED}.parquet"
    return f"data/{month[:4]}/{month}.parquet"


class _Shards:
    """One Parquet writer per month still open; a month is closed once the stream is past it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.open: dict[str, ParquetWriter] = {}
        self.rows: dict[str, int] = {}
        self.first_published: str | None = None
        self.last_published: str | None = None

    def write(self, record: dict[str, Any]) -> None:
        month = _month_of(record)
        published = record.get("published_at")
        if published:
            now = datetime.fromisoformat(published).astimezone(timezone.utc)
            for done in [name for name in self.open if name != UNDATED and _month_end_utc(name) < now]:
                self.open.pop(done).close()
            self.first_published = self.first_published or published[:10]
            self.last_published = max(self.last_published or "", published[:10])
        if month not in self.open:
            if month in self.rows:  # a month closed too early would be rewritten: never happens in UTC order
                raise RuntimeError(f"articles of {month} came after the month was closed")
            path = self.root / _relative(month)
            path.parent.mkdir(parents=True, exist_ok=True)
            self.open[month] = ParquetWriter(path)
            self.rows[month] = 0
        self.open[month].write(record)
        self.rows[month] += 1

    def close(self) -> None:
        for writer in self.open.values():
            writer.close()
        self.open.clear()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _size_category(rows: int) -> str:
    return next((name for limit, name in SIZE_CATEGORIES if rows < limit), "n>1B")


def _features_yaml(schema: pa.Schema) -> list[str]:
    """The schema as the ``dataset_info.features`` YAML list ``datasets`` writes and reads."""
    def dtype(value: pa.DataType) -> str:
        if pa.types.is_timestamp(value):
            return f"timestamp[{value.unit}, tz={value.tz}]" if value.tz else f"timestamp[{value.unit}]"
        return {pa.string(): "string", pa.int64(): "int64", pa.int32(): "int32", pa.int16(): "int16"}[value]

    lines = []
    for field in schema:
        lines.append(f"  - name: {field.name}")
        if pa.types.is_list(field.type):
            inner = field.type.value_type
            if pa.types.is_struct(inner):
                lines.append("    list:")
                for member in inner:
                    lines += [f"    - name: {member.name}", f"      dtype: {dtype(member.type)}"]
            else:
                lines.append(f"    list: {dtype(inner)}")
        else:
            lines.append(f"    dtype: {dtype(field.type)}")
    return lines


def _card(rows: dict[str, int], shards: _Shards, publishers: list[str]) -> str:
    total = sum(rows.values())
    years: dict[str, int] = {}
    for month, count in rows.items():
        split = month[:4] if month != UNDATED else UNDATED
        years[split] = years.get(split, 0) + count
    splits = sorted(years)
    yaml = ["---", "language:", "- id", "license: other", "license_name: publisher-copyright",
            "pretty_name: Indonesian news articles (newscrawl)", "size_categories:", f"- {_size_category(total)}",
            "task_categories:", "- text-generation", "tags:", "- news", "- indonesian", "- newscrawl",
            "dataset_info:", "  features:", *_features_yaml(SCHEMA), "  splits:"]
    for split in splits:
        yaml += [f"  - name: '{split}'", f"    num_examples: {years[split]}"]
    yaml += ["configs:", "- config_name: default", "  data_files:"]
    for split in splits:
        folder = UNDATED if split == UNDATED else split
        yaml += [f"  - split: '{split}'", f"    path: data/{folder}/*.parquet"]
    yaml.append("---")
    labels = ", ".join(site.label for site in SITES if site.name in publishers) or "none"
    span = f"{shards.first_published} to {shards.last_published}" if shards.first_published else "no dated article"
    table = "\n".join(f"| {split} | {years[split]:,} |" for split in splits)
    body = f"""
# Indonesian news articles (newscrawl)

{total:,} news articles in Indonesian from {labels}, published {span}, as crawled and extracted by
newscrawl: one row per article, the current version of each (earlier versions stay in the
database it was exported from).

## Splits

One split per publication year (the date as printed on the page, in its own time zone); articles
without a publication date are in `{UNDATED}`. Files: one Parquet file per month under `data/<year>/`;
`manifest.json` lists every file with its sha256 and row count.

| split | articles |
|---|---:|
{table}

## Fields

The columns are newscrawl's dataset schema (its README, "The dataset schema"): the canonical URL,
publisher, channel and article id; headline, summary, publication time (`published_at` in UTC, with
`published_at_offset_minutes` keeping the page's own offset, e.g. 420 for WIB) and the date as printed;
authors and byline, editor initials; the lead image, its caption and photo credit; the dateline; the
body as paragraphs separated by a blank line, without ads, related-article boxes, captions or
initials; inline images; tags; where a syndicated story first ran; page count, word count, the body's
sha256; the page layout recognised; and when the page was fetched.

## Terms of use

The articles, their text and their photos' captions remain the property of their publisher; their
copyright stays with the publisher ({labels}). This dataset carries no licence to them: the licence
field says `other` for that reason. It is meant for research (text analysis, language modelling,
media studies) as the law that applies to you allows it; redistribution and any other use are subject
to the publisher's own terms. The code that made it (newscrawl) is licensed separately.

## How it was made

Exported by `newscrawl export --format dataset` from a newscrawl database: pages fetched by its
crawler (robots.txt obeyed, politeness limits kept) or imported from WARC files, extracted by the
layout rules of each site, validated and deduplicated. Every page is archived in WARC files, from
which the articles can be extracted again.
"""
    return "\n".join(yaml) + "\n" + body


def export_dataset(records: Iterable[dict[str, Any]], target: Path) -> int:
    """Write the dataset folder at ``target``; return the number of articles."""
    if target.exists():
        raise CliError(f"{target} exists: give a folder that does not exist yet", exit_code=2)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent))
    except OSError as error:
        raise CliError(f"cannot write to {target}: {error.strerror or error}") from error
    shards = _Shards(work)
    publishers: set[str] = set()
    try:
        try:
            for record in records:
                shards.write(record)
                publishers.add(record["publisher"])
        finally:
            shards.close()
        files = []
        for month in sorted(shards.rows):
            relative = _relative(month)
            files.append({"path": relative, "rows": shards.rows[month], "bytes": (work / relative).stat().st_size,
                          "sha256": _sha256(work / relative)})
        total = sum(shards.rows.values())
        (work / "README.md").write_text(_card(shards.rows, shards, sorted(publishers)), encoding="utf-8")
        manifest = {"format": "newscrawl dataset 1", "rows": total, "files": files}
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        for path in [work, *work.rglob("*")]:  # mkdtemp's folder is private to its owner
            os.chmod(path, 0o755 if path.is_dir() else 0o644)
        os.rename(work, target)
    except OSError as error:
        raise CliError(f"cannot write to {target}: {error.strerror or error}; nothing was written under that name") from error
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return total
