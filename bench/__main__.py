"""Marsad benchmarks: one command, results as JSON and as BENCHMARKS.md.

    .venv/bin/python -m bench [run] [--quick] [--articles 10000] [--rate 50] [--parts ...]
    .venv/bin/python -m bench corpus [--articles N] [--seed S]     # build/describe the corpus
    .venv/bin/python -m bench report [--json PATH]                 # re-render BENCHMARKS.md

``run`` (the default) does, in order:

1. ``corpus``: the load corpus (``bench/corpus.py``), generated into ``.cache/bench/``;
2. ``stages``: each stage alone in process: clean, dedup (exact; MinHash near duplicates when
   ``processors/dedup`` has them), extract, sink (into the benchmark's PostgreSQL), with the
   dedup state size per 100,000 stories and a cProfile of the hottest stage;
3. ``limits``: Kafka produce/consume with kafka-python, PostgreSQL upserts, same payloads;
4. ``e2e``: ``marsad worker`` x1 and x2 over 4 partitions, at saturation (``--e2e-articles``)
   and at a fixed offered load (``--rate`` articles/s for ``--rate-seconds``); then one more
   1-worker saturation run with ``MARSAD_DEDUP_NEAR=false`` (the cost of the streaming
   near-duplicate stage, at most 2,000 articles) and one with the worker under cProfile
   (``--profile-worker`` articles).

Full mode (default): 10,000-article corpus, 5,000 per saturation run, 30 s at the fixed rate.
``--quick``: 2,000 articles, 1,000 per saturation run, 15 s at the fixed rate.

A private broker and database are started for it (``marsad up`` on free ports in a temporary
``MARSAD_STATE_DIR``) and stopped at the end. Results: ``.cache/bench/results/*.json`` and
``BENCHMARKS.md`` at the project root.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from bench import corpus as corpus_mod
from bench import machine
from marsad.config import PROJECT_ROOT

console = Console(stderr=True)
PARTS = ("stages", "limits", "e2e")
DEFAULT_CACHE = PROJECT_ROOT / ".cache" / "bench"
DEFAULT_OUTPUT = PROJECT_ROOT / "BENCHMARKS.md"
QUICK = {"articles": 2000, "e2e_articles": 1000, "rate_seconds": 15.0, "profile_worker": 200}
FULL = {"articles": 10_000, "e2e_articles": 5000, "rate_seconds": 30.0, "profile_worker": 300}


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="run the benchmark (default)")
    run.add_argument("--quick", action="store_true",
                     help=f"{QUICK['articles']:,} articles, {QUICK['rate_seconds']:.0f} s at "
                          "the fixed rate: a few minutes")
    run.add_argument("--articles", type=int, help=f"corpus size (default {FULL['articles']:,}, "
                                                  f"--quick {QUICK['articles']:,})")
    run.add_argument("--seed", type=int, default=7, help="corpus seed (default 7)")
    run.add_argument("--rate", type=float, default=50.0,
                     help="offered load of the latency runs, articles/s (default 50)")
    run.add_argument("--rate-seconds", type=float,
                     help=f"duration of each latency run (default {FULL['rate_seconds']:.0f}, "
                          f"--quick {QUICK['rate_seconds']:.0f})")
    run.add_argument("--e2e-articles", type=int,
                     help=f"articles per saturation run (default {FULL['e2e_articles']:,}, "
                          f"--quick {QUICK['e2e_articles']:,}; at most --articles)")
    run.add_argument("--profile-worker", type=int,
                     help="articles of an extra 1-worker run under cProfile, to see where a "
                          f"worker's time goes (default {FULL['profile_worker']}, --quick "
                          f"{QUICK['profile_worker']}; 0: none)")
    run.add_argument("--parts", default=",".join(PARTS),
                     help=f"comma-separated subset of {','.join(PARTS)} (default: all)")
    run.add_argument("--no-near-off-run", action="store_true",
                     help="skip the extra 1-worker saturation run with MARSAD_DEDUP_NEAR=false "
                          "(the cost of the streaming near-duplicate stage)")
    run.add_argument("--workers", default="1,2", help="worker counts end to end (default 1,2)")
    run.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    run.add_argument("--state-dir", type=Path,
                     help="where the private broker and database live (default: a temporary "
                          "folder, removed afterwards)")
    run.add_argument("--keep-state", action="store_true", help="keep the state folder")
    run.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                     help="Markdown report (default BENCHMARKS.md)")
    run.add_argument("--no-markdown", action="store_true", help="write the JSON only")
    run.add_argument("--before", type=Path,
                     help="an earlier results JSON: adds a before/after table (an "
                          "optimisation's effect)")
    run.add_argument("--preliminary", action="store_true",
                     help="label the figures preliminary (machine busy with other work)")
    corpus = sub.add_parser("corpus", help="build (or load) the corpus and describe it")
    corpus.add_argument("--articles", type=int, default=FULL["articles"])
    corpus.add_argument("--seed", type=int, default=7)
    corpus.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    report = sub.add_parser("report", help="re-render BENCHMARKS.md from a results JSON")
    report.add_argument("--json", type=Path, default=DEFAULT_CACHE / "results" / "latest.json")
    report.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    report.add_argument("--before", type=Path,
                        help="an earlier results JSON: adds a before/after table")
    return parser


def _short_error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc)[:400]}"


def _save(results: dict, cache_dir: Path, stamp: str) -> Path:
    folder = cache_dir / "results"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"bench-{stamp}.json"
    text = json.dumps(results, ensure_ascii=False, indent=2, default=str)
    path.write_text(text, encoding="utf-8")
    (folder / "latest.json").write_text(text, encoding="utf-8")
    return path


def _write_markdown(results: dict, output: Path, before: Path | None = None) -> None:
    from bench.report import render

    earlier = json.loads(before.read_text(encoding="utf-8")) if before else None
    if before:
        results.setdefault("config", {})["before_json"] = _rel(before)
    output.write_text(render(results, earlier), encoding="utf-8")
    console.print(f"[green]✓[/] wrote {_rel(output)}")


def _expected_articles(items: list, stage_data: Any) -> int:
    """Corpus articles that give at least one story (the others are dead-lettered)."""
    from marsad.schemas import InvalidMessage, parse_raw_article
    from processors import stages

    if stage_data is not None and stage_data.payloads:
        return len(set(stage_data.parent_of_story))
    count = 0
    for item in items:
        with contextlib.suppress(InvalidMessage):
            count += bool(stages.clean_stage(parse_raw_article(item.payload(), 1_000_000)))
    return count


def cmd_run(args: argparse.Namespace) -> int:
    from bench import inprocess

    mode = QUICK if args.quick else FULL
    n = args.articles or mode["articles"]
    rate_seconds = args.rate_seconds or mode["rate_seconds"]
    e2e_articles = min(n, args.e2e_articles or mode["e2e_articles"])
    profile_worker = mode["profile_worker"] if args.profile_worker is None \
        else args.profile_worker
    parts = [p.strip() for p in args.parts.split(",") if p.strip()]
    unknown = set(parts) - set(PARTS)
    if unknown:
        console.print(f"[red]error:[/] unknown part(s) {', '.join(sorted(unknown))}")
        return 2
    worker_counts = [int(w) for w in args.workers.split(",") if w.strip()]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    started = time.monotonic()
    command = " ".join([".venv/bin/python -m bench", *sys.argv[1:]]).strip()
    results: dict[str, Any] = {
        "config": {"articles": n, "seed": args.seed, "rate": args.rate,
                   "rate_seconds": rate_seconds, "e2e_articles": e2e_articles,
                   "profile_worker": profile_worker, "parts": parts, "workers": worker_counts,
                   "quick": bool(args.quick), "preliminary": bool(args.preliminary),
                   "command": command},
        "machine": machine.describe(),
    }
    json_path = args.cache_dir / "results" / f"bench-{stamp}.json"
    results["config"]["json_path"] = _rel(json_path)
    console.rule(f"Marsad benchmark: {n:,} articles, parts {', '.join(parts)}")

    items, path = corpus_mod.load_or_build(args.cache_dir, n, args.seed,
                                           log=lambda m: console.print(f"[green]✓[/] {m}"))
    results["corpus"] = {**corpus_mod.describe(items), "path": _rel(path)}

    svc = None
    engine = None
    stage_data = None
    exit_code = 0
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=console, transient=True)
    try:
        if set(parts) & {"stages", "limits", "e2e"}:
            from bench import services
            from sinks.database import make_engine

            with console.status("starting a private Kafka broker and PostgreSQL (marsad up)"):
                t0 = time.monotonic()
                svc = services.launch(args.state_dir)
                engine = make_engine(svc.settings)
            console.print(f"[green]✓[/] services up in {time.monotonic() - t0:.0f} s "
                          f"(state {svc.state}, Kafka {svc.settings.kafka_bootstrap})")
            results["services"] = {"kafka": svc.settings.kafka_bootstrap,
                                   "database": svc.settings.database_url_safe,
                                   "partitions": svc.settings.partitions}

        if "stages" in parts or "limits" in parts:
            with console.status("stages in process") as status:
                stage_results, stage_data = inprocess.run_all(
                    items, engine, svc.settings.sink_batch_size if svc else 200,
                    tick=lambda name: status.update(f"stages in process: {name}"))
            results["stages"] = stage_results
            for key, r in stage_results.items():
                if r.get("available") is False:
                    console.print(f"[yellow]![/] {key}: missing ({r.get('missing')})")
                else:
                    console.print(f"[green]✓[/] {key:12s} {r.get('articles_per_s')} articles/s "
                                  f"(CPU: {r.get('articles_per_cpu_s')} articles/CPU-s)")
            results["profiles"] = []
            for hot in inprocess.hottest(stage_results, 2):  # the two costliest stages
                with console.status(f"profiling a hot stage ({hot})"):
                    results["profiles"].append(inprocess.profile_stage(
                        hot, items, stage_data, engine=engine,
                        batch_size=svc.settings.sink_batch_size if svc else 200))
                console.print(f"[green]✓[/] profiled {hot}")
            _save(results, args.cache_dir, stamp)

        if "limits" in parts and svc is not None and stage_data is not None:
            from bench import limits

            results["limits"] = {}
            with progress:
                task = progress.add_task("Kafka produce (raw limit)", total=len(items))
                try:
                    results["limits"]["kafka"] = limits.kafka_rates(
                        svc.settings, stage_data.payloads,
                        [i.article["article_id"].encode() for i in items],
                        tick=lambda done: progress.update(task, completed=done))
                except Exception as exc:
                    results["limits"]["kafka"] = {"error": _short_error(exc)}
            with console.status("PostgreSQL upserts (raw limit)"):
                try:
                    results["limits"]["postgres"] = limits.postgres_rates(engine, stage_data)
                except Exception as exc:
                    results["limits"]["postgres"] = {"error": _short_error(exc)}
            k, p = results["limits"]["kafka"], results["limits"]["postgres"]
            console.print(f"[green]✓[/] Kafka produce {k.get('produce_msgs_per_s')} msg/s, "
                          f"consume {k.get('consume_msgs_per_s')} msg/s; PostgreSQL "
                          f"{p.get('insert_article_stories_per_s')} stories/s "
                          f"{k.get('error') or p.get('error') or ''}")
            _save(results, args.cache_dir, stamp)

        if "e2e" in parts and svc is not None:
            exit_code |= _run_e2e(args, results, svc, engine, items[:e2e_articles],
                                  stage_data if e2e_articles == len(items) else None,
                                  worker_counts, rate_seconds, stamp, progress)
            if not args.no_near_off_run:
                _near_off_run(args, results, svc, engine, items[:min(e2e_articles, 2000)],
                              stamp)
            if profile_worker > 0:
                _profile_worker(args, results, svc, engine, items[:profile_worker], stamp)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]: writing what was measured")
        exit_code = 130
    finally:
        if engine is not None:
            engine.dispose()
        if svc is not None:
            from bench import services

            with console.status("stopping the private services (marsad down)"):
                services.shutdown(svc, keep_state=args.keep_state)
    results["elapsed_s"] = round(time.monotonic() - started, 1)
    path = _save(results, args.cache_dir, stamp)
    console.print(f"[green]✓[/] results: {_rel(path)}")
    if not args.no_markdown:
        _write_markdown(results, args.output, args.before)
    _print_summary(results)
    return exit_code


def _run_e2e(args: argparse.Namespace, results: dict, svc: Any, engine: Any, items: list,
             stage_data: Any, worker_counts: list[int], rate_seconds: float, stamp: str,
             progress: Progress) -> int:
    from bench import e2e

    expected_all = _expected_articles(items, stage_data)
    n_rate = max(1, min(len(items), int(args.rate * rate_seconds)))
    rate_items = items[:n_rate]
    expected_rate = _expected_articles(rate_items, None)
    results["e2e"] = {"runs": [], "sink_batch_size": svc.settings.sink_batch_size,
                      "sink_batch_seconds": svc.settings.sink_batch_seconds}
    code = 0
    run_id = stamp[-7:-1].lower()
    for workers in worker_counts:
        for mode, subset, expected in (("saturation", items, expected_all),
                                       ("rate", rate_items, expected_rate)):
            label = f"e2e {workers} worker{'s' if workers > 1 else ''}, {mode}"
            with progress:
                task = progress.add_task(label, total=expected)

                seen: dict[str, int] = {}

                def tick(phase: str, done: int, total: int, task: Any = task,
                         label: str = label, seen: dict[str, int] = seen) -> None:
                    progress.update(task, description=f"{label}: {phase}", completed=done,
                                    total=total)
                    if not console.is_terminal:  # no live bar: a line per phase and quarter
                        quarter = 4 * done // max(total, 1)
                        if seen.get(phase, -1) < quarter:
                            seen[phase] = quarter
                            console.print(f"  {label}: {phase} {done:,}/{total:,}")

                try:
                    run = e2e.run(svc, engine, subset, workers, mode, expected=expected,
                                  rate=args.rate, seed=args.seed, run_id=run_id,
                                  timeout=max(900.0, len(subset) / 2), tick=tick)
                except Exception as exc:
                    traceback.print_exc()
                    run = {"workers": workers, "mode": mode,
                           "error": _short_error(exc)}
                    code = 1
            results["e2e"]["runs"].append(run)
            _save(results, args.cache_dir, stamp)
            if "error" in run:
                console.print(f"[red]✗[/] {label}: {run['error'][:300]}")
            else:
                ev = run["latency_event_row"]
                console.print(f"[green]✓[/] {label}: {run['throughput_articles_per_s']} "
                              f"articles/s, event row p50/p95/p99 {ev.get('p50_s')}/"
                              f"{ev.get('p95_s')}/{ev.get('p99_s')} s, peak RSS "
                              f"{run['peak_rss_mb']} MB")
    return code


def _near_off_run(args: argparse.Namespace, results: dict, svc: Any, engine: Any,
                  items: list, stamp: str) -> None:
    """1 worker at saturation with the near-duplicate stage switched off, for comparison."""
    from bench import e2e

    try:
        with console.status(f"1 worker, saturation, MARSAD_DEDUP_NEAR=false ({len(items)} "
                            "articles)"):
            run = e2e.run(svc, engine, items, 1, "saturation",
                          expected=_expected_articles(items, None), rate=args.rate,
                          seed=args.seed, run_id=stamp[-7:-1].lower(),
                          timeout=max(900.0, len(items) / 2),
                          extra_env={"MARSAD_DEDUP_NEAR": "false"}, variant="nearoff")
        console.print(f"[green]✓[/] e2e 1 worker, saturation, near dedup off: "
                      f"{run['throughput_articles_per_s']} articles/s")
    except Exception as exc:
        traceback.print_exc()
        run = {"workers": 1, "mode": "saturation", "variant": "nearoff",
               "error": _short_error(exc)}
    results.setdefault("e2e", {"runs": []})["runs"].append(run)
    _save(results, args.cache_dir, stamp)


def _profile_worker(args: argparse.Namespace, results: dict, svc: Any, engine: Any,
                    items: list, stamp: str) -> None:
    """One more 1-worker saturation run with the worker under cProfile (slower: its
    figures are not reported as throughput), for the worker's own time breakdown."""
    from bench import e2e

    path = svc.state / "workers" / "worker.prof"
    try:
        with console.status(f"profiling a worker over {len(items)} articles (cProfile)"):
            run = e2e.run(svc, engine, items, 1, "saturation",
                          expected=_expected_articles(items, None), rate=args.rate,
                          seed=args.seed, run_id=stamp[-7:-1].lower(), timeout=900,
                          profile_to=path)
        for _ in range(20):  # the worker writes its profile as it exits
            if path.exists() and path.stat().st_size:
                break
            time.sleep(0.5)
        results["worker_profile"] = {"articles": len(items),
                                     "throughput_under_profiler": run.get(
                                         "throughput_articles_per_s"),
                                     **e2e.worker_profile(path)}
        console.print(f"[green]✓[/] profiled a worker over {len(items)} articles")
    except Exception as exc:
        traceback.print_exc()
        results["worker_profile"] = {"error": _short_error(exc)}
    _save(results, args.cache_dir, stamp)


def _print_summary(results: dict) -> None:
    from bench.report import derived

    d = derived(results)
    keys = ("inprocess_articles_per_s", "efficiency_1w", "efficiency_2w",
            "coder_stories_per_cpu_s", "dedup_state_mb_per_100k", "worker_peak_rss_mb",
            "worker_mb_100k_estimate")
    console.print(json.dumps({k: d.get(k) for k in keys}, indent=2))


def cmd_corpus(args: argparse.Namespace) -> int:
    items, path = corpus_mod.load_or_build(args.cache_dir, args.articles, args.seed,
                                           log=lambda m: console.print(f"[green]✓[/] {m}"))
    print(json.dumps({**corpus_mod.describe(items), "path": _rel(path)}, indent=2,
                     ensure_ascii=False))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    results = json.loads(args.json.read_text(encoding="utf-8"))
    _write_markdown(results, args.output, args.before)
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in {"run", "corpus", "report", "-h", "--help"}:
        argv = ["run", *argv]
    args = build_parser().parse_args(argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    if args.command == "corpus":
        return cmd_corpus(args)
    if args.command == "report":
        return cmd_report(args)
    return cmd_run(args)


if __name__ == "__main__":
    sys.exit(main())
