"""What every format shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class SourceRecord:
    """One record read from a file: where it was, and either the record or why it is unreadable."""

    location: str
    record: dict[str, Any] | None = None
    error: str | None = None
