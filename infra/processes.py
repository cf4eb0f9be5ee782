"""Small helpers to run local services: PID files, port probes, waiting."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


class ServiceError(RuntimeError):
    """A local service could not be started, stopped or reached."""


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """True if something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def private_services_env(state: Path, prefix: str, cache_dir: Path,
                         **extra: str) -> dict[str, str]:
    """The environment of a private broker and database on free loopback ports, with their
    data under ``state`` and topics named ``<prefix>.*`` (tests and benchmarks use it)."""
    if os.geteuid() == 0:  # the postgres user must be able to reach the data folder
        shutil.chown(state, "postgres")
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("MARSAD_")},
        "MARSAD_KAFKA_BOOTSTRAP": f"127.0.0.1:{free_port()}",
        "MARSAD_KAFKA_CONTROLLER_PORT": str(free_port()),
        "MARSAD_DATABASE_URL": f"postgresql+psycopg://marsad@127.0.0.1:{free_port()}/marsad",
        "MARSAD_STATE_DIR": str(state),
        "MARSAD_CACHE_DIR": str(cache_dir),
        "MARSAD_TOPIC_PREFIX": prefix,
        "MARSAD_LOG_FORMAT": "json",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


def read_pid(pid_file: Path) -> int | None:
    """The PID in ``pid_file`` if that process is alive, else None."""
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    if _is_zombie(pid):
        return None
    return pid


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rpartition(")")[2].split()[0] == "Z"


def spawn(cmd: list[str], log_file: Path, pid_file: Path, env: dict[str, str] | None = None,
          cwd: Path | None = None) -> int:
    """Start ``cmd`` detached (own session), output to ``log_file``; record its PID."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as log:
        proc = subprocess.Popen(  # noqa: S603 - fixed argv built by this package
            cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True, env=env, cwd=cwd,
        )
    pid_file.write_text(str(proc.pid))
    return proc.pid


def stop_pid(pid_file: Path, timeout: float = 30.0) -> bool:
    """SIGTERM the process of ``pid_file`` (SIGKILL after ``timeout``); True if one ran."""
    pid = read_pid(pid_file)
    if pid is None:
        pid_file.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if read_pid(pid_file) is None:
            break
        time.sleep(0.2)
    else:
        os.kill(pid, signal.SIGKILL)
    _reap(pid)
    pid_file.unlink(missing_ok=True)
    return True


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def wait_until(check: Callable[[], bool], timeout: float, what: str,
               log_file: Path | None = None, alive: Callable[[], bool] | None = None) -> None:
    """Poll ``check`` until true; raise ``ServiceError`` naming ``what`` on timeout/death."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if alive is not None and not alive():
            raise ServiceError(f"{what} exited during start-up{_tail(log_file)}")
        time.sleep(0.3)
    raise ServiceError(f"{what} not ready after {timeout:.0f} s{_tail(log_file)}")


def _tail(log_file: Path | None, lines: int = 15) -> str:
    if log_file is None or not log_file.exists():
        return ""
    text = log_file.read_text(errors="replace").splitlines()[-lines:]
    return f"; last lines of {log_file}:\n  " + "\n  ".join(text)
