"""Faust agents: thin shells that move messages between topics around the pure stages.

raw ──clean──▶ articles.clean ──dedupe──▶ articles.deduped ──▶ (articles sink)
                                    └───▶ articles.unique ──extract──▶ events ──▶ (events sink)
Every failure goes to the dead-letter topic with its reason; no worker crashes on input.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from faust.types import EventT
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from marsad.schemas import DeadLetter, InvalidMessage, parse_raw_article, utcnow_iso
from processors import metrics, stages
from processors.app import (
    WORKER_ID,
    app,
    clean_topic,
    deadletter_topic,
    deduped_topic,
    events_topic,
    first_seen_by_hash,
    raw_topic,
    settings,
    unique_topic,
)
from sinks.postgres_sink import PostgresSink

log = logging.getLogger("marsad.worker")
sink = PostgresSink(settings)


async def send_dead_letter(stage: str, event: EventT, code: str, error: str,
                           article_id: str | None = None) -> None:
    """Publish the failed message with its reason and source position."""
    message = event.message
    payload = message.value if isinstance(message.value, bytes) else b""
    key = message.key if isinstance(message.key, bytes) else None
    letter = DeadLetter(
        stage=stage, error_code=code, error=error[:2000], source_topic=message.topic,
        source_partition=message.partition, source_offset=message.offset,
        key_b64=base64.b64encode(key).decode() if key else None,
        payload_b64=base64.b64encode(payload).decode(), failed_at=utcnow_iso(),
        worker=WORKER_ID, article_id=article_id,
    )
    await deadletter_topic.send(key=message.topic, value=letter)
    metrics.DEAD_LETTERS.labels(stage).inc()
    metrics.ERRORS.labels(stage, code).inc()
    log.warning("dead letter", extra={"stage": stage, "code": code, "error": error[:300],
                                      "topic": message.topic, "partition": message.partition,
                                      "offset": message.offset, "article_id": article_id})


@app.agent(raw_topic)
async def clean(stream: Any) -> None:
    """Validate and clean raw articles into stories keyed by text hash."""
    async for event in stream.events():
        metrics.MESSAGES_IN.labels("clean").inc()
        started = time.perf_counter()
        article_id = None
        try:
            raw = parse_raw_article(event.value, settings.max_article_bytes)
            article_id = raw.article_id
            stories = stages.clean_stage(raw)
        except InvalidMessage as exc:
            await send_dead_letter("clean", event, exc.code, exc.detail, article_id)
            continue
        except Exception as exc:  # a bug must not stop the stream: dead-letter it
            log.exception("clean failed", extra={"article_id": article_id})
            await send_dead_letter("clean", event, "exception", repr(exc), article_id)
            continue
        for story in stories:
            await clean_topic.send(key=story.text_hash, value=story)
            metrics.MESSAGES_OUT.labels("clean").inc()
        metrics.STAGE_SECONDS.labels("clean").observe(time.perf_counter() - started)
        log.info("cleaned", extra={"article_id": article_id, "stories": len(stories)})


@app.agent(clean_topic)
async def dedupe(stream: Any) -> None:
    """Mark exact copies (same normalised text) of an earlier story."""
    async for event in stream.events():
        story = event.value
        metrics.MESSAGES_IN.labels("dedupe").inc()
        started = time.perf_counter()
        try:
            first = first_seen_by_hash.get(story.text_hash)
            decision = stages.dedup_exact(story, first)
        except Exception as exc:
            log.exception("dedupe failed", extra={"article_id": story.article_id})
            await send_dead_letter("dedupe", event, "exception", repr(exc), story.article_id)
            continue
        if first is None:
            first_seen_by_hash[story.text_hash] = story.article_id
        await deduped_topic.send(key=story.article_id, value=decision)
        if decision.duplicate_of is None or settings.extract_duplicates:
            await unique_topic.send(key=story.article_id, value=decision)
        else:
            metrics.DEDUP_HITS.labels(decision.method or "exact").inc()
            log.info("duplicate", extra={"article_id": story.article_id,
                                         "duplicate_of": decision.duplicate_of})
        metrics.MESSAGES_OUT.labels("dedupe").inc()
        metrics.STAGE_SECONDS.labels("dedupe").observe(time.perf_counter() - started)


@app.agent(unique_topic)
async def extract(stream: Any) -> None:
    """Code the events of each first-seen story."""
    async for event in stream.events():
        item = event.value
        article_id = item.article.article_id
        metrics.MESSAGES_IN.labels("extract").inc()
        started = time.perf_counter()
        try:
            batch = stages.extract_stage(item)
        except Exception as exc:
            log.exception("extract failed", extra={"article_id": article_id})
            await send_dead_letter("extract", event, "coder_exception", repr(exc), article_id)
            continue
        await events_topic.send(key=article_id, value=batch)
        for coded in batch.events:
            metrics.EVENTS_CODED.labels(coded.event_type).inc()
        metrics.MESSAGES_OUT.labels("extract").inc()
        metrics.STAGE_SECONDS.labels("extract").observe(time.perf_counter() - started)
        log.info("coded", extra={"article_id": article_id, "events": len(batch.events)})


async def _store(stream: Any, table: str, write: Callable[[Sequence[Any]], int]) -> None:
    """Write batches to PostgreSQL; offsets are committed only after the commit.

    Each message of a batch is held (an extra reference) until its transaction commits, so
    a batch interrupted by a stop or a database outage is consumed again, never skipped.
    """
    async for events in stream.take_events(settings.sink_batch_size,
                                           within=settings.sink_batch_seconds):
        for event in events:
            event.message.incref()
        values = [event.value for event in events]
        await sink.write_with_retry(table, write, values)
        for event in events:
            event.message.decref()
        metrics.MESSAGES_IN.labels(f"sink_{table}").inc(len(values))


@app.agent(deduped_topic)
async def store_articles(stream: Any) -> None:
    """Articles sink."""
    await _store(stream, "articles", sink.write_articles)


@app.agent(events_topic)
async def store_events(stream: Any) -> None:
    """Events sink."""
    await _store(stream, "events", sink.write_events)


@app.agent(deadletter_topic)
async def store_rejected(stream: Any) -> None:
    """Rejected-messages sink."""
    await _store(stream, "rejected_messages", sink.write_rejected)


@app.page("/metrics")
async def metrics_page(web: Any, request: Any) -> Any:
    """Prometheus metrics."""
    return web.bytes(generate_latest(metrics.REGISTRY), content_type=CONTENT_TYPE_LATEST)


@app.page("/health")
async def health_page(web: Any, request: Any) -> Any:
    """Liveness: the worker's event loop answers."""
    return web.json({"status": "ok", "worker": WORKER_ID})


@app.page("/ready")
async def ready_page(web: Any, request: Any) -> Any:
    """Readiness: partitions assigned and the database reachable."""
    assigned = len(app.consumer.assignment()) if app.consumer else 0
    database = await asyncio.get_running_loop().run_in_executor(None, sink.ping)
    ready = assigned > 0 and database
    return web.json({"ready": ready, "assigned_partitions": assigned, "database": database,
                     "worker": WORKER_ID}, status=200 if ready else 503)
