"""Photo captions: the description and the credit are separate fields.

Forms seen on detik pages:
  "Tik Tok. Foto: Joe Scarnici/Getty Images"     -> ("Tik Tok", "Joe Scarnici/Getty Images")
  "Foto: Getty Images"                            -> (None, "Getty Images")
  "Ilustrasi (Foto: Getty Images/Mario Carlini)"  -> ("Ilustrasi", "Getty Images/Mario Carlini")
  "Galaxy S6 Edge & S6 (ist)"                     -> ("Galaxy S6 Edge & S6", "ist")   ist = istimewa
  "Peluncuran Foto: AP/Jon Super"                 -> ("Peluncuran", "AP/Jon Super")
  "Foto: Ilustrasi penodongan (Edi Wahyono/detikcom)" -> ("Ilustrasi penodongan", "Edi Wahyono/detikcom")
  "Foto: (Getty Images)"                          -> (None, "Getty Images")
  "Alat terapi (Bagus Kurniawan/detikcom)"        -> ("Alat terapi", "Bagus Kurniawan/detikcom")
  "Mohamed Morsi (AFP)"                           -> ("Mohamed Morsi", "AFP")        2012 detikNews
  "Ilustrasi (Foto: Getty Images) di Jakarta"     -> ("Ilustrasi di Jakarta", "Getty Images")
  "Kafe milik Tri Suaka. Foto: Instagram @kopi"   -> ("Kafe milik Tri Suaka", "Instagram @kopi")
A parenthesised tail without "Foto:" is a credit only when it names a "Name/Source" (a slash), a
news or photo agency, or a "dok." (documentation) source: "(kiri)" stays part of the description.
"""

from __future__ import annotations

import re

from .text import normalize_space

_PAREN_CREDIT = re.compile(r"\(\s*(?:foto|photo)\s*:\s*(?P<credit>[^()]*?)\s*\)\s*$", re.IGNORECASE)
# "(Foto: ...)" inside the caption, text following it: the credit is cut out and the text closes up.
_PAREN_CREDIT_INSIDE = re.compile(r"\s*\(\s*(?:foto|photo)\s*:\s*(?P<credit>[^()]*?)\s*\)\s*", re.IGNORECASE)
# Agencies whose name alone in parentheses is a credit, and "(dok. Pribadi)"-style sources ("(Istimewa)"
# is _IST_CREDIT's).
_AGENCY_CREDIT = re.compile(
    r"\(\s*(?P<credit>(?:AFP|AP|Reuters|Antara(?: Foto)?|EPA|Xinhua|Getty Images"
    r"|dok\.\s*[^()]+))\s*\)\s*$",
    re.IGNORECASE,
)
_IST_CREDIT = re.compile(r"\(\s*(?P<credit>ist|istimewa)\s*\)\s*$", re.IGNORECASE)
_INLINE_CREDIT = re.compile(r"(?:^|(?<=[\s.,;]))(?:foto|photo)\s*:\s*(?P<credit>.*)$", re.IGNORECASE)
# "Foto: <description> (<credit>)": the 2020s caption of many channels.
_LEADING_MARKER = re.compile(r"^(?:foto|photo)\s*:\s*(?P<description>.*?)\s*\((?P<credit>[^()]*)\)\s*$", re.IGNORECASE)
_SLASH_CREDIT = re.compile(r"\((?P<credit>[^()]*/[^()]*)\)\s*$")


def _undouble(text: str) -> str:
    """"A. Foto: B A. Foto: B" (caption repeated by an alt text) -> "A. Foto: B"."""
    half, rest = divmod(len(text), 2)
    if rest == 1 and text[:half] == text[half + 1 :] and text[half] == " ":
        return text[:half]
    return text


def split_caption(caption: str | None) -> tuple[str | None, str | None]:
    """Return (description, credit), each None when absent."""
    text = normalize_space(caption)
    if text is None:
        return None, None
    text = _undouble(text)
    leading = _LEADING_MARKER.match(text)
    if leading:
        description, credit = leading["description"], normalize_space(leading["credit"])
    else:
        for pattern in (_PAREN_CREDIT, _IST_CREDIT, _INLINE_CREDIT, _SLASH_CREDIT, _AGENCY_CREDIT):
            match = pattern.search(text)
            if match:
                description = text[: match.start()]
                credit = normalize_space(match["credit"])
                break
        else:
            inside = _PAREN_CREDIT_INSIDE.search(text)
            if inside:
                description = f"{text[: inside.start()]} {text[inside.end():]}"
                credit = normalize_space(inside["credit"])
            else:
                description, credit = text, None
    description = normalize_space(description)
    if description and description.endswith(".") and not description.endswith(".."):
        description = normalize_space(description[:-1])
    return description, credit
