"""Faust agents: thin shells that move messages between topics around the pure stages.

raw ──clean──▶ articles.clean ──dedupe (exact)──▶ articles.deduped ──▶ (articles sink)
                       │                     └────▶ articles.unique ──extract──▶ events ──▶ (sink)
                       └─(new text)─▶ articles.bands ──near_bands──▶ articles.near ──near_decide──┘
The near-duplicate search is spread over partitions: see processors.dedup.partitioned_index.
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

import processors.lag_monitor
import processors.stall_watchdog  # noqa: F401 - registers the stalled-partition timer
from marsad import compiled
from marsad.logs import Summary
from marsad.schemas import (
    CleanArticle,
    DeadLetter,
    DedupedArticle,
    DuplicateLink,
    InvalidMessage,
    NearPending,
    NearProbe,
    NearVerdict,
    parse_raw_article,
    utcnow_iso,
)
from processors import metrics, stages
from processors.app import (
    NEAR_PARAMS,
    WORKER_ID,
    app,
    bands_topic,
    clean_topic,
    deadletter_topic,
    deduped_topic,
    events_topic,
    first_seen_by_hash,
    near_buckets,
    near_decided,
    near_parked,
    near_pending,
    near_signatures,
    near_topic,
    raw_topic,
    settings,
    sink,
    unique_topic,
)
from processors.dedup import contradiction, minhash, near
from processors.dedup import partitioned_index as index
from processors.delivery import held_events

log = logging.getLogger("marsad.worker")
# One INFO line per second per stage with the article ids, instead of one per message.
cleaned_log = Summary(log, "cleaned")
coded_log = Summary(log, "coded")
SUMMARIES = (cleaned_log, coded_log)


DEAD_LETTER_PAYLOAD_LIMIT = 512 * 1024  # bytes of the original kept in a dead letter


async def send_dead_letter(stage: str, event: EventT, code: str, error: str,
                           article_id: str | None = None) -> None:
    """Publish the failed message with its reason and source position."""
    message = event.message
    payload = message.value if isinstance(message.value, bytes) else b""
    if len(payload) > DEAD_LETTER_PAYLOAD_LIMIT:  # base64 of more would pass Kafka's 1 MiB
        error = f"{error[:1800]} (payload cut to {DEAD_LETTER_PAYLOAD_LIMIT} of {len(payload)} " \
                "bytes; the whole message stays at its source offset)"
        payload = payload[:DEAD_LETTER_PAYLOAD_LIMIT]
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
    async for event in held_events(stream):
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
        cleaned_log.add(article_id, stories=len(stories))


async def emit_decision(decision: DedupedArticle, confirm: bool = False) -> None:
    """Send a story's dedup decision on: every story to the articles sink, originals (and
    copies, if so configured) to the coder. With ``confirm``, return only once the broker
    has acknowledged the messages (so state written afterwards never runs ahead of them)."""
    story = decision.article
    sent = [await deduped_topic.send(key=story.article_id, value=decision)]
    if decision.duplicate_of is None or settings.extract_duplicates:
        sent.append(await unique_topic.send(key=story.article_id, value=decision))
    if confirm:
        await asyncio.gather(*sent)
    if decision.duplicate_of is not None:
        metrics.DEDUP_HITS.labels(decision.method or "exact").inc()
        log.info("duplicate", extra={"article_id": story.article_id, "method": decision.method,
                                     "duplicate_of": decision.duplicate_of,
                                     "similarity": decision.similarity})
    metrics.MESSAGES_OUT.labels("dedupe").inc()


async def start_near_search(story: CleanArticle, timestamp: float | None) -> None:
    """Park the story at its home partition and probe every partition owning one of its
    MinHash bands (see ``processors.dedup.partitioned_index``)."""
    order = index.order_key(int((timestamp or time.time()) * 1000), story.article_id)
    sig = minhash.signature(story.text, NEAR_PARAMS)
    markers = contradiction.polarity_markers(story.text)
    groups = index.group_by_partition(minhash.band_keys(sig, NEAR_PARAMS), settings.partitions)
    await near_topic.send(key=story.article_id, value=NearPending(
        article=story, order=order, expected=sorted(groups)))
    encoded = minhash.encode(sig)
    for partition, bands in groups.items():
        await bands_topic.send(key=story.article_id, partition=partition, value=NearProbe(
            article_id=story.article_id, order=order, signature=encoded, markers=markers,
            bands=bands))


@app.agent(clean_topic)
async def dedupe(stream: Any) -> None:
    """Mark exact copies (same normalised text) of an earlier story; send the others to the
    near-duplicate search (or straight on when it is switched off)."""
    async for event in held_events(stream):
        story = event.value
        metrics.MESSAGES_IN.labels("dedupe").inc()
        started = time.perf_counter()
        try:
            first = first_seen_by_hash.get(story.text_hash)
            decision = stages.dedup_exact(story, first)
            if first is None:
                first_seen_by_hash[story.text_hash] = story.article_id
            if decision.duplicate_of is None and settings.dedup_near:
                await start_near_search(story, event.message.timestamp)
            else:
                await emit_decision(decision)
        except Exception as exc:
            log.exception("dedupe failed", extra={"article_id": story.article_id})
            await send_dead_letter("dedupe", event, "exception", repr(exc), story.article_id)
            continue
        metrics.STAGE_SECONDS.labels("dedupe").observe(time.perf_counter() - started)


@app.agent(bands_topic)
async def near_bands(stream: Any) -> None:
    """Join each probe to its band buckets and compare it with the stories found there."""
    async for event in held_events(stream):
        probe = event.value
        partition = event.message.partition
        started = time.perf_counter()
        try:
            order, found = _probe_buckets(probe, partition)
        except Exception as exc:
            log.exception("near probe failed", extra={"article_id": probe.article_id})
            await send_dead_letter("near_bands", event, "exception", repr(exc), probe.article_id)
            continue
        earlier, later = index.split_matches(order, found)
        await near_topic.send(key=probe.article_id, value=NearVerdict(
            article_id=probe.article_id, partition=partition,
            matches=[m.as_list() for m in earlier]))
        for match in later:  # they arrived here first but were seen after this story
            await near_topic.send(key=match.article_id, value=NearVerdict(
                article_id=match.article_id, partition=None, late=True,
                matches=[[probe.article_id, order, match.similarity]]))
        metrics.STAGE_SECONDS.labels("near_bands").observe(time.perf_counter() - started)


def _probe_buckets(probe: NearProbe, partition: int) -> tuple[str, list[index.Match]]:
    """Add the probe to its buckets and signatures; return the story's first-seen order
    (kept from its first probe, so a replay keeps it) and the near-identical members."""
    own_key = f"{partition}:{probe.article_id}"
    stored = near_signatures.get(own_key)
    order = stored[0] if stored else probe.order  # a replayed story keeps its first order
    if stored is None:
        near_signatures[own_key] = [order, probe.signature, probe.markers]
    today = int(time.time() * 1000) // index.DAY_MS
    members: set[str] = set()
    for band in probe.bands:
        members.update(near_buckets.join(band, order))
    sig = minhash.decode(probe.signature)
    found = []
    for member in members:
        other = index.order_article(member)
        if other == probe.article_id or index.expired(member, today, settings.dedup_window_days):
            continue
        entry = near_signatures.get(f"{partition}:{other}")
        if entry is None:
            continue
        similarity = near.near_match(sig, probe.markers, minhash.decode(entry[1]), entry[2],
                                     NEAR_PARAMS)
        if similarity is not None:
            found.append(index.Match(other, entry[0], similarity))
    return order, found


@app.agent(near_topic)
async def near_decide(stream: Any) -> None:
    """Gather a story's band verdicts at its home partition and decide."""
    async for event in held_events(stream):
        item = event.value
        article_id = getattr(item, "article_id", None) or getattr(
            getattr(item, "article", None), "article_id", None)
        try:
            if isinstance(item, NearPending):
                await _near_pending(item)
            elif isinstance(item, NearVerdict) and item.late:
                await _near_late(item)
            elif isinstance(item, NearVerdict):
                await _near_verdict(item)
            else:
                raise TypeError(f"unexpected record {type(item).__name__}")
        except Exception as exc:
            log.exception("near decision failed", extra={"article_id": article_id})
            await send_dead_letter("near_decide", event, "exception", repr(exc), article_id)


async def _near_pending(item: NearPending) -> None:
    story = item.article
    decided = near_decided.get(story.article_id)
    if decided is not None:  # replayed after its decision: send the same decision again
        await emit_decision(_decision(story, index.decided_match(decided)))
        return
    near_parked[story.article_id] = story.to_representation()
    state = index.Pending.from_data(near_pending.get(story.article_id))
    state.arrived, state.expected, state.order = True, item.expected, item.order
    await _maybe_decide(story.article_id, state)


def _decision(story: CleanArticle, best: index.Match | None) -> DedupedArticle:
    if best is None:
        return DedupedArticle(article=story)
    return DedupedArticle(article=story, duplicate_of=best.article_id,
                          similarity=round(best.similarity, 4), method="near")


async def _near_verdict(item: NearVerdict) -> None:
    if near_decided.get(item.article_id) is not None:
        return  # a repeated verdict: the decision was acknowledged before it was stored
    state = index.Pending.from_data(near_pending.get(item.article_id))
    state.add_verdict(item.partition, map(index.Match.from_list, item.matches))
    await _maybe_decide(item.article_id, state)


async def _near_late(item: NearVerdict) -> None:
    late = index.Match.from_list(item.matches[0])
    decided = near_decided.get(item.article_id)
    if decided is None:  # still waiting: it counts as one more match
        state = index.Pending.from_data(near_pending.get(item.article_id))
        state.add_verdict(None, [late])
        near_pending[item.article_id] = state.to_data()
        return
    new = index.correction(decided, late)
    if new is None:
        return
    await (await deduped_topic.send(key=item.article_id, value=DuplicateLink(
        article_id=item.article_id, duplicate_of=new.article_id,
        similarity=round(new.similarity, 4))))  # acknowledged before the state changes
    near_decided[item.article_id] = index.decided_record(decided[0], new)
    metrics.DEDUP_HITS.labels("near_late").inc()
    log.info("late duplicate", extra={"article_id": item.article_id,
                                      "duplicate_of": new.article_id})


async def _maybe_decide(article_id: str, state: index.Pending) -> None:
    if not state.complete():
        near_pending[article_id] = state.to_data()
        return
    # The decision is sent and acknowledged before it is stored: a worker dying in between
    # sees the verdict again and sends the same decision again (the sinks are idempotent).
    story = CleanArticle.from_data(near_parked[article_id])
    await emit_decision(_decision(story, state.best), confirm=True)
    near_decided[article_id] = index.decided_record(state.order or "", state.best)
    for table in (near_pending, near_parked):
        if table.get(article_id) is not None:
            del table[article_id]


@app.agent(unique_topic)
async def extract(stream: Any) -> None:
    """Code the events of each first-seen story."""
    async for event in held_events(stream):
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
        coded_log.add(article_id, events=len(batch.events))


async def _store(stream: Any, table: str, write: Callable[[Sequence[Any]], int]) -> None:
    """Write batches to PostgreSQL; offsets are committed only after the commit.

    Each message of a batch is held (an extra reference) until its transaction commits, so
    a batch interrupted by a stop or a database outage is consumed again, never skipped.
    Rows the database refuses (bad data, isolated by bisection) go to the dead-letter topic
    with stage ``sink_<table>`` before their offsets are released; every other row is stored.
    Refused dead letters themselves are only logged (they stay in the dead-letter topic).
    """
    async for events in stream.take_events(settings.sink_batch_size,
                                           within=settings.sink_batch_seconds):
        for event in events:
            event.message.incref()
        values = [event.value for event in events]
        outcome = await sink.write_batch(table, write, values)
        for bad in outcome.rejected:
            value = values[bad.index]
            article_id = getattr(value, "article_id", None) or \
                getattr(getattr(value, "article", None), "article_id", None)
            if table == "rejected_messages":  # never loop a dead letter back into its topic
                metrics.ERRORS.labels(f"sink_{table}", bad.code).inc()
                log.error("dead letter refused by the database", extra={
                    "code": bad.code, "error": bad.error, "article_id": article_id,
                    "offset": events[bad.index].message.offset})
                continue
            await send_dead_letter(f"sink_{table}", events[bad.index], bad.code, bad.error,
                                   article_id)
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


async def _sweep(table: Any, is_expired: Callable[[str, Any], bool]) -> int:
    """Pop the entries ``is_expired(key, value)`` selects from a table's local store only."""
    dropped = 0
    for n, (key, value) in enumerate(list(table.data.items())):
        if is_expired(key, value):
            table.data.pop(key, None)
            dropped += 1
        if n % 5000 == 4999:
            await asyncio.sleep(0)  # let the streams run between chunks
    return dropped


@app.task
async def announce_coder() -> None:
    """Log at start which build of the coder this worker runs (compiled, or why not)."""
    log.info("coder ready", extra={"coder": stages.CODER_VERSION, "build": compiled.describe()})


@app.timer(interval=1.0)
async def flush_log_summaries() -> None:
    """Log the per-second summaries of the cleaned and coded articles."""
    for summary in SUMMARIES:
        summary.flush()


@app.on_before_shutdown.connect
async def _flush_logs_at_stop(app: Any, **kwargs: Any) -> None:
    for summary in SUMMARIES:
        summary.flush()


@app.timer(interval=600.0)
async def sweep_near_index() -> None:
    """Drop near-duplicate index entries older than the retention window from memory.

    Their changelog records age out under the changelog topics' own retention, so a
    recovering worker gets them back at most briefly; lookups also skip expired entries.
    """
    today = int(time.time() * 1000) // index.DAY_MS
    window = settings.dedup_window_days

    def old(order: str | None) -> bool:
        return bool(order) and index.expired(order, today, window)  # type: ignore[arg-type]

    dropped = await _sweep(near_pending, lambda k, v: old((v or {}).get("order")))
    dropped += await _sweep(near_parked, lambda k, v: k not in near_pending.data)
    dropped += await _sweep(near_signatures, lambda k, v: bool(v) and old(v[0]))
    dropped += await _sweep(near_decided, lambda k, v: bool(v) and old(v[0]))
    dropped += near_buckets.expire(today, window)
    if dropped:
        log.info("near index swept", extra={"dropped": dropped})


@app.page("/metrics")
async def metrics_page(web: Any, request: Any) -> Any:
    """Prometheus metrics."""
    # aiohttp refuses a charset inside content_type: pass the full header instead
    return web.bytes(generate_latest(metrics.REGISTRY),
                     headers={"Content-Type": CONTENT_TYPE_LATEST})


@app.page("/health")
async def health_page(web: Any, request: Any) -> Any:
    """Liveness: the worker's event loop answers."""
    return web.json({"status": "ok", "worker": WORKER_ID, "coder": stages.CODER_VERSION,
                     "coder_build": compiled.describe()})


@app.page("/ready")
async def ready_page(web: Any, request: Any) -> Any:
    """Readiness: partitions assigned and the database reachable."""
    assigned = len(app.consumer.assignment()) if app.consumer else 0
    database = await asyncio.get_running_loop().run_in_executor(None, sink.ping)
    ready = assigned > 0 and database
    return web.json({"ready": ready, "assigned_partitions": assigned, "database": database,
                     "worker": WORKER_ID}, status=200 if ready else 503)
