"""Near-duplicate decision and a reference in-memory LSH index.

``near_match`` is the confirmation step the streaming join calls once LSH has produced a
candidate; ``NearDuplicateIndex`` is the single-process reference used by the evaluation
command and the benchmarks (the streaming version keeps the same buckets in Faust tables).
"""

from __future__ import annotations

import numpy as np

from processors.dedup.contradiction import contradicts
from processors.dedup.minhash import DEFAULT, MinHashParams, band_keys, containment


def near_match(sig_a: np.ndarray, markers_a: list[str], sig_b: np.ndarray,
               markers_b: list[str], params: MinHashParams = DEFAULT) -> float | None:
    """Estimated similarity if the two articles are near-duplicates, else None.

    Near-duplicate = estimated smaller containment (``minhash.containment``: the share of
    the longer text found in the other) >= ``params.threshold`` and no contradiction
    (polarity flip, changed number or date) between their markers."""
    if np.shape(sig_a) != np.shape(sig_b):
        return None  # signatures of other parameters (stored before a change): not comparable
    sim = containment(sig_a, sig_b)
    if sim < params.threshold or contradicts(markers_a, markers_b):
        return None
    return sim


def _band_ints(sig: np.ndarray, params: MinHashParams) -> list[int]:
    """Band keys as ints (band index in the top bits): same buckets, far less memory."""
    return [(int(k[:2]) << 64) | int(k[3:], 16) for k in band_keys(sig, params)]


class NearDuplicateIndex:
    """LSH buckets over MinHash signatures; the first-seen article is the canonical one.

    Memory per article: its signature (4 bytes x num_perm in one growing uint32 matrix), its
    markers tuple and one bucket entry per band (an int, or a list once a bucket is shared).
    """

    def __init__(self, params: MinHashParams = DEFAULT) -> None:
        self.params = params
        self.ids: list[str] = []
        self.canonical: list[int] = []  # row of the canonical article of each row
        self.markers: list[tuple[str, ...]] = []
        self._sigs = np.empty((1024, params.num_perm), dtype=np.uint32)
        self._buckets: dict[int, int | list[int]] = {}
        self.candidates_checked = 0

    def __len__(self) -> int:
        return len(self.ids)

    def _store(self, sig: np.ndarray, markers: list[str], canonical: int | None) -> int:
        row = len(self.ids)
        if row == self._sigs.shape[0]:
            grown = np.empty((row * 2, self.params.num_perm), dtype=np.uint32)
            grown[:row] = self._sigs
            self._sigs = grown
        self._sigs[row] = sig
        self.markers.append(tuple(markers))
        self.canonical.append(row if canonical is None else canonical)
        return row

    def query(self, sig: np.ndarray, markers: list[str],
              keys: list[int] | None = None) -> tuple[int, float] | None:
        """Best earlier near-duplicate as (row, similarity); earliest first on ties."""
        seen: set[int] = set()
        best: tuple[int, float] | None = None
        for key in _band_ints(sig, self.params) if keys is None else keys:
            rows = self._buckets.get(key)
            if rows is None:
                continue
            for row in (rows,) if isinstance(rows, int) else rows:
                if row in seen:
                    continue
                seen.add(row)
                self.candidates_checked += 1
                sim = near_match(sig, list(markers), self._sigs[row],
                                 list(self.markers[row]), self.params)
                root = self.canonical[row]
                if sim is not None and root != row and contradicts(
                        list(markers), list(self.markers[root])):
                    sim = None  # joining the cluster would contradict its canonical article
                if sim is not None and (best is None or sim > best[1]
                                        or (sim == best[1] and row < best[0])):
                    best = (row, sim)
        return best

    def add(self, article_id: str, sig: np.ndarray,
            markers: list[str]) -> tuple[str, float] | None:
        """Index an article; return (canonical first-seen id, similarity) if it is a
        near-duplicate of an earlier article, else None (it becomes canonical itself)."""
        keys = _band_ints(sig, self.params)
        hit = self.query(sig, markers, keys)
        canonical = None if hit is None else self.canonical[hit[0]]
        row = self._store(sig, markers, canonical)
        self.ids.append(article_id)
        for key in keys:
            rows = self._buckets.get(key)
            if rows is None:
                self._buckets[key] = row
            elif isinstance(rows, int):
                self._buckets[key] = [rows, row]
            else:
                rows.append(row)
        if hit is None:
            return None
        return self.ids[canonical], hit[1]
