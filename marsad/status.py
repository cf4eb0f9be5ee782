"""``marsad status``: one screen for operators."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from infra import local_kafka, local_postgres
from infra.processes import read_pid
from marsad import kafka_admin
from marsad.config import Settings
from sinks.database import DatabaseUnavailable, check, make_engine
from sinks.tables import articles, event_sources, events, rejected_messages

PROBE_TIMEOUT_SECONDS = 1.0


def listening_ports(pid: int) -> list[int]:
    """TCP ports ``pid`` listens on (Linux ``/proc``; empty where unreadable)."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return []
    inodes: set[str] = set()
    for fd in fds:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A" and fields[9] in inodes:  # 0A = LISTEN
                ports.add(int(fields[1].rpartition(":")[2], 16))
    return sorted(ports)


def probe_worker(host: str, port: int) -> dict | None:
    """The worker's ``/ready`` answer (ready or not), or None if nothing answers there."""
    url = f"http://{host}:{port}/ready"
    try:
        with urllib.request.urlopen(url, timeout=PROBE_TIMEOUT_SECONDS) as response:
            return json.load(response)
    except urllib.error.HTTPError as exc:  # 503: alive but not ready; the body says why
        try:
            return json.load(exc)
        except ValueError:
            return {"ready": False}
    except (urllib.error.URLError, OSError, ValueError):
        return None


def _health(answer: dict | None) -> str:
    if answer is None:
        return "[red]no answer on /ready[/]"
    if answer.get("ready"):
        return f"ready, {answer.get('assigned_partitions', '?')} partition(s)"
    reasons = []
    if not answer.get("assigned_partitions"):
        reasons.append("no partitions")
    if answer.get("database") is False:
        reasons.append("database unreachable")
    return f"[yellow]not ready[/] ({', '.join(reasons) or 'starting'})"


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
    probed: set[int] = set()
    for pid_file in sorted((s.state_dir / "workers").glob("*.pid")):
        pid = read_pid(pid_file)
        if not pid:
            table.add_row(f"worker {pid_file.stem}", "pid -", "[red]stopped[/]")
            continue
        answers = [(port, probe_worker(s.web_host, port)) for port in listening_ports(pid)]
        answers = [(port, a) for port, a in answers if a is not None]
        probed.update(port for port, _ in answers)
        if not answers:
            table.add_row(f"worker {pid_file.stem}", f"pid {pid}",
                          "running, [yellow]web port not found[/]")
        for port, answer in answers:
            table.add_row(f"worker {pid_file.stem}", f"pid {pid}, http://{s.web_host}:{port}",
                          f"running, {_health(answer)}")
    if s.web_port not in probed:  # a worker started by other means on the configured port
        answer = probe_worker(s.web_host, s.web_port)
        if answer is not None:
            table.add_row(f"worker {answer.get('worker', '?')}",
                          f"http://{s.web_host}:{s.web_port}", _health(answer))
    return table


def _topics(s: Settings) -> Table:
    table = Table(title=f"Topics and lag of group {kafka_admin.consumer_group(s)!r}")
    for column in ("topic", "partitions", "messages (end offsets)", "committed", "lag",
                   "lag by partition"):
        table.add_column(column)
    lags: dict[str, tuple[int, int]] = {}
    by_partition: dict[str, list[str]] = {}
    for p in kafka_admin.group_lag(s):
        committed, lag = lags.get(p.topic, (0, 0))
        lags[p.topic] = (committed + (p.committed or 0), lag + p.lag)
        if p.lag:
            by_partition.setdefault(p.topic, []).append(f"p{p.partition}:{p.lag}")
    for name, partitions, total in kafka_admin.topic_descriptions(s):
        group = lags.get(name)  # None: the group does not read this topic
        table.add_row(name, str(partitions), str(total),
                      "-" if group is None else str(group[0]),
                      "-" if group is None else str(group[1]),
                      " ".join(by_partition.get(name, [])) or "-")
    return table


def _dead_letters(s: Settings) -> str:
    """Messages in the dead-letter topic (sum of end offsets)."""
    topic = s.topic("deadletter")
    return str(sum(kafka_admin.end_offsets(s, [topic]).values()))


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
            newest_date = conn.execute(select(func.max(events.c.event_date))).scalar_one()
            newest_article = conn.execute(select(func.max(articles.c.updated_at))).scalar_one()
            dups = conn.execute(select(func.count()).select_from(articles)
                                .where(articles.c.duplicate_of.is_not(None))).scalar_one()
            by_stage = conn.execute(select(rejected_messages.c.stage, func.count())
                                    .group_by(rejected_messages.c.stage)
                                    .order_by(rejected_messages.c.stage)).all()
        table.add_row("articles marked duplicate", str(dups))
        table.add_row("rejected by stage",
                      ", ".join(f"{stage}: {count}" for stage, count in by_stage) or "-")
        table.add_row("newest event stored at", str(newest or "-"))
        table.add_row("newest event date", str(newest_date or "-"))
        table.add_row("newest article stored at", str(newest_article or "-"))
    finally:
        engine.dispose()
    return table


def render_status(s: Settings, console: Console) -> None:
    """Print services and worker health, topics with lag, dead letters, database rows."""
    console.print(_services(s))
    try:
        console.print(_topics(s))
        console.print(f"Dead-letter topic {s.topic('deadletter')!r}: {_dead_letters(s)} "
                      "message(s) (`marsad dlq list` shows the recorded ones)")
    except kafka_admin.BrokerUnavailable as exc:
        console.print(f"[red]Kafka:[/] {exc}")
    try:
        console.print(_rows(s))
    except DatabaseUnavailable as exc:
        console.print(f"[red]PostgreSQL:[/] {exc}")
