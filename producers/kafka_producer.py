"""Publish articles to ``articles.raw`` with kafka-python (acks=all, idempotent, gzip)."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from kafka import KafkaProducer
from kafka.errors import KafkaError

from marsad.config import Settings
from marsad.kafka_admin import check_reachable, client_options
from marsad.schemas import SCHEMA_VERSION
from producers.article_reader import ReadResult

log = logging.getLogger("marsad.producer")


@dataclass
class ProduceSummary:
    """What a produce run did."""

    sent: int = 0
    invalid: list[tuple[str, str]] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def reasons(self) -> Counter[str]:
        return Counter(reason for _, reason in self.invalid)


def make_producer(settings: Settings) -> KafkaProducer:
    """A durable producer: every send waits for all in-sync replicas."""
    check_reachable(settings)
    return KafkaProducer(
        **client_options(settings),
        acks="all",
        enable_idempotence=True,
        compression_type="gzip",
        linger_ms=20,
        retries=2_147_483_647,
        delivery_timeout_ms=120_000,
        max_in_flight_requests_per_connection=5,
        client_id="marsad-producer",
    )


def encode(article: dict) -> bytes:
    """The JSON bytes of a RawArticle message."""
    return json.dumps({**article, "schema_version": SCHEMA_VERSION},
                      ensure_ascii=False).encode("utf-8")


def produce(settings: Settings, items: Iterable[ReadResult], progress=None,
            producer: KafkaProducer | None = None) -> ProduceSummary:
    """Send every valid item to ``articles.raw`` keyed by article id; report the rest."""
    topic = settings.topic("articles.raw")
    own = producer is None
    producer = producer or make_producer(settings)
    summary = ProduceSummary()
    pending = []
    try:
        for item in items:
            if item.article is None:
                summary.invalid.append((item.origin, item.error or "invalid"))
                log.warning("invalid input", extra={"origin": item.origin, "reason": item.error})
            else:
                future = producer.send(topic, key=item.article["article_id"].encode(),
                                       value=encode(item.article))
                pending.append((item.origin, future))
            if progress is not None:
                progress()
        producer.flush()
        for origin, future in pending:
            try:
                future.get(timeout=60)
                summary.sent += 1
            except KafkaError as exc:
                summary.failed.append((origin, str(exc)))
    finally:
        if own:
            producer.close()
    return summary
