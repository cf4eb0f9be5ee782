"""Security basics (issue 5, item 6): secrets never shown, endpoints on loopback by default."""

from __future__ import annotations

import logging

from marsad.config import load_settings
from tests.conftest import ROOT

SECRETS = {
    "MARSAD_DATABASE_URL": "postgresql+psycopg://marsad:hunter2-pw@db.example:5432/marsad",
    "MARSAD_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
    "MARSAD_KAFKA_SASL_USERNAME": "svc-user",
    "MARSAD_KAFKA_SASL_PASSWORD": "s3cr3t-sasl",
}


def test_settings_repr_and_str_hide_secrets() -> None:
    settings = load_settings(SECRETS)
    for shown in (repr(settings), str(settings), f"{settings}", f"{settings!r}"):
        assert "hunter2-pw" not in shown and "s3cr3t-sasl" not in shown
        assert "svc-user" not in shown
        assert "db.example:5432" in shown  # the rest stays readable
    assert settings.database_url.endswith("hunter2-pw@db.example:5432/marsad")


def test_logging_settings_hides_secrets(caplog) -> None:
    settings = load_settings(SECRETS)
    with caplog.at_level(logging.INFO):
        logging.getLogger("marsad.test").info("settings %s", settings,
                                              extra={"settings": settings})
    assert "hunter2-pw" not in caplog.text and "s3cr3t-sasl" not in caplog.text


def test_invalid_secret_value_is_not_echoed() -> None:
    try:
        load_settings({"MARSAD_DATABASE_URL": "mysql://root:hunter2-pw@x/db"})
    except ValueError as exc:
        assert "hunter2-pw" not in str(exc)
    else:
        raise AssertionError("a non-PostgreSQL URL was accepted")


def test_worker_endpoints_bind_loopback_by_default() -> None:
    assert load_settings({}).web_host == "127.0.0.1"
    # Faust binds 0.0.0.0 unless web_bind is given: the app must pass the configured host
    assert "web_bind=settings.web_host" in (ROOT / "processors" / "app.py").read_text()
