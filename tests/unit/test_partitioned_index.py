"""The partitioned near-duplicate index: routing, buckets, first-seen decisions."""

from __future__ import annotations

import itertools
import random

from processors.dedup import partitioned_index as index
from processors.dedup.partitioned_index import Match, Pending


def test_band_partition_is_stable_and_spread() -> None:
    keys = [f"{b:02d}:{random.Random(b).getrandbits(64):016x}" for b in range(400)]
    parts = [index.band_partition(k, 4) for k in keys]
    assert parts == [index.band_partition(k, 4) for k in keys]  # deterministic
    assert index.band_partition("07:9f3a2b1c4d5e6f70", 4) == 1  # fixed across processes
    counts = [parts.count(p) for p in range(4)]
    assert min(counts) > 60, counts


def test_group_by_partition_covers_every_band_once() -> None:
    keys = [f"{b:02d}:{b * 7919:016x}" for b in range(32)]
    groups = index.group_by_partition(keys, 4)
    assert sorted(itertools.chain.from_iterable(groups.values())) == sorted(keys)
    assert all(index.band_partition(k, 4) == p for p, ks in groups.items() for k in ks)


def test_order_key_sorts_by_time_then_id_and_round_trips() -> None:
    a = index.order_key(1_700_000_000_000, "zzz")
    b = index.order_key(1_700_000_000_001, "aaa")
    assert a < b
    assert index.order_article(b) == "aaa"
    assert index.order_day(a) == 1_700_000_000_000 // index.DAY_MS
    assert index.order_key(5, "x") < index.order_key(40, "x")  # zero-padded, not lexical


def test_join_bucket_keeps_earliest_members_without_repeats() -> None:
    orders = [index.order_key(t, f"a{t}") for t in (50, 10, 30, 20, 40)]
    bucket: list[str] | None = None
    for order in orders:
        bucket = index.join_bucket(bucket, order, capacity=3)
    assert bucket == sorted(orders)[:3]
    assert index.join_bucket(bucket, orders[1], 3) is bucket  # already there: unchanged


def test_expired_uses_the_window_in_days() -> None:
    order = index.order_key(10 * index.DAY_MS, "a")
    assert not index.expired(order, today=40, window_days=30)
    assert index.expired(order, today=41, window_days=30)


def test_split_matches_and_first_seen() -> None:
    me = index.order_key(100, "me")
    early = Match("early", index.order_key(50, "early"), 0.8)
    earliest = Match("earliest", index.order_key(10, "earliest"), 0.75)
    late = Match("late", index.order_key(200, "late"), 0.9)
    earlier, later = index.split_matches(me, [early, late, earliest])
    assert earlier == [early, earliest] and later == [late]
    assert index.first_seen(earlier) == earliest
    assert index.first_seen([]) is None


def test_pending_waits_for_the_story_and_every_partition() -> None:
    state = Pending()
    state.add_verdict(2, [])
    assert not state.complete()
    state.expected, state.arrived, state.order = [0, 2, 3], True, "o"
    state.add_verdict(3, [Match("b", "0002:b", 0.8)])
    state.add_verdict(3, [])  # a redelivered verdict does not count twice
    assert not state.complete()
    state.add_verdict(0, [Match("a", "0001:a", 0.72)])
    assert state.complete()
    assert state.best == Match("a", "0001:a", 0.72)
    again = Pending.from_data(state.to_data())
    assert again == state


def test_late_match_corrects_an_original_or_a_later_canonical_only() -> None:
    original = index.decided_record("0005:x", None)
    copy_of_b = index.decided_record("0005:x", Match("b", "0003:b", 0.9))
    earlier = Match("a", "0001:a", 0.8)
    later = Match("c", "0004:c", 0.8)
    assert index.correction(original, later) == later
    assert index.correction(copy_of_b, earlier) == earlier
    assert index.correction(copy_of_b, later) is None
    again = Match("b", "0003:b", 0.9)  # the same finding redelivered: sent again
    assert index.correction(copy_of_b, again) == again
    assert index.correction(None, earlier) is None
    assert index.decided_match(copy_of_b) == Match("b", "0003:b", 0.9)
    assert index.decided_match(original) is None


def test_any_arrival_order_reports_the_pair_to_the_later_story() -> None:
    """Simulate one band partition: whichever of two copies arrives first, the later-seen
    one learns of the earlier (by a direct or a late verdict), never the reverse."""
    first, second = index.order_key(1, "first"), index.order_key(2, "second")
    for arrivals in ((first, second), (second, first)):
        bucket: list[str] | None = None
        told: dict[str, list[str]] = {"first": [], "second": []}
        for order in arrivals:
            members = bucket or []
            found = [Match(index.order_article(m), m, 0.9) for m in members]
            earlier, later = index.split_matches(order, found)
            told[index.order_article(order)] += [m.article_id for m in earlier]
            for match in later:
                told[match.article_id].append(index.order_article(order))
            bucket = index.join_bucket(bucket, order, 8)
        assert told == {"first": [], "second": ["first"]}


def test_bucket_index_returns_earlier_members_and_keeps_the_earliest() -> None:
    buckets = index.BucketIndex(capacity=2)
    a, b, c = (index.order_key(t, n) for t, n in ((30, "a"), (10, "b"), (20, "c")))
    band = "07:9f3a2b1c4d5e6f70"
    assert buckets.join(band, a) == ()
    assert buckets.join(band, b) == (a,)
    assert buckets.join(band, b) == (b, a)  # a repeat changes nothing
    assert buckets.join(band, c) == (b, a)
    assert buckets.join(band, a) == (b, c)  # a fell out: only the two earliest stay
    assert buckets.join("08:9f3a2b1c4d5e6f70", a) == ()  # another band, another bucket
    assert len(buckets) == 2


def test_bucket_index_expiry() -> None:
    buckets = index.BucketIndex()
    old, new = index.order_key(1 * index.DAY_MS, "old"), index.order_key(40 * index.DAY_MS, "n")
    buckets.join("01:00000000000000ff", old)
    buckets.join("01:00000000000000ff", new)
    buckets.join("02:00000000000000ff", old)
    assert buckets.expire(today=41, window_days=30) == 2
    assert len(buckets) == 1
    assert buckets.join("01:00000000000000ff", old) == (new,)
