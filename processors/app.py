"""The Faust application: configuration, topics and tables (agents live in ``agents``)."""

from __future__ import annotations

import os
import socket
import ssl
from typing import Any

import faust

from marsad.config import Settings, load_settings
from marsad.logs import logging_config
from marsad.schemas import CleanArticle, DeadLetter, DedupedArticle, EventBatch, NearProbe
from processors import faust_fixes
from processors.dedup import minhash
from processors.dedup.partitioned_index import BucketIndex, band_partition
from sinks.postgres_sink import PostgresSink

faust_fixes.apply()
settings: Settings = load_settings()
WORKER_ID = settings.worker_id or f"{socket.gethostname()}-{os.getpid()}"
DATA_DIR = settings.state_dir / "workers" / WORKER_ID
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _credentials(s: Settings) -> faust.auth.Credentials | None:
    protocol = s.kafka_security_protocol
    context = ssl.create_default_context(cafile=s.kafka_ssl_cafile or None) \
        if protocol.endswith("SSL") else None
    if protocol.startswith("SASL"):
        return faust.SASLCredentials(username=s.kafka_sasl_username,
                                     password=s.kafka_sasl_password,
                                     mechanism=s.kafka_sasl_mechanism, ssl_context=context)
    if context is not None:
        return faust.SSLCredentials(context)
    return None


app = faust.App(
    settings.topic_prefix,
    broker=[f"kafka://{server.strip()}" for server in settings.kafka_bootstrap.split(",")],
    broker_credentials=_credentials(settings),
    store="memory://",
    processing_guarantee="at_least_once",
    topic_partitions=settings.partitions,
    topic_replication_factor=settings.replication,
    consumer_auto_offset_reset="earliest",
    producer_acks=-1,
    producer_linger=settings.producer_linger_ms / 1000.0,
    broker_commit_interval=1.0,
    table_standby_replicas=0,
    web_enabled=True,
    web_host=settings.web_host,
    web_bind=settings.web_host,  # Faust binds 0.0.0.0 unless told: loopback by default
    web_port=settings.web_port,
    web_in_thread=False,
    datadir=str(DATA_DIR),
    logging_config=logging_config(settings.log_level, settings.log_format),
    loghandlers=[],
)

raw_topic = app.topic(settings.topic("articles.raw"), key_type=bytes, value_type=bytes,
                      value_serializer="raw", key_serializer="raw")
clean_topic = app.topic(settings.topic("articles.clean"), key_type=str,
                        value_type=CleanArticle, key_serializer="raw")
deduped_topic = app.topic(settings.topic("articles.deduped"), key_type=str,
                          value_type=None, key_serializer="raw")  # DedupedArticle, DuplicateLink
unique_topic = app.topic(settings.topic("articles.unique"), key_type=str,
                         value_type=DedupedArticle, key_serializer="raw")
events_topic = app.topic(settings.topic("events"), key_type=str, value_type=EventBatch,
                         key_serializer="raw")
deadletter_topic = app.topic(settings.topic("deadletter"), key_type=str, value_type=DeadLetter,
                             key_serializer="raw")

bands_topic = app.topic(settings.topic("articles.bands"), key_type=str, value_type=NearProbe,
                        key_serializer="raw")
near_topic = app.topic(settings.topic("articles.near"), key_type=str, value_type=None,
                       key_serializer="raw")  # NearPending and NearVerdict records

# text hash -> id of the first story seen with that text; co-partitioned with clean_topic.
first_seen_by_hash = app.Table("dedup-exact", default=None, key_type=str, value_type=str,
                               partitions=settings.partitions)

# The near-duplicate index (see processors.dedup.partitioned_index). Entries older than the
# retention window are swept from memory, and their changelog records age out with it.
_WINDOW_MS = str((settings.dedup_window_days + 1) * 86_400_000)
_EXPIRING = {"cleanup.policy": "compact,delete", "retention.ms": _WINDOW_MS}
NEAR_PARAMS = minhash.DEFAULT
# band key -> earliest stories having that band: in memory, derived from near_signatures
near_buckets = BucketIndex(capacity=8)


async def _index_recovered_signature(event: Any) -> None:
    """Rebuild the buckets of a recovering partition from its stories' signatures."""
    if event.value is None:
        return
    partition = int(str(event.key).partition(":")[0])
    order, signature = event.value[0], minhash.decode(event.value[1])
    if len(signature) != NEAR_PARAMS.num_perm:
        return  # made with other MinHash parameters: it can never match a story of today's
    for band in minhash.band_keys(signature, NEAR_PARAMS):
        if band_partition(band, settings.partitions) == partition:
            near_buckets.join(band, order)


# "<band partition>:<article id>" -> [order, signature, markers] of stories probing there
near_signatures = app.Table("near-signatures", default=None, key_type=str,
                            partitions=settings.partitions, extra_topic_configs=_EXPIRING,
                            on_changelog_event=_index_recovered_signature)
# article id -> Pending state while verdicts come in (co-partitioned with near_topic)
near_pending = app.Table("near-pending", default=None, key_type=str,
                         partitions=settings.partitions, extra_topic_configs=_EXPIRING)
# article id -> the waiting story's CleanArticle representation (written once)
near_parked = app.Table("near-parked", default=None, key_type=str,
                        partitions=settings.partitions, extra_topic_configs=_EXPIRING)
# article id -> [order, canonical id, canonical order, similarity] once decided
near_decided = app.Table("near-decided", default=None, key_type=str,
                         partitions=settings.partitions, extra_topic_configs=_EXPIRING)

# The database writer of the sink agents (its engine is created on first use).
sink = PostgresSink(settings)
