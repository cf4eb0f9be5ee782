#!/usr/bin/env bash
# Installs everything Marsad needs on a fresh Debian machine, idempotently:
# system packages (Java 17, Maven, PostgreSQL) when missing, a virtualenv in .venv with the
# pinned Python packages, camel-tools without its torch dependencies, the coder compiled by
# Cython when a C compiler is present (infra/build_compiled.py), and the Kafka jars.
set -euo pipefail
cd "$(dirname "$0")/.."
log() { printf '[install] %s\n' "$*" >&2; }

need_apt=()
command -v java >/dev/null 2>&1 || need_apt+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || need_apt+=(maven)
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need_apt+=(postgresql)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3 python3-venv)
# The coder's Cython build needs a C compiler and Python's headers (else it runs pure Python).
command -v cc >/dev/null 2>&1 || need_apt+=(gcc)
if [ "$(command -v python3)" = /usr/bin/python3 ] && ! python3 -c 'import os, sysconfig
raise SystemExit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))'
then
  need_apt+=(python3-dev)
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing system packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
stamp=.venv/.marsad-installed
want=$(cat pyproject.toml requirements/camel.txt | sha256sum | cut -c1-16)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  log "creating the virtualenv (.venv) and installing pinned packages"
  [ -x .venv/bin/python ] || "$PY" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[dev,compile]"
  .venv/bin/python -m pip install -q --no-deps -r requirements/camel.txt
  echo "$want" > "$stamp"
fi

log "compiling the event coder (Cython; pure Python if this machine cannot)"
.venv/bin/python -m infra.build_compiled

log "fetching the Kafka broker jars (cached after the first run)"
.venv/bin/python -c "from marsad.config import load_settings; from infra.local_kafka import ensure_jars; ensure_jars(load_settings())"
log "ready"
