"""Fault tolerance on a real Kafka broker and a real PostgreSQL server (issue 5).

Each test streams the 167 SaudiNewsNet articles into the pipeline in small timed chunks and,
mid-stream, kills a worker, stops the database, restarts the broker or stops a worker with
SIGTERM. Afterwards every story must be stored exactly once, with its dedup decision and its
coded events. The expected rows come from the project's own pure stages (``read_source``,
``parse_raw_article``, ``clean_stage``, ``extract_stage``), never from the database.

These tests start their own broker and database (topic prefix ``faults``, own state folder),
so restarting them cannot disturb the session services of ``test_pipeline.py``. Each test
uses its own topic prefix and starts from empty tables.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select, text

from infra import local_kafka, local_postgres
from infra.processes import free_port
from marsad import kafka_admin
from marsad.config import load_settings
from marsad.schemas import (
    CleanArticle,
    DedupedArticle,
    EventBatch,
    EventRecord,
    InvalidMessage,
    parse_raw_article,
)
from processors import stages
from producers.article_reader import ReadResult, read_source
from producers.kafka_producer import encode, make_producer, produce
from sinks.database import make_engine
from sinks.tables import articles, event_sources
from tests.conftest import ROOT, SHARED
from tests.integration.conftest import Services, launch_services, shutdown_services

pytestmark = pytest.mark.integration

CORPUS = SHARED / "data" / "articles" / "saudinewsnet_2015_conflict_sample.jsonl"
CHUNK = 8  # articles per producer call
INTERVAL = 0.75  # seconds between chunks: the 167 articles take about 20 s to send
FAULT_AFTER_ROWS = 24  # the fault strikes once this many article rows are stored
RETRY_LINE = "database write failed; retrying"


@dataclass
class Expected:
    """What the pipeline must store for the corpus, worked out by the pure stages."""

    items: list[ReadResult]
    stories: dict[str, CleanArticle]

    @property
    def sent(self) -> int:
        return len(self.items)


@dataclass
class Worker:
    """A ``marsad worker`` process started (and owned) by a test."""

    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])


@dataclass
class Feeder:
    """Sends the corpus in chunks from a thread; can be paused between chunks."""

    svc: Services
    items: list[ReadResult]
    interval: float = INTERVAL
    hold_at: int | None = None  # pause by itself once this many items are sent
    sent: int = 0
    errors: list[str] = field(default_factory=list)
    running: threading.Event = field(default_factory=threading.Event)
    idle: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        self.running.set()
        threading.Thread(target=self._run, name="feeder", daemon=True).start()

    def _run(self) -> None:
        try:
            for start in range(0, len(self.items), CHUNK):
                if self.hold_at is not None and start >= self.hold_at:
                    self.hold_at = None
                    self.running.clear()
                self.idle.set()
                self.running.wait()
                self.idle.clear()
                summary = produce(self.svc.settings, self.items[start:start + CHUNK])
                self.sent += summary.sent
                self.errors += [f"{o}: {r}" for o, r in summary.failed + summary.invalid]
                time.sleep(self.interval)
        except Exception as exc:  # reported by the test
            self.errors.append(repr(exc))
        finally:
            self.idle.set()
            self.done.set()

    def pause(self, timeout: float = 30) -> None:
        """Stop sending after the chunk in flight, and wait until it is sent."""
        self.running.clear()
        assert self.idle.wait(timeout), "the feeder did not pause"

    def resume(self) -> None:
        self.running.set()

    def finish(self, timeout: float = 120) -> None:
        self.resume()
        assert self.done.wait(timeout), "the feeder did not finish"
        assert not self.errors, f"producing failed: {self.errors[:5]}"
        assert self.sent == len(self.items)


@pytest.fixture(scope="module")
def fault_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    """A broker and a database of these tests alone."""
    if not CORPUS.exists():
        pytest.skip(f"fault-tolerance corpus {CORPUS} is missing")
    svc = launch_services(tmp_path_factory.mktemp("marsad-faults"), "faults")
    try:
        yield svc
    finally:
        shutdown_services(svc)


@pytest.fixture(scope="module")
def expected(fault_services: Services) -> Expected:
    """Every story of the corpus, as the clean stage makes it."""
    items = [item for item in read_source(str(CORPUS)) if item.article is not None]
    stories: dict[str, CleanArticle] = {}
    limit = fault_services.settings.max_article_bytes
    for item in items:
        assert item.article is not None
        try:
            raw = parse_raw_article(encode(item.article), limit)
            stories.update((s.article_id, s) for s in stages.clean_stage(raw))
        except InvalidMessage as exc:
            pytest.fail(f"corpus article {item.origin} would be rejected: {exc.code}")
    return Expected(items, stories)


@pytest.fixture
def scenario(fault_services: Services, request: pytest.FixtureRequest) -> Iterator[Services]:
    """Fresh topics (own prefix) and empty tables for one test; its workers end with it."""
    prefix = f"faults-{request.node.name.removeprefix('test_').replace('_', '-')}"
    env = {**fault_services.env, "MARSAD_TOPIC_PREFIX": prefix,
           "MARSAD_SINK_BATCH_SIZE": "20"}
    svc = Services(env, load_settings(env))
    svc.marsad("up", timeout=300)
    engine = make_engine(svc.settings)
    try:
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE articles, events, event_sources, rejected_messages"))
    finally:
        engine.dispose()
    workers: list[Worker] = []
    svc.owned = workers  # type: ignore[attr-defined]
    try:
        yield svc
    finally:
        for worker in workers:
            if worker.alive():
                worker.proc.kill()
            worker.proc.wait(30)
        # leave the services up for the next test even if this one stopped them
        local_postgres.start(svc.settings)
        local_kafka.start(svc.settings)


def start_worker(svc: Services, name: str, timeout: float = 120) -> Worker:
    """Start ``marsad worker`` (as ``start_worker_process`` does) and wait for ``/ready``."""
    port = free_port()
    env = {**svc.env, "MARSAD_WEB_PORT": str(port), "MARSAD_WORKER_ID": name}
    folder = svc.settings.state_dir / "workers"
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / f"{name}.log"
    with open(log, "ab") as handle:
        proc = subprocess.Popen(
            [sys.executable, "-m", "marsad.cli", "worker"], stdout=handle,
            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=ROOT,
            start_new_session=True)
    worker = Worker(name, proc, port, log)
    svc.owned.append(worker)  # type: ignore[attr-defined]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert worker.alive(), f"worker {name} died at start:\n{worker.tail()}"
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=2) as resp:
                if json.load(resp).get("ready"):
                    return worker
        except (urllib.error.URLError, OSError, ValueError):
            pass
        time.sleep(0.5)
    raise AssertionError(f"worker {name} not ready within {timeout} s:\n{worker.tail()}")


def stored_count(svc: Services) -> int:
    """Article rows stored so far."""
    engine = make_engine(svc.settings)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM articles")).scalar_one())
    finally:
        engine.dispose()


def wait_rows(svc: Services, worker: Worker, rows: int, timeout: float = 120) -> int:
    """Wait until at least ``rows`` article rows are stored; return the count."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert worker.alive(), f"worker {worker.name} died:\n{worker.tail()}"
        count = stored_count(svc)
        if count >= rows:
            return count
        time.sleep(0.2)
    raise AssertionError(f"fewer than {rows} rows stored after {timeout} s:\n{worker.tail()}")


def drain(svc: Services, worker: Worker, timeout: float = 180) -> None:
    """Wait until the worker group has committed every message of every topic."""
    from marsad.cli import wait_drained

    try:
        wait_drained(svc.settings, timeout, alive=worker.alive)
    except Exception as exc:
        raise AssertionError(f"{exc}; log of {worker.name}:\n{worker.tail()}") from exc


def rss_kib(pid: int) -> int:
    """Resident set size of ``pid`` in KiB (VmRSS)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


def verify(svc: Services, exp: Expected, label: str, started: float, extra: str = "",
           rejected_expected: int = 0) -> None:
    """Every story stored once with the right dedup decision and its coded events."""
    engine = make_engine(svc.settings)
    try:
        with engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(select(
                articles.c.id, articles.c.parent_id, articles.c.part, articles.c.text_hash,
                articles.c.duplicate_of, articles.c.dedup_method))]
            links = {(r.event_id, r.article_id) for r in conn.execute(
                select(event_sources.c.event_id, event_sources.c.article_id)
                .where(event_sources.c.relation == "coded"))}
            pairs_twice = conn.execute(text(
                "SELECT id, text_hash FROM articles GROUP BY id, text_hash "
                "HAVING count(*) > 1")).fetchall()
            stories_twice = conn.execute(text(
                "SELECT parent_id, part FROM articles GROUP BY parent_id, part "
                "HAVING count(*) > 1")).fetchall()
            rejected = conn.execute(text("SELECT count(*) FROM rejected_messages")).scalar_one()
            reasons = conn.execute(text(
                "SELECT stage, error_code, min(error), count(*) FROM rejected_messages "
                "GROUP BY stage, error_code ORDER BY count(*) DESC")).fetchall()
    finally:
        engine.dispose()
    by_hash: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_hash[row["text_hash"]].append(row)
    originals = [r for r in rows if r["duplicate_of"] is None]
    extra_originals = sum(max(0, sum(r["duplicate_of"] is None for r in g) - 1)
                          for g in by_hash.values())
    duplicates = len(pairs_twice) + len(stories_twice) + extra_originals
    expected_links = set()
    for row in originals:
        story = exp.stories.get(row["id"])
        if story is not None:
            batch = stages.extract_stage(DedupedArticle(article=story))
            expected_links |= {(e.event_id, e.article_id) for e in batch.events}
    print(f"\n[{label}] sent={exp.sent} expected_rows={len(exp.stories)} stored_rows={len(rows)} "
          f"duplicate_rows={duplicates} copies_marked={len(rows) - len(originals)} "
          f"coded_links={len(links)}/{len(expected_links)} rejected={rejected} "
          f"duration={time.monotonic() - started:.1f}s{extra}")
    assert sorted(r["id"] for r in rows) == sorted(exp.stories), "stored ids differ"
    assert all(r["text_hash"] == exp.stories[r["id"]].text_hash for r in rows)
    assert duplicates == 0
    assert set(by_hash) == {s.text_hash for s in exp.stories.values()}
    ids = {r["id"] for r in rows}
    assert all(r["duplicate_of"] in ids for r in rows if r["duplicate_of"]), \
        "a copy points at a story that is not stored"
    for group in by_hash.values():  # one original per text, exact copies point at it
        group_originals = [r for r in group if r["duplicate_of"] is None]
        assert len(group_originals) <= 1
        if group_originals:
            first = group_originals[0]
            assert all(r["duplicate_of"] == first["id"] for r in group
                       if r is not first and r["dedup_method"] == "exact")
    # every original coded exactly as the coder codes it; a near copy may have been coded
    # too (before a late near decision, or when it contradicts its original), never more
    possible = set(expected_links)
    for row in rows:
        story = exp.stories.get(row["id"])
        if row["duplicate_of"] is not None and story is not None:
            batch = stages.extract_stage(DedupedArticle(article=story))
            possible |= {(e.event_id, e.article_id) for e in batch.events}
    assert expected_links <= links <= possible, "coded events differ from the coder's output"
    assert rejected == rejected_expected, [tuple(r) for r in reasons]


def test_sigkilled_worker_is_replaced_without_loss(scenario: Services, expected: Expected) -> None:
    """SIGKILL mid-stream, then a new worker: every story once, every story coded."""
    started = time.monotonic()
    first = start_worker(scenario, "kill-w1")
    feeder = Feeder(scenario, expected.items)
    feeder.start()
    at_kill = wait_rows(scenario, first, FAULT_AFTER_ROWS)
    first.proc.kill()
    assert first.proc.wait(10) == -signal.SIGKILL
    assert not feeder.done.is_set() and at_kill < len(expected.stories), "fault came too late"
    second = start_worker(scenario, "kill-w2")
    feeder.finish()
    drain(scenario, second)
    assert second.alive()
    verify(scenario, expected, "sigkill", started, f" rows_at_kill={at_kill}")


def test_database_outage_backs_off_and_recovers(scenario: Services,
                                               expected: Expected) -> None:
    """PostgreSQL down for 30 s mid-stream: the sink retries, memory stays bounded."""
    started = time.monotonic()
    worker = start_worker(scenario, "db-w1")
    # Half the corpus is held back until the database is down, so the sink must write then.
    feeder = Feeder(scenario, expected.items, hold_at=len(expected.items) // 2)
    feeder.start()
    at_stop = wait_rows(scenario, worker, FAULT_AFTER_ROWS)
    feeder.pause()
    rss_before = rss_kib(worker.pid)
    local_postgres.stop(scenario.settings)
    down_at = time.monotonic()
    feeder.resume()
    rss_peak = rss_before
    while time.monotonic() - down_at < 30:
        assert worker.alive(), f"worker died during the outage:\n{worker.tail()}"
        rss_peak = max(rss_peak, rss_kib(worker.pid))
        time.sleep(1)
    assert not feeder.done.is_set() or feeder.sent == expected.sent
    local_postgres.start(scenario.settings)
    feeder.finish()
    drain(scenario, worker)
    assert worker.alive()
    retries = worker.log_text().count(RETRY_LINE)
    rss_after = rss_kib(worker.pid)
    verify(scenario, expected, "db-outage", started,
           f" rows_at_stop={at_stop} retry_lines={retries} rss_before={rss_before // 1024}MiB"
           f" rss_peak_outage={rss_peak // 1024}MiB rss_after={rss_after // 1024}MiB")
    assert retries >= 1, f"no '{RETRY_LINE}' in the worker log:\n{worker.tail()}"
    assert rss_peak - rss_before < 200 * 1024, "worker memory grew by 200 MiB in 30 s"


def test_broker_restart_is_survived(scenario: Services, expected: Expected) -> None:
    """The broker stopped and started mid-stream: the worker reconnects by itself."""
    started = time.monotonic()
    worker = start_worker(scenario, "kafka-w1")
    feeder = Feeder(scenario, expected.items)
    feeder.start()
    at_stop = wait_rows(scenario, worker, FAULT_AFTER_ROWS)
    feeder.pause()
    local_kafka.stop(scenario.settings)
    down_at = time.monotonic()
    time.sleep(5)
    local_kafka.start(scenario.settings)
    outage = time.monotonic() - down_at
    assert worker.alive(), f"worker died while the broker was down:\n{worker.tail()}"
    feeder.finish()
    drain(scenario, worker, timeout=240)
    assert worker.alive(), f"worker died after the broker restart:\n{worker.tail()}"
    verify(scenario, expected, "broker-restart", started,
           f" rows_at_stop={at_stop} broker_down={outage:.1f}s")


def test_sigterm_exits_cleanly_and_restart_completes(scenario: Services,
                                                     expected: Expected) -> None:
    """SIGTERM mid-stream: clean exit within 30 s; a new worker finishes the stream."""
    started = time.monotonic()
    first = start_worker(scenario, "term-w1")
    feeder = Feeder(scenario, expected.items)
    feeder.start()
    at_term = wait_rows(scenario, first, FAULT_AFTER_ROWS)
    term_at = time.monotonic()
    os.kill(first.pid, signal.SIGTERM)
    try:
        code = first.proc.wait(30)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"worker ignored SIGTERM for 30 s:\n{first.tail()}") from None
    exit_s = time.monotonic() - term_at
    assert code == 0, f"worker exited with {code} on SIGTERM:\n{first.tail()}"
    assert at_term < len(expected.stories), "fault came too late"
    second = start_worker(scenario, "term-w2")
    feeder.finish()
    drain(scenario, second)
    verify(scenario, expected, "sigterm", started,
           f" rows_at_term={at_term} exit_code={code} exit_after={exit_s:.1f}s")


def bound_address(port: int) -> str:
    """The IPv4 address a local TCP listener on ``port`` is bound to."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, _, hex_port = local.partition(":")
        if state == "0A" and int(hex_port, 16) == port:
            return ".".join(str(int(address[i:i + 2], 16)) for i in (6, 4, 2, 0))
    raise AssertionError(f"nothing listens on port {port}")


def operator_status(svc: Services, worker: Worker) -> str:
    """``marsad status`` output with ``worker`` registered as the CLI registers workers."""
    pid_file = svc.settings.state_dir / "workers" / f"{worker.name}.pid"
    pid_file.write_text(str(worker.pid))
    try:
        out = svc.marsad("status", timeout=120).stdout
    finally:
        pid_file.unlink(missing_ok=True)
    print(out)
    return out


def metric_total(worker: Worker, name: str) -> dict[str, float]:
    """Samples of metric ``name`` on the worker's ``/metrics`` page, by label string."""
    with urllib.request.urlopen(f"http://127.0.0.1:{worker.port}/metrics", timeout=5) as resp:
        page = resp.read().decode()
    samples: dict[str, float] = {}
    for line in page.splitlines():
        if line.startswith(name + "{") or line.startswith(name + " "):
            labels, _, value = line.rpartition(" ")
            samples[labels.removeprefix(name)] = float(value)
    return samples


def test_rebalance_when_a_second_worker_joins_and_leaves(scenario: Services,
                                                         expected: Expected) -> None:
    """A second worker joins mid-stream, takes partitions, then leaves on SIGTERM.

    Two rebalances while messages flow: nothing may be skipped (Faust has been seen to skip
    offsets fetched under an old generation) and nothing doubled.
    """
    started = time.monotonic()
    first = start_worker(scenario, "rebal-w1")
    feeder = Feeder(scenario, expected.items, interval=2.0)  # about 45 s of stream
    feeder.start()
    at_join = wait_rows(scenario, first, FAULT_AFTER_ROWS)
    second = start_worker(scenario, "rebal-w2")  # returns once it holds partitions
    joined_at = time.monotonic()
    w2_in = 0.0
    deadline = time.monotonic() + 60
    while w2_in == 0 and time.monotonic() < deadline:  # until the newcomer has worked
        assert second.alive(), f"second worker died:\n{second.tail()}"
        w2_in = sum(metric_total(second, "marsad_messages_in_total").values())
        time.sleep(0.5)
    at_leave = wait_rows(scenario, second, at_join + FAULT_AFTER_ROWS // 2)
    assert first.alive(), f"first worker died in the rebalance:\n{first.tail()}"
    lag_on_w1 = metric_total(first, "marsad_consumer_lag")
    w2_in = sum(metric_total(second, "marsad_messages_in_total").values())
    assert not feeder.done.is_set(), "the stream ended before the second worker left"
    os.kill(second.pid, signal.SIGTERM)
    try:
        code = second.proc.wait(30)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"second worker ignored SIGTERM:\n{second.tail()}") from None
    assert code == 0, f"second worker exited with {code}:\n{second.tail()}"
    feeder.finish()
    drain(scenario, first, timeout=240)
    assert first.alive()
    assert w2_in > 0, "the second worker never processed a message"
    assert lag_on_w1, "no marsad_consumer_lag gauge on the first worker"
    assert bound_address(first.port) == "127.0.0.1", "worker web port not on loopback"
    status = operator_status(scenario, first)
    assert "ready, " in status and "lag by partition" in status
    assert "Dead-letter topic" in status and "newest event stored at" in status
    verify(scenario, expected, "rebalance", started,
           f" rows_at_join={at_join} rows_at_leave={at_leave} "
           f"w2_held_for={time.monotonic() - joined_at:.1f}s w2_messages_in={w2_in:.0f} "
           f"w1_lag_gauges={len(lag_on_w1)}")


def _raw_poison(max_bytes: int) -> list[bytes]:
    """Raw messages the clean stage must dead-letter, one of each kind."""
    arabic = "قالت مصادر محلية إن اشتباكات عنيفة اندلعت في المدينة صباح اليوم. " * 3
    return [
        b"{not json",
        b"\xff\xfe\x00broken utf-8",
        b"[1, 2, 3]",
        json.dumps({"article_id": "p-type", "text": 42}).encode(),
        json.dumps({"text": arabic}).encode(),  # no article_id
        json.dumps({"article_id": "p-empty", "text": "   "}).encode(),
        json.dumps({"article_id": "p-english", "text": "The weather was fine in London "
                    "yesterday, and nothing else happened at all today."}).encode(),
        json.dumps({"article_id": "p-html", "content_type": "html",
                    "text": "<div><script>var a=1;</script><style>p{}</style></div>" * 3}
                   ).encode(),
        json.dumps({"article_id": "p-date", "text": arabic, "published_at": "yesterday"}
                   ).encode(),
        json.dumps({"article_id": "p-version", "text": arabic, "schema_version": 99}).encode(),
        json.dumps({"article_id": "p-big", "text": "ا" * (max_bytes // 2 + 10)},
                   ensure_ascii=False).encode(),  # over the limit, under Kafka's 1 MiB
    ]


def _sink_poison(prefix: str) -> list[tuple[str, bytes, bytes, str]]:
    """(topic, key, value, expected code) the database refuses, past the clean stage."""
    def story(article_id: str, **fields: object) -> CleanArticle:
        base = {"article_id": article_id, "parent_id": article_id, "part": 1, "parts": 1,
                "text": "نص تجريبي لا يخزن", "text_hash": f"hash-{article_id}"}
        return CleanArticle(**{**base, **fields})

    deduped = f"{prefix}.articles.deduped"
    rows = [
        (deduped, "p-nul-title", story("p-nul-title", title="عنوان\x00مكسور"), "db_data_error"),
        (deduped, "p-nul-id", story("p-nul-\x00-id"), "db_data_error"),
        (deduped, "p-part", story("p-part", part=70000), "db_data_error"),
        (deduped, "p-when", story("p-when", published_at="yesterday"), "row_invalid"),
    ]
    out = [(topic, key.encode(), DedupedArticle(article=value).dumps(), code)
           for topic, key, value, code in rows]
    event = EventRecord(event_id="p-event-1", article_id="p-events", event_type="Battles",
                        sub_event_type="Armed clash", cameo_code="190", plover_type="ASSAULT",
                        evidence="نص", evidence_start=0, evidence_end=2, confidence=0.5,
                        coder_version="test", fatalities=10**12)
    batch = EventBatch(article_id="p-events", coder_version="test", events=[event])
    out.append((f"{prefix}.events", b"p-events", batch.dumps(), "db_data_error"))
    return out


def test_poison_batch_is_dead_lettered_and_good_rows_stored(scenario: Services,
                                                            expected: Expected) -> None:
    """Poison mixed into the stream, at the clean stage and at the sink, while it flows.

    Every poison message lands once in the dead-letter topic and in rejected_messages with
    its stage, code and original bytes; every good story is stored with its events.
    """
    started = time.monotonic()
    settings = scenario.settings
    worker = start_worker(scenario, "poison-w1")
    feeder = Feeder(scenario, expected.items)
    feeder.start()
    raw = _raw_poison(settings.max_article_bytes)
    sink = _sink_poison(settings.topic_prefix)
    producer = make_producer(settings)
    try:
        wait_rows(scenario, worker, 8)
        for i, payload in enumerate(raw):  # spread over the stream, between good chunks
            producer.send(settings.topic("articles.raw"), key=f"poison-{i}".encode(),
                          value=payload)
            if i % 3 == 2:
                producer.flush()
                time.sleep(INTERVAL)
        for topic, key, value, _ in sink:
            producer.send(topic, key=key, value=value)
        producer.flush()
    finally:
        producer.close()
    feeder.finish()
    drain(scenario, worker)
    engine = make_engine(settings)
    try:
        with engine.connect() as conn:
            rejected = [dict(r._mapping) for r in conn.execute(text(
                "SELECT stage, error_code, error, source_topic, payload FROM rejected_messages"))]
    finally:
        engine.dispose()
    letters = sum(kafka_admin.end_offsets(settings, [settings.topic("deadletter")]).values())
    by_payload = {bytes(r["payload"]): r for r in rejected}
    cut = 512 * 1024  # processors.agents.DEAD_LETTER_PAYLOAD_LIMIT: bigger payloads are cut
    raw = [p[:cut] for p in raw]
    missing_raw = [p[:40] for p in raw if p not in by_payload]
    missing_sink = [key for _, key, value, _ in sink if value not in by_payload]
    codes = {key.decode(): by_payload[value]["error_code"] for _, key, value, _ in sink
             if value in by_payload}
    print(f"\n[poison] raw_poison={len(raw)} sink_poison={len(sink)} dead_letters={letters} "
          f"rejected_rows={len(rejected)} codes={sorted({r['error_code'] for r in rejected})}")
    assert not missing_raw, f"raw poison not dead-lettered: {missing_raw}"
    assert not missing_sink, f"sink poison not dead-lettered: {missing_sink}"
    assert all(by_payload[p]["stage"] == "clean" for p in raw)
    assert "payload cut" in by_payload[raw[-1]]["error"]  # the over-limit one
    for topic, key, value, code in sink:
        row = by_payload[value]
        table = "articles" if topic.endswith("deduped") else "events"
        assert row["stage"] == f"sink_{table}" and row["source_topic"] == topic
        assert row["error_code"] == code, (key, row["error"])
    assert codes["p-nul-title"] == "db_data_error"
    assert letters == len(raw) + len(sink) == len(rejected), "a poison message twice or lost"
    assert worker.alive()
    verify(scenario, expected, "poison", started,
           f" dead_letters={letters} sink_rejected={len(sink)}",
           rejected_expected=len(raw) + len(sink))
