"""The pure stage functions between messages: clean, dedup decision, event records."""

from __future__ import annotations

import json
from datetime import date

import pytest

from marsad.schemas import InvalidMessage, RawArticle
from processors import stages
from processors.coder.model import Actor, CodedEvent, Place
from sinks.postgres_writer import article_row, event_row


def _raw(text: str, **fields) -> RawArticle:
    return RawArticle(article_id="a1", text=text, **fields)


def test_clean_stage_splits_glued_seed_and_ids_parts(seed_texts):
    stories = stages.clean_stage(_raw(seed_texts["000_70db0e24f020f7b9"]))
    assert [(s.article_id, s.part, s.parts) for s in stories] == [("a1", 1, 2), ("a1-2", 2, 2)]
    assert stories[0].text_hash != stories[1].text_hash


def test_clean_stage_takes_publication_date_from_dateline(seed_texts):
    (story,) = stages.clean_stage(_raw(seed_texts["002_211c947fa9c0ab59"]))
    assert story.published_at == "2016-04-24"
    (story,) = stages.clean_stage(_raw(seed_texts["002_211c947fa9c0ab59"],
                                       published_at="2016-04-25"))
    assert story.published_at == "2016-04-25"  # the feed's date wins


def test_clean_stage_rejects_non_arabic_and_pure_boilerplate():
    with pytest.raises(InvalidMessage) as err:
        stages.clean_stage(_raw("The weather in London was fine and nothing happened today."))
    assert err.value.code == "not_arabic"
    with pytest.raises(InvalidMessage) as err:
        stages.clean_stage(_raw("شارك\nطباعة\n• 4"))
    assert err.value.code == "no_text"


def test_dedup_decision(seed_texts):
    (story,) = stages.clean_stage(_raw(seed_texts["004_253fab160f49c0ae"]))
    assert stages.dedup_exact(story, None).duplicate_of is None
    assert stages.dedup_exact(story, "a1").duplicate_of is None  # a replay of itself
    copy = stages.dedup_exact(story, "z9")
    assert (copy.duplicate_of, copy.similarity, copy.method) == ("z9", 1.0, "exact")


def _event(**changes) -> CodedEvent:
    base = dict(event_type="Battles", sub_event_type="Armed clash", cameo_code="190",
                plover_type="FIGHT", actor1=Actor("Military Forces of Libya (2016-2021)", 1),
                actor2=Actor("Islamic State (Libya)", 2),
                place=Place("Sirte", 31.2089, 16.5887, "Surt", "Libya", 1),
                event_date=date(2016, 6, 15), time_precision=1, fatalities=None,
                evidence="صدت القوات الليبية هجوما لمسلحي داعش في سرت", evidence_start=0,
                evidence_end=44, confidence=0.9, coder_version="t")
    base.update(changes)
    return CodedEvent(**base)


def test_event_ids_are_deterministic_and_content_based():
    a, b = _event(), _event()
    assert stages.event_id("a1", a) == stages.event_id("a1", b)
    assert stages.event_id("a1", a) != stages.event_id("a2", a)
    assert stages.event_id("a1", a) != stages.event_id("a1", _event(event_date=date(2016, 6, 16)))


def test_event_record_and_rows_carry_every_field():
    record = stages.event_record("a1", _event(fatalities=7))
    row = event_row(record)
    assert row["event_date"] == date(2016, 6, 15) and row["fatalities"] == 7
    assert row["place_name"] == "Sirte" and row["actor1_inter"] == 1
    assert row["extractor_version"] == "t"
    assert json.loads(json.dumps(record.to_representation()))["event_type"] == "Battles"


def test_article_row_parses_timestamps(seed_texts):
    (story,) = stages.clean_stage(_raw(seed_texts["003_7406feebf9d13ce2"],
                                       published_at="2016-06-16T10:00:00Z"))
    row = article_row(stages.dedup_exact(story, None))
    assert row["published_at"].isoformat() == "2016-06-16T10:00:00+00:00"
    assert row["duplicate_of"] is None and row["part"] == 1
