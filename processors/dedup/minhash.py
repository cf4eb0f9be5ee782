"""MinHash signatures and LSH band keys for near-duplicate articles.

Pure and deterministic across processes and machines: shingles are hashed with a keyed
BLAKE2b (never Python's salted ``hash()``), hash coefficients come from BLAKE2b of the seed,
and every byte layout is explicit little-endian. Two workers on different hosts therefore
compute the same signature and the same band keys for the same text.

Pipeline of ``signature``: fold the text as ``processors.cleaning.fold.text_hash`` does
(camel-tools dediacritisation, alef/yeh/teh-marbuta folding, punctuation to spaces), split into
words, hash each word once (64-bit), combine ``shingle_size`` consecutive word hashes into one
64-bit shingle hash (vectorised polynomial + splitmix64 finaliser), then apply ``num_perm``
multiply-shift hash functions ``(a*x + b) >> 32`` (a odd, 64-bit wrap-around) and keep the
minimum of each.

Decision measure (``containment``): the *smaller* containment ``|A∩B| / max(|A|, |B|)``, i.e.
the share of the longer text found in the other one. It follows the definition of a
duplicate in tests/dedup/README.md (both sides mostly shared): a short wire item contained in
a long article that adds much reporting of its own scores low, while two copies that each
add or drop a paragraph score higher than their Jaccard. It is estimated from the signatures
alone: Jaccard from equal positions and each set's size from its minima (``cardinality``),
so no extra field travels with a signature.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from operator import itemgetter

import numpy as np

from processors.cleaning.fold import fold, fold_token, words

__all__ = [
    "DEFAULT",
    "MinHashParams",
    "band_keys",
    "cardinality",
    "containment",
    "decode",
    "encode",
    "estimate",
    "fold",
    "shingle_hashes",
    "signature",
    "words",
]

EMPTY = np.uint32(0xFFFFFFFF)  # value of every position when a text has no shingle
_U64 = np.uint64
_POLY = _U64(0x9E3779B97F4A7C15)  # odd multiplier combining word hashes of a shingle
_M1 = _U64(0xBF58476D1CE4E5B9)
_M2 = _U64(0x94D049BB133111EB)
_CHUNK = 1024  # shingles hashed at once (bounds the temporary matrix to 1024 x num_perm)


@dataclass(frozen=True)
class MinHashParams:
    """MinHash/LSH settings. ``rows`` = positions per band; ``threshold`` = least estimated
    containment (``containment``) for two articles to count as near-duplicates.

    Defaults (measured with `marsad eval-dedup` on the tests/dedup labels): word 2-shingles
    (more tolerant of reworded copies than 3-shingles); 240 positions (the estimate's noise
    matters near the threshold); 80 bands of 3 rows, an LSH S-curve whose steep part (50%
    collision at Jaccard ~0.23) sits below the least Jaccard a pair can have at the threshold
    (containment 0.55 = Jaccard 0.38 for equal sizes, more otherwise), so banding loses
    almost no pair (collision probability 0.99 at Jaccard 0.38)."""

    num_perm: int = 240
    bands: int = 80
    shingle_size: int = 2  # word shingles (measured with `marsad eval-dedup --shingle-size`)
    seed: int = 1
    threshold: float = 0.55

    def __post_init__(self) -> None:
        if self.num_perm <= 0 or self.bands <= 0 or self.num_perm % self.bands:
            raise ValueError("num_perm must be a positive multiple of bands")
        if self.shingle_size <= 0:
            raise ValueError("shingle_size must be positive")
        if not 0.0 < self.threshold <= 1.0:
            raise ValueError("threshold must be in (0, 1]")

    @property
    def rows(self) -> int:
        """Signature positions per LSH band."""
        return self.num_perm // self.bands


DEFAULT = MinHashParams()


@lru_cache(maxsize=8)
def folded(text: str) -> tuple[tuple[str, ...], np.ndarray]:
    """Folded words of ``text`` and their stable 64-bit hashes, computed once per text.

    ``signature`` and ``contradiction.polarity_markers`` of the same text share this pass (a
    small cache: the stage computes both right after each other)."""
    if len(_TOKENS) > _Tokens.MAX_TOKENS:
        _TOKENS.clear()
    parts = list(map(_TOKENS.__getitem__, text.split()))
    words_out = tuple(chain.from_iterable(map(itemgetter(0), parts)))
    wh = np.fromiter(chain.from_iterable(map(itemgetter(1), parts)), dtype=np.uint64,
                     count=len(words_out))
    wh.setflags(write=False)
    return words_out, wh


class _Tokens(dict):
    """Token -> (its folded words, their hashes), filled on first sight: a plain dict lookup
    afterwards (the hot path); cleared when it grows past ``MAX_TOKENS``."""

    MAX_TOKENS = 262_144

    def __missing__(self, token: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
        ws = fold_token(token)
        value = ws, tuple(_word_hash(w) for w in ws)
        self[token] = value
        return value


_TOKENS = _Tokens()


def _word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8,
                                          person=b"marsad-w").digest(), "little")


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser (vectorised, wrap-around uint64)."""
    x = x ^ (x >> _U64(30))
    x = x * _M1
    x = x ^ (x >> _U64(27))
    x = x * _M2
    return x ^ (x >> _U64(31))


def shingle_hashes(text: str, shingle_size: int = DEFAULT.shingle_size) -> np.ndarray:
    """Distinct stable 64-bit hashes of the word ``shingle_size``-grams of ``text``.

    A text shorter than one shingle gives a single shingle of all its words; an empty text
    gives an empty array."""
    return np.unique(_shingles(folded(text)[1], shingle_size))


def _shingles(wh: np.ndarray, shingle_size: int) -> np.ndarray:
    """64-bit hashes of the word ``shingle_size``-grams, in text order, repeats kept."""
    if not wh.size:
        return np.empty(0, dtype=np.uint64)
    k = min(shingle_size, len(wh))
    n = len(wh) - k + 1
    with np.errstate(over="ignore"):
        acc = wh[:n].copy()
        for j in range(1, k):
            acc *= _POLY
            acc += wh[j:j + n]
        acc += _U64(k)
        return _mix(acc)


@lru_cache(maxsize=16)
def _coefficients(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Odd multipliers ``a`` and offsets ``b`` of the multiply-shift hash functions."""
    raw = b"".join(
        hashlib.blake2b(f"{seed}:{i}".encode(), digest_size=16, person=b"marsad-p").digest()
        for i in range(num_perm))
    both = np.frombuffer(raw, dtype="<u8").astype(np.uint64).reshape(num_perm, 2)
    a = both[:, 0] | _U64(1)
    b = both[:, 1].copy()
    a.setflags(write=False)
    b.setflags(write=False)
    return a, b


def signature(text: str, params: MinHashParams = DEFAULT) -> np.ndarray:
    """MinHash signature of ``text``: ``params.num_perm`` uint32 values.

    Every position is 0xFFFFFFFF for a text without words (see ``band_keys``)."""
    # repeated shingles do not change a minimum: no need to deduplicate them first
    return signature_of_hashes(_shingles(folded(text)[1], params.shingle_size), params)


def signature_of_hashes(hashes: np.ndarray, params: MinHashParams = DEFAULT) -> np.ndarray:
    """MinHash signature of precomputed 64-bit shingle hashes."""
    sig = np.full(params.num_perm, EMPTY, dtype=np.uint32)
    if hashes.size == 0:
        return sig
    a, b = _coefficients(params.num_perm, params.seed)
    with np.errstate(over="ignore"):
        for start in range(0, hashes.size, _CHUNK):
            h = np.multiply.outer(hashes[start:start + _CHUNK], a)
            h += b
            # the top 32 bits of the least 64-bit value are the least top 32 bits
            low = (h.min(axis=0) >> _U64(32)).astype(np.uint32)
            np.minimum(sig, low, out=sig)
    return sig


def band_keys(sig: np.ndarray, params: MinHashParams = DEFAULT) -> list[str]:
    """One key per LSH band, ``"07:9f3a2b1c4d5e6f70"`` (band index, 64-bit hash of the band's
    rows: polynomial over the uint32 rows + splitmix64 finaliser, vectorised over the bands).
    Two signatures share a key only if that band's rows are all equal (up to a 64-bit
    collision). Returns [] for the signature of an empty text, so empty texts never meet."""
    sig = np.asarray(sig, dtype=np.uint32)
    if sig.shape != (params.num_perm,):
        raise ValueError(f"signature has {sig.size} positions, params expect {params.num_perm}")
    if bool((sig == EMPTY).all()):
        return []
    rows = sig.reshape(params.bands, params.rows).astype(np.uint64)
    with np.errstate(over="ignore"):
        acc = np.full(params.bands, _U64(params.rows), dtype=np.uint64)
        for j in range(params.rows):
            acc *= _POLY
            acc += rows[:, j]
            acc = _mix(acc)
    return [f"{i:02d}:{h:016x}" for i, h in enumerate(acc.tolist())]


def estimate(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity: the share of equal signature positions."""
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape or a.size == 0:
        raise ValueError("signatures must be non-empty and of equal length")
    return float(np.count_nonzero(a == b)) / a.size


def cardinality(sig: np.ndarray) -> float:
    """Estimated number of distinct shingles behind a signature (0 for an empty text).

    Each position is the minimum of that many uniform values: ``(k - 1) / sum(-ln(1 - u))``
    is the usual estimator (relative error about ``1 / sqrt(k)``)."""
    u = (np.asarray(sig, dtype=np.float64) + 0.5) * (1.0 / 4294967296.0)
    if u.size < 2 or bool((np.asarray(sig) == EMPTY).all()):
        return 0.0
    return (u.size - 1) / float(-np.log1p(-u).sum())


def containment(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated smaller containment ``|A∩B| / max(|A|, |B|)`` of the two shingle sets.

    From the Jaccard estimate J and the size estimates: ``|A∩B| = J (|A| + |B|) / (1 + J)``.
    Always between J (one set inside the other) and ``2J / (1 + J)`` (equal sizes), so the
    noisy size estimates are clamped to that range; 1.0 for equal signatures."""
    j = estimate(a, b)
    if j == 1.0 or j == 0.0:
        return j
    na, nb = cardinality(a), cardinality(b)
    big = max(na, nb)
    if big <= 0.0:
        return j
    return min(max(j * (na + nb) / ((1.0 + j) * big), j), 2.0 * j / (1.0 + j))


def encode(sig: np.ndarray) -> str:
    """Base64 (standard alphabet) of the signature as little-endian uint32."""
    return base64.b64encode(np.asarray(sig, dtype=np.uint32).astype("<u4").tobytes()).decode(
        "ascii")


def decode(s: str) -> np.ndarray:
    """Inverse of ``encode``: a native-order uint32 array."""
    raw = base64.b64decode(s.encode("ascii"), validate=True)
    if len(raw) % 4:
        raise ValueError("encoded signature length is not a multiple of 4 bytes")
    return np.frombuffer(raw, dtype="<u4").astype(np.uint32)
