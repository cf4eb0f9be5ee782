"""Idempotent batched upserts of articles, events and rejected messages (SQLAlchemy Core).

Every write is ``INSERT ... ON CONFLICT`` on a deterministic key, so replaying a topic
leaves the tables unchanged: a conflicting row is only updated (and ``updated_at``
bumped) when one of its values really differs.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    Connection,
    Table,
    and_,
    delete,
    func,
    literal,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert

from marsad.schemas import DeadLetter, DedupedArticle, DuplicateLink, EventBatch, EventRecord
from processors.dedup import event_merge
from sinks.tables import articles, event_sources, events, rejected_messages

_ARTICLE_COLUMNS = ("parent_id", "part", "url", "outlet", "title", "published_at", "fetched_at",
                    "source_name", "text", "text_hash", "duplicate_of", "similarity",
                    "dedup_method")
# merged_into is decided by the sink itself (see _merge_incidents), never by a message.
_EVENT_COLUMNS = tuple(c.name for c in events.columns
                       if c.name not in {"id", "created_at", "updated_at", "merged_into"})
# Transaction-scoped advisory lock taken first by every articles or events write. Links between
# copies and events, and incident merges, read rows another sink may be writing: under READ
# COMMITTED two concurrent transactions would each miss the other's rows and the link would
# never be made. Taken before any write, it also cannot deadlock with row locks.
_SOURCES_LOCK = 0x6D61727361640001


def _serialise(conn: Connection) -> None:
    conn.execute(select(func.pg_advisory_xact_lock(_SOURCES_LOCK)))
_MERGE_FIELDS = ("id", "article_id", "event_type", "actor1", "actor2", "latitude", "longitude",
                 "geo_precision", "country", "event_date")


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


@lru_cache(maxsize=16)
def _upsert_statement(table: Table, columns: tuple[str, ...]) -> Any:
    """``INSERT … ON CONFLICT (id) DO UPDATE … WHERE <a value differs>``, built once per
    table: executed with a list of rows, SQLAlchemy caches its compiled form and batches it."""
    stmt = insert(table)
    changed = or_(*(table.c[c].is_distinct_from(stmt.excluded[c]) for c in columns))
    updates: dict[str, Any] = {c: stmt.excluded[c] for c in columns}
    if "updated_at" in table.c:
        updates["updated_at"] = func.now()
    return stmt.on_conflict_do_update(index_elements=[table.c.id], set_=updates, where=changed)


def _upsert(conn: Connection, table: Table, rows: Sequence[dict[str, Any]],
            columns: Iterable[str]) -> int:
    """Insert rows; on id conflict update only rows whose values differ. Returns rows touched
    (as far as the driver reports them)."""
    if not rows:
        return 0
    result = conn.execute(_upsert_statement(table, tuple(columns)), list(rows))
    return max(result.rowcount, 0)


def _last_per_id(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per id (the last one wins): a statement may not touch a row twice."""
    return list({row["id"]: row for row in rows}.values())


def write_articles(conn: Connection, items: Sequence[DedupedArticle | DuplicateLink]) -> int:
    """Upsert stories and apply late duplicate findings; copies also become further
    sources of the original's events."""
    _serialise(conn)
    rows = _last_per_id(article_row(i) for i in items if isinstance(i, DedupedArticle))
    touched = _upsert(conn, articles, rows, _ARTICLE_COLUMNS)
    links = {i.article_id: i for i in items if isinstance(i, DuplicateLink)}
    for link in links.values():
        touched += conn.execute(
            update(articles).where(articles.c.id == link.article_id,
                                   articles.c.duplicate_of.is_distinct_from(link.duplicate_of))
            .values(duplicate_of=link.duplicate_of, similarity=link.similarity,
                    dedup_method=link.method, updated_at=datetime.now().astimezone())
        ).rowcount or 0
    copies = [row["id"] for row in rows if row["duplicate_of"]] + list(links)
    if copies:
        _link_copies(conn, articles.c.id.in_(copies))
    return touched


def _link_copies(conn: Connection, which: Any) -> None:
    """Record copies as 'duplicate' sources of the events coded from their original.

    A copy may point at a copy (a near-duplicate of a near-duplicate): the chain is
    followed, up to a few hops, to the story whose events were coded.
    """
    hop = articles.alias("hop")
    root = func.coalesce(hop.c.duplicate_of, articles.c.duplicate_of)
    for target in (articles.c.duplicate_of, root):
        source = (
            select(event_sources.c.event_id, articles.c.id, literal("duplicate"))
            .select_from(articles.outerjoin(hop, hop.c.id == articles.c.duplicate_of))
            .join(event_sources, event_sources.c.article_id == target)
            .where(event_sources.c.relation == "coded", articles.c.duplicate_of.isnot(None),
                   which)
        )
        stmt = insert(event_sources).from_select(["event_id", "article_id", "relation"], source)
        conn.execute(stmt.on_conflict_do_nothing())


def write_event_batches(conn: Connection, batches: Sequence[EventBatch],
                        merge_km: float = 25.0, merge_days: int = 1) -> int:
    """Replace each story's coded events by the batch's, and merge new events into the
    incidents other articles already reported; returns event rows touched."""
    _serialise(conn)
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
    ids = [row["id"] for row in rows]
    existing = set(conn.scalars(select(events.c.id).where(events.c.id.in_(ids)))) if ids \
        else set()
    touched = _upsert(conn, events, rows, _EVENT_COLUMNS)
    if rows:
        links = [{"event_id": row["id"], "article_id": row["article_id"], "relation": "coded"}
                 for row in rows]
        conn.execute(insert(event_sources).on_conflict_do_nothing(), links)
        _link_copies(conn, and_(event_sources.c.article_id.in_(article_ids)))
        _merge_incidents(conn, [r for r in rows if r["id"] not in existing], merge_km,
                         merge_days)
    return touched


def _merge_incidents(conn: Connection, new_rows: list[dict[str, Any]], max_km: float,
                     max_days: int) -> None:
    """Point each newly stored event at the incident it reports, if one is stored.

    Runs under the transaction's advisory lock (``_serialise``), so two sinks committing
    reports of the same incident at once cannot both make it a new incident. Stored rows keep their
    decision on replay (only new rows are considered).
    """
    dated = [r for r in new_rows if r["event_date"] is not None]
    if not dated:
        return
    window = timedelta(days=max_days)
    new_ids = [r["id"] for r in dated]
    stored = conn.execute(
        select(*(events.c[f] for f in _MERGE_FIELDS)).where(
            events.c.merged_into.is_(None),
            events.c.event_type.in_({r["event_type"] for r in dated}),
            events.c.event_date.between(min(r["event_date"] for r in dated) - window,
                                        max(r["event_date"] for r in dated) + window),
            events.c.id.notin_(new_ids))).mappings().all()
    incidents = [dict(r) for r in stored]
    for row in sorted(dated, key=lambda r: (r["event_date"], r["article_id"], r["id"])):
        found = event_merge.best_incident(row, incidents, max_km, max_days)
        if found is None:
            incidents.append({f: row[f] for f in _MERGE_FIELDS})
            continue
        conn.execute(update(events).where(events.c.id == row["id"])
                     .values(merged_into=found["id"]))


def _no_nul(value: str | None) -> str | None:
    """Text PostgreSQL accepts: NUL characters become U+FFFD (the bytes keep the original)."""
    return None if value is None else value.replace("\x00", "\ufffd")


def write_rejected(conn: Connection, letters: Sequence[DeadLetter]) -> int:
    """Record dead letters (idempotent on topic:partition:offset).

    A dead letter may describe a row refused for a NUL character, so its text fields are
    made storable; the original bytes are kept untouched in ``payload``.
    """
    rows = _last_per_id({
        "id": _no_nul(f"{d.source_topic}:{d.source_partition}:{d.source_offset}"),
        "stage": _no_nul(d.stage), "error_code": _no_nul(d.error_code),
        "error": _no_nul(d.error), "source_topic": _no_nul(d.source_topic),
        "source_partition": d.source_partition, "source_offset": d.source_offset,
        "article_id": _no_nul(d.article_id),
        "payload": base64.b64decode(d.payload_b64), "failed_at": _timestamp(d.failed_at),
    } for d in letters)
    if not rows:
        return 0
    return max(conn.execute(insert(rejected_messages).on_conflict_do_nothing(), rows).rowcount, 0)
