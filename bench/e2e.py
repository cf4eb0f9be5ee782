"""End to end: real broker, real database, ``marsad worker`` processes over 4 partitions.

One run = a fresh topic prefix (fresh topics, consumer group, dedup table), empty tables,
``workers`` workers started and ready, a warm-up of a few articles (lexicons loaded, first
rebalance settled), then the corpus produced with kafka-python exactly as ``marsad produce``
sends it:

- ``saturation``: every article as fast as the producer goes; throughput = articles /
  (last row's ``created_at`` - first send), rows being the articles and events of the corpus;
- ``rate``: articles sent at a fixed offered load (``--rate``); latency of each article =
  ``created_at`` of its last ``articles`` row (resp. ``events`` row) - its send time.

Completion = every non-rejected article has its ``articles`` row and the consumer group has
no lag on any pipeline topic (so the events sink has committed too). ``created_at`` is
PostgreSQL's ``now()``: the start of the sink's transaction, a few ms before its commit.
Peak RSS is each worker's high-water mark (VmHWM); CPU seconds come from /proc.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import machine
from bench.corpus import Item, build
from bench.inprocess import _quantiles, truncate
from bench.services import Services, cpu_seconds

WARM_ARTICLES = 8
CORPUS_PREFIX = "b"  # corpus article ids start with "b" (bench.corpus), warm-up ones with "w"


def _warm_items(seed: int) -> list[Item]:
    """A few unique mosaics, not in the corpus, to warm the workers up."""
    items = [i for i in build(400, seed + 1000) if i.variant == "unique"][:WARM_ARTICLES]
    for item in items:
        item.article["article_id"] = "w" + item.article["article_id"][1:]
    return items


def _count(engine: Any, prefix: str) -> int:
    from sqlalchemy import text

    with engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT count(DISTINCT parent_id) FROM articles WHERE parent_id LIKE :p"),
            {"p": prefix + "%"}).scalar() or 0)


def _rejected(engine: Any) -> int:
    from sqlalchemy import text

    with engine.connect() as conn:
        return int(conn.execute(text(
            "SELECT count(*) FROM rejected_messages WHERE article_id LIKE :p"),
            {"p": CORPUS_PREFIX + "%"}).scalar() or 0)


def _row_times(engine: Any) -> tuple[dict[str, float], dict[str, float]]:
    """Per corpus article: epoch of its last articles row and of its last events row."""
    from sqlalchemy import text

    with engine.connect() as conn:
        arts = dict(conn.execute(text(
            "SELECT parent_id, extract(epoch FROM max(created_at)) FROM articles "
            "WHERE parent_id LIKE :p GROUP BY parent_id"), {"p": CORPUS_PREFIX + "%"}).all())
        evs = dict(conn.execute(text(
            "SELECT a.parent_id, extract(epoch FROM max(e.created_at)) FROM events e "
            "JOIN articles a ON a.id = e.article_id WHERE a.parent_id LIKE :p "
            "GROUP BY a.parent_id"), {"p": CORPUS_PREFIX + "%"}).all())
    return ({k: float(v) for k, v in arts.items()}, {k: float(v) for k, v in evs.items()})


def _messages(settings: Any) -> dict[str, int]:
    """Messages written to every topic of the run (pipeline topics and Faust changelogs)."""
    from marsad import kafka_admin

    try:
        return {name.removeprefix(settings.topic_prefix).lstrip(".-") or name: total
                for name, _parts, total in kafka_admin.topic_descriptions(settings)}
    except Exception as exc:
        return {"error": str(exc)[:200]}  # type: ignore[dict-item]


def _wait(what: str, check: Callable[[], bool], timeout: float, alive: Callable[[], bool],
          interval: float = 0.5) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if not alive():
            raise RuntimeError(f"a worker stopped while waiting for {what}")
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout:.0f} s waiting for {what}")


def _lag_zero(settings: Any) -> Callable[[], bool]:
    from marsad import kafka_admin

    streak = [0]

    def check() -> bool:
        lags = kafka_admin.group_lag(settings)
        done = sum(p.lag for p in lags) == 0 and any(p.end_offset for p in lags)
        streak[0] = streak[0] + 1 if done else 0
        return streak[0] >= 2

    return check


def run(svc: Services, engine: Any, items: list[Item], workers: int, mode: str, *,
        expected: int, rate: float, seed: int, run_id: str, timeout: float,
        profile_to: Path | None = None, extra_env: dict[str, str] | None = None,
        variant: str | None = None,
        tick: Callable[[str, int, int], None] = lambda phase, done, total: None) -> dict:
    """One end-to-end run; ``expected`` = corpus articles that give at least one story."""
    from producers.kafka_producer import encode, make_producer

    tag = "-prof" if profile_to else (f"-{variant}" if variant else "")
    prefix = f"bench{run_id}-w{workers}-{mode[:3]}{tag}"
    env, settings = svc.for_prefix(prefix)
    env = {**env, **(extra_env or {})}
    truncate(engine)
    started = [svc.start_worker(env, f"{prefix}-{k}", profile_to=profile_to)
               for k in range(1, workers + 1)]

    def alive() -> bool:
        return all(w.pid is not None for w in started)

    result: dict[str, Any] = {"workers": workers, "mode": mode, "articles": len(items),
                              "partitions": settings.partitions, "topic_prefix": prefix,
                              "variant": variant, "extra_env": extra_env or {}}
    try:
        tick("starting workers", 0, len(items))
        result["ready_s"] = round(svc.wait_ready(started), 1)
        producer = make_producer(settings)
        topic = settings.topic("articles.raw")
        try:
            warm = _warm_items(seed)
            for item in warm:
                producer.send(topic, key=item.article["article_id"].encode(),
                              value=item.payload())
            producer.flush()
            _wait("the warm-up articles", lambda: _count(engine, "w") >= len(warm), 180, alive)
            rss_warm = [machine.rss_bytes(w.pid) or 0 for w in started if w.pid]
            pids = [w.pid for w in started if w.pid]
            others = [p for p in [svc.kafka_pid(), *svc.postgres_pids()] if p]
            cpu0 = (cpu_seconds(pids), cpu_seconds(others[:1]), cpu_seconds(others[1:]))
            sent_at: dict[str, float] = {}
            t_first = time.time()
            for i, item in enumerate(items):
                if mode == "rate":
                    delay = t_first + i / rate - time.time()
                    if delay > 0:
                        time.sleep(delay)
                article_id = item.article["article_id"]
                sent_at[article_id] = time.time()
                producer.send(topic, key=article_id.encode(), value=encode(item.article))
                if i % 50 == 0:
                    tick("sending", i, len(items))
            producer.flush()
            t_sent = time.time()
        finally:
            producer.close()
        result["send_s"] = round(t_sent - t_first, 2)
        result["offered_rate"] = rate if mode == "rate" else None

        def all_rows() -> bool:
            done = _count(engine, CORPUS_PREFIX)
            tick("rows committed", done, expected)
            return done >= expected

        _wait("every article row", all_rows, timeout, alive)
        _wait("zero consumer lag", _lag_zero(settings), 300, alive, interval=1.0)
        t_drained = time.time()
        result["messages_per_topic"] = _messages(settings)
        peaks = [machine.peak_rss_bytes(w.pid) or 0 for w in started if w.pid]
        result["peak_rss_mb"] = [round(p / 2**20, 1) for p in peaks]
        result["rss_after_warmup_mb"] = [round(r / 2**20, 1) for r in rss_warm]
        growth = sum(peaks) - sum(rss_warm)
        result["rss_growth_mb_per_100k_articles"] = round(
            growth / 2**20 / len(items) * 100_000, 1) if items else None
        result["cpu_s"] = {
            "workers": round(cpu_seconds(pids) - cpu0[0], 1),
            "kafka": round(cpu_seconds(others[:1]) - cpu0[1], 1),
            "postgres": round(cpu_seconds(svc.postgres_pids()) - cpu0[2], 1),
        }
    finally:
        log_lines = {w.name: w.log for w in started}
        svc.stop_workers()
    errors = 0
    for path in log_lines.values():
        with contextlib.suppress(OSError):
            errors += sum(1 for ln in path.read_text(errors="replace").splitlines()
                          if '"level": "error"' in ln)
    result["worker_error_lines"] = errors
    arts, evs = _row_times(engine)
    result["rejected"] = _rejected(engine)
    last = max([*arts.values(), *evs.values()])
    result["article_rows_seen"] = len(arts)
    result["articles_with_events"] = len(evs)
    result["duration_s"] = round(last - t_first, 2)
    result["detected_drained_s"] = round(t_drained - t_first, 2)
    result["throughput_articles_per_s"] = round(len(items) / (last - t_first), 1)
    result["cpu_ms_per_article"] = {k: round(1000 * v / len(items), 2)
                                    for k, v in result["cpu_s"].items()}
    article_lat = [arts[a] - t for a, t in sent_at.items() if a in arts]
    event_lat = [evs[a] - t for a, t in sent_at.items() if a in evs]
    result["latency_article_row"] = _seconds(_quantiles(article_lat))
    result["latency_event_row"] = _seconds(_quantiles(event_lat))
    if mode == "rate":
        result["achieved_send_rate"] = round(len(items) / max(t_sent - t_first, 1e-9), 1)
    return result


def worker_profile(path: Path, top: int = 20) -> dict:
    """Top functions of a worker's cProfile, and own time grouped by package."""
    import pstats

    stats = pstats.Stats(str(path))
    total = stats.total_tt  # type: ignore[attr-defined]
    rows, packages = [], {}
    for (filename, line, func), (_cc, calls, tottime, cumtime, _callers) in \
            stats.stats.items():  # type: ignore[attr-defined]
        package = _package(filename, func)
        packages[package] = packages.get(package, 0.0) + tottime
        rows.append({"function": f"{_short(filename)}:{line}({func})", "calls": calls,
                     "tottime_s": round(tottime, 3), "cumtime_s": round(cumtime, 3),
                     "tottime_share": round(tottime / total, 3) if total else None})
    return {
        "total_s": round(total, 2),
        "by_package": [{"package": k, "tottime_s": round(v, 2),
                        "share": round(v / total, 3) if total else None}
                       for k, v in sorted(packages.items(), key=lambda kv: -kv[1])][:top],
        "top_tottime": sorted(rows, key=lambda r: -r["tottime_s"])[:top],
        "top_cumtime": sorted(rows, key=lambda r: -r["cumtime_s"])[:top],
    }


def _short(filename: str) -> str:
    from bench.inprocess import _short as short

    return short(filename)


def _package(filename: str, func: str) -> str:
    """A coarse owner of a function: the project package or the site-package's top level."""
    if filename == "~":  # built-ins: name them by the builtin (select/epoll, json, zlib...)
        if "select.epoll" in func or "select.select" in func:
            return "idle: waiting for I/O (epoll)"
        name = func.strip("<>").removeprefix("built-in method ").removeprefix("method ")
        return f"builtin: {name.split(' ')[0][:40]}"
    short = _short(filename)
    if "site-packages/" in filename:
        return short.split("/", 1)[0]
    if short.startswith(("processors/", "marsad/", "sinks/", "producers/", "infra/")):
        return "/".join(short.split("/")[:2]) if short.startswith("processors/") \
            else short.split("/", 1)[0]
    return "stdlib: " + short.split("/")[0].removesuffix(".py")


def _seconds(q: dict) -> dict:
    return {k.replace("_ms", "_s"): round(v / 1000, 3) for k, v in q.items()}
