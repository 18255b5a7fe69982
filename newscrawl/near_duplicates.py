"""Near-duplicate fingerprints: MinHash signatures of an article body's word 5-shingles, and the LSH
band keys under which the storage files them.

The signatures are datasketch's MinHash under its scheme "affine32" (datasketch 2's default): each
shingle's SHA-1, its first four bytes read as a little-endian 32-bit number, mixed by MurmurHash3's
32-bit finaliser, then permuted by 128 affine maps ``a*h + b`` modulo 2^32 (``a`` odd) drawn from
``numpy.random.RandomState(1)``; the signature keeps each map's minimum. They are computed here
with numpy, not by datasketch: importing datasketch loads scipy, 61 MB and about 0.7 s in every
process that signs (each extraction worker, each import worker). A test checks that the values
are datasketch's, so fingerprints stored by either stay comparable; datasketch still lays out the
LSH bands (``banding_for``).

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
# datasketch 2's default, named so that a later default cannot silently change stored signatures.
SCHEME = "affine32"
SEED = 1
DEFAULT_THRESHOLD = 0.8
# The bands' own threshold sits this far below the deciding one (see the module's docstring).
BAND_MARGIN = 0.3
LOWEST_BAND_THRESHOLD = 0.2

_WORD = re.compile(r"\w+")


_MAX_A = 1 << 31  # a = 2 * draw + 1: odd, so the map is a bijection modulo 2^32
_MAX_B = 1 << 32
# MurmurHash3's 32-bit finaliser (fmix32): shifts and multipliers.
_FMIX = (np.uint32(16), np.uint32(0x85EBCA6B), np.uint32(13), np.uint32(0xC2B2AE35), np.uint32(16))


@cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """The affine maps (a, b), drawn once in the order datasketch draws them for the same seed."""
    draws = np.random.RandomState(SEED)
    a = draws.randint(0, _MAX_A, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = draws.randint(0, _MAX_B, NUM_PERM, dtype=np.uint32)
    return a, b


def _mixed_hashes(items: list[bytes]) -> np.ndarray:
    """Each item's SHA-1 (first four bytes, little-endian) through fmix32, as uint32 (wrapping)."""
    values = np.frombuffer(b"".join([hashlib.sha1(item).digest()[:4] for item in items]), dtype="<u4")
    first, m1, second, m2, third = _FMIX
    values = values ^ (values >> first)
    values = values * m1
    values = values ^ (values >> second)
    values = values * m2
    return values ^ (values >> third)


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
    """The distinct word 5-shingles of a text (lower-cased words), in no particular order; a text of
    fewer words is one shingle."""
    words = _WORD.findall((text or "").lower())
    if not words:
        return []
    if len(words) < SHINGLE_WORDS:
        return [" ".join(words).encode("utf-8")]
    # Each run of SHINGLE_WORDS consecutive words: the word lists shifted by 0..4, zipped.
    grams = set(map(" ".join, zip(*(words[shift:] for shift in range(SHINGLE_WORDS)))))
    return [gram.encode("utf-8") for gram in grams]


def signature(text: str | None) -> np.ndarray | None:
    """The MinHash signature (NUM_PERM uint32 values) of a text's shingles; None for a text without words."""
    items = shingles(text)
    if not items:
        return None
    a, b = _permutations()
    # One row per shingle, one column per map; uint32 arithmetic wraps, which is the modulo 2^32.
    permuted = np.multiply.outer(_mixed_hashes(items), a)
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
