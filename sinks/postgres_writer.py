"""Idempotent batched upserts of articles, events and rejected messages (SQLAlchemy Core).

Every write is ``INSERT ... ON CONFLICT`` on a deterministic key, so replaying a topic
leaves the tables unchanged: a conflicting row is only updated (and ``updated_at``
bumped) when one of its values really differs.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, literal, or_, select, tuple_
from sqlalchemy.dialects.postgresql import insert

from marsad.schemas import DeadLetter, DedupedArticle, EventBatch, EventRecord
from sinks.tables import articles, event_sources, events, rejected_messages

_ARTICLE_COLUMNS = ("parent_id", "part", "url", "outlet", "title", "published_at", "fetched_at",
                    "source_name", "text", "text_hash", "duplicate_of", "similarity",
                    "dedup_method")
_EVENT_COLUMNS = tuple(c.name for c in events.columns
                       if c.name not in {"id", "created_at", "updated_at"})


def _timestamp(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.now().astimezone().tzinfo)
    return parsed


def article_row(item: DedupedArticle) -> dict[str, Any]:
    """The ``articles`` row of a deduplicated story."""
    art = item.article
    return {
        "id": art.article_id, "parent_id": art.parent_id, "part": art.part, "url": art.url,
        "outlet": art.outlet, "title": art.title, "published_at": _timestamp(art.published_at),
        "fetched_at": _timestamp(art.fetched_at), "source_name": art.source_name,
        "text": art.text, "text_hash": art.text_hash, "duplicate_of": item.duplicate_of,
        "similarity": item.similarity, "dedup_method": item.method,
    }


def event_row(event: EventRecord) -> dict[str, Any]:
    """The ``events`` row of a coded event."""
    return {
        "id": event.event_id, "article_id": event.article_id, "event_type": event.event_type,
        "sub_event_type": event.sub_event_type, "cameo_code": event.cameo_code,
        "plover_type": event.plover_type, "actor1": event.actor1,
        "actor1_inter": event.actor1_inter, "actor1_wikidata": event.actor1_wikidata,
        "actor2": event.actor2, "actor2_inter": event.actor2_inter,
        "actor2_wikidata": event.actor2_wikidata, "place_name": event.place_name,
        "latitude": event.latitude, "longitude": event.longitude, "admin1": event.admin1,
        "country": event.country, "geo_precision": event.geo_precision,
        "event_date": date.fromisoformat(event.event_date) if event.event_date else None,
        "time_precision": event.time_precision, "fatalities": event.fatalities,
        "injuries": event.injuries, "evidence": event.evidence,
        "evidence_start": event.evidence_start, "evidence_end": event.evidence_end,
        "confidence": event.confidence, "extractor_version": event.coder_version,
        "notes": event.notes,
    }


def _upsert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]],
            columns: Iterable[str]) -> int:
    """Insert rows; on id conflict update only rows whose values differ. Returns rows touched."""
    if not rows:
        return 0
    columns = tuple(columns)
    stmt = insert(table).values(list(rows))
    changed = or_(*(table.c[c].is_distinct_from(stmt.excluded[c]) for c in columns))
    updates: dict[str, Any] = {c: stmt.excluded[c] for c in columns}
    if "updated_at" in table.c:
        updates["updated_at"] = literal(datetime.now().astimezone())
    stmt = stmt.on_conflict_do_update(index_elements=[table.c.id], set_=updates, where=changed)
    return conn.execute(stmt).rowcount or 0


def _last_per_id(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per id (the last one wins): a statement may not touch a row twice."""
    return list({row["id"]: row for row in rows}.values())


def write_articles(conn: Connection, items: Sequence[DedupedArticle]) -> int:
    """Upsert stories; copies also become further sources of the original's events."""
    rows = _last_per_id(article_row(item) for item in items)
    touched = _upsert(conn, articles, rows, _ARTICLE_COLUMNS)
    copies = [row["id"] for row in rows if row["duplicate_of"]]
    if copies:
        _link_copies(conn, articles.c.id.in_(copies))
    return touched


def _link_copies(conn: Connection, which: Any) -> None:
    """Record copies of coding articles as 'duplicate' sources of the events coded there."""
    source = (
        select(event_sources.c.event_id, articles.c.id, literal("duplicate"))
        .join(articles, articles.c.duplicate_of == event_sources.c.article_id)
        .where(event_sources.c.relation == "coded", which)
    )
    stmt = insert(event_sources).from_select(["event_id", "article_id", "relation"], source)
    conn.execute(stmt.on_conflict_do_nothing())


def write_event_batches(conn: Connection, batches: Sequence[EventBatch]) -> int:
    """Replace each story's coded events by the batch's; returns event rows touched."""
    latest = {batch.article_id: batch for batch in batches}
    article_ids = list(latest)
    rows = _last_per_id(event_row(e) for b in latest.values() for e in b.events)
    keep = {(row["id"], row["article_id"]) for row in rows}
    # Drop the links (and orphaned events) an earlier coding of these stories made.
    stale = select(event_sources.c.event_id, event_sources.c.article_id).where(
        event_sources.c.article_id.in_(article_ids), event_sources.c.relation == "coded")
    stale_pairs = [tuple(r) for r in conn.execute(stale) if tuple(r) not in keep]
    if stale_pairs:
        conn.execute(delete(event_sources).where(
            tuple_(event_sources.c.event_id, event_sources.c.article_id).in_(stale_pairs)))
        orphan_ids = [p[0] for p in stale_pairs]
        still_linked = select(event_sources.c.event_id).where(
            event_sources.c.event_id == events.c.id, event_sources.c.relation == "coded")
        conn.execute(delete(events).where(events.c.id.in_(orphan_ids),
                                          ~still_linked.exists()))
    touched = _upsert(conn, events, rows, _EVENT_COLUMNS)
    if rows:
        links = [{"event_id": row["id"], "article_id": row["article_id"], "relation": "coded"}
                 for row in rows]
        conn.execute(insert(event_sources).values(links).on_conflict_do_nothing())
        _link_copies(conn, and_(event_sources.c.article_id.in_(article_ids)))
    return touched


def write_rejected(conn: Connection, letters: Sequence[DeadLetter]) -> int:
    """Record dead letters (idempotent on topic:partition:offset)."""
    rows = _last_per_id({
        "id": f"{d.source_topic}:{d.source_partition}:{d.source_offset}",
        "stage": d.stage, "error_code": d.error_code, "error": d.error,
        "source_topic": d.source_topic, "source_partition": d.source_partition,
        "source_offset": d.source_offset, "article_id": d.article_id,
        "payload": base64.b64decode(d.payload_b64), "failed_at": _timestamp(d.failed_at),
    } for d in letters)
    if not rows:
        return 0
    stmt = insert(rejected_messages).values(rows).on_conflict_do_nothing()
    return conn.execute(stmt).rowcount or 0
