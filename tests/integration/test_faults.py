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
from marsad.config import load_settings
from marsad.schemas import CleanArticle, DedupedArticle, InvalidMessage, parse_raw_article
from processors import stages
from producers.article_reader import ReadResult, read_source
from producers.kafka_producer import encode, produce
from sinks.database import make_engine
from sinks.tables import articles, event_sources
from tests.conftest import ROOT
from tests.integration.conftest import Services, launch_services, shutdown_services

pytestmark = pytest.mark.integration

CORPUS = Path("/work/shared/data/articles/saudinewsnet_2015_conflict_sample.jsonl")
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
                self.idle.set()
                self.running.wait()
                self.idle.clear()
                summary = produce(self.svc.settings, self.items[start:start + CHUNK])
                self.sent += summary.sent
                self.errors += [f"{o}: {r}" for o, r in summary.failed + summary.invalid]
                time.sleep(INTERVAL)
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


def verify(svc: Services, exp: Expected, label: str, started: float, extra: str = "") -> None:
    """Every story stored once with the right dedup decision and its coded events."""
    engine = make_engine(svc.settings)
    try:
        with engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(select(
                articles.c.id, articles.c.parent_id, articles.c.part, articles.c.text_hash,
                articles.c.duplicate_of))]
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
    for group in by_hash.values():  # one original per text, every copy points at it
        (first,) = [r for r in group if r["duplicate_of"] is None]
        assert all(r["duplicate_of"] == first["id"] for r in group if r is not first)
    assert links == expected_links, "coded events differ from the coder's output"
    assert rejected == 0


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
    feeder = Feeder(scenario, expected.items)
    feeder.start()
    at_stop = wait_rows(scenario, worker, FAULT_AFTER_ROWS)
    rss_before = rss_kib(worker.pid)
    local_postgres.stop(scenario.settings)
    down_at = time.monotonic()
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
