"""A local PostgreSQL server from Debian's packages, data under ``<state>/postgres``.

PostgreSQL refuses to run as root; when we are root the server runs as the ``postgres``
system user that Debian's package creates (through ``runuser``). It listens on 127.0.0.1
only, with trust authentication for local connections; the role and database named in
``MARSAD_DATABASE_URL`` are created on first start.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

from infra.processes import ServiceError, port_open
from marsad.config import Settings

SERVICE_USER = "postgres"


def bin_dir() -> Path:
    """The newest PostgreSQL server binaries on this machine."""
    override = os.environ.get("PG_BIN")
    if override:
        return Path(override)
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                        key=lambda p: int(Path(p).parts[-3]))
    if candidates:
        return Path(candidates[-1]).parent
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    raise ServiceError("PostgreSQL server binaries not found: run `bash infra/install.sh` "
                       "(installs Debian's postgresql) or set PG_BIN")


def home(settings: Settings) -> Path:
    return settings.state_dir / "postgres"


def data_dir(settings: Settings) -> Path:
    return home(settings) / "data"


def log_file(settings: Settings) -> Path:
    return home(settings) / "postgres.log"


def _as_service_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", SERVICE_USER, "--", *cmd]


def _run(cmd: list[str], what: str) -> str:
    result = subprocess.run(_as_service_user(cmd), capture_output=True, text=True)  # noqa: S603
    if result.returncode != 0:
        raise ServiceError(f"{what} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return result.stdout


def _prepare_dirs(settings: Settings) -> None:
    base = home(settings)
    base.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(base, SERVICE_USER, SERVICE_USER)
        # The service user must be able to reach the folder through its parents.
        for parent in base.parents:
            if parent == Path("/"):
                break
            mode = parent.stat().st_mode
            if not mode & 0o001:
                parent.chmod(mode | 0o001)


def is_running(settings: Settings) -> bool:
    pid_path = data_dir(settings) / "postmaster.pid"
    if not pid_path.exists():
        return False
    result = subprocess.run(  # noqa: S603
        _as_service_user([str(bin_dir() / "pg_ctl"), "-D", str(data_dir(settings)), "status"]),
        capture_output=True, text=True,
    )
    return result.returncode == 0


def start(settings: Settings) -> str:
    """Initialise (once) and start the local server; create the role and database."""
    host, port = settings.database_host, settings.database_port
    address = f"{host}:{port}"
    if is_running(settings):
        return f"PostgreSQL already running on {address}"
    if port_open(host, port):
        return f"a database server not started by Marsad answers on {address}: using it"
    pg = bin_dir()
    _prepare_dirs(settings)
    data = data_dir(settings)
    if not (data / "PG_VERSION").exists():
        _run([str(pg / "initdb"), "-D", str(data), "-U", SERVICE_USER, "-A", "trust",
              "-E", "UTF8", "--locale=C.UTF-8"], "initdb")
    options = (f"-c listen_addresses={host} -p {port} -k {home(settings)} "
               "-c max_connections=100 -c shared_buffers=128MB -c fsync=on")
    _run([str(pg / "pg_ctl"), "-D", str(data), "-l", str(log_file(settings)), "-o", options,
          "-w", "-t", "60", "start"], f"starting PostgreSQL on {address}")
    _ensure_database(settings)
    return f"PostgreSQL {pg.parent.name} started on {address}"


def _psql(settings: Settings, sql: str, database: str = "postgres") -> str:
    psql = bin_dir() / "psql"
    if not psql.exists():
        psql = Path(shutil.which("psql") or "psql")
    cmd = [str(psql), "-h", settings.database_host, "-p", str(settings.database_port),
           "-U", SERVICE_USER, "-d", database, "-v", "ON_ERROR_STOP=1", "-tAc", sql]
    return _run(cmd, f"psql: {sql}")


def _ensure_database(settings: Settings) -> None:
    user, name = settings.database_user, settings.database_name
    if not _psql(settings, f"SELECT 1 FROM pg_roles WHERE rolname = '{user}'").strip():
        _psql(settings, f'CREATE ROLE "{user}" LOGIN')
    if not _psql(settings, f"SELECT 1 FROM pg_database WHERE datname = '{name}'").strip():
        _psql(settings, f'CREATE DATABASE "{name}" OWNER "{user}"')


def stop(settings: Settings) -> str:
    """Stop the server this project started (fast shutdown)."""
    if not is_running(settings):
        return "PostgreSQL was not running"
    _run([str(bin_dir() / "pg_ctl"), "-D", str(data_dir(settings)), "-m", "fast", "-w", "stop"],
         "stopping PostgreSQL")
    return "PostgreSQL stopped"
