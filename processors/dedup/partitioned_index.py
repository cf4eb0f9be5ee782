"""The near-duplicate index spread over partitions: routing, buckets and decisions.

Pure logic behind the streaming near-duplicate stage (``processors.near_dedup``):

1. A new story's MinHash bands are grouped by the partition that owns each band
   (``band_partition``: a stable hash, not Python's salted one), one probe per partition.
   Every story sharing a band therefore meets in one partition, whichever worker cleaned it.
2. In its partition a probe joins each band's bucket (``join_bucket``) and is compared with
   the bucket's members (``split_matches``): members seen *earlier* are reported to the
   story itself, members seen *later* (they arrived at this partition first) are told
   the story precedes them, so the first-seen story always wins, whatever the arrival order.
3. The story's home partition collects one verdict per probed partition (``Pending``) and
   decides once all are in; a late verdict after the decision becomes a correction.

First-seen order is the ``order`` string: the clean message's timestamp (ms, zero-padded)
and the article id, so it sorts as text and survives replays.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

DAY_MS = 86_400_000
_ORDER_DIGITS = 15


def band_partition(band_key: str, partitions: int) -> int:
    """The partition that owns a band key (stable across processes and hosts)."""
    digest = hashlib.blake2b(band_key.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % partitions


def group_by_partition(band_keys: Iterable[str], partitions: int) -> dict[int, list[str]]:
    """Band keys grouped by owning partition (one probe message per partition)."""
    groups: dict[int, list[str]] = defaultdict(list)
    for key in band_keys:
        groups[band_partition(key, partitions)].append(key)
    return dict(sorted(groups.items()))


def order_key(timestamp_ms: int, article_id: str) -> str:
    """First-seen order of a story: sorts by time, then by id."""
    return f"{max(timestamp_ms, 0):0{_ORDER_DIGITS}d}:{article_id}"


def order_article(order: str) -> str:
    """The article id inside an order key."""
    return order[_ORDER_DIGITS + 1:]


def order_day(order: str) -> int:
    """The arrival day (days since the epoch) inside an order key."""
    return int(order[:_ORDER_DIGITS]) // DAY_MS


def join_bucket(members: list[str] | None, order: str, capacity: int) -> list[str]:
    """The bucket after ``order`` joins: sorted, no repeats, the ``capacity`` earliest kept.

    Keeping the earliest members bounds a bucket of boilerplate-like bands while keeping
    the stories that can be first-seen originals.
    """
    current = members or []
    if order in current:
        return current
    return sorted([*current, order])[:capacity]


def expired(order: str, today: int, window_days: int) -> bool:
    """Whether a story arrived more than ``window_days`` before ``today``."""
    return today - order_day(order) > window_days


class BucketIndex:
    """The LSH buckets of one worker, in memory: band key -> orders of the earliest stories
    having that band (at most ``capacity``).

    Derived state: every entry comes from a story's signature, which is kept in a Faust table
    (one changelog record per story and partition, instead of one per band), so a worker
    rebuilds its buckets while it recovers that table. Compact on purpose: integer keys, and
    a bare order string for the many buckets holding a single story.
    """

    def __init__(self, capacity: int = 8) -> None:
        self.capacity = capacity
        self._buckets: dict[int, str | tuple[str, ...]] = {}

    @staticmethod
    def _key(band: str) -> int:
        index, _, digest = band.partition(":")
        return (int(index) << 64) | int(digest, 16)

    def join(self, band: str, order: str) -> tuple[str, ...]:
        """Add ``order`` to the band's bucket; return the members it had before."""
        key = self._key(band)
        current = self._buckets.get(key)
        members = () if current is None else (current,) if isinstance(current, str) \
            else current
        if order not in members:
            joined = join_bucket(list(members), order, self.capacity)
            self._buckets[key] = joined[0] if len(joined) == 1 else tuple(joined)
        return members

    def expire(self, today: int, window_days: int) -> int:
        """Drop members older than the window; return how many were dropped."""
        dropped = 0
        for key, value in list(self._buckets.items()):
            members = (value,) if isinstance(value, str) else value
            kept = tuple(m for m in members if not expired(m, today, window_days))
            dropped += len(members) - len(kept)
            if not kept:
                del self._buckets[key]
            elif len(kept) != len(members):
                self._buckets[key] = kept[0] if len(kept) == 1 else kept
        return dropped

    def __len__(self) -> int:
        return len(self._buckets)


@dataclass(frozen=True)
class Match:
    """An earlier or later story found near-identical, with its similarity."""

    article_id: str
    order: str
    similarity: float

    def as_list(self) -> list:
        return [self.article_id, self.order, self.similarity]

    @classmethod
    def from_list(cls, item: list) -> Match:
        return cls(str(item[0]), str(item[1]), float(item[2]))


def split_matches(order: str, found: Iterable[Match]) -> tuple[list[Match], list[Match]]:
    """Matches seen before ``order`` and matches seen after it."""
    earlier, later = [], []
    for match in found:
        if match.order < order:
            earlier.append(match)
        elif match.order > order:
            later.append(match)
    return earlier, later


def first_seen(matches: Iterable[Match]) -> Match | None:
    """The canonical among matches: the earliest seen (ties: the most similar)."""
    return min(matches, key=lambda m: (m.order, -m.similarity), default=None)


@dataclass
class Pending:
    """A story waiting at its home partition for the verdict of every probed partition.

    Small on purpose: it is rewritten (and its changelog record sent) at every verdict, while
    the story's text is parked once in a table of its own.
    """

    expected: list[int] | None = None  # probed band partitions, known once the story arrives
    answered: set[int] = field(default_factory=set)
    best: Match | None = None
    order: str | None = None
    arrived: bool = False  # the story itself has arrived (and is parked beside the state)

    def add_verdict(self, partition: int | None, matches: Iterable[Match]) -> None:
        """Record one partition's verdict (repeats of the same partition are harmless)."""
        if partition is not None:
            self.answered.add(partition)
        self.best = first_seen([*matches, *([self.best] if self.best else [])])

    def complete(self) -> bool:
        """Whether the story and every verdict it waits for have arrived."""
        return (self.arrived and self.expected is not None
                and self.answered.issuperset(self.expected))

    def to_data(self) -> dict:
        return {"expected": self.expected, "answered": sorted(self.answered),
                "best": self.best.as_list() if self.best else None, "order": self.order,
                "arrived": self.arrived}

    @classmethod
    def from_data(cls, data: dict | None) -> Pending:
        if not data:
            return cls()
        best = data.get("best")
        return cls(expected=data.get("expected"), answered=set(data.get("answered") or ()),
                   best=Match.from_list(best) if best else None, order=data.get("order"),
                   arrived=bool(data.get("arrived")))


def decided_record(order: str, best: Match | None) -> list:
    """The stored decision of a story: ``[order, canonical id, canonical order, similarity]``
    (empty canonical for an original)."""
    if best is None:
        return [order, "", "", 0.0]
    return [order, best.article_id, best.order, best.similarity]


def decided_match(record: list) -> Match | None:
    """The canonical of a stored decision, or None for an original."""
    _, canonical, canonical_order, similarity = record
    return Match(canonical, canonical_order, float(similarity)) if canonical else None


def correction(record: list | None, late: Match) -> Match | None:
    """A late match for a decided story: the new canonical if it is earlier (or the same one
    again, so a correction lost with a crashed worker is sent again), else None."""
    if not record:
        return None
    current = decided_match(record)
    if current is None or late.order <= current.order:
        return late
    return None
