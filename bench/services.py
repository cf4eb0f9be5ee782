"""A private broker and database for the benchmark, started like the integration tests do.

``marsad up`` on free loopback ports, with its own ``MARSAD_STATE_DIR`` (a temporary folder)
and topic prefix, so nothing of a developer's ``.state/`` or running services is touched.
Each end-to-end run gets a fresh topic prefix (fresh topics, consumer group and dedup table)
and empty tables.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from infra.processes import free_port, private_services_env, read_pid, spawn, stop_pid
from marsad.config import PROJECT_ROOT, Settings, load_settings

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass
class Worker:
    name: str
    pid_file: Path
    web_port: int

    @property
    def pid(self) -> int | None:
        return read_pid(self.pid_file)

    @property
    def log(self) -> Path:
        return self.pid_file.with_suffix(".log")


@dataclass
class Services:
    """The benchmark's broker and database, and the workers started on them."""

    state: Path
    env: dict[str, str]
    settings: Settings
    owns_state: bool = True
    workers: list[Worker] = field(default_factory=list)

    def marsad(self, *args: str, env: dict[str, str] | None = None,
               timeout: float = 900) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([sys.executable, "-m", "marsad.cli", *args],  # noqa: S603
                                cwd=PROJECT_ROOT, env=env or self.env, capture_output=True,
                                text=True, timeout=timeout)
        if result.returncode != 0:
            raise RuntimeError(f"marsad {' '.join(args)} failed ({result.returncode}):\n"
                               f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return result

    def for_prefix(self, prefix: str) -> tuple[dict[str, str], Settings]:
        """Environment and settings of a run with its own topics, group and dedup table."""
        from marsad import kafka_admin

        env = {**self.env, "MARSAD_TOPIC_PREFIX": prefix}
        settings = load_settings(env)
        kafka_admin.ensure_topics(settings)
        return env, settings

    def start_worker(self, env: dict[str, str], name: str,
                     profile_to: Path | None = None) -> Worker:
        """``marsad worker`` in the background (under cProfile when ``profile_to`` is set:
        the profile is written when the worker exits on SIGTERM)."""
        port = free_port()
        folder = self.state / "workers"
        folder.mkdir(parents=True, exist_ok=True)
        pid_file = folder / f"{name}.pid"
        profiler = ["-m", "cProfile", "-o", str(profile_to)] if profile_to else []
        spawn([sys.executable, *profiler, "-m", "marsad.cli", "worker"], folder / f"{name}.log",
              pid_file,
              env={**env, "MARSAD_WEB_PORT": str(port), "MARSAD_WORKER_ID": name},
              cwd=PROJECT_ROOT)
        worker = Worker(name, pid_file, port)
        self.workers.append(worker)
        return worker

    def wait_ready(self, workers: list[Worker], timeout: float = 180.0) -> float:
        """Wait until every worker answers /ready three times in a row; seconds waited."""
        started = time.monotonic()
        streak = 0
        while time.monotonic() - started < timeout:
            for w in workers:
                if w.pid is None:
                    raise RuntimeError(f"worker {w.name} stopped during start-up:\n"
                                       f"{w.log.read_text(errors='replace')[-3000:]}")
            if all(_ready(self.settings.web_host, w.web_port) for w in workers):
                streak += 1
                if streak >= 3:
                    return time.monotonic() - started
            else:
                streak = 0
            time.sleep(0.5)
        raise RuntimeError(f"workers not ready within {timeout:.0f} s")

    def stop_workers(self) -> None:
        for w in self.workers:
            stop_pid(w.pid_file)
        self.workers.clear()

    def kafka_pid(self) -> int | None:
        from infra import local_kafka

        return read_pid(local_kafka.pid_file(self.settings))

    def postgres_pids(self) -> list[int]:
        """The postmaster and its children (backends, writer, WAL writer...)."""
        from infra import local_postgres

        try:
            master = int((local_postgres.data_dir(self.settings) / "postmaster.pid")
                         .read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return []
        pids = [master]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[1]) == master:
                pids.append(int(stat.parent.name))
        return pids


def _ready(host: str, port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/ready", timeout=2) as response:
            return bool(json.load(response).get("ready"))
    except (urllib.error.URLError, OSError, ValueError):
        return False


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by ``pids`` (those still alive)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def launch(state: Path | None = None, prefix: str = "bench") -> Services:
    """Start a broker and a database with ``marsad up`` on free loopback ports."""
    owns = state is None
    state = state or Path(tempfile.mkdtemp(prefix="marsad-bench-"))
    state.mkdir(parents=True, exist_ok=True)
    env = private_services_env(state, prefix, PROJECT_ROOT / ".cache")
    svc = Services(state, env, load_settings(env), owns_state=owns)
    svc.marsad("up")
    return svc


def shutdown(svc: Services, keep_state: bool = False) -> None:
    """Stop the workers, the broker and the database; remove the temporary state folder."""
    svc.stop_workers()
    try:
        svc.marsad("down", timeout=180)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"warning: marsad down: {exc}", file=sys.stderr)
    if svc.owns_state and not keep_state:
        shutil.rmtree(svc.state, ignore_errors=True)
