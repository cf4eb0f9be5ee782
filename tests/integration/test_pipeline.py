"""The whole pipeline on a real Kafka broker and a real PostgreSQL server.

Seeds in → exact article rows, events, a re-sent copy marked duplicate, poison messages
dead-lettered, and a replay of every topic that leaves every row unchanged.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import select, text

from producers.article_reader import read_folder
from sinks.database import make_engine
from sinks.tables import articles, event_sources, events, rejected_messages
from tests.conftest import SEEDS

pytestmark = pytest.mark.integration


def _rows(services, table, order):
    engine = make_engine(services.settings)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(table).order_by(*order))]
    finally:
        engine.dispose()


def _snapshot(services):
    return {
        "articles": _rows(services, articles, [articles.c.id]),
        "events": _rows(services, events, [events.c.id]),
        "event_sources": _rows(services, event_sources,
                               [event_sources.c.event_id, event_sources.c.article_id]),
        "rejected": _rows(services, rejected_messages, [rejected_messages.c.id]),
    }


@pytest.fixture(scope="module")
def pipeline(services):
    """Seeds produced through one worker, plus a reprint and poison messages."""
    worker = services.start_worker("w1")
    services.marsad("produce", str(SEEDS))
    seed_004 = (SEEDS / "004_253fab160f49c0ae.txt").read_text(encoding="utf-8")
    reprint = {"text": seed_004, "url": "https://reprint.example/news/isis-libya",
               "outlet": "Reprint Daily", "published_at": "2019-10-02"}
    poison = [
        "{not json",
        json.dumps({"article_id": "x1", "text": 42}),
        json.dumps({"article_id": "x2", "text": "The weather was fine in London yesterday, "
                                                "and nothing else happened at all today."}),
    ]
    edited = {"text": edited_copy((SEEDS / NEAR_SOURCE).read_text(encoding="utf-8")),
              "url": "https://other.example/libya/sirte-story", "outlet": "Other Wire",
              "published_at": "2016-06-16"}
    services.marsad("produce", "-", stdin=json.dumps(reprint) + "\n" + json.dumps(edited) + "\n")
    _send_raw(services, poison)
    try:
        services.wait_drained()
    except Exception:
        print(services.worker_log(worker))
        raise
    return worker


NEAR_SOURCE = "003_7406feebf9d13ce2.txt"


def edited_copy(text: str) -> str:
    """Another outlet's edit of a story: a new headline, the last paragraph trimmed."""
    paragraphs = [p for p in text.split("\n") if p.strip()]
    return "\n".join(["عاجل: تفاصيل جديدة عن المواجهات في ليبيا", *paragraphs[:-1]])


def _send_raw(services, payloads: list[str]) -> None:
    from producers.kafka_producer import make_producer

    producer = make_producer(services.settings)
    try:
        for i, payload in enumerate(payloads):
            producer.send(services.settings.topic("articles.raw"), key=f"poison-{i}".encode(),
                          value=payload.encode("utf-8"))
        producer.flush()
    finally:
        producer.close()


def test_six_stories_from_five_files(services, pipeline):
    stored = _rows(services, articles, [articles.c.id])
    originals = [r for r in stored if r["duplicate_of"] is None]
    ids = {r.origin: r.article["article_id"] for r in read_folder(SEEDS)}
    expected = {(ids[name], 1) for name in ids} | {(ids["000_70db0e24f020f7b9.txt"] + "-2", 2)}
    assert {(r["id"], r["part"]) for r in originals} == expected
    by_source = {(r["source_name"], r["part"]): r for r in originals}
    assert by_source[("002_211c947fa9c0ab59.txt", 1)]["published_at"].date() == date(2016, 4, 24)
    assert by_source[("000_70db0e24f020f7b9.txt", 2)]["text"].startswith("أظهر مقطع فيديو")
    assert all("شارك" not in r["text"].split("\n") for r in originals)


def test_resent_seed_is_marked_duplicate(services, pipeline):
    stored = _rows(services, articles, [articles.c.id])
    copies = [r for r in stored if r["duplicate_of"] is not None]
    assert len(copies) == 2
    (copy,) = [r for r in copies if r["dedup_method"] == "exact"]
    original = next(r for r in stored if r["source_name"] == "004_253fab160f49c0ae.txt")
    assert copy["duplicate_of"] == original["id"]
    assert copy["outlet"] == "Reprint Daily" and copy["similarity"] == 1.0
    assert copy["dedup_method"] == "exact"
    links = _rows(services, event_sources, [event_sources.c.event_id])
    coded = {r["event_id"] for r in links if r["article_id"] == original["id"]}
    mentions = {r["event_id"] for r in links if r["article_id"] == copy["id"]}
    assert coded and mentions == coded  # the copy is a further source of every event
    assert all(r["relation"] == "duplicate" for r in links if r["article_id"] == copy["id"])


def test_edited_copy_is_a_near_duplicate_and_adds_no_event(services, pipeline):
    stored = _rows(services, articles, [articles.c.id])
    (copy,) = [r for r in stored if r["dedup_method"] == "near"]
    original = next(r for r in stored if r["source_name"] == NEAR_SOURCE)
    assert copy["outlet"] == "Other Wire" and copy["duplicate_of"] == original["id"]
    assert 0.7 <= copy["similarity"] < 1.0
    coded = {r["article_id"] for r in _rows(services, events, [events.c.id])}
    assert copy["id"] not in coded  # duplicates skip extraction
    links = _rows(services, event_sources, [event_sources.c.event_id])
    assert {r["event_id"] for r in links if r["article_id"] == copy["id"]} == \
        {r["event_id"] for r in links if r["article_id"] == original["id"]}


def test_incidents_view_gives_each_event_once_with_its_sources(services, pipeline):
    engine = make_engine(services.settings)
    try:
        with engine.connect() as conn:
            incidents = [dict(r._mapping) for r in conn.execute(text("SELECT * FROM incidents"))]
            merged = conn.execute(text("SELECT count(*) FROM events "
                                       "WHERE merged_into IS NOT NULL")).scalar_one()
    finally:
        engine.dispose()
    stored = _rows(services, events, [events.c.id])
    assert len(incidents) == len(stored) - merged
    assert all(i["source_count"] >= 1 and i["reports"] >= 1 for i in incidents)
    assert any(i["source_count"] >= 2 for i in incidents)  # the copies are further sources


def test_seed_events_are_stored_with_their_fields(services, pipeline):
    stored = _rows(services, events, [events.c.id])
    assert stored, "no events stored"
    for row in stored:
        assert row["event_type"] and row["sub_event_type"] and row["cameo_code"]
        assert row["plover_type"] and row["evidence"] and row["extractor_version"]
    sirte = [r for r in stored if r["place_name"] and "Sirte" in r["place_name"]
             and r["event_type"] == "Battles" and r["event_date"] == date(2016, 6, 15)]
    assert sirte, "the ISIS attack repelled in Sirte on 15 June 2016 is missing"
    strikes = [r for r in stored if r["sub_event_type"] == "Air/drone strike"
               and r["country"] == "Libya"]
    assert strikes, "no air strike in Libya stored"


def test_poison_messages_are_dead_lettered(services, pipeline):
    rejected = _rows(services, rejected_messages, [rejected_messages.c.id])
    codes = sorted(r["error_code"] for r in rejected)
    assert codes == ["bad_json", "not_arabic", "wrong_type"]
    assert all(r["stage"] == "clean" and r["source_topic"] == "itest.articles.raw"
               for r in rejected)
    assert any(r["payload"] == b"{not json" for r in rejected)
    listing = services.marsad("dlq", "list").stdout
    assert "bad_json" in listing and "not_arabic" in listing and "wrong_type" in listing


def test_replaying_every_topic_changes_nothing(services, pipeline):
    before = _snapshot(services)
    services.stop_workers()
    result = services.marsad("replay")
    assert "rewound" in result.stderr
    services.start_worker("w1-replay")
    services.wait_drained()
    after = _snapshot(services)
    for table in before:
        assert after[table] == before[table], f"{table} changed on replay"
    engine = make_engine(services.settings)
    with engine.connect() as conn:
        dupes = conn.execute(text("SELECT count(*) FROM articles GROUP BY text_hash, id "
                                  "HAVING count(*) > 1")).fetchall()
    engine.dispose()
    assert dupes == []
