"""Dead letters: list what was rejected, and send it back to its topic after a fix."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from sqlalchemy import select

from marsad.config import Settings
from sinks.database import check, make_engine
from sinks.tables import rejected_messages


def _query(stage: str | None, code: str | None, limit: int):
    query = select(rejected_messages).order_by(rejected_messages.c.failed_at.desc()).limit(limit)
    if stage:
        query = query.where(rejected_messages.c.stage == stage)
    if code:
        query = query.where(rejected_messages.c.error_code == code)
    return query


def fetch(settings: Settings, stage: str | None = None, code: str | None = None,
          limit: int = 100) -> list[dict]:
    """Rejected messages, newest first."""
    engine = make_engine(settings)
    try:
        check(engine, settings)
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(_query(stage, code, limit))]
    finally:
        engine.dispose()


def print_list(settings: Settings, console: Console, stage: str | None, code: str | None,
               limit: int) -> None:
    rows = fetch(settings, stage, code, limit)
    table = Table(title=f"{len(rows)} rejected message(s)")
    for column in ("failed at", "stage", "code", "error", "source", "article"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(str(row["failed_at"]), row["stage"], row["error_code"], row["error"][:200],
                      row["id"], row["article_id"] or "—")
    console.print(table)


def replay(settings: Settings, stage: str | None, code: str | None, limit: int) -> int:
    """Re-publish the original bytes of rejected messages to their source topics."""
    from producers.kafka_producer import make_producer

    rows = fetch(settings, stage, code, limit)
    producer = make_producer(settings)
    try:
        for row in rows:
            key = (row["article_id"] or row["id"]).encode()
            producer.send(row["source_topic"], key=key, value=bytes(row["payload"]))
        producer.flush()
    finally:
        producer.close()
    return len(rows)
