"""Kafka administration with kafka-python: connection check, topic creation, offsets, lag."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from marsad.config import Settings
from marsad.topics import TOPICS


class BrokerUnavailable(RuntimeError):
    """The Kafka bootstrap servers cannot be reached."""


def client_options(settings: Settings) -> dict[str, Any]:
    """Connection options shared by every kafka-python client (security from the env)."""
    options: dict[str, Any] = {
        "bootstrap_servers": settings.kafka_bootstrap.split(","),
        "security_protocol": settings.kafka_security_protocol,
    }
    if settings.kafka_security_protocol.startswith("SASL"):
        options.update(sasl_mechanism=settings.kafka_sasl_mechanism,
                       sasl_plain_username=settings.kafka_sasl_username,
                       sasl_plain_password=settings.kafka_sasl_password)
    if settings.kafka_ssl_cafile:
        options["ssl_cafile"] = settings.kafka_ssl_cafile
    return options


def check_reachable(settings: Settings, timeout: float = 3.0) -> None:
    """Raise ``BrokerUnavailable`` at once if no bootstrap server accepts connections."""
    for server in settings.kafka_bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=timeout):
                return
        except OSError:
            continue
    raise BrokerUnavailable(
        f"cannot reach Kafka at {settings.kafka_bootstrap} (connection refused). Start the "
        "local broker with `marsad up`, or set MARSAD_KAFKA_BOOTSTRAP to a running cluster.")


def admin(settings: Settings, timeout_ms: int = 10_000) -> KafkaAdminClient:
    """An admin client, or ``BrokerUnavailable`` with a message saying what to do."""
    check_reachable(settings)
    try:
        return KafkaAdminClient(**client_options(settings), request_timeout_ms=timeout_ms,
                                client_id="marsad-admin")
    except (KafkaError, OSError) as exc:
        raise BrokerUnavailable(
            f"cannot reach Kafka at {settings.kafka_bootstrap} ({type(exc).__name__}). Start "
            "the local broker with `marsad up`, or set MARSAD_KAFKA_BOOTSTRAP to a running "
            "cluster."
        ) from exc


def ensure_topics(settings: Settings) -> list[str]:
    """Create every topic of ``marsad.topics`` that does not exist; return those created."""
    client = admin(settings)
    try:
        existing = set(client.list_topics())
        wanted = [NewTopic(settings.topic(t.name), settings.partitions, settings.replication,
                           topic_configs=t.config)
                  for t in TOPICS if settings.topic(t.name) not in existing]
        created: list[str] = []
        for topic in wanted:
            try:
                client.create_topics([topic])
                created.append(topic.name)
            except TopicAlreadyExistsError:
                pass
        return created
    finally:
        client.close()


@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    end_offset: int
    committed: int | None

    @property
    def lag(self) -> int:
        return self.end_offset - (self.committed or 0)


def consumer_group(settings: Settings) -> str:
    """The Faust consumer group (the app id)."""
    return settings.topic_prefix


def end_offsets(settings: Settings, topics: list[str]) -> dict[TopicPartition, int]:
    """End offset of every partition of ``topics``."""
    consumer = KafkaConsumer(**client_options(settings), group_id=None,
                             enable_auto_commit=False, client_id="marsad-offsets")
    try:
        partitions = [TopicPartition(t, p) for t in topics
                      for p in sorted(consumer.partitions_for_topic(t) or ())]
        return dict(consumer.end_offsets(partitions)) if partitions else {}
    finally:
        consumer.close()


def group_lag(settings: Settings, topics: list[str] | None = None) -> list[PartitionLag]:
    """Lag of the Marsad consumer group on ``topics`` (default: every pipeline topic)."""
    topics = topics or [settings.topic(t.name) for t in TOPICS]
    client = admin(settings)
    try:
        group = consumer_group(settings)
        try:
            committed = client.list_group_offsets({group: None}).get(group, {})
        except KafkaError:  # no group yet (nothing consumed): nothing committed
            committed = {}
    finally:
        client.close()
    ends = end_offsets(settings, topics)
    return [PartitionLag(tp.topic, tp.partition, end,
                         committed[tp].offset if tp in committed else None)
            for tp, end in sorted(ends.items())]


def topic_descriptions(settings: Settings) -> list[tuple[str, int, int]]:
    """(topic, partitions, total end offset) of every topic with the Marsad prefix."""
    client = admin(settings)
    try:
        names = sorted(t for t in client.list_topics() if t.startswith(settings.topic_prefix))
    finally:
        client.close()
    ends = end_offsets(settings, names)
    out: list[tuple[str, int, int]] = []
    for name in names:
        parts = [end for tp, end in ends.items() if tp.topic == name]
        out.append((name, len(parts), sum(parts)))
    return out


def rewind_group(settings: Settings, topics: list[str]) -> int:
    """Reset the Marsad group's offsets on ``topics`` to the earliest (workers stopped).

    Returns the number of partitions rewound. Replaying is safe: every sink write is an
    idempotent upsert on a deterministic key.
    """
    from kafka.admin import OffsetSpec

    ends = end_offsets(settings, topics)
    client = admin(settings)
    try:
        result = client.reset_group_offsets(consumer_group(settings),
                                            {tp: OffsetSpec.EARLIEST for tp in ends})
    finally:
        client.close()
    return len(result)
