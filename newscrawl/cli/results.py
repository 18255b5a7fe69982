"""What the bulk commands' --jobs workers hand back to the process that stores.

Unpickling a result imports the module its class lives in, so these live apart from the workers'
code: the storing process never imports the extraction (Scrapy, lxml), which only its workers run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from newscrawl.near_duplicates import Signed


@dataclass
class Extracted:
    """An ``import`` page's article."""

    where: str
    capture: tuple[str, int] | None
    record: dict[str, Any]
    signed: Signed | None = None  # the body's near-duplicate signature, made beside the extraction


@dataclass
class Outcome:
    """What ``reextract`` made of one stored article."""

    outcome: str  # "changed", "unchanged", "no_capture" or "failed"
    record: dict[str, Any] | None = None  # the new version, when changed
    capture: tuple[str, int] | None = None
    changed: list[str] = field(default_factory=list)
    reason: str = ""  # why it failed, and the line that says so
    message: str = ""
    signed: Signed | None = None  # the new body's near-duplicate signature, when the body changed
