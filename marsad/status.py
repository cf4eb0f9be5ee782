"""``marsad status``: one screen for operators."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from infra import local_kafka, local_postgres
from infra.processes import read_pid
from marsad import kafka_admin
from marsad.config import Settings
from sinks.database import DatabaseUnavailable, check, make_engine
from sinks.tables import articles, event_sources, events, rejected_messages


def _services(s: Settings) -> Table:
    table = Table(title="Services")
    for column in ("service", "address", "state"):
        table.add_column(column)
    kafka_state = "running (ours)" if local_kafka.is_running(s) else "not started here"
    try:
        kafka_admin.check_reachable(s, timeout=1.0)
        kafka_state += ", reachable"
    except kafka_admin.BrokerUnavailable:
        kafka_state += ", [red]unreachable[/]"
    table.add_row("Kafka", s.kafka_bootstrap, kafka_state)
    pg_state = "running (ours)" if local_postgres.is_running(s) else "not started here"
    table.add_row("PostgreSQL", s.database_url_safe, pg_state)
    for pid_file in sorted((s.state_dir / "workers").glob("*.pid")):
        pid = read_pid(pid_file)
        table.add_row(f"worker {pid_file.stem}", f"pid {pid or '-'}",
                      "running" if pid else "[red]stopped[/]")
    return table


def _topics(s: Settings) -> Table:
    table = Table(title=f"Topics and lag of group {kafka_admin.consumer_group(s)!r}")
    for column in ("topic", "partitions", "messages (end offsets)", "committed", "lag"):
        table.add_column(column)
    lags = {}
    for p in kafka_admin.group_lag(s):
        committed, lag = lags.get(p.topic, (0, 0))
        lags[p.topic] = (committed + (p.committed or 0), lag + p.lag)
    for name, partitions, total in kafka_admin.topic_descriptions(s):
        committed, lag = lags.get(name, (None, None))
        table.add_row(name, str(partitions), str(total),
                      "-" if committed is None else str(committed),
                      "-" if lag is None else str(lag))
    return table


def _rows(s: Settings) -> Table:
    table = Table(title="Database")
    table.add_column("table")
    table.add_column("rows")
    engine = make_engine(s)
    try:
        check(engine, s)
        with engine.connect() as conn:
            for t in (articles, events, event_sources, rejected_messages):
                table.add_row(t.name, str(conn.execute(select(func.count()).select_from(t))
                                          .scalar_one()))
            newest = conn.execute(select(func.max(events.c.created_at))).scalar_one()
            dups = conn.execute(select(func.count()).select_from(articles)
                                .where(articles.c.duplicate_of.is_not(None))).scalar_one()
        table.add_row("articles marked duplicate", str(dups))
        table.add_row("newest event stored at", str(newest or "-"))
    finally:
        engine.dispose()
    return table


def render_status(s: Settings, console: Console) -> None:
    """Print services, topics with lag, and database row counts."""
    console.print(_services(s))
    try:
        console.print(_topics(s))
    except kafka_admin.BrokerUnavailable as exc:
        console.print(f"[red]Kafka:[/] {exc}")
    try:
        console.print(_rows(s))
    except DatabaseUnavailable as exc:
        console.print(f"[red]PostgreSQL:[/] {exc}")
