"""One 1-worker saturation run, for measuring a worker's per-article CPU before/after a change.

    .venv/bin/python -m bench.worker_cpu [--articles 1000] [--runs 1] [--env K=V ...]
                                         [--state-dir DIR --keep-up] [--py-spy OUT]

It reuses the benchmark's pieces (``bench.services``: a private broker and database;
``bench.corpus``: the load corpus; ``bench.e2e.run``: warm-up, send, drain, CPU from /proc)
and prints, per run, the throughput and the CPU milliseconds per article of the worker,
the broker and PostgreSQL. Compare CPU ms/article rather than articles/s on a shared
machine: process CPU time does not count the time other jobs hold the cores.

``--state-dir DIR --keep-up`` leaves the broker and database running (their environment is
kept in ``DIR/bench-env.json``) so the next invocation with the same ``--state-dir`` starts
at once; ``--down`` stops them. ``--py-spy OUT`` records the worker with py-spy while the
corpus is sent and drained (``OUT`` in py-spy's raw collapsed-stack format; the CPU figures
of such a run include py-spy's sampling pauses). Results are appended to
``.cache/bench/results/worker_cpu.jsonl``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import corpus as corpus_mod
from bench import e2e, services
from marsad.config import PROJECT_ROOT, load_settings

CACHE = PROJECT_ROOT / ".cache" / "bench"
ENV_FILE = "bench-env.json"


def _services(state: Path | None) -> services.Services:
    if state is not None and (state / ENV_FILE).exists():
        env = json.loads((state / ENV_FILE).read_text())
        svc = services.Services(state, env, load_settings(env), owns_state=False)
        svc.marsad("up")  # idempotent: starts whatever stopped
        return svc
    svc = services.launch(state)
    (svc.state / ENV_FILE).write_text(json.dumps(svc.env))
    return svc


def _user_sys(pid: int) -> tuple[float, float]:
    """User and system CPU seconds of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return int(fields[11]) / services.CLOCK_TICKS, int(fields[12]) / services.CLOCK_TICKS


def _py_spy(pid: int, out: Path, seconds: float, gil: bool = False) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("py-spy")
    return subprocess.Popen([str(exe if exe.exists() else "py-spy"), "record", "--pid",  # noqa: S603
                             str(pid), "--duration", str(int(seconds)), "--rate", "100",
                             "--format", "raw", "--nonblocking", *(["--gil"] if gil else []),
                             "-o", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.worker_cpu",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--corpus", type=int, default=2000, help="corpus size (first N used)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for the worker")
    parser.add_argument("--label", default="")
    parser.add_argument("--state-dir", type=Path)
    parser.add_argument("--keep-up", action="store_true")
    parser.add_argument("--down", action="store_true", help="stop the services and exit")
    parser.add_argument("--py-spy", type=Path, help="record the worker into this file")
    parser.add_argument("--py-spy-seconds", type=float, default=30.0)
    parser.add_argument("--py-spy-gil", action="store_true",
                        help="only samples of the thread holding the GIL")
    args = parser.parse_args(argv)

    svc = _services(args.state_dir)
    if args.down:
        services.shutdown(svc)
        if args.state_dir:
            shutil.rmtree(args.state_dir, ignore_errors=True)
        return 0
    from sinks.database import make_engine

    items, _ = corpus_mod.load_or_build(CACHE, args.corpus, args.seed)
    items = items[:args.articles]
    from bench.__main__ import _expected_articles

    expected = _expected_articles(items, None)
    extra = dict(kv.split("=", 1) for kv in args.env)
    engine = make_engine(svc.settings)
    out = CACHE / "results" / "worker_cpu.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        for k in range(args.runs):
            spy: list[subprocess.Popen] = []
            times: dict[str, tuple[float, float]] = {}

            def tick(phase: str, done: int, total: int, spy: list = spy,
                     times: dict = times) -> None:
                pid = svc.workers[0].pid if svc.workers else None
                if pid and phase in ("sending", "rows committed"):
                    key = "start" if phase == "sending" else "end"
                    if key == "end" or key not in times:
                        times[key] = _user_sys(pid)
                if args.py_spy and phase == "sending" and not spy and pid:
                    spy.append(_py_spy(pid, args.py_spy, args.py_spy_seconds,
                                       args.py_spy_gil))

            run_id = f"{int(time.time()) % 100000:05d}{k}"
            t0 = time.monotonic()
            r: dict[str, Any] = e2e.run(svc, engine, items, args.workers, "saturation",
                                        expected=expected, rate=50.0, seed=args.seed,
                                        run_id=run_id, timeout=1800, extra_env=extra,
                                        tick=tick)
            for p in spy:
                threading.Thread(target=p.wait, daemon=True).start()
                p.wait(timeout=args.py_spy_seconds + 30)
            msgs = r.get("messages_per_topic") or {}
            summary = {
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "label": args.label, "env": extra, "articles": len(items),
                "workers": args.workers,
                "throughput_articles_per_s": r["throughput_articles_per_s"],
                "cpu_ms_per_article": r["cpu_ms_per_article"],
                "messages_per_article": round(sum(msgs.values()) / len(items), 2)
                if msgs else None,
                "worker_user_sys_ms_per_article": [
                    round(1000 * (times["end"][i] - times["start"][i]) / len(items), 2)
                    for i in (0, 1)] if args.workers == 1 and len(times) == 2 else None,
                "worker_error_lines": r["worker_error_lines"], "rejected": r["rejected"],
                "article_rows_seen": r["article_rows_seen"],
                "wall_s": round(time.monotonic() - t0, 1), "py_spy": str(args.py_spy or ""),
            }
            print(json.dumps(summary), flush=True)
            with out.open("a") as fh:
                fh.write(json.dumps(summary) + "\n")
    finally:
        engine.dispose()
        if not args.keep_up:
            services.shutdown(svc, keep_state=args.state_dir is not None)
        else:
            svc.stop_workers()
    return 0


if __name__ == "__main__":
    sys.exit(main())
