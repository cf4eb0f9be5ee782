"""The ``marsad`` command: run services, produce articles, run workers, show results."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from marsad.config import PROJECT_ROOT, SETTINGS, ConfigError, Settings, load_settings

console = Console(stderr=True)
out = Console() if sys.stdout.isatty() else Console(width=180)
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class UserError(RuntimeError):
    """An error to show the user in one line, without a traceback."""


def _is_local_kafka(s: Settings) -> bool:
    return "," not in s.kafka_bootstrap and s.kafka_host in LOCAL_HOSTS


def _is_local_db(s: Settings) -> bool:
    return s.database_host in LOCAL_HOSTS


def cmd_up(s: Settings, args: argparse.Namespace) -> int:
    """Start the local broker and database (unless pointed elsewhere), topics, schema."""
    from infra import local_kafka, local_postgres
    from marsad import kafka_admin
    from sinks.database import check, make_engine, migrate

    if _is_local_kafka(s):
        console.print(f"[green]✓[/] {local_kafka.start(s)}")
    kafka_admin.check_reachable(s)
    created = kafka_admin.ensure_topics(s)
    console.print(f"[green]✓[/] topics ready ({len(created)} created)")
    if _is_local_db(s):
        console.print(f"[green]✓[/] {local_postgres.start(s)}")
    engine = make_engine(s)
    check(engine, s)
    migrate(engine, s)
    engine.dispose()
    console.print(f"[green]✓[/] database schema up to date at {s.database_url_safe}")
    return 0


def cmd_down(s: Settings, args: argparse.Namespace) -> int:
    """Stop the local services this project started."""
    from infra import local_kafka, local_postgres

    for line in _stop_workers(s):
        console.print(line)
    console.print(local_kafka.stop(s))
    console.print(local_postgres.stop(s))
    return 0


def _worker_pid_files(s: Settings) -> list[Path]:
    return sorted((s.state_dir / "workers").glob("*.pid"))


def _stop_workers(s: Settings) -> list[str]:
    from infra.processes import stop_pid

    return [f"worker {p.stem} stopped" for p in _worker_pid_files(s) if stop_pid(p)]


def cmd_status(s: Settings, args: argparse.Namespace) -> int:
    """What runs where: services, topics, lag, workers, rows."""
    from marsad.status import render_status

    render_status(s, out)
    return 0


def cmd_worker(s: Settings, args: argparse.Namespace) -> int:
    """Run one Faust worker in the foreground."""
    from marsad import kafka_admin
    from sinks.database import check, make_engine

    kafka_admin.check_reachable(s)
    engine = make_engine(s)
    check(engine, s)
    engine.dispose()
    import faust

    from processors import (
        agents,  # noqa: F401 - registers the agents
        stages,
    )
    from processors.app import app

    stages.warm_up()

    worker = faust.Worker(app, loglevel=s.log_level.lower(), logging_config=app.conf.logging_config)
    worker.execute_from_commandline()
    return 0


def cmd_produce(s: Settings, args: argparse.Namespace) -> int:
    """Publish articles from a folder, a file or standard input."""
    from producers.article_reader import read_source
    from producers.kafka_producer import produce

    items = list(read_source(args.source, sys.stdin))
    with Progress(TextColumn("producing"), BarColumn(), MofNCompleteColumn(), console=console,
                  transient=True, disable=len(items) < 50) as progress:
        task = progress.add_task("produce", total=len(items))
        summary = produce(s, items, progress=lambda: progress.advance(task))
    console.print(f"[green]✓[/] sent {summary.sent} article(s) to "
                  f"{s.topic('articles.raw')}")
    for origin, reason in summary.invalid:
        console.print(f"[yellow]![/] skipped {origin}: {reason}")
    for origin, reason in summary.failed:
        console.print(f"[red]✗[/] failed {origin}: {reason}")
    return 1 if summary.failed else 0


def cmd_events(s: Settings, args: argparse.Namespace) -> int:
    """Print the stored events."""
    from marsad.events_table import print_events

    print_events(s, out, limit=args.limit, evidence=args.evidence)
    return 0


def start_worker_process(s: Settings, name: str, extra_env: dict[str, str] | None = None) -> Path:
    """Start ``marsad worker`` in the background; return its PID file."""
    from infra.processes import spawn

    folder = s.state_dir / "workers"
    folder.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "MARSAD_WORKER_ID": name, **(extra_env or {})}
    pid_file = folder / f"{name}.pid"
    spawn([sys.executable, "-m", "marsad.cli", "worker"], folder / f"{name}.log", pid_file,
          env=env, cwd=PROJECT_ROOT)
    return pid_file


def wait_ready(s: Settings, timeout: float, alive: Callable[[], bool]) -> None:
    """Wait until the worker answers ``/ready`` (partitions assigned, database reachable).

    Producing before the worker's first rebalance has settled risks Faust skipping a
    message fetched under the old generation until the next restart (see issue notes).
    """
    import json
    import urllib.error
    import urllib.request

    url = f"http://{s.web_host}:{s.web_port}/ready"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise UserError("the worker stopped during start-up; see its log under "
                            f"{s.state_dir / 'workers'}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if json.load(response).get("ready"):
                    return
        except (urllib.error.URLError, OSError, ValueError):
            pass
        time.sleep(0.5)
    raise UserError(f"the worker was not ready within {timeout:.0f} s ({url})")


def wait_drained(s: Settings, timeout: float, on_tick: Callable[[int], None] | None = None,
                 alive: Callable[[], bool] | None = None) -> None:
    """Wait until the worker group has committed every message of every pipeline topic."""
    from marsad import kafka_admin

    deadline = time.monotonic() + timeout
    settled = 0
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            raise UserError("the worker stopped unexpectedly; see its log under "
                            f"{s.state_dir / 'workers'}")
        lags = kafka_admin.group_lag(s)
        remaining = sum(p.lag for p in lags)
        if on_tick:
            on_tick(remaining)
        settled = settled + 1 if remaining == 0 and any(p.end_offset for p in lags) else 0
        if settled >= 2:
            return
        time.sleep(1.0)
    raise UserError(f"the pipeline did not drain within {timeout:.0f} s")


def cmd_run(s: Settings, args: argparse.Namespace) -> int:
    """The main job: services up, a worker, the articles produced, the stored events shown."""
    from infra.processes import read_pid, stop_pid

    started = time.monotonic()
    cmd_up(s, args)
    pid_file = start_worker_process(s, "run-worker")
    try:
        wait_ready(s, 120, alive=lambda: read_pid(pid_file) is not None)
        console.print(f"[green]✓[/] worker ready (log: {pid_file.with_suffix('.log')})")
        args.source = args.source or str(PROJECT_ROOT / "seeds")
        if cmd_produce(s, args):
            return 1
        with console.status("processing") as status:
            wait_drained(s, args.timeout,
                         lambda n: status.update(f"processing: {n} message(s) in flight"),
                         alive=lambda: read_pid(pid_file) is not None)
    finally:
        stop_pid(pid_file)
    console.print(f"[green]✓[/] pipeline drained in {time.monotonic() - started:.1f} s")
    cmd_events(s, args)
    return 0


def cmd_replay(s: Settings, args: argparse.Namespace) -> int:
    """Rewind the worker group to the start of topics (stop the workers first)."""
    from marsad import kafka_admin
    from marsad.topics import TOPICS

    names = [s.topic(t) for t in args.topic] if args.topic else [s.topic(t.name) for t in TOPICS]
    count = kafka_admin.rewind_group(s, names)
    console.print(f"[green]✓[/] rewound {count} partition(s) of {', '.join(names)}; start the "
                  "workers to replay (writes are idempotent: no row is duplicated)")
    return 0


def cmd_dlq(s: Settings, args: argparse.Namespace) -> int:
    """List dead letters, or replay them to their source topic after a fix."""
    from marsad import dlq

    if args.action == "list":
        dlq.print_list(s, out, args.stage, args.code, args.limit)
    else:
        count = dlq.replay(s, args.stage, args.code, args.limit)
        console.print(f"[green]✓[/] re-sent {count} message(s) to their source topics")
    return 0


def cmd_config(s: Settings | None, args: argparse.Namespace) -> int:
    """Print the configuration variables (as Markdown with --markdown)."""
    if args.markdown:
        print("| Variable | Default | Meaning |\n|---|---|---|")
        for item in SETTINGS:
            default = item.default.replace(str(PROJECT_ROOT), "<project>")
            print(f"| `{item.env}` | `{default}` | {item.help} |")
        return 0
    for item in SETTINGS:
        value = os.environ.get(item.env, item.default)
        shown = "***" if item.secret and item.env in os.environ else value
        print(f"{item.env}={shown}")
    return 0


def cmd_eval(s: Settings | None, args: argparse.Namespace) -> int:
    """Precision, recall and F1 of the event coder against the seed gold."""
    from processors.coder import evaluate

    return evaluate.main(args.rest)


def cmd_eval_gsr(s: Settings | None, args: argparse.Namespace) -> int:
    """Sentence-level ASSAULT/PROTEST detection against the OEDA Arabic gold standard."""
    from processors.coder import gsr_eval

    return gsr_eval.main(args.rest)


def cmd_eval_dedup(s: Settings | None, args: argparse.Namespace) -> int:
    """Pairwise precision/recall of near-duplicate detection against labelled pairs."""
    from marsad import dedup_eval

    return dedup_eval.main(args.rest)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="marsad", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help=cmd_up.__doc__).set_defaults(func=cmd_up)
    sub.add_parser("down", help=cmd_down.__doc__).set_defaults(func=cmd_down)
    sub.add_parser("status", help=cmd_status.__doc__).set_defaults(func=cmd_status)
    sub.add_parser("worker", help=cmd_worker.__doc__).set_defaults(func=cmd_worker)
    produce = sub.add_parser("produce", help=cmd_produce.__doc__)
    produce.add_argument("source", help="folder, .txt/.html/.jsonl file, or - for stdin")
    produce.set_defaults(func=cmd_produce)
    events = sub.add_parser("events", help=cmd_events.__doc__)
    events.add_argument("--limit", type=int, default=200)
    events.add_argument("--evidence", action="store_true", help="show evidence sentences")
    events.set_defaults(func=cmd_events)
    run = sub.add_parser("run", help=cmd_run.__doc__)
    run.add_argument("source", nargs="?", help="folder or file (default: seeds/)")
    run.add_argument("--timeout", type=float, default=300.0)
    run.add_argument("--limit", type=int, default=200)
    run.add_argument("--evidence", action="store_true")
    run.set_defaults(func=cmd_run)
    replay = sub.add_parser("replay", help=cmd_replay.__doc__)
    replay.add_argument("--topic", action="append", help="logical topic, e.g. articles.raw")
    replay.set_defaults(func=cmd_replay)
    dlq = sub.add_parser("dlq", help=cmd_dlq.__doc__)
    dlq.add_argument("action", choices=("list", "replay"))
    dlq.add_argument("--stage", help="only this stage (clean, dedupe, near_bands, near_decide, "
                     "extract, sink_articles, sink_events, sink_rejected_messages)")
    dlq.add_argument("--code", help="only this error code (bad_json, not_arabic, ...)")
    dlq.add_argument("--limit", type=int, default=100)
    dlq.set_defaults(func=cmd_dlq)
    config = sub.add_parser("config", help=cmd_config.__doc__)
    config.add_argument("--markdown", action="store_true")
    config.set_defaults(func=cmd_config, no_settings=True)
    for name, func in (("eval", cmd_eval), ("eval-gsr", cmd_eval_gsr),
                       ("eval-dedup", cmd_eval_dedup)):
        sub_parser = sub.add_parser(name, help=func.__doc__, add_help=False)
        sub_parser.add_argument("rest", nargs=argparse.REMAINDER)
        sub_parser.set_defaults(func=func, no_settings=True)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``marsad`` console script."""
    from infra.processes import ServiceError
    from marsad import logs
    from marsad.kafka_admin import BrokerUnavailable
    from sinks.database import DatabaseUnavailable

    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown and not hasattr(args, "rest"):
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if unknown:  # argparse leaves a pass-through command's leading options out of `rest`
        args.rest = [*unknown, *args.rest]
    try:
        settings = None if getattr(args, "no_settings", False) else load_settings()
        if settings is not None and args.command != "worker":
            logs.setup(settings.log_level if settings.log_level != "INFO" else "WARNING",
                       settings.log_format)
        signal.signal(signal.SIGTERM, signal.default_int_handler) \
            if args.command == "run" else None
        return args.func(settings, args)
    except (ConfigError, UserError, BrokerUnavailable, DatabaseUnavailable, ServiceError,
            FileNotFoundError) as exc:
        console.print(f"[red]error:[/] {exc}", markup=True, highlight=False)
        return 2
    except subprocess.CalledProcessError as exc:
        console.print(f"[red]error:[/] {exc}")
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
