"""Each stage alone, in this process, without Kafka: clean, dedup (exact, and MinHash near
duplicates when ``processors/dedup`` provides them), extract, and the PostgreSQL sink.

Every stage is timed over the whole corpus after a short warm-up, by wall clock and by this
process's CPU time (the CPU figure is the steadier one on a shared machine). The outputs of
each stage feed the next, exactly as the agents chain them, so the sink writes the rows the
pipeline would write.
"""

from __future__ import annotations

import contextlib
import cProfile
import gc
import importlib
import io
import pstats
import re
import time
import tracemalloc
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bench.corpus import Item
from marsad.config import PROJECT_ROOT

WARMUP = 20
PER_100K = 100_000


@dataclass
class StageData:
    """What the stages produced, kept for the sink and for the raw limits."""

    payloads: list[bytes] = field(default_factory=list)
    stories: list[Any] = field(default_factory=list)  # CleanArticle
    parent_of_story: list[int] = field(default_factory=list)
    decisions: list[Any] = field(default_factory=list)  # DedupedArticle
    batches: list[Any] = field(default_factory=list)  # EventBatch
    rejected: dict[str, int] = field(default_factory=dict)


class Timer:
    """Wall and CPU seconds of a block."""

    def __enter__(self) -> Timer:
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall0
        self.cpu = time.process_time() - self.cpu0


def _rates(name: str, articles: int, units: int, timer: Timer, unit: str,
           extra: dict | None = None) -> dict:
    return {
        "stage": name, "articles": articles, unit: units,
        "wall_s": round(timer.wall, 3), "cpu_s": round(timer.cpu, 3),
        "articles_per_s": round(articles / timer.wall, 1) if timer.wall else None,
        "articles_per_cpu_s": round(articles / timer.cpu, 1) if timer.cpu else None,
        f"{unit}_per_s": round(units / timer.wall, 1) if timer.wall else None,
        "ms_per_article_cpu": round(1000 * timer.cpu / articles, 3) if articles else None,
        **(extra or {}),
    }


def _quantiles(values: list[float]) -> dict:
    if not values:
        return {}
    ordered = sorted(values)

    def q(p: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2)

    return {"p50_ms": q(0.50), "p95_ms": q(0.95), "p99_ms": q(0.99), "max_ms": q(1.0)}


# --------------------------------------------------------------------------- clean

def run_clean(items: list[Item], data: StageData) -> dict:
    from marsad.schemas import InvalidMessage, parse_raw_article
    from processors import stages

    data.payloads = [item.payload() for item in items]
    for payload in data.payloads[:WARMUP]:
        with contextlib.suppress(InvalidMessage):
            stages.clean_stage(parse_raw_article(payload, 1_000_000))
    rejected: dict[str, int] = {}
    with Timer() as t:
        for index, payload in enumerate(data.payloads):
            try:
                stories = stages.clean_stage(parse_raw_article(payload, 1_000_000))
            except InvalidMessage as exc:
                rejected[exc.code] = rejected.get(exc.code, 0) + 1
                continue
            data.stories.extend(stories)
            data.parent_of_story.extend([index] * len(stories))
    data.rejected = rejected
    return _rates("clean", len(items), len(data.stories), t, "stories",
                  {"rejected": rejected, "includes": "parse_raw_article + clean_stage"})


# --------------------------------------------------------------------------- dedup

def run_dedup_exact(n_articles: int, data: StageData) -> dict:
    from processors import stages

    table: dict[str, str] = {}
    with Timer() as t:
        for story in data.stories:
            first = table.get(story.text_hash)
            decision = stages.dedup_exact(story, first)
            if first is None:
                table[story.text_hash] = story.article_id
            data.decisions.append(decision)
    dups = sum(1 for d in data.decisions if d.duplicate_of)
    state = _state_size(lambda k: {s.text_hash.encode().decode(): s.article_id.encode().decode()
                                   for s in data.stories[:k]},
                        len(data.stories))
    return _rates("dedup_exact", n_articles, len(data.stories), t, "stories",
                  {"duplicates": dups, "state": state,
                   "includes": "dict lookup (the Faust table's in-memory store) + dedup_exact"})


class NearStep:
    """The MinHash near-duplicate step of ``processors/dedup``, whatever is present of it.

    - ``near.NearDuplicateIndex`` present: ``signature`` + polarity markers
      (``contradiction.polarity_markers``) + ``index.add`` (LSH query, confirmation, insert);
    - only ``minhash`` present: ``signature`` + ``band_keys`` + a stand-in bucket dict
      (band key -> earliest article ids), labelled as such;
    - neither: ``available`` is False and ``missing`` says why.
    """

    def __init__(self) -> None:
        self.available = False
        self.kind = "missing"
        self.missing: str | None = None
        self.index: Any = None
        self.minhash: Any = None
        self.near: Any = None
        self.markers: Callable[[str], Any] | None = None
        self.markers_name: str | None = None
        try:
            self.minhash = importlib.import_module("processors.dedup.minhash")
            self.minhash.signature, self.minhash.band_keys  # noqa: B018 - probe the API
        except Exception as exc:
            self.missing = f"processors.dedup.minhash: {type(exc).__name__}: {exc}"
            return
        self.available = True
        try:
            self.near = importlib.import_module("processors.dedup.near")
            self.near.NearDuplicateIndex  # noqa: B018 - probe the API
            self.kind = "minhash + NearDuplicateIndex"
        except Exception as exc:
            self.near = None
            self.kind = "minhash + stand-in bucket dict (processors.dedup.near absent)"
            self.missing = f"processors.dedup.near: {type(exc).__name__}: {exc}"
        for module_name, name in (("processors.dedup.contradiction", "polarity_markers"),
                                  ("processors.dedup.near", "markers"),
                                  ("processors.dedup.minhash", "markers")):
            try:
                found = getattr(importlib.import_module(module_name), name, None)
            except ImportError:
                found = None
            if callable(found):
                self.markers = found
                self.markers_name = f"{module_name}.{name}"
                break

    def new_index(self) -> Any:
        if self.near is not None:
            return self.near.NearDuplicateIndex()
        return {}

    def add(self, index: Any, article_id: str, text: str) -> Any:
        sig = self.minhash.signature(text)
        if self.near is not None:  # add() computes the band keys itself
            markers = self.markers(text) if self.markers else []
            return index.add(article_id, sig, markers)
        keys = self.minhash.band_keys(sig)
        found = None
        for key in keys:
            bucket = index.setdefault(key, [])
            if bucket and found is None:
                found = bucket[0]
            if len(bucket) < 8:
                bucket.append(article_id)
        return found


def _is_match(result: Any) -> bool:
    if result is None or result is False:
        return False
    if isinstance(result, tuple | list) and not result:
        return False
    return not (hasattr(result, "duplicate_of") and not result.duplicate_of)


def run_dedup_near(n_articles: int, data: StageData) -> dict:
    step = NearStep()
    if not step.available:
        return {"stage": "dedup_near", "available": False, "missing": step.missing}
    # As the dedupe agent: only stories that are not exact copies go to the near search.
    todo = [i for i, d in enumerate(data.decisions) if d.duplicate_of is None]
    texts = [(data.stories[i].article_id, data.stories[i].text) for i in todo]
    warm = step.new_index()
    for article_id, text in texts[:WARMUP]:
        step.add(warm, article_id, text)
    index = step.new_index()
    found: list[Any] = []
    error = None
    with Timer() as t:
        try:
            for article_id, text in texts:
                found.append(step.add(index, article_id, text))
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
    matches = sum(_is_match(f) for f in found)
    if not error and step.near is not None:
        from marsad.schemas import DedupedArticle

        for i, hit in zip(todo, found, strict=True):
            if hit:  # (canonical id, similarity): what the near decision would record
                data.decisions[i] = DedupedArticle(article=data.stories[i],
                                                   duplicate_of=hit[0], similarity=hit[1],
                                                   method="near")
    if error:
        return {"stage": "dedup_near", "available": False, "kind": step.kind,
                "missing": f"index.add failed: {error}"}
    del index
    gc.collect()

    def build(k: int) -> Any:
        fresh = step.new_index()
        for article_id, text in texts[:k]:
            step.add(fresh, article_id, text)
        return fresh

    state = _state_size(build, len(texts))
    return _rates("dedup_near", n_articles, len(texts), t, "stories",
                  {"available": True, "kind": step.kind, "matches": matches,
                   "markers": step.markers_name, "note": step.missing,
                   "state": state})


def _traced(build: Callable[[], Any]) -> int:
    """Bytes of Python heap that the object returned by ``build`` keeps alive."""
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        state = build()
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    del state
    return max(after - before, 0)


def _state_size(build: Callable[[int], Any], stories: int) -> dict:
    """The state ``build(k)`` keeps for the first k stories, at k = n/2 and n; per 100,000
    stories from the slope between the two (fixed and pre-allocated parts cancel out)."""
    half = stories // 2
    full_bytes = _traced(lambda: build(stories))
    half_bytes = _traced(lambda: build(half)) if half else 0
    slope = (full_bytes - half_bytes) / (stories - half) if stories > half else 0
    if slope <= 0:
        slope = full_bytes / stories if stories else 0
    return {"stories": stories, "bytes": full_bytes, "bytes_at_half": half_bytes,
            "bytes_per_story": round(slope, 1),
            "bytes_per_100k_stories": round(slope * PER_100K),
            "method": "tracemalloc (Python heap the state keeps alive), per story from the "
                      "slope between n/2 and n stories"}


# --------------------------------------------------------------------------- extract

def run_extract(n_articles: int, data: StageData, extract_duplicates: bool = False) -> dict:
    from processors import stages

    todo = [d for d in data.decisions if extract_duplicates or d.duplicate_of is None]
    for d in todo[:WARMUP]:
        stages.extract_stage(d)
    stages.warm_up()  # as a worker starts: loaded tables frozen out of the cyclic GC's walks
    per: list[float] = []
    events = 0
    with Timer() as t:
        for d in todo:
            t0 = time.perf_counter()
            batch = stages.extract_stage(d)
            per.append(time.perf_counter() - t0)
            events += len(batch.events)
            data.batches.append(batch)
    out = _rates("extract", n_articles, len(todo), t, "stories",
                 {"events": events, "per_story": _quantiles(per),
                  "includes": "extract_stage (code_article + event records) on the stories "
                              "the dedupe agent forwards (not an exact copy, nor a near "
                              "duplicate when the MinHash step is present)"})
    out["stories_per_cpu_s"] = round(len(todo) / t.cpu, 1) if t.cpu else None
    return out


# --------------------------------------------------------------------------- sink

def _chunks(values: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def truncate(engine: Any) -> None:
    from sqlalchemy import text

    with engine.begin() as conn:
        conn.execute(text("TRUNCATE articles, events, event_sources, rejected_messages"))


def write_timed(engine: Any, article_chunks: Iterable[list[Any]],
                event_chunks: Iterable[list[Any]]) -> tuple[Timer, Timer]:
    """Write the article chunks then the event chunks, one transaction each; their timers."""
    from sinks import postgres_writer

    with Timer() as ta:
        for chunk in article_chunks:
            with engine.begin() as conn:
                postgres_writer.write_articles(conn, chunk)
    with Timer() as te:
        for chunk in event_chunks:
            with engine.begin() as conn:
                postgres_writer.write_event_batches(conn, chunk)
    return ta, te


def run_sink(n_articles: int, data: StageData, engine: Any, batch_size: int) -> dict:
    """The worker's sink path: one transaction per batch, articles then events."""
    truncate(engine)
    ta, te = write_timed(engine, _chunks(data.decisions, batch_size),
                         _chunks(data.batches, batch_size))
    both = Timer()
    both.wall, both.cpu = ta.wall + te.wall, ta.cpu + te.cpu
    events = sum(len(b.events) for b in data.batches)
    out = _rates("sink", n_articles, len(data.decisions), both, "article_rows",
                 {"event_rows": events, "batch_size": batch_size,
                  "articles_wall_s": round(ta.wall, 3), "events_wall_s": round(te.wall, 3),
                  "includes": "postgres_writer.write_articles + write_event_batches, one "
                              "transaction per batch, into empty tables (client CPU only in "
                              "cpu_s; the server's work is in wall_s)"})
    truncate(engine)
    return out


# --------------------------------------------------------------------------- all + profile

def run_all(items: list[Item], engine: Any | None, batch_size: int,
            tick: Callable[[str], None] = lambda _: None) -> tuple[dict, StageData]:
    data = StageData()
    results: dict[str, dict] = {}
    tick("clean")
    results["clean"] = run_clean(items, data)
    tick("dedup (exact)")
    results["dedup_exact"] = run_dedup_exact(len(items), data)
    tick("dedup (near, MinHash)")
    results["dedup_near"] = run_dedup_near(len(items), data)
    tick("extract")
    results["extract"] = run_extract(len(items), data)
    if engine is not None:
        tick("sink")
        results["sink"] = run_sink(len(items), data, engine, batch_size)
    results["total"] = _total(results, len(items))
    return results, data


def _total(results: dict, n: int) -> dict:
    """The same stages back to back in one process: the pipeline's in-process ceiling."""
    parts = [r for r in results.values() if r.get("wall_s") is not None]
    wall = sum(r["wall_s"] for r in parts)
    cpu = sum(r["cpu_s"] for r in parts)
    return {"stage": "total", "articles": n, "stages": [r["stage"] for r in parts],
            "wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
            "articles_per_s": round(n / wall, 1) if wall else None,
            "articles_per_cpu_s": round(n / cpu, 1) if cpu else None}


def hottest(results: dict, count: int = 1) -> list[str]:
    """The ``count`` stages that cost the most CPU in this process, hottest first."""
    stages = [r for k, r in results.items() if k != "total" and r.get("cpu_s") is not None]
    return [r["stage"] for r in sorted(stages, key=lambda r: -r["cpu_s"])[:count]]


def profile_stage(stage: str, items: list[Item], data: StageData, limit: int = 400,
                  top: int = 18, engine: Any = None, batch_size: int = 200) -> dict:
    """cProfile of one stage over the first ``limit`` inputs: the top functions."""
    from marsad.schemas import InvalidMessage, parse_raw_article
    from processors import stages

    work: Callable[[], None]
    if stage == "clean":
        payloads = data.payloads[:limit] or [i.payload() for i in items[:limit]]

        def work() -> None:
            for p in payloads:
                with contextlib.suppress(InvalidMessage):
                    stages.clean_stage(parse_raw_article(p, 1_000_000))
    elif stage == "extract":
        todo = [d for d in data.decisions if d.duplicate_of is None][:limit]

        def work() -> None:
            for d in todo:
                stages.extract_stage(d)
    elif stage.startswith("dedup"):
        step = NearStep()
        texts = [(s.article_id, s.text) for s in data.stories[:limit]]

        def work() -> None:
            index = step.new_index() if step.available else None
            for article_id, text in texts:
                if index is not None:
                    step.add(index, article_id, text)
    elif stage == "sink" and engine is not None:
        from sinks import postgres_writer

        decisions, batches = data.decisions[:limit], data.batches[:limit]
        truncate(engine)

        def work() -> None:
            for chunk in _chunks(decisions, batch_size):
                with engine.begin() as conn:
                    postgres_writer.write_articles(conn, chunk)
            for chunk in _chunks(batches, batch_size):
                with engine.begin() as conn:
                    postgres_writer.write_event_batches(conn, chunk)
    else:
        return {"stage": stage, "profiled": False, "reason": "no database to profile it on"}
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        work()
    finally:
        profiler.disable()
        if stage == "sink":
            truncate(engine)
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = []
    for (filename, line, func), (_cc, calls, tottime, cumtime, _callers) in \
            stats.stats.items():  # type: ignore[attr-defined]
        rows.append({"function": f"{_short(filename)}:{line}({func})", "calls": calls,
                     "tottime_s": round(tottime, 3), "cumtime_s": round(cumtime, 3),
                     "tottime_share": round(tottime / total, 3) if total else None})
    by_tottime = sorted(rows, key=lambda r: -r["tottime_s"])[:top]
    by_cumtime = sorted((r for r in rows if "cProfile" not in r["function"]),
                        key=lambda r: -r["cumtime_s"])[:top]
    return {"stage": stage, "profiled": True, "inputs": limit, "total_s": round(total, 3),
            "top_tottime": by_tottime, "top_cumtime": by_cumtime}


def _short(filename: str) -> str:
    """A file name relative to site-packages, the project, or the standard library."""
    for marker in ("/site-packages/", f"{PROJECT_ROOT}/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    found = re.search(r"/python3\.\d+/(.*)$", filename)
    return found.group(1) if found else filename
