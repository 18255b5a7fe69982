"""Bylines: "<names> - <label>", e.g. "Virgina Maulita Putri - detikInet" -> ["Virgina Maulita Putri"].

Everything after the last dash that stands apart (spaces on at least one side; a hyphen inside a
name such as "Bankman-Fried" is no separator) is a label: a channel ("detikInet", "detiknews"), a
rubric ("Sepakbola"), the channel a team writes for ("Tim detikBali - detikTravel"). Names never
follow it. Several names are separated by commas, "dan", "&" or "and".

A role label before the names ("Reporter : Tim detikcom", "Penulis: ...", "Oleh ...") is not part of
them, and an "Editor: ..." part names the editor, not an author: both are left out of the names.

Author metadata is not always a name: detik's ``article:author`` holds a Facebook URL and its
``author`` meta may hold the writer's initials ("bgs"). Neither is ever taken for a name.
"""

from __future__ import annotations

import re

from .text import normalize_space

_LABEL = re.compile(r"(?:\s+[-\u2013\u2014]\s*|\s*[-\u2013\u2014]\s+)(?P<label>[^-\u2013\u2014]*?)\s*$")
_NAME_SEPARATORS = re.compile(r"\s*,\s*|\s+dan\s+|\s+&\s+|\s+and\s+", re.IGNORECASE)
_ROLE_PREFIX = re.compile(r"^(?:penulis|reporter|oleh)\s*(?::\s*|\s)", re.IGNORECASE)
_EDITOR_PART = re.compile(r"\s*[|,;]?\s*\b(?:editor|redaktur)\s*:.*$", re.IGNORECASE)
_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|www\.)|@[\w-]+\.[a-z]", re.IGNORECASE)
# Writer/editor initials as detik prints them: lowercase, 2-5 letters, optionally "xx/yy".
_INITIALS = re.compile(r"^[a-z]{2,5}(?:/[a-z]{2,5})*$")


def is_name(text: str) -> bool:
    """False for what author metadata holds that is no person's or team's name: a URL, an e-mail
    address, initials, or text without a letter."""
    return (not _URL.search(text) and not _INITIALS.match(text)
            and any(character.isalpha() for character in text))


def _split(byline: str | None) -> tuple[str | None, str | None]:
    text = normalize_space(byline)
    if text is not None:
        text = _EDITOR_PART.sub("", _ROLE_PREFIX.sub("", text)) or None
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
    if _URL.search(names):  # a URL's own commas and dashes are no separators
        return []
    parts = (normalize_space(part) for part in _NAME_SEPARATORS.split(names))
    return [name for name in parts if name and is_name(name)]
