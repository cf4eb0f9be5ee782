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
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from processors.cleaning.fold import fold, fold_token, words

__all__ = [
    "DEFAULT",
    "MinHashParams",
    "band_keys",
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
_CHUNK = 4096  # shingles hashed at once (bounds the temporary matrix to 4096 x num_perm)


@dataclass(frozen=True)
class MinHashParams:
    """MinHash/LSH settings. ``rows`` = positions per band; ``threshold`` = least similarity
    (share of equal signature positions) for two articles to count as near-duplicates."""

    num_perm: int = 128
    bands: int = 64
    shingle_size: int = 3  # word shingles (measured: tests/dedup/README.md)
    seed: int = 1
    threshold: float = 0.45

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


@lru_cache(maxsize=262_144)
def _token_hashes(token: str) -> tuple[int, ...]:
    """Stable 64-bit hashes of the folded words of one token."""
    return tuple(
        int.from_bytes(hashlib.blake2b(w.encode("utf-8"), digest_size=8,
                                       person=b"marsad-w").digest(), "little")
        for w in fold_token(token))


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
    hashed: list[int] = []
    for token in text.split():
        hashed.extend(_token_hashes(token))
    if not hashed:
        return np.empty(0, dtype=np.uint64)
    wh = np.array(hashed, dtype=np.uint64)
    k = min(shingle_size, len(wh))
    n = len(wh) - k + 1
    with np.errstate(over="ignore"):
        acc = wh[:n].copy()
        for j in range(1, k):
            acc = acc * _POLY + wh[j:j + n]
        acc = _mix(acc + _U64(k))
    return np.unique(acc)


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
    return signature_of_hashes(shingle_hashes(text, params.shingle_size), params)


def signature_of_hashes(hashes: np.ndarray, params: MinHashParams = DEFAULT) -> np.ndarray:
    """MinHash signature of precomputed 64-bit shingle hashes."""
    sig = np.full(params.num_perm, EMPTY, dtype=np.uint32)
    if hashes.size == 0:
        return sig
    a, b = _coefficients(params.num_perm, params.seed)
    shift = _U64(32)
    with np.errstate(over="ignore"):
        for start in range(0, hashes.size, _CHUNK):
            x = hashes[start:start + _CHUNK, None]
            h = ((x * a[None, :] + b[None, :]) >> shift).min(axis=0).astype(np.uint32)
            np.minimum(sig, h, out=sig)
    return sig


def band_keys(sig: np.ndarray, params: MinHashParams = DEFAULT) -> list[str]:
    """One key per LSH band, ``"07:9f3a2b1c4d5e6f70"`` (band index, 64-bit BLAKE2b of the
    band's rows as little-endian uint32). Two signatures share a key only if that band's rows
    are all equal. Returns [] for the signature of an empty text, so empty texts never meet."""
    sig = np.asarray(sig, dtype=np.uint32)
    if sig.shape != (params.num_perm,):
        raise ValueError(f"signature has {sig.size} positions, params expect {params.num_perm}")
    if bool((sig == EMPTY).all()):
        return []
    data = sig.astype("<u4").tobytes()
    width = params.rows * 4
    return [
        f"{i:02d}:" + hashlib.blake2b(data[i * width:(i + 1) * width], digest_size=8,
                                      person=b"marsad-b").hexdigest()
        for i in range(params.bands)
    ]


def estimate(a: np.ndarray, b: np.ndarray) -> float:
    """Estimated Jaccard similarity: the share of equal signature positions."""
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape or a.size == 0:
        raise ValueError("signatures must be non-empty and of equal length")
    return float(np.count_nonzero(a == b)) / a.size


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
