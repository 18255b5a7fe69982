"""Bylines: "Virgina Maulita Putri - detikInet" -> ["Virgina Maulita Putri"]."""

from __future__ import annotations

import re

from .text import normalize_space

# The channel label after the last dash: "detikInet", "detikinet", "detikINET", "detikSport", ...
_CHANNEL_SUFFIX = re.compile(r"\s+[-\u2013\u2014]\s*detik\w*\s*$|\s*[-\u2013\u2014]\s+detik\w*\s*$", re.IGNORECASE)
_NAME_SEPARATORS = re.compile(r"\s*,\s*|\s+dan\s+|\s+&\s+|\s+and\s+", re.IGNORECASE)


def strip_channel(byline: str | None) -> str | None:
    """Drop the trailing " - detikInet" channel label."""
    byline = normalize_space(byline)
    if byline is None:
        return None
    return normalize_space(_CHANNEL_SUFFIX.sub("", byline))


def split_authors(byline: str | None) -> list[str]:
    """Author names of a byline or author meta; several authors become several names."""
    names = strip_channel(byline)
    if not names:
        return []
    return [name for name in (normalize_space(part) for part in _NAME_SEPARATORS.split(names)) if name]
