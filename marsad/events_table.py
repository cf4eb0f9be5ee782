"""Render the stored events as a readable terminal table."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from marsad.config import Settings
from sinks.database import check, make_engine

_INCIDENTS = text("""
    SELECT i.*, a.source_name
    FROM incidents i LEFT JOIN articles a ON a.id = i.first_article_id
    ORDER BY i.event_date DESC NULLS LAST, i.first_article_id, i.incident_id
    LIMIT :limit""")


def fetch_events(settings: Settings, limit: int) -> list[dict]:
    """Stored incidents (events reconciled over their reports), newest event date first."""
    engine = make_engine(settings)
    check(engine, settings)
    try:
        with engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(_INCIDENTS, {"limit": limit})]
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
    reports = sum(row["reports"] for row in rows)
    table = Table(title=f"{len(rows)} stored event(s) from {reports} report(s)",
                  show_lines=evidence)
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
                 str(row["source_count"] or 0),
                 (row["source_name"] or row["first_article_id"])[:24]]
        table.add_row(*cells)
        if evidence:
            table.add_row("", f"[dim]{row['evidence']}[/]", *[""] * 7)
    console.print(table)
