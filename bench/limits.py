"""The raw limits of this machine for the same messages and rows.

- Kafka: produce the corpus payloads with kafka-python configured exactly as
  ``producers.kafka_producer.make_producer`` (acks=all, idempotent, gzip, linger 20 ms) to a
  4-partition topic of the benchmark's broker, then consume them back with a plain
  ``KafkaConsumer`` (no group), messages/s and MB/s both ways.
- PostgreSQL: the rows the in-process stages produced, upserted through
  ``sinks.postgres_writer`` in large batches (1,000 stories per transaction, at most 2,000
  event rows, so that even a writer building one multi-row INSERT stays under PostgreSQL's
  65,535 bind parameters), into empty tables and
  again as a replay (every row conflicts, nothing changes); and a ``COPY`` of the article rows
  into a temporary table as the server's bulk-load ceiling.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from bench.inprocess import StageData, Timer, _chunks, truncate, write_timed

LIMIT_BATCH = 1000
MAX_EVENT_ROWS = 2000  # 28 columns x 2,000 rows stays under PostgreSQL's 65,535 parameters


def _event_chunks(batches: list[Any], size: int) -> list[list[Any]]:
    """Up to ``size`` stories per chunk, and at most MAX_EVENT_ROWS events."""
    chunks: list[list[Any]] = [[]]
    rows = 0
    for batch in batches:
        if chunks[-1] and (len(chunks[-1]) >= size or rows + len(batch.events) > MAX_EVENT_ROWS):
            chunks.append([])
            rows = 0
        chunks[-1].append(batch)
        rows += len(batch.events)
    return [c for c in chunks if c]


def kafka_rates(settings: Any, payloads: list[bytes], keys: list[bytes],
                tick: Callable[[int], None] = lambda _: None) -> dict:
    from kafka import KafkaConsumer, TopicPartition
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    from marsad import kafka_admin
    from marsad.kafka_admin import client_options
    from producers.kafka_producer import make_producer

    topic = f"{settings.topic_prefix}.limits.{int(time.time())}"
    admin = kafka_admin.admin(settings)
    try:
        admin.create_topics([NewTopic(topic, settings.partitions, settings.replication)])
    except TopicAlreadyExistsError:
        pass
    finally:
        admin.close()
    producer = make_producer(settings)
    total_bytes = sum(len(p) for p in payloads)
    try:
        producer.send(topic, key=b"warm", value=payloads[0]).get(timeout=60)  # metadata
        with Timer() as tp:
            futures = []
            for i, (key, payload) in enumerate(zip(keys, payloads, strict=True)):
                futures.append(producer.send(topic, key=key, value=payload))
                if i % 500 == 0:
                    tick(i)
            producer.flush()
            for f in futures:
                f.get(timeout=60)
    finally:
        producer.close()
    consumer = KafkaConsumer(**client_options(settings), group_id=None,
                             enable_auto_commit=False, auto_offset_reset="earliest",
                             client_id="marsad-bench-limits", consumer_timeout_ms=15_000)
    wanted = len(payloads) + 1
    got = 0
    try:
        parts = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic))]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        with Timer() as tc:
            for _message in consumer:
                got += 1
                if got >= wanted:
                    break
    finally:
        consumer.close()
    mb = total_bytes / 1e6
    return {
        "topic_partitions": settings.partitions, "messages": len(payloads),
        "payload_mb": round(mb, 2),
        "producer": "kafka-python, make_producer() settings (acks=all, idempotent, gzip, "
                    "linger 20 ms)",
        "produce_msgs_per_s": round(len(payloads) / tp.wall, 1),
        "produce_mb_per_s": round(mb / tp.wall, 2),
        "produce_cpu_s": round(tp.cpu, 3),
        "consume_msgs_per_s": round(got / tc.wall, 1) if tc.wall else None,
        "consume_mb_per_s": round(mb / tc.wall, 2) if tc.wall else None,
        "consume_cpu_s": round(tc.cpu, 3),
        "consumed": got,
    }


def postgres_rates(engine: Any, data: StageData) -> dict:
    from sqlalchemy import text

    from sinks import postgres_writer

    out: dict[str, Any] = {"batch_size": LIMIT_BATCH, "article_rows": len(data.decisions),
                           "event_rows": sum(len(b.events) for b in data.batches)}
    truncate(engine)
    for label in ("insert", "replay"):
        ta, te = write_timed(engine, _chunks(data.decisions, LIMIT_BATCH),
                             _event_chunks(data.batches, LIMIT_BATCH))
        out[f"articles_{label}_rows_per_s"] = round(len(data.decisions) / ta.wall, 1)
        out[f"events_{label}_rows_per_s"] = (round(out["event_rows"] / te.wall, 1)
                                             if te.wall else None)
        out[f"{label}_article_stories_per_s"] = round(len(data.decisions)
                                                      / (ta.wall + te.wall), 1)
    rows = [postgres_writer.article_row(d) for d in data.decisions]
    columns = list(rows[0]) if rows else []
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("CREATE TEMP TABLE bench_copy (LIKE articles INCLUDING DEFAULTS)")
        with Timer() as tc:
            with cur.copy(f"COPY bench_copy ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
            raw.commit()
        cur.execute("DROP TABLE bench_copy")
        raw.commit()
    finally:
        raw.close()
    out["copy_article_rows_per_s"] = round(len(rows) / tc.wall, 1) if tc.wall else None
    with engine.connect() as conn:
        out["server_version"] = conn.execute(text("SHOW server_version")).scalar()
        out["synchronous_commit"] = conn.execute(text("SHOW synchronous_commit")).scalar()
        out["fsync"] = conn.execute(text("SHOW fsync")).scalar()
    truncate(engine)
    return out
