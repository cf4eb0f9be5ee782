"""Near-duplicate dedup with two workers over four partitions (issue 4).

Copies are keyed (by their URLs) to other partitions than their originals, so a copy is
cleaned by whichever worker holds its partition and its bands must still meet the
original's. Mid-stream a worker is killed with SIGKILL and restarted: the dedup state comes
back from its changelog topics and no copy slips through. Pairs sent back to back test the
first-seen rule when both arrive at once, and a replay of every topic adds no row.

Own broker and database (topic prefix ``dedupc``), so the session services stay untouched.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest
from kafka.partitioner.default import murmur2
from sqlalchemy import select

from infra.processes import read_pid
from marsad.schemas import parse_raw_article
from processors import stages
from processors.dedup import contradiction, minhash
from processors.dedup.near import NearDuplicateIndex
from producers.article_reader import ReadResult, article_id, read_source
from producers.kafka_producer import encode, produce
from sinks.database import make_engine
from sinks.tables import articles, event_sources, events
from tests.conftest import SHARED
from tests.integration.conftest import Services, launch_services, shutdown_services

pytestmark = pytest.mark.integration

CORPUS = SHARED / "data" / "articles" / "saudinewsnet_2015_conflict_sample.jsonl"
PARTITIONS = 4
ORIGINALS = 24  # phase 1 and 2
PAIRS = 8  # phase 3: an original and its copy sent back to back


def _partition(article: dict) -> int:
    return (murmur2(article["article_id"].encode()) & 0x7FFFFFFF) % PARTITIONS


def _distinct_originals() -> list[dict]:
    """Single-story articles of the corpus that are neither exact nor near copies of each
    other (decided by the project's own pure stages)."""
    index = NearDuplicateIndex()
    seen_hashes: set[str] = set()
    chosen = []
    for item in read_source(str(CORPUS)):
        if item.article is None:
            continue
        raw = parse_raw_article(encode(item.article), 1_000_000)
        try:
            stories = stages.clean_stage(raw)
        except Exception:
            continue
        if len(stories) != 1 or stories[0].text_hash in seen_hashes:
            continue
        text = stories[0].text
        sig = minhash.signature(text)
        if index.add(raw.article_id, sig, contradiction.polarity_markers(text)) is not None:
            continue
        seen_hashes.add(stories[0].text_hash)
        chosen.append(item.article)
    return chosen


def _copy(original: dict, kind: str, n: int) -> dict:
    """Another outlet's copy of ``original``, keyed to another partition than it."""
    paragraphs = [p for p in original["text"].split("\n") if p.strip()]
    if kind == "trimmed" and len(paragraphs) >= 4:
        text = "\n".join(paragraphs[:-1])
    elif kind == "exact":
        text = original["text"]
    else:
        text = "\n".join(["خبر محدث: " + (original.get("title") or "تطورات جديدة"),
                          *paragraphs])
    for attempt in range(50):
        url = f"https://copies.example/{kind}/{n}/{attempt}"
        copy = {**original, "url": url, "outlet": "Copies Wire", "text": text,
                "article_id": article_id(url, text)}
        if _partition(copy) != _partition(original):
            return copy
    raise AssertionError("no URL keyed to another partition")


def _items(articles_: list[dict]) -> list[ReadResult]:
    return [ReadResult(origin=a["article_id"], article=a) for a in articles_]


def _articles(svc: Services) -> dict[str, dict]:
    engine = make_engine(svc.settings)
    try:
        with engine.connect() as conn:
            return {r.id: dict(r._mapping) for r in conn.execute(select(articles))}
    finally:
        engine.dispose()


def _snapshot(svc: Services) -> dict:
    engine = make_engine(svc.settings)
    try:
        with engine.connect() as conn:
            return {t.name: sorted(tuple(r) for r in conn.execute(
                        select(*(c for c in t.c if c.name not in {"created_at", "updated_at"}))))
                    for t in (articles, events, event_sources)}
    finally:
        engine.dispose()


def _root(rows: dict[str, dict], article: str) -> str:
    seen = set()
    while rows[article]["duplicate_of"] and article not in seen:
        seen.add(article)
        article = rows[article]["duplicate_of"]
    return article


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    svc = launch_services(tmp_path_factory.mktemp("dedup-cluster"), "dedupc")
    try:
        yield svc
    finally:
        shutdown_services(svc)


def test_two_workers_catch_every_copy_through_a_crash_and_a_replay(cluster: Services) -> None:
    corpus = _distinct_originals()
    assert len(corpus) >= ORIGINALS + PAIRS, "the corpus has too few distinct articles"
    originals, paired = corpus[:ORIGINALS], corpus[ORIGINALS:ORIGINALS + PAIRS]
    kinds = ("exact", "headline", "trimmed")
    copies = {}
    for n, original in enumerate(originals):
        copy = _copy(original, kinds[n % 3], n)
        copies[copy["article_id"]] = original["article_id"]
    started = time.monotonic()

    # Phase 1: the originals, through one worker.
    first = cluster.start_worker("d1")
    assert produce(cluster.settings, _items(originals)).sent == ORIGINALS
    cluster.wait_drained()

    # Phase 2: a second worker joins; the copies stream in; worker 1 is killed and restarted.
    cluster.start_worker("d2")
    copy_items = _items([_copy(o, kinds[n % 3], n) for n, o in enumerate(originals)])
    half = len(copy_items) // 2
    assert produce(cluster.settings, copy_items[:half]).sent == half
    os.kill(read_pid(first), signal.SIGKILL)
    cluster.workers.remove(first)  # dead on purpose: not a failure of the drain
    assert produce(cluster.settings, copy_items[half:]).sent == len(copy_items) - half
    cluster.start_worker("d1-restarted")
    cluster.wait_drained(timeout=300)

    rows = _articles(cluster)
    caught = {c: rows[c]["duplicate_of"] for c in copies if c in rows}
    missed = [c for c, found in caught.items() if _root(rows, c) != copies[c]]
    print(f"\n[dedup-cluster] originals={ORIGINALS} copies={len(copies)} stored={len(rows)} "
          f"caught={len(caught) - len(missed)} missed={len(missed)} "
          f"near={sum(r['dedup_method'] == 'near' for r in rows.values())} "
          f"after={time.monotonic() - started:.0f}s")
    assert len(rows) == ORIGINALS + len(copies), sorted(set(copies) - set(rows))
    assert not missed, [(c, rows[c]["duplicate_of"], rows[c]["dedup_method"]) for c in missed]
    assert all(rows[o["article_id"]]["duplicate_of"] is None for o in originals)

    # Phase 3: originals and copies sent back to back: one of each pair is canonical.
    pairs = [(o, _copy(o, "headline", 1000 + n)) for n, o in enumerate(paired)]
    assert produce(cluster.settings, _items([a for pair in pairs for a in pair])).sent == 2 * PAIRS
    cluster.wait_drained(timeout=300)
    rows = _articles(cluster)
    for original, copy in pairs:
        a, b = original["article_id"], copy["article_id"]
        roots = {_root(rows, a), _root(rows, b)}
        assert len(roots) == 1 and roots <= {a, b}, (rows[a]["duplicate_of"],
                                                     rows[b]["duplicate_of"])

    # Phase 4: replaying every topic adds and changes nothing.
    before = _snapshot(cluster)
    cluster.stop_workers()
    cluster.marsad("replay")
    cluster.start_worker("d-replay")
    cluster.wait_drained(timeout=300)
    after = _snapshot(cluster)
    for table, rows_before in before.items():
        changed = sorted(set(rows_before) ^ set(after[table]))
        assert not changed, (table, changed[:6])
