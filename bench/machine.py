"""The machine a benchmark ran on, and process memory (psutil when installed, else /proc)."""

from __future__ import annotations

import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from marsad import compiled
from marsad.config import PROJECT_ROOT


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _ram_bytes() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return f"{line.split('=', 1)[1].strip(chr(34))} (kernel {platform.release()})"
    except OSError:
        pass
    return platform.platform()


def git_commit() -> str | None:
    """``git rev-parse HEAD`` (read-only; uncommitted changes are not detected)."""
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], cwd=PROJECT_ROOT,  # noqa: S607
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def describe() -> dict:
    """CPU, cores, RAM, OS, Python, date, commit, the coder's build (compiled or not)."""
    ram = _ram_bytes()
    return {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "cores_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "ram_gib": round(ram / 2**30, 1) if ram else None,
        "os": _os_name(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "load_average_at_start": load_average(),
        "coder_build": compiled.describe(),
    }


def rss_bytes(pid: int | None = None) -> int | None:
    """Current resident set size of ``pid`` (default: this process)."""
    pid = pid or os.getpid()
    try:
        import psutil

        return int(psutil.Process(pid).memory_info().rss)
    except ImportError:
        pass
    except Exception:
        return None
    return _status_field(pid, "VmRSS:")


def peak_rss_bytes(pid: int) -> int | None:
    """Peak resident set size (high-water mark) of ``pid`` since it started."""
    peak = _status_field(pid, "VmHWM:")
    if peak is not None:
        return peak
    try:
        import psutil

        info = psutil.Process(pid).memory_info()
        return int(getattr(info, "peak_wset", info.rss))
    except Exception:
        return None


def _status_field(pid: int, name: str) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(name):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None
