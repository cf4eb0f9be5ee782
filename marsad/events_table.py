"""Render the stored events as a readable terminal table."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from marsad.config import Settings
from sinks.database import check, make_engine
from sinks.tables import articles, event_sources, events


def fetch_events(settings: Settings, limit: int) -> list[dict]:
    """Stored events with their number of sources, newest event date first."""
    engine = make_engine(settings)
    check(engine, settings)
    sources = (select(event_sources.c.event_id, func.count().label("sources"))
               .group_by(event_sources.c.event_id).subquery())
    query = (select(events, sources.c.sources, articles.c.source_name)
             .join(sources, sources.c.event_id == events.c.id, isouter=True)
             .join(articles, articles.c.id == events.c.article_id, isouter=True)
             .order_by(events.c.event_date.desc().nulls_last(), events.c.article_id,
                       events.c.evidence_start)
             .limit(limit))
    try:
        with engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]
    finally:
        engine.dispose()


def _actor(name: str | None, inter: int | None) -> str:
    if not name:
        return "—"
    for long, short in (("Military Forces of ", "MF "), ("Government of ", "Gov. ")):
        name = name.replace(long, short)
    return f"{name} ({inter})"


def print_events(settings: Settings, console: Console, limit: int = 200,
                 evidence: bool = False) -> None:
    """Print up to ``limit`` events."""
    rows = fetch_events(settings, limit)
    table = Table(title=f"{len(rows)} stored event(s)", show_lines=evidence)
    for column in ("Date (prec.)", "ACLED sub-event type", "CAMEO/PLOVER", "Actor 1 (inter)",
                   "Actor 2 (inter)", "Place (geo prec.)", "Fatal.", "Src", "Article"):
        table.add_column(column, overflow="fold")
    for row in rows:
        date = f"{row['event_date']} ({row['time_precision']})" if row["event_date"] else "—"
        place = (f"{row['place_name']} ({row['geo_precision']})" if row["place_name"] else "—")
        cells = [date, row["sub_event_type"], f"{row['cameo_code']}/{row['plover_type']}",
                 _actor(row["actor1"], row["actor1_inter"]),
                 _actor(row["actor2"], row["actor2_inter"]), place,
                 "—" if row["fatalities"] is None else str(row["fatalities"]),
                 str(row["sources"] or 0), (row["source_name"] or row["article_id"])[:24]]
        table.add_row(*cells)
        if evidence:
            table.add_row("", f"[dim]{row['evidence']}[/]", *[""] * 7)
    console.print(table)
