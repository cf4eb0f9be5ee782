"""BENCHMARKS.md from the results JSON: machine, figures beside the targets of issue 6,
efficiency ratio, where the time goes, and the profile of the hottest stage."""

from __future__ import annotations

from typing import Any

TARGETS = {
    "e2e_2w": 300.0,  # articles/s sustained with 2 workers
    "p95_at_rate": 2.0,  # seconds, at 50 articles/s
    "efficiency": 0.5,  # pipeline / in-process throughput
    "coder_per_core": 200.0,  # articles/s per core, the coder alone
    "worker_mb_100k": 500.0,  # MB, a worker with 100,000 articles in dedup state
}


def _fmt(value: Any, digits: int = 1, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}{unit}"
    if isinstance(value, int):
        return f"{value:,}{unit}"
    return f"{value}{unit}"


def _status(ok: bool | None) -> str:
    return "—" if ok is None else ("✅ met" if ok else "❌ missed")


def _e2e(results: dict, workers: int, mode: str) -> dict | None:
    for run in results.get("e2e", {}).get("runs", []):
        if run.get("workers") == workers and run.get("mode") == mode and "error" not in run \
                and not run.get("variant"):
            return run
    return None


def derived(results: dict) -> dict:
    """Ratios and estimates computed from the raw figures."""
    stages = results.get("stages", {})
    total = stages.get("total", {})
    inproc = total.get("articles_per_s")
    out: dict[str, Any] = {"inprocess_articles_per_s": inproc}
    cores = results.get("machine", {}).get("cores") or 1
    for workers in (1, 2):
        sat = _e2e(results, workers, "saturation")
        if sat and inproc:
            # The same stages in min(workers, cores) processes would do that many times the
            # work of one: the fair "without the broker" reference for N workers.
            parallel = min(workers, cores)
            out[f"efficiency_{workers}w"] = round(
                sat["throughput_articles_per_s"] / (inproc * parallel), 2)
            out[f"efficiency_{workers}w_vs_one_process"] = round(
                sat["throughput_articles_per_s"] / inproc, 2)
        if sat and total.get("cpu_s"):
            pipe_cpu = sum(sat["cpu_ms_per_article"].values())
            in_cpu = 1000 * total["cpu_s"] / total["articles"]
            out[f"cpu_efficiency_{workers}w"] = round(in_cpu / pipe_cpu, 2) if pipe_cpu else None
            out[f"pipeline_cpu_ms_per_article_{workers}w"] = round(pipe_cpu, 2)
    if total.get("cpu_s"):
        out["inprocess_cpu_ms_per_article"] = round(1000 * total["cpu_s"] / total["articles"], 2)
    extract = stages.get("extract", {})
    out["coder_stories_per_cpu_s"] = extract.get("stories_per_cpu_s")
    runs = results.get("e2e", {}).get("runs", [])
    peaks = [p for run in runs for p in run.get("peak_rss_mb", [])]
    state_100k = 0
    n_stories = 0
    for key in ("dedup_exact", "dedup_near"):
        state = stages.get(key, {}).get("state") or {}
        state_100k += state.get("bytes_per_100k_stories") or 0
        n_stories = state.get("stories") or n_stories
    out["dedup_state_mb_per_100k"] = round(state_100k / 2**20, 1) if state_100k else None
    if peaks:
        out["worker_peak_rss_mb"] = max(peaks)
        articles = results.get("corpus", {}).get("articles") or 0
        already = state_100k * min(n_stories, 100_000) / 100_000 if n_stories else 0
        out["worker_mb_100k_estimate"] = round(max(peaks) + (state_100k - already) / 2**20, 1)
        out["worker_mb_estimate_basis"] = (f"peak RSS with {articles:,} articles + the dedup "
                                           "state of the remaining stories up to 100,000")
    return out


def _targets(results: dict, d: dict) -> list[str]:
    sat2 = _e2e(results, 2, "saturation")
    rate_runs = [r for r in (_e2e(results, 1, "rate"), _e2e(results, 2, "rate")) if r]
    rows = ["| Target (issue 6) | Measured | Status |", "|---|---|---|"]
    e2e2 = sat2["throughput_articles_per_s"] if sat2 else None
    rows.append(f"| End to end ≥ {TARGETS['e2e_2w']:.0f} articles/s sustained, 2 workers | "
                f"{_fmt(e2e2)} articles/s | "
                f"{_status(None if e2e2 is None else e2e2 >= TARGETS['e2e_2w'])} |")
    for run in rate_runs:
        p95 = run["latency_event_row"].get("p95_s") or run["latency_article_row"].get("p95_s")
        rows.append(f"| p95 latency ≤ {TARGETS['p95_at_rate']:.0f} s at "
                    f"{_fmt(run['offered_rate'], 0)} articles/s ({run['workers']} worker"
                    f"{'s' if run['workers'] > 1 else ''}, produce → event row) | "
                    f"{_fmt(p95, 2, ' s')} | "
                    f"{_status(None if p95 is None else p95 <= TARGETS['p95_at_rate'])} |")
    for workers in (1, 2):
        eff = d.get(f"efficiency_{workers}w")
        if eff is not None:
            rows.append(f"| Pipeline ≥ {TARGETS['efficiency']:.0%} of in-process throughput "
                        f"({workers} worker{'s' if workers > 1 else ''} vs {workers} "
                        f"in-process stage chain{'s' if workers > 1 else ''}) | {eff:.0%} | "
                        f"{_status(eff >= TARGETS['efficiency'])} |")
    coder = d.get("coder_stories_per_cpu_s")
    rows.append(f"| Coder alone ≥ {TARGETS['coder_per_core']:.0f} articles/s per core | "
                f"{_fmt(coder)} stories per CPU-second | "
                f"{_status(None if coder is None else coder >= TARGETS['coder_per_core'])} |")
    mem = d.get("worker_mb_100k_estimate")
    rows.append(f"| Worker memory ≤ {TARGETS['worker_mb_100k']:.0f} MB with 100,000 articles "
                f"in dedup state | {_fmt(mem, 0, ' MB')} (estimate: "
                f"{d.get('worker_mb_estimate_basis', 'no end-to-end run')}) | "
                f"{_status(None if mem is None else mem <= TARGETS['worker_mb_100k'])} |")
    return rows


def _stage_rows(stages: dict) -> list[str]:
    rows = ["| Stage | Inputs | articles/s (wall) | articles/s (CPU) | CPU ms/article | "
            "Notes |", "|---|---|---|---|---|---|"]
    for key in ("clean", "dedup_exact", "dedup_near", "extract", "sink", "total"):
        r = stages.get(key)
        if not r:
            continue
        if r.get("available") is False:
            rows.append(f"| {key} | — | — | — | — | **missing**: {r.get('missing')} |")
            continue
        units = r.get("stories") or r.get("article_rows") or r.get("articles")
        notes = []
        if key == "clean":
            notes.append(f"{r['stories']:,} stories; rejected {r.get('rejected') or 'none'}")
        if key == "dedup_exact":
            notes.append(f"{r['duplicates']:,} exact duplicates")
        if key == "dedup_near":
            notes.append(f"{r.get('kind')}; {r.get('matches', 0):,} near matches")
        if key == "extract":
            q = r.get("per_story", {})
            notes.append(f"{r['stories']:,} first-seen stories coded, {r['events']:,} events; "
                         f"{_fmt(r.get('stories_per_cpu_s'))} stories/CPU-s; per story p50 "
                         f"{_fmt(q.get('p50_ms'), 1)} ms, p95 {_fmt(q.get('p95_ms'), 1)} ms")
        if key == "sink":
            notes.append(f"{r['article_rows']:,} article rows + {r['event_rows']:,} event rows, "
                         f"batches of {r['batch_size']}; client CPU only")
        if key == "total":
            notes.append("the stages back to back in one process: " + " + ".join(r["stages"]))
        rows.append(f"| **{key}** | {_fmt(units)} | {_fmt(r.get('articles_per_s'))} | "
                    f"{_fmt(r.get('articles_per_cpu_s'))} | "
                    f"{_fmt(r.get('ms_per_article_cpu') or (1000 * r['cpu_s'] / r['articles']), 2)}"
                    f" | {'; '.join(notes)} |")
    return rows


def _e2e_rows(runs: list[dict]) -> list[str]:
    rows = ["| Workers | Load | Articles | Throughput (articles/s) | Article row p50 / p95 / p99 "
            "| Event row p50 / p95 / p99 | Peak RSS per worker | CPU ms/article (workers / "
            "Kafka / PostgreSQL) |", "|---|---|---|---|---|---|---|---|"]
    for r in runs:
        if "error" in r:
            rows.append(f"| {r.get('workers')} | {r.get('mode')} {r.get('variant') or ''} | — | "
                        "**failed**: "
                        f"{r['error'][:200]} | | | | |")
            continue
        load = "saturation" if r["mode"] == "saturation" else \
            f"{_fmt(r['offered_rate'], 0)}/s offered ({_fmt(r.get('achieved_send_rate'))} sent)"
        if r.get("extra_env"):
            load += ", " + ", ".join(f"`{k}={v}`" for k, v in r["extra_env"].items())
        la, le = r["latency_article_row"], r["latency_event_row"]
        cpu = r["cpu_ms_per_article"]
        rows.append(
            f"| {r['workers']} | {load} | {r['articles']:,} | "
            f"{_fmt(r['throughput_articles_per_s'])} | "
            f"{_fmt(la.get('p50_s'), 2)} / {_fmt(la.get('p95_s'), 2)} / {_fmt(la.get('p99_s'), 2)}"
            f" s | {_fmt(le.get('p50_s'), 2)} / {_fmt(le.get('p95_s'), 2)} / "
            f"{_fmt(le.get('p99_s'), 2)} s | "
            f"{', '.join(f'{m:.0f} MB' for m in r['peak_rss_mb'])} | "
            f"{cpu['workers']:.1f} / {cpu['kafka']:.1f} / {cpu['postgres']:.1f} |")
    return rows


def _amplification(results: dict) -> list[str]:
    """Kafka messages written per corpus article, per topic, in the saturation runs."""
    runs = [r for r in results.get("e2e", {}).get("runs", [])
            if r.get("mode") == "saturation" and isinstance(r.get("messages_per_topic"), dict)
            and "error" not in r["messages_per_topic"]]
    if not runs:
        return []
    topics = sorted({t for r in runs for t in r["messages_per_topic"]},
                    key=lambda t: -max(r["messages_per_topic"].get(t, 0) for r in runs))
    head = " | ".join(f"{r['workers']} worker{'s' if r['workers'] > 1 else ''}"
                      + (", near dedup off" if r.get("variant") == "nearoff" else "")
                      for r in runs)
    rows = ["### Kafka messages per article", "",
            "Messages written to each topic of the run (pipeline topics and Faust table "
            "changelogs), divided by the corpus articles (warm-up included):", "",
            f"| Topic | {head} |", "|---|" + "---|" * len(runs)]
    for t in topics:
        rows.append(f"| `{t}` | " + " | ".join(
            f"{r['messages_per_topic'].get(t, 0) / r['articles']:.2f}" for r in runs) + " |")
    rows.append("| **all** | " + " | ".join(
        f"**{sum(r['messages_per_topic'].values()) / r['articles']:.2f}**" for r in runs) + " |")
    return [*rows, ""]


def _analysis(results: dict, d: dict) -> list[str]:
    stages = results.get("stages", {})
    out: list[str] = []
    sat1 = _e2e(results, 1, "saturation")
    cpu = {k: 1000 * r["cpu_s"] / r["articles"] for k, r in stages.items()
           if k != "total" and r.get("cpu_s") is not None and r.get("articles")}
    total_cpu = sum(cpu.values())
    if total_cpu:
        shares = ", ".join(f"{k} {v:.2f} ms ({v / total_cpu:.0%})"
                           for k, v in sorted(cpu.items(), key=lambda kv: -kv[1]))
        top = max(cpu, key=lambda k: cpu[k])
        out.append(f"- **In process**, one article costs {total_cpu:.2f} ms of CPU across the "
                   f"stages: {shares}. The hottest stage is **{top}**.")
    for workers in (1, 2):
        sat = _e2e(results, workers, "saturation")
        if not sat:
            continue
        c = sat["cpu_ms_per_article"]
        pipe = sum(c.values())
        out.append(
            f"- **End to end, {workers} worker{'s' if workers > 1 else ''}**: "
            f"{_fmt(sat['throughput_articles_per_s'])} articles/s; per article the workers "
            f"spend {c['workers']:.2f} ms of CPU, the broker {c['kafka']:.2f} ms and PostgreSQL "
            f"{c['postgres']:.2f} ms ({pipe:.2f} ms in all"
            + (f", {pipe / total_cpu:.1f}× the in-process cost)." if total_cpu else ")."))
        if total_cpu:
            overhead = c["workers"] - total_cpu
            out.append(
                f"  The workers' own overhead over the pure stages (Faust streams, JSON "
                f"(de)serialisation of every intermediate topic, aiokafka, logging, metrics) is "
                f"{overhead:.2f} ms per article ({max(overhead, 0) / c['workers']:.0%} of the "
                f"workers' CPU).")
        msgs = sat.get("messages_per_topic")
        if isinstance(msgs, dict) and msgs and "error" not in msgs:
            per = {t: v / sat["articles"] for t, v in msgs.items()}
            top3 = sorted(per.items(), key=lambda kv: -kv[1])[:3]
            out.append(f"  Each article writes {sum(per.values()):.1f} Kafka messages in all "
                       "(the largest: " + ", ".join(f"`{t}` {v:.1f}" for t, v in top3)
                       + "); every one is serialised, sent, stored, fetched and committed.")
    off = next((r for r in results.get("e2e", {}).get("runs", [])
                if r.get("variant") == "nearoff" and "error" not in r), None)
    if off and sat1:
        msgs_on = sum(sat1.get("messages_per_topic", {}).values()) / sat1["articles"]
        msgs_off = sum(off.get("messages_per_topic", {}).values()) / off["articles"]
        cpu_on, cpu_off = (sum(r["cpu_ms_per_article"].values()) for r in (sat1, off))
        out.append(f"- **The streaming near-duplicate stage's cost**: with "
                   f"`MARSAD_DEDUP_NEAR=false`, 1 worker carries "
                   f"{off['throughput_articles_per_s']:.1f} articles/s instead of "
                   f"{sat1['throughput_articles_per_s']:.1f}, with {msgs_off:.1f} Kafka messages "
                   f"per article instead of {msgs_on:.1f} and {cpu_off:.1f} ms of CPU per "
                   f"article instead of {cpu_on:.1f} (it also codes the near duplicates then).")
    wp = results.get("worker_profile") or {}
    if wp.get("by_package"):
        groups = {"idle": 0.0, "stages": 0.0, "streaming": 0.0}
        for r in wp["by_package"]:
            name = r["package"]
            if name.startswith("idle"):
                groups["idle"] += r["share"] or 0
            elif name.startswith(("processors/", "camel_tools", "numpy")):
                groups["stages"] += r["share"] or 0
            elif name.startswith(("faust", "aiokafka", "mode", "kafka", "stdlib: asyncio",
                                  "builtin: 'send'", "builtin: 'recv", "stdlib: json",
                                  "stdlib: logging", "venusian", "orjson", "croniter")):
                groups["streaming"] += r["share"] or 0
        out.append(f"- **Inside a worker** (cProfile, {wp['articles']:,} articles): "
                   f"{groups['idle']:.0%} of the event loop's time is spent idle waiting for "
                   f"I/O (the broker), {groups['stages']:.0%} in the stages (processors, "
                   f"camel-tools, numpy) and {groups['streaming']:.0%} in the streaming "
                   "machinery (Faust, mode, aiokafka, asyncio, socket sends, JSON, logging); "
                   "start-up imports are included.")
    cores = results.get("machine", {}).get("cores") or 2
    sat1, sat2 = _e2e(results, 1, "saturation"), _e2e(results, 2, "saturation")
    if sat1 and sat2:
        gain = sat2["throughput_articles_per_s"] / sat1["throughput_articles_per_s"]
        out.append(f"- **Scaling**: 2 workers give {gain:.2f}× the throughput of one. On "
                   f"{cores} cores shared by the workers, the broker, PostgreSQL and the "
                   f"producer, the ceiling is about {cores} cores ÷ total CPU per article"
                   + (f" = {1000 * cores / sum(sat2['cpu_ms_per_article'].values()):.0f} "
                      "articles/s." if sum(sat2["cpu_ms_per_article"].values()) else "."))
    if total_cpu:
        need = 1000 * cores / TARGETS["e2e_2w"]
        out.append(f"- **What {TARGETS['e2e_2w']:.0f} articles/s needs**: at most {need:.1f} ms of "
                   f"CPU per article for everything on {cores} cores; the stages alone take "
                   f"{total_cpu:.2f} ms today.")
    limits = results.get("limits", {})
    k, p = limits.get("kafka", {}), limits.get("postgres", {})
    if k.get("produce_msgs_per_s"):
        line = (f"- **Raw limits** for the same messages: kafka-python produces "
                f"{_fmt(k['produce_msgs_per_s'])} msg/s ({_fmt(k.get('produce_mb_per_s'), 2)} "
                f"MB/s, acks=all, gzip) and consumes {_fmt(k.get('consume_msgs_per_s'))} msg/s; "
                f"PostgreSQL takes {_fmt(p.get('insert_article_stories_per_s'))} stories/s "
                f"(articles + events through postgres_writer, {p.get('batch_size')} per "
                "transaction).")
        sat = sat2 or sat1
        msgs = (sat or {}).get("messages_per_topic")
        if sat and isinstance(msgs, dict) and msgs and "error" not in msgs:
            rate = sat["throughput_articles_per_s"] * sum(msgs.values()) / sat["articles"]
            line += (f" At its saturation the pipeline already writes about {rate:,.0f} Kafka "
                     f"messages/s ({sat['throughput_articles_per_s']:.1f} articles/s × "
                     f"{sum(msgs.values()) / sat['articles']:.0f} messages each).")
        line += (f" The producer alone caps the offered load at about "
                 f"{_fmt(k['produce_msgs_per_s'], 0)} articles/s"
                 + (" — below the 300 articles/s target." if k["produce_msgs_per_s"] < 300
                    else "."))
        if p.get("insert_article_stories_per_s"):
            line += (f" The database is not the limit: the pipeline uses "
                     f"{(sat or {}).get('cpu_ms_per_article', {}).get('postgres', 0):.1f} ms "
                     "of PostgreSQL CPU per article.")
        out.append(line)
    return out


def _remedies(results: dict, d: dict) -> list[str]:
    """What would reach each missed target, from the measured figures."""
    out: list[str] = []
    cores = results.get("machine", {}).get("cores") or 2
    stages = results.get("stages", {})
    total = stages.get("total", {})
    stage_ms = 1000 * total["cpu_s"] / total["articles"] if total.get("cpu_s") else None
    sat1, sat2 = _e2e(results, 1, "saturation"), _e2e(results, 2, "saturation")
    sat = sat2 or sat1
    budget = 1000 * cores / TARGETS["e2e_2w"]
    if sat and sat["throughput_articles_per_s"] < TARGETS["e2e_2w"]:
        c = sat["cpu_ms_per_article"]
        out.append(f"- **{TARGETS['e2e_2w']:.0f} articles/s on {cores} cores** leaves "
                   f"{budget:.1f} ms of CPU per article for workers, broker and database "
                   f"together; today: {c['workers']:.1f} + {c['kafka']:.1f} + "
                   f"{c['postgres']:.1f} ms.")
        msgs = sat.get("messages_per_topic") or {}
        if isinstance(msgs, dict) and msgs and "error" not in msgs:
            per = {t: v / sat["articles"] for t, v in msgs.items()}
            near = sum(v for t, v in per.items() if t.startswith(("near-", "articles.near",
                                                                  "articles.bands")))
            if near > 5:
                out.append(f"  - Kafka messages: {sum(per.values()):.0f} per article, "
                           f"{near:.0f} of them for the near-duplicate stage "
                           f"(`near-buckets-changelog` {per.get('near-buckets-changelog', 0):.0f}:"
                           " one changelog record per band bucket written). Writing one record "
                           "per story and partition (its bands together) instead of one per "
                           "band, or a store without a per-key changelog, would remove most "
                           "of the broker's work and much of the workers' send/commit work.")
        if stage_ms:
            out.append(f"  - The stages alone cost {stage_ms:.1f} ms per article, "
                       f"{'more' if stage_ms > budget else 'less'} than the whole budget: "
                       + ("they must get faster too (the costliest first: "
                          + ", ".join(f"{k} {1000 * r['cpu_s'] / r['articles']:.1f} ms"
                                      for k, r in sorted(
                                          ((k, r) for k, r in stages.items()
                                           if k != "total" and r.get("cpu_s")),
                                          key=lambda kv: -kv[1]["cpu_s"])[:3]) + ")."
                          if stage_ms > budget else
                          f"that leaves {budget - stage_ms:.1f} ms for the broker, the database "
                          "and all the streaming overhead, so the stages must get faster too."))
        if stage_ms and c["workers"] > 2 * stage_ms:
            out.append(f"  - Worker overhead: {c['workers'] - stage_ms:.1f} ms per article "
                       "beyond the stages (Faust streams and records, JSON of every "
                       "intermediate topic, aiokafka, an INFO log line per message and stage). "
                       "Fewer hops (stages fused where the key does not change), binary or "
                       "smaller intermediate records and per-batch rather than per-message "
                       "logging cut it.")
    for run in (_e2e(results, 1, "rate"), _e2e(results, 2, "rate")):
        if not run:
            continue
        p95 = run["latency_event_row"].get("p95_s")
        if p95 is not None and p95 > TARGETS["p95_at_rate"]:
            cap = _e2e(results, run["workers"], "saturation")
            capacity = cap["throughput_articles_per_s"] if cap else None
            if capacity and capacity < run["offered_rate"]:
                out.append(f"- **p95 at {run['offered_rate']:.0f}/s, {run['workers']} "
                           f"worker{'s' if run['workers'] > 1 else ''}**: the offered load is "
                           f"above the capacity ({capacity:.1f} articles/s), so the queue grows "
                           "for the whole run and latency with it; the latency target needs "
                           "the throughput first (with margin), then the fixed delays: sink "
                           f"batches wait up to {results.get('e2e', {}).get('sink_batch_seconds')}"
                           " s per table and offsets commit every second.")
                break
    coder = d.get("coder_stories_per_cpu_s")
    if coder is not None and coder < TARGETS["coder_per_core"]:
        out.append(f"- **Coder**: {coder:.0f} stories per CPU-second; "
                   f"{TARGETS['coder_per_core']:.0f} needs "
                   f"{1000 / TARGETS['coder_per_core']:.1f} ms per story instead of "
                   f"{1000 / coder:.1f} ms (see its profile below).")
    mem = d.get("worker_mb_100k_estimate")
    if mem is not None and mem > TARGETS["worker_mb_100k"]:
        near = (stages.get("dedup_near", {}).get("state") or {}).get("bytes_per_story")
        out.append(f"- **Memory**: about {mem:.0f} MB estimated with 100,000 stories in dedup "
                   "state" + (f"; the near-duplicate index keeps {near:,.0f} bytes per story "
                              "(signature, markers and one bucket entry per band)" if near else "")
                   + ". Keeping the near-duplicate tables on disk (RocksDB store), dropping "
                   "stories older than the dedup window, or storing band keys compactly "
                   "would bring it under the target.")
    return out


def _profile(prof: dict | None) -> list[str]:
    if not prof:
        return []
    if not prof.get("profiled"):
        return [f"Hottest stage `{prof['stage']}` not profiled: {prof.get('reason')}."]
    rows = [f"cProfile of **{prof['stage']}** over {prof['inputs']} inputs "
            f"({prof['total_s']:.2f} s profiled; profiling slows it down). Top functions by own "
            "time:", "", "| Function | Calls | Own time (s) | Share | Cumulative (s) |",
            "|---|---|---|---|---|"]
    for r in prof["top_tottime"]:
        rows.append(f"| `{r['function']}` | {r['calls']:,} | {r['tottime_s']:.3f} | "
                    f"{r['tottime_share']:.1%} | {r['cumtime_s']:.3f} |")
    rows += ["", "By cumulative time:", "", "| Function | Cumulative (s) | Calls |",
             "|---|---|---|"]
    for r in prof["top_cumtime"][:12]:
        rows.append(f"| `{r['function']}` | {r['cumtime_s']:.3f} | {r['calls']:,} |")
    return rows


def _worker_profile(wp: dict | None) -> list[str]:
    if not wp:
        return []
    if "error" in wp:
        return ["", f"Worker profile failed: {wp['error']}"]
    rows = ["", "### Inside a worker", "",
            f"An extra 1-worker run over {wp['articles']:,} articles with the worker under "
            f"cProfile (main thread: the event loop and every agent; the sink's database writes "
            f"run in executor threads and are not in it). {wp['total_s']:.1f} s of profiled "
            "time. Own time by package:", "",
            "| Package | Own time (s) | Share |", "|---|---|---|"]
    for r in wp["by_package"][:16]:
        rows.append(f"| `{r['package']}` | {r['tottime_s']:.2f} | {r['share']:.1%} |")
    rows += ["", "Top functions by own time:", "",
             "| Function | Calls | Own time (s) | Share |", "|---|---|---|---|"]
    for r in wp["top_tottime"][:15]:
        rows.append(f"| `{r['function']}` | {r['calls']:,} | {r['tottime_s']:.3f} | "
                    f"{r['tottime_share']:.1%} |")
    return rows


def _before_after(before: dict, after: dict) -> list[str]:
    """Figures of an earlier results JSON beside this one's (an optimisation's effect)."""
    def get(r: dict, *path: str) -> Any:
        for key in path:
            r = r.get(key) if isinstance(r, dict) else None
        return r

    def sat(r: dict, workers: int) -> Any:
        run = _e2e(r, workers, "saturation")
        return run["throughput_articles_per_s"] if run else None

    metrics: list[tuple[str, Any, Any]] = []
    for key in ("clean", "dedup_near", "extract", "sink", "total"):
        metrics.append((f"{key}: articles per CPU-second (in process)",
                        get(before, "stages", key, "articles_per_cpu_s"),
                        get(after, "stages", key, "articles_per_cpu_s")))
    metrics += [
        ("coder: stories per CPU-second", get(before, "stages", "extract", "stories_per_cpu_s"),
         get(after, "stages", "extract", "stories_per_cpu_s")),
        ("PostgreSQL through postgres_writer: stories/s",
         get(before, "limits", "postgres", "insert_article_stories_per_s"),
         get(after, "limits", "postgres", "insert_article_stories_per_s")),
        ("end to end, 1 worker, saturation: articles/s", sat(before, 1), sat(after, 1)),
        ("end to end, 2 workers, saturation: articles/s", sat(before, 2), sat(after, 2)),
    ]
    bm, am = before.get("machine", {}), after.get("machine", {})
    bc, ac = before.get("config", {}), after.get("config", {})
    n_before = bc.get("e2e_articles") or bc.get("articles")
    n_after = ac.get("e2e_articles") or ac.get("articles")
    rows = ["## Before / after", "",
            f"Before: `{str(bm.get('commit'))[:12]}` on {bm.get('date')} "
            f"({before.get('config', {}).get('articles', 0):,} articles, load "
            f"{bm.get('load_average_at_start')}); after: `{str(am.get('commit'))[:12]}` on "
            f"{am.get('date')} (load {am.get('load_average_at_start')}). Both runs of the "
            "working tree at the time; CPU-second rates are the steadier comparison. End to "
            f"end over {_fmt(n_before)} vs {_fmt(n_after)} articles.", "",
            "| Figure | Before | After | Change |", "|---|---|---|---|"]
    for name, b, a in metrics:
        if b is None and a is None:
            continue
        change = f"{a / b:.2f}×" if a and b else "—"
        rows.append(f"| {name} | {_fmt(b)} | {_fmt(a)} | {change} |")
    return [*rows, ""]


def render(results: dict, before: dict | None = None) -> str:
    m = results.get("machine", {})
    cfg = results.get("config", {})
    d = derived(results)
    results["derived"] = d
    lines = ["# Benchmarks", ""]
    if cfg.get("preliminary") or cfg.get("quick"):
        why = []
        if cfg.get("quick"):
            why.append(f"quick mode ({cfg.get('articles'):,} articles)")
        if cfg.get("preliminary"):
            why.append("measured while other engineers ran test suites on the same 2 CPUs")
        lines += [f"> **Preliminary figures** — {'; '.join(why)}. They are noisy; rerun "
                  "`.venv/bin/python -m bench` (full mode) on a quiet machine for the figures "
                  "to quote.", ""]
    lines += [
        f"Generated by `{cfg.get('command', '.venv/bin/python -m bench')}` "
        f"({results.get('elapsed_s', 0):.0f} s). Raw results: `{cfg.get('json_path', '')}`.",
        "",
        "| Machine | |", "|---|---|",
        f"| CPU | {m.get('cpu')} |",
        f"| Cores | {m.get('cores')} (usable: {m.get('cores_usable')}) |",
        f"| RAM | {m.get('ram_gib')} GiB |",
        f"| OS | {m.get('os')} |",
        f"| Python | {m.get('python')} |",
        f"| Date | {m.get('date')} |",
        f"| Commit | `{m.get('commit')}` (HEAD when run; uncommitted changes not detected) |",
        f"| Load average at start | {m.get('load_average_at_start')} |",
        f"| Event coder | {m.get('coder_build', 'pure Python (not recorded)')} |",
        "",
        "## Against the targets of issue 6", "",
        *_targets(results, d), "",
    ]
    corpus = results.get("corpus")
    if corpus:
        lines += ["## Load corpus", "",
                  f"{corpus['articles']:,} articles (seed {cfg.get('seed')}) built from "
                  f"{corpus['bases']} real articles (`seeds/` and "
                  "`../shared/data/articles/`, read in place), cached in "
                  f"`{corpus.get('path')}`. Variants (see `bench/corpus.py`):", "",
                  "| Variant | Articles |", "|---|---|"]
        lines += [f"| {k} | {v:,} |" for k, v in corpus["variants"].items()]
        lines += ["", f"Payload: mean {corpus['payload_bytes_mean']:,} B, median "
                  f"{corpus['payload_bytes_p50']:,} B, max {corpus['payload_bytes_max']:,} B, "
                  f"total {corpus['payload_bytes_total'] / 1e6:.1f} MB.", ""]
    stages = results.get("stages")
    if stages:
        lines += ["## Each stage alone, in process (no Kafka)", "",
                  "Articles/s over the whole corpus (a stage's inputs may be stories: a glued "
                  "article gives several, duplicates are not coded). CPU = this process's CPU "
                  "time, steadier than wall time on a shared machine.", "",
                  *_stage_rows(stages), ""]
        ex, nr = stages.get("dedup_exact", {}), stages.get("dedup_near", {})
        lines += ["### Dedup state", "", "| State | Stories | Bytes | Per 100,000 stories |",
                  "|---|---|---|---|"]
        for name, r in (("exact (text hash → first id)", ex), ("near (MinHash index)", nr)):
            st = r.get("state")
            if st:
                lines.append(f"| {name} | {st['stories']:,} | {st['bytes']:,} | "
                             f"{st['bytes_per_100k_stories'] / 2**20:.1f} MB |")
            elif r:
                lines.append(f"| {name} | — | — | missing: {r.get('missing')} |")
        lines += ["", "Measured with tracemalloc (Python objects the state keeps alive), for "
                  "the stage functions (the exact map, and `NearDuplicateIndex`, the "
                  "single-process reference of the near-duplicate index). The worker keeps "
                  "its tables in memory (store `memory://`) with a changelog topic each."]
        sat1 = _e2e(results, 1, "saturation")
        if sat1 and sat1.get("rss_after_warmup_mb") and sat1.get("peak_rss_mb"):
            start, peak = sat1["rss_after_warmup_mb"][0], sat1["peak_rss_mb"][0]
            kb = 1024 * (peak - start) / sat1["articles"]
            lines += ["", f"In the 1-worker saturation run, the worker's RSS went from "
                      f"{start:.0f} MB after the warm-up to a peak of {peak:.0f} MB over "
                      f"{sat1['articles']:,} articles (≈ {kb:.0f} KB per article: an upper "
                      "bound of its state's growth, since caches, buffers and the allocator's "
                      "arenas grow too; a short run overstates it)."]
        lines.append("")
    limits = results.get("limits")
    if limits:
        k, p = limits.get("kafka", {}), limits.get("postgres", {})
        lines += ["## Raw limits of this machine, same messages and rows", ""]
        if k.get("produce_msgs_per_s"):
            lines += ["| Kafka (kafka-python, 4 partitions) | msg/s | MB/s |", "|---|---|---|",
                      f"| produce ({k['producer']}) | {_fmt(k['produce_msgs_per_s'])} | "
                      f"{_fmt(k['produce_mb_per_s'], 2)} |",
                      f"| consume (KafkaConsumer, no group) | {_fmt(k['consume_msgs_per_s'])} | "
                      f"{_fmt(k['consume_mb_per_s'], 2)} |", ""]
        elif k.get("error"):
            lines += [f"Kafka limits failed: {k['error'][:300]}", ""]
        if p.get("articles_insert_rows_per_s"):
            lines += [f"| PostgreSQL {p.get('server_version')} (fsync {p.get('fsync')}, "
                      f"synchronous_commit {p.get('synchronous_commit')}) | rows/s |",
                      "|---|---|",
                      f"| articles upsert, new rows (postgres_writer, {p['batch_size']}/tx) | "
                      f"{_fmt(p['articles_insert_rows_per_s'])} |",
                      "| events upsert + links, new rows | "
                      f"{_fmt(p['events_insert_rows_per_s'])} |",
                      f"| articles upsert, replay (all conflict, no change) | "
                      f"{_fmt(p['articles_replay_rows_per_s'])} |",
                      f"| events upsert, replay | {_fmt(p['events_replay_rows_per_s'])} |",
                      f"| COPY of the article rows (bulk-load ceiling) | "
                      f"{_fmt(p.get('copy_article_rows_per_s'))} |", ""]
        elif p.get("error"):
            lines += [f"PostgreSQL limits failed: {p['error'][:300]}", ""]
    e2e = results.get("e2e")
    if e2e:
        lines += ["## End to end (real broker and database, 4 partitions)", "",
                  "Throughput: corpus articles ÷ (last article/event row's `created_at` − first "
                  "send). Latency: row `created_at` − the article's send time. Sink batches: "
                  f"{e2e.get('sink_batch_size')} rows or {e2e.get('sink_batch_seconds')} s.", "",
                  *_e2e_rows(e2e.get("runs", [])), ""]
    lines += _amplification(results)
    lines += ["## Efficiency: pipeline ÷ the same stages in process", ""]
    for workers in (1, 2):
        eff = d.get(f"efficiency_{workers}w")
        if eff is not None:
            parallel = min(workers, results.get("machine", {}).get("cores") or 1)
            lines.append(
                f"- {workers} worker{'s' if workers > 1 else ''}: {eff:.0%} of the in-process "
                f"throughput of {parallel} process{'es' if parallel > 1 else ''} "
                f"({parallel} × {_fmt(d['inprocess_articles_per_s'])} articles/s"
                + (f"; {d[f'efficiency_{workers}w_vs_one_process']:.0%} of one process"
                   if parallel > 1 else "")
                + f"); CPU efficiency (in-process CPU ÷ the pipeline's CPU per article, "
                f"workers + broker + database) {_fmt(d.get(f'cpu_efficiency_{workers}w'), 2)}.")
    lines += ["", "## Where the time goes", "", *_analysis(results, d), ""]
    if before:
        lines += _before_after(before, results)
    remedies = _remedies(results, d)
    if remedies:
        lines += ["## What would reach the missed targets", "", *remedies, ""]
    profiles = results.get("profiles") or ([results["profile"]] if results.get("profile")
                                           else [])
    for rank, prof in enumerate(profiles):
        lines += ["", f"### {'The hottest' if rank == 0 else 'The next hottest'} stage in "
                  f"process: {prof['stage']}", "", *_profile(prof)]
    lines += _worker_profile(results.get("worker_profile"))
    lines += ["", "## Reproduce", "", "```sh",
              ".venv/bin/python -m bench            # full: 10,000 articles, 5,000 per e2e run",
              ".venv/bin/python -m bench --quick    # 2,000 articles, 1,000 per e2e run",
              ".venv/bin/python -m bench report     # rewrite this file from the last JSON",
              ".venv/bin/python -m bench report --before OLD.json   # with a before/after table",
              "```", "",
              "`python -m bench --help` lists the options (corpus size and seed, offered rate, "
              "which parts to run).", ""]
    return "\n".join(lines)
