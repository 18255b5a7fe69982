"""Bylines: "<names> - <label>", e.g. "Virgina Maulita Putri - detikInet" -> ["Virgina Maulita Putri"].

Everything after the last dash that stands apart (spaces on at least one side; a hyphen inside a
name such as "Bankman-Fried" is no separator) is a label: a channel ("detikInet", "detiknews"), a
rubric ("Sepakbola"), the channel a team writes for ("Tim detikBali - detikTravel"). Names never
follow it. Several names are separated by commas, "dan", "&" or "and".
"""

from __future__ import annotations

import re

from .text import normalize_space

_LABEL = re.compile(r"(?:\s+[-\u2013\u2014]\s*|\s*[-\u2013\u2014]\s+)(?P<label>[^-\u2013\u2014]*?)\s*$")
_NAME_SEPARATORS = re.compile(r"\s*,\s*|\s+dan\s+|\s+&\s+|\s+and\s+", re.IGNORECASE)


def _split(byline: str | None) -> tuple[str | None, str | None]:
    text = normalize_space(byline)
    if text is None:
        return None, None
    match = _LABEL.search(text)
    if match is None:
        return text, None
    return normalize_space(text[: match.start()]), match["label"] or None


def byline_label(byline: str | None) -> str | None:
    """The label after the names, or None."""
    return _split(byline)[1]


def strip_channel(byline: str | None) -> str | None:
    """The names part of a byline, without its trailing label."""
    return _split(byline)[0]


def split_authors(byline: str | None) -> list[str]:
    """Author names of a byline or author meta; several authors become several names."""
    names = strip_channel(byline)
    if not names:
        return []
    return [name for name in (normalize_space(part) for part in _NAME_SEPARATORS.split(names)) if name]
