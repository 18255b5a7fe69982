"""Whitespace and text clean-up shared by every field."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_INITIALS_AT_END = re.compile(r"\s*\((?P<initials>\w{2,4}(?:/\w{2,4})+)\)\s*$")
# The C0 control characters str.split() does not take for whitespace (NUL among them, e.g. from a
# JSON-LD "\u0000"): no reader's text holds them, and PostgreSQL refuses NUL. The others (tab,
# newlines, vertical tab, form feed, separators) are whitespace and collapse with it.
_NON_SPACE_CONTROLS = re.compile("[\x00-\x08\x0e-\x1b]")


def normalize_space(text: str | None) -> str | None:
    """Drop control characters and collapse every whitespace run (incl. CR/LF, tabs, no-break spaces)
    into one space; None if empty."""
    if text is None:
        return None
    cleaned = " ".join(_NON_SPACE_CONTROLS.sub("", str(text)).split())
    return cleaned or None


def normalize_body_text(text: str) -> str:
    """The form of a paragraph that goes into ``body``: NFC, control characters dropped, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFC", _NON_SPACE_CONTROLS.sub("", text)).split())


def split_editor_initials(text: str | None) -> tuple[str | None, str | None]:
    """Split a trailing "(rns/fyk)" off a text: returns (text without it, "rns/fyk")."""
    if not text:
        return text, None
    match = _INITIALS_AT_END.search(text)
    if not match:
        return text, None
    return text[: match.start()].rstrip(), match["initials"]


def join_paragraphs(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs)


def word_count(body: str | None) -> int:
    return len(body.split()) if body else 0


def content_hash(body: str | None) -> str | None:
    return hashlib.sha256(body.encode("utf-8")).hexdigest() if body is not None else None


def split_keywords(value: str | None) -> list[str]:
    """The keywords meta ("sam bankman-fried,ftx,juragan kripto") as a list of tags."""
    return [tag for tag in (normalize_space(part) for part in (value or "").split(",")) if tag]
