"""Benchmark: the event coder alone, articles per second on one core.

    python -m bench.coder_speed [--seconds 10] [--corpus seeds|shared]

Runs ``clean_text`` once per article up front (not timed), then ``code_article`` over the
corpus repeatedly for the given CPU time on one core, and prints articles/s by CPU time
(``time.process_time``: steadier on a shared machine) and by wall time, CPU ms per article, the
best/median/worst rate over half-second stretches (a shared virtual machine's speed drifts by
a fifth within minutes: the best stretch is the coder's cost with the least interference) and
the per-article p50/p95 wall latency. Results go into BENCHMARKS.md by hand, with machine and date.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from datetime import date
from pathlib import Path

from marsad.compiled import describe
from processors.cleaning.clean import clean_text
from processors.coder.events import CODER_VERSION, code_article
from processors.stages import warm_up

ROOT = Path(__file__).resolve().parent.parent
CHUNK_SECONDS = 0.5
SHARED_ARTICLES = ROOT.parent / "shared" / "data" / "articles" / \
    "saudinewsnet_2015_conflict_sample.jsonl"


def load_corpus(name: str) -> list[tuple[str, date | None]]:
    """(clean text, anchor date) pairs of the chosen corpus."""
    texts: list[tuple[str, date | None]] = []
    if name == "seeds":
        for path in sorted((ROOT / "seeds").glob("*.txt")):
            texts += [(s.text, date(2016, 6, 16)) for s in clean_text(path.read_text())]
    else:
        if not SHARED_ARTICLES.exists():
            raise SystemExit(f"{SHARED_ARTICLES} is absent")
        for line in SHARED_ARTICLES.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            anchor = date.fromisoformat(row["date_extracted"][:10])
            texts += [(s.text, anchor) for s in clean_text(row["content"])]
    return texts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--corpus", choices=("seeds", "shared"), default="seeds")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core
    corpus = load_corpus(args.corpus)
    for text, anchor in corpus:  # warm caches (lexicons, gazetteer) before timing
        code_article(text, anchor)
    warm_up()  # as a worker starts: loaded tables frozen out of the cyclic GC's walks
    latencies: list[float] = []
    chunk_rates: list[float] = []  # articles per CPU-second of each CHUNK_SECONDS stretch
    events = 0
    chars = sum(len(t) for t, _ in corpus)
    started = time.perf_counter()
    cpu_started = chunk_started = time.process_time()
    chunk_articles = rounds = 0
    while time.process_time() - cpu_started < args.seconds:
        for text, anchor in corpus:
            t0 = time.perf_counter()
            events += len(code_article(text, anchor))
            latencies.append(time.perf_counter() - t0)
        rounds += 1
        chunk_articles += len(corpus)
        now = time.process_time()
        if now - chunk_started >= CHUNK_SECONDS:
            chunk_rates.append(chunk_articles / (now - chunk_started))
            chunk_started, chunk_articles = now, 0
    cpu = time.process_time() - cpu_started
    elapsed = time.perf_counter() - started
    latencies.sort()
    chunk_rates.sort()
    print(f"coder {CODER_VERSION} ({describe()}) on {platform.processor() or platform.machine()}, "
          f"python {platform.python_version()}, 1 core, corpus={args.corpus} "
          f"({len(corpus)} stories, {chars // len(corpus)} chars/story on average)")
    print(f"articles/s (CPU): {len(latencies) / cpu:.1f}   "
          f"CPU ms/article: {cpu * 1000 / len(latencies):.3f}   "
          f"articles/s (wall): {len(latencies) / elapsed:.1f}   rounds: {rounds}   "
          f"events/article: {events / len(latencies):.2f}")
    if chunk_rates:
        print(f"articles/s (CPU) per {CHUNK_SECONDS:g} s stretch: best {chunk_rates[-1]:.1f}, "
              f"median {statistics.median(chunk_rates):.1f}, worst {chunk_rates[0]:.1f} "
              f"({len(chunk_rates)} stretches; the spread is the machine's, not the coder's)")
    print(f"latency per article: p50 {statistics.median(latencies) * 1000:.2f} ms, "
          f"p95 {latencies[int(len(latencies) * 0.95) - 1] * 1000:.2f} ms, "
          f"max {latencies[-1] * 1000:.2f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
