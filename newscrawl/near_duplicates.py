"""Near-duplicate fingerprints: MinHash signatures of an article body's word 5-shingles, and the LSH
band keys under which the storage files them.

A signature is a MinHash under the scheme "words32": every word of the lower-cased body is hashed
to 32 bits (its code points mixed with their places, vectorised with numpy over the whole text),
every run of five consecutive words is hashed from its five word hashes, and each shingle hash is
permuted by 128 affine maps ``a*h + b`` modulo 2^32 (``a`` odd) drawn from
``numpy.random.RandomState(1)``; the signature keeps each map's minimum. The first scheme,
"affine32", was datasketch's MinHash (a SHA-1 per shingle): several times slower, and signing is
done for every article a crawl or an import stores. datasketch still lays out the LSH bands
(``banding_for``); it is not imported to sign (it loads scipy, 61 MB and ~0.7 s per process).

Two articles are near-duplicates when their signatures share an LSH bucket and their estimated
Jaccard similarity reaches the threshold. That one test (``similar``) decides everywhere, in the
incremental grouping of a crawl, in a backfill and in a regrouping, so the groups do not depend on
the order articles arrive in.

The bands are laid out for a threshold well below the one that decides (``banding_for``): at the
default 0.8, 25 bands of 5 rows make a pair at Jaccard 0.8 a candidate with probability 0.99995,
where the bands datasketch would pick for 0.8 itself (9 of 13) find only 40% of such pairs.
Candidates below the threshold cost one comparison of two signatures each.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

NUM_PERM = 128
SHINGLE_WORDS = 5
# How shingles are hashed and permuted (below). Stored in the database's settings: fingerprints made
# under another scheme are not comparable ("affine32", the first: datasketch's, a SHA-1 per shingle).
SCHEME = "words32"
SEED = 1
DEFAULT_THRESHOLD = 0.8
# The bands' own threshold sits this far below the deciding one (see the module's docstring).
BAND_MARGIN = 0.3
LOWEST_BAND_THRESHOLD = 0.2

_WORD = re.compile(r"\w+")


_MAX_A = 1 << 31  # a = 2 * draw + 1: odd, so the map is a bijection modulo 2^32
_MAX_B = 1 << 32
_U32 = np.uint32
# Odd multipliers (MurmurHash3's and the golden ratio's): a code point at a place in its word, a
# word's length, and the five words of a shingle each get their own.
_CHARACTER, _PLACE, _LENGTH = _U32(0x9E3779B1), _U32(0x7FEB352D), _U32(0x846CA68B)
_WORD_PLACES = np.array([0xCC9E2D51, 0x1B873593, 0xE6546B65, 0x85EBCA6B, 0xC2B2AE35][:SHINGLE_WORDS], dtype=np.uint32)
_BMP = 0x10000


@cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """The affine maps (a, b), drawn once from numpy.random.RandomState(SEED)."""
    draws = np.random.RandomState(SEED)
    a = draws.randint(0, _MAX_A, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = draws.randint(0, _MAX_B, NUM_PERM, dtype=np.uint32)
    return a, b


def _fmix32(values: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finaliser, elementwise (uint32 arithmetic wraps)."""
    values = values ^ (values >> _U32(16))
    values = values * _U32(0x85EBCA6B)
    values = values ^ (values >> _U32(13))
    values = values * _U32(0xC2B2AE35)
    return values ^ (values >> _U32(16))


def lower_character(character: str) -> str:
    """A character lower-cased on its own, by Unicode's simple mapping: "İ" becomes "i", and a final
    "Σ" becomes "σ" like any other (str.lower() of a whole text makes them "i̇" and "ς")."""
    return character.lower()[:1] or character


@cache
def _character_tables() -> tuple[np.ndarray, np.ndarray]:
    """For each code point of the Basic Multilingual Plane: its lower case (lower_character) and
    whether ``\\w`` matches that (asked of the regular expression itself, so words are exactly _WORD's)."""
    lowered = [lower_character(chr(point)) for point in range(_BMP)]
    lower = np.array(list(map(ord, lowered)), dtype=np.uint32)
    word = np.zeros(_BMP, dtype=bool)
    for match in _WORD.finditer("".join(lowered)):
        word[match.start():match.end()] = True
    return lower, word


def _lower_words(text: str) -> tuple[np.ndarray, np.ndarray]:
    """The text's code points lower-cased, and which are in words. A table lookup per code point:
    str.lower() of a text that is not all ASCII took longer than the rest of the signature."""
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    lower, word = _character_tables()
    bmp = np.minimum(points, _BMP - 1)
    lowered, inside = lower[bmp], word[bmp]
    for index in np.flatnonzero(points >= _BMP):  # rare (emoji, historic scripts): asked one by one
        character = lower_character(chr(points[index]))
        lowered[index], inside[index] = ord(character), _WORD.match(character) is not None
    return lowered, inside


def word_hashes(text: str | None) -> np.ndarray:
    """A 32-bit hash of each word of the text lower-cased character by character (lower_character):
    each run of ``\\w`` characters, in order.

    Vectorised over the text's code points: each is mixed with its place in its word, a word's
    are summed and mixed with its length.
    """
    points, inside = _lower_words(text or "")
    edges = np.diff(np.concatenate(([0], inside.view(np.int8), [0])))
    starts = np.flatnonzero(edges == 1)
    if not starts.size:
        return np.empty(0, dtype=np.uint32)
    lengths = np.flatnonzero(edges == -1) - starts
    characters = np.flatnonzero(inside)
    offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))  # each word's first in ``characters``
    places = (np.arange(characters.size) - np.repeat(offsets, lengths)).astype(np.uint32)
    mixed = _fmix32(points[characters] * _CHARACTER + places * _PLACE + _U32(1))
    summed = np.add.reduceat(mixed, offsets, dtype=np.uint32)
    return _fmix32(summed ^ lengths.astype(np.uint32) * _LENGTH)


def shingle_hashes(text: str | None) -> np.ndarray:
    """A 32-bit hash of each run of SHINGLE_WORDS consecutive words (of all the words, for a shorter
    text), repeats included; empty for a text without words."""
    words = word_hashes(text)
    width = min(SHINGLE_WORDS, words.size)
    if not width:
        return words
    count = words.size - width + 1
    combined = np.zeros(count, dtype=np.uint32)
    for place in range(width):
        combined += words[place:place + count] * _WORD_PLACES[place]
    return _fmix32(combined)


@dataclass(frozen=True)
class Banding:
    """The similarity threshold and the LSH layout (bands x rows = NUM_PERM at most) used with it."""

    threshold: float
    bands: int
    rows: int

    def __post_init__(self) -> None:
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError(f"near-duplicate threshold must be above 0 and at most 1, not {self.threshold}")
        if self.bands < 1 or self.rows < 1 or self.bands * self.rows > NUM_PERM:
            raise ValueError(f"{self.bands} bands of {self.rows} rows do not fit {NUM_PERM} permutations")


def banding_for(threshold: float) -> Banding:
    """The banding datasketch's MinHashLSH chooses for a threshold BAND_MARGIN below ``threshold``."""
    from datasketch import MinHashLSH

    Banding(threshold, 1, 1)  # validates the threshold
    lsh = MinHashLSH(threshold=max(LOWEST_BAND_THRESHOLD, threshold - BAND_MARGIN), num_perm=NUM_PERM)
    return Banding(threshold, lsh.b, lsh.r)


def shingles(text: str | None) -> list[bytes]:
    """The distinct word 5-shingles of a text (its words lower-cased by lower_character) as text, in
    no particular order; a text of fewer words is one shingle. What shingle_hashes hashes, slowly:
    the exact Jaccard similarity of two texts is that of their shingles (tests and benchmarks compare
    estimates with it)."""
    words = _WORD.findall("".join(map(lower_character, text or "")))
    if not words:
        return []
    if len(words) < SHINGLE_WORDS:
        return [" ".join(words).encode("utf-8")]
    # Each run of SHINGLE_WORDS consecutive words: the word lists shifted by 0..4, zipped.
    grams = set(map(" ".join, zip(*(words[shift:] for shift in range(SHINGLE_WORDS)))))
    return [gram.encode("utf-8") for gram in grams]


def signature(text: str | None) -> np.ndarray | None:
    """The MinHash signature (NUM_PERM uint32 values) of a text's shingles; None for a text without words."""
    hashes = shingle_hashes(text)
    if not hashes.size:
        return None
    a, b = _permutations()
    # One row per shingle, one column per map; uint32 arithmetic wraps, which is the modulo 2^32.
    # A repeated shingle changes no minimum, so repeats need not be removed.
    permuted = np.multiply.outer(hashes, a)
    permuted += b
    return permuted.min(axis=0).astype("<u4")


@dataclass(frozen=True)
class Signed:
    """A signature computed ahead of the store (by an extraction worker) and the body it was computed
    from: the store uses it only for an article whose stored body is that body."""

    body: str | None
    signature: np.ndarray | None


def signed(body: str | None) -> Signed:
    return Signed(body, signature(body))


# Like the archive capture, the signature rides on an item as a private attribute, never a field.
_ITEM_ATTRIBUTE = "_newscrawl_signed"


def set_signed(item: Any, value: Signed | None) -> None:
    object.__setattr__(item, _ITEM_ATTRIBUTE, value)


def signed_of(item: Any) -> Signed | None:
    return getattr(item, _ITEM_ATTRIBUTE, None)


def to_bytes(values: np.ndarray) -> bytes:
    return np.asarray(values, dtype="<u4").tobytes()


def from_bytes(data: bytes) -> np.ndarray:
    values = np.frombuffer(data, dtype="<u4")
    if values.shape != (NUM_PERM,):
        raise ValueError(f"a near-duplicate signature holds {NUM_PERM} values, not {values.size}")
    return values


def similarity(first: np.ndarray, second: np.ndarray) -> float:
    """The estimated Jaccard similarity: the share of equal values (datasketch's MinHash.jaccard)."""
    return float(np.count_nonzero(first == second)) / NUM_PERM


def buckets(values: np.ndarray, banding: Banding) -> list[int]:
    """One signed 64-bit bucket key per band: the band's number and values, hashed."""
    raw = to_bytes(values)
    width = 4 * banding.rows
    return [
        int.from_bytes(hashlib.blake2b(band.to_bytes(2, "little") + raw[band * width:(band + 1) * width],
                                       digest_size=8).digest(), "little", signed=True)
        for band in range(banding.bands)
    ]


def share_a_band(first: np.ndarray, second: np.ndarray, banding: Banding) -> bool:
    """Whether the two signatures agree on every row of some band (they share its bucket)."""
    used = banding.bands * banding.rows
    equal = (first[:used] == second[:used]).reshape(banding.bands, banding.rows)
    return bool(equal.all(axis=1).any())


def similar(first: np.ndarray, second: np.ndarray, banding: Banding) -> bool:
    return share_a_band(first, second, banding) and similarity(first, second) >= banding.threshold
