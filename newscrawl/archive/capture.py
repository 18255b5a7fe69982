"""Where the archived response of a page lies, and how that travels with an item.

The location rides on the item as a private attribute (never a field: the item's 22 fields are
the dataset schema), so the feed export and ItemAdapter never see it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_ITEM_ATTRIBUTE = "_newscrawl_capture"


@dataclass(frozen=True)
class Capture:
    warc_file: str  # relative to the exports folder when inside it, else absolute
    warc_offset: int  # offset of the response record (start of its gzip member)
    fetched_at: str  # the record's WARC-Date as ISO 8601 UTC, to the second

    def path(self, exports_dir: str | os.PathLike[str]) -> Path:
        """The file on disk: relative names are resolved against the exports folder."""
        file = Path(self.warc_file)
        return file if file.is_absolute() else Path(exports_dir) / file


def stored_name(path: str | os.PathLike[str], exports_dir: str | os.PathLike[str]) -> str:
    """How a WARC file is named in the database: relative to the exports folder if inside it."""
    absolute = Path(path).resolve()
    try:
        return absolute.relative_to(Path(exports_dir).resolve()).as_posix()
    except ValueError:
        return str(absolute)


def set_capture(item: Any, capture: Capture | None) -> None:
    object.__setattr__(item, _ITEM_ATTRIBUTE, capture)


def capture_of(item: Any) -> Capture | None:
    return getattr(item, _ITEM_ATTRIBUTE, None)
