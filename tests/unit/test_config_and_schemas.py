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
