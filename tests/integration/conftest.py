"""Real services for integration tests: a KRaft Kafka broker and a PostgreSQL server,
started once per session by the project's own ``marsad up`` on free loopback ports, in a
temporary state folder, and stopped at the end."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from infra.processes import free_port, private_services_env, read_pid, stop_pid
from marsad.config import Settings, load_settings
from tests.conftest import ROOT

pytestmark = pytest.mark.integration


@dataclass
class Services:
    """Environment of the test services, and the workers started on them."""

    env: dict[str, str]
    settings: Settings
    workers: list[Path] = field(default_factory=list)

    def marsad(self, *args: str, stdin: str | None = None, check: bool = True,
               timeout: float = 600) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([sys.executable, "-m", "marsad.cli", *args], cwd=ROOT,
                                env=self.env, input=stdin, capture_output=True, text=True,
                                timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"marsad {' '.join(args)} failed ({result.returncode}):\n"
                                 f"{result.stdout}\n{result.stderr}")
        return result

    def start_worker(self, name: str, ready_timeout: float = 120, **extra_env: str) -> Path:
        """Start ``marsad worker`` in the background and wait until ``/ready`` says ready.

        Producing before the worker holds its partitions once let Faust skip a message
        fetched under the first generation of a rebalance, so tests only produce after this.
        """
        from marsad.cli import UserError, start_worker_process, wait_ready

        env = {**self.env, "MARSAD_WEB_PORT": str(free_port()), **extra_env}
        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(env)
        try:
            pid_file = start_worker_process(self.settings, name)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        self.workers.append(pid_file)
        try:
            wait_ready(load_settings(env), ready_timeout,
                       alive=lambda: read_pid(pid_file) is not None)
        except UserError as exc:
            raise AssertionError(f"worker {name}: {exc}\n{self.worker_log(pid_file)}") from exc
        return pid_file

    def stop_workers(self) -> None:
        for pid_file in self.workers:
            stop_pid(pid_file)
        self.workers.clear()

    def worker_log(self, pid_file: Path) -> str:
        return pid_file.with_suffix(".log").read_text(errors="replace")[-4000:]

    def wait_drained(self, timeout: float = 180) -> None:
        from marsad.cli import UserError, wait_drained

        alive = [p for p in self.workers]
        try:
            wait_drained(self.settings, timeout,
                         alive=lambda: all(read_pid(p) is not None for p in alive))
        except UserError as exc:
            status = self.marsad("status", check=False)
            logs = "\n".join(self.worker_log(p)[-1500:] for p in alive)
            raise AssertionError(f"{exc}\n{status.stdout}\n{logs}") from exc


def launch_services(state: Path, prefix: str) -> Services:
    """Start a broker and a database with ``marsad up`` on free loopback ports.

    Everything lives under ``state``; topics and the consumer group carry ``prefix``.
    Stop them with ``shutdown_services``.
    """
    env = private_services_env(state, prefix, ROOT / ".cache", MARSAD_SINK_BATCH_SECONDS="0.2")
    svc = Services(env, load_settings(env))
    started = time.monotonic()
    svc.marsad("up", timeout=900)
    print(f"services up in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return svc


def shutdown_services(svc: Services) -> None:
    """Stop the workers, the broker and the database of ``svc``."""
    svc.stop_workers()
    svc.marsad("down", check=False)


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    svc = launch_services(tmp_path_factory.mktemp("marsad-state"), "itest")
    try:
        yield svc
    finally:
        shutdown_services(svc)
