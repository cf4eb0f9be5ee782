"""Configuration validation and message validation (the dead-letter reasons)."""

from __future__ import annotations

import json

import pytest

from marsad.config import ConfigError, load_settings
from marsad.schemas import InvalidMessage, parse_raw_article

TEXT = "قصفت الطائرات مواقع لتنظيم داعش في مدينة سرت الليبية صباح اليوم."


def test_defaults_are_valid_and_local():
    s = load_settings({})
    assert s.kafka_bootstrap == "127.0.0.1:39092" and s.partitions == 4
    assert s.database_host == "127.0.0.1" and s.topic("events") == "marsad.events"


def test_every_problem_is_reported_at_once_and_secrets_hidden():
    with pytest.raises(ConfigError) as err:
        load_settings({"MARSAD_PARTITIONS": "zero", "MARSAD_KAFKA_BOOTSTRAP": "nohost",
                       "MARSAD_DATABASE_URL": "mysql://u:secret@h/db", "MARSAD_TYPO": "1"})
    message = str(err.value)
    for part in ("MARSAD_PARTITIONS", "MARSAD_KAFKA_BOOTSTRAP", "MARSAD_DATABASE_URL",
                 "MARSAD_TYPO"):
        assert part in message
    assert "secret" not in message


def test_password_hidden_in_safe_url():
    s = load_settings({"MARSAD_DATABASE_URL": "postgresql://u:pw@db.example:5433/x"})
    assert "pw" not in s.database_url_safe and s.database_port == 5433


def _payload(**fields) -> bytes:
    return json.dumps({"article_id": "a1", "text": TEXT, **fields}).encode()


def test_valid_message_parses():
    raw = parse_raw_article(_payload(published_at="2016-06-16"), 10_000)
    assert raw.article_id == "a1" and raw.published_at == "2016-06-16"


@pytest.mark.parametrize(("payload", "code"), [
    (b"\xff\xfe", "not_utf8"),
    (b"{not json", "bad_json"),
    (b"[1, 2]", "bad_json"),
    (json.dumps({"text": TEXT}).encode(), "missing_field"),
    (json.dumps({"article_id": "a", "text": 5}).encode(), "wrong_type"),
    (json.dumps({"article_id": "a", "text": "قصير"}).encode(), "empty_body"),
    (json.dumps({"article_id": "a", "text": TEXT, "published_at": "yesterday"}).encode(),
     "bad_date"),
    (json.dumps({"article_id": "a", "text": TEXT, "schema_version": 9}).encode(), "bad_version"),
    (json.dumps({"article_id": "a", "text": TEXT * 100}).encode(), "too_large"),
])
def test_invalid_messages_have_reasons(payload, code):
    with pytest.raises(InvalidMessage) as err:
        parse_raw_article(payload, 2_000)
    assert err.value.code == code


def test_records_are_utf8_json_and_read_escaped_json_too():
    from marsad.schemas import CleanArticle, DedupedArticle

    story = CleanArticle(article_id="a1", parent_id="a1", part=1, parts=1, text=TEXT,
                         text_hash="h")
    decision = DedupedArticle(article=story, duplicate_of="a0", similarity=0.9, method="near")
    data = decision.dumps()
    assert TEXT.encode("utf-8") in data and b"\\u" not in data  # UTF-8, no escapes
    assert DedupedArticle.loads(data) == decision
    # a message written by faust's stock codec (every Arabic letter escaped) still reads
    escaped = json.dumps(json.loads(data)).encode()
    assert b"\\u" in escaped and DedupedArticle.loads(escaped) == decision


def test_producer_linger_setting():
    assert load_settings({}).producer_linger_ms >= 0
    assert load_settings({"MARSAD_PRODUCER_LINGER_MS": "7"}).producer_linger_ms == 7
    with pytest.raises(ConfigError):
        load_settings({"MARSAD_PRODUCER_LINGER_MS": "-1"})


def test_log_summary_keeps_every_article_id(caplog):
    import logging

    from marsad.logs import Summary

    logger = logging.getLogger("marsad.test.summary")
    summary = Summary(logger, "cleaned", max_ids=3)
    with caplog.at_level(logging.INFO, logger="marsad.test.summary"):
        for n in range(4):
            summary.add(f"a{n}", stories=2)
        summary.flush()
        summary.flush()  # nothing left: no empty line
    lines = [r for r in caplog.records if r.name == "marsad.test.summary"]
    assert [r.article_ids for r in lines] == ["a0 a1 a2", "a3"]
    assert [(r.count, r.stories) for r in lines] == [(3, 6), (1, 2)]
