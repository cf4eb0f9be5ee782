"""Configuration from environment variables, with local defaults, validated at start.

Every setting is one ``MARSAD_*`` variable. ``load_settings()`` reads them all, checks
them, and raises ``ConfigError`` with one readable message listing every problem.
The table in the README is generated from ``SETTINGS`` (``marsad config --markdown``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(ValueError):
    """A configuration value is missing or malformed."""


@dataclass(frozen=True)
class Setting:
    """One environment variable: name, default and meaning."""

    env: str
    default: str
    help: str
    parse: Callable[[str], object] = str
    secret: bool = False


def _positive_int(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError("must be a positive integer")
    return number


def _non_negative_float(value: str) -> float:
    number = float(value)
    if number < 0:
        raise ValueError("must be zero or more")
    return number


def _non_negative_int(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError("must be zero or more")
    return number


def _port(value: str) -> int:
    number = int(value)
    if not 0 < number < 65536:
        raise ValueError("must be a TCP port (1-65535)")
    return number


def _bootstrap(value: str) -> str:
    for server in value.split(","):
        host, sep, port = server.strip().rpartition(":")
        if not sep or not host:
            raise ValueError(f"{server!r} is not host:port")
        _port(port)
    return value


def _database_url(value: str) -> str:
    parts = urlsplit(value)
    if not parts.scheme.startswith("postgresql"):
        raise ValueError("must be a postgresql:// or postgresql+psycopg:// URL")
    if not parts.hostname:
        raise ValueError("has no host")
    return value


def _choice(*options: str) -> Callable[[str], str]:
    def parse(value: str) -> str:
        if value not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return value

    return parse


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("must be true or false")


SETTINGS: tuple[Setting, ...] = (
    Setting("MARSAD_KAFKA_BOOTSTRAP", "127.0.0.1:39092",
            "Kafka bootstrap servers (host:port,...).", _bootstrap),
    Setting("MARSAD_DATABASE_URL", "postgresql+psycopg://marsad@127.0.0.1:35432/marsad",
            "PostgreSQL URL (SQLAlchemy form; the password may be given here or in PGPASSWORD).",
            _database_url, secret=True),
    Setting("MARSAD_TOPIC_PREFIX", "marsad", "Prefix of every topic and of the consumer group."),
    Setting("MARSAD_PARTITIONS", "4", "Partitions of each topic created by Marsad.", _positive_int),
    Setting("MARSAD_REPLICATION", "1", "Replication factor of created topics.", _positive_int),
    Setting("MARSAD_STATE_DIR", str(PROJECT_ROOT / ".state"),
            "Where the local broker, database, PID files and worker state live.", Path),
    Setting("MARSAD_CACHE_DIR", str(PROJECT_ROOT / ".cache"),
            "Where downloaded Kafka jars are cached.", Path),
    Setting("MARSAD_KAFKA_CONTROLLER_PORT", "39093",
            "Port of the local KRaft controller listener (local broker only).", _port),
    Setting("MARSAD_KAFKA_HEAP", "512m", "Java heap of the local broker."),
    Setting("MARSAD_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT",
            "PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL.",
            _choice("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")),
    Setting("MARSAD_KAFKA_SASL_MECHANISM", "PLAIN", "SASL mechanism (PLAIN, SCRAM-SHA-256, ...)."),
    Setting("MARSAD_KAFKA_SASL_USERNAME", "", "SASL user name.", secret=True),
    Setting("MARSAD_KAFKA_SASL_PASSWORD", "", "SASL password.", secret=True),
    Setting("MARSAD_KAFKA_SSL_CAFILE", "", "CA bundle for SSL/SASL_SSL."),
    Setting("MARSAD_WEB_HOST", "127.0.0.1", "Address the worker's health/metrics server binds."),
    Setting("MARSAD_WEB_PORT", "6066",
            "Port of the worker's health/metrics server (one per worker on a host).", _port),
    Setting("MARSAD_WORKER_ID", "", "Name of this worker in logs (default: host and PID)."),
    Setting("MARSAD_SINK_BATCH_SIZE", "200", "Rows per database transaction.", _positive_int),
    Setting("MARSAD_SINK_BATCH_SECONDS", "0.5",
            "Longest wait to fill a sink batch.", _non_negative_float),
    Setting("MARSAD_MAX_ARTICLE_BYTES", "1000000",
            "Articles larger than this go to the dead-letter topic.", _positive_int),
    Setting("MARSAD_EXTRACT_DUPLICATES", "false",
            "Also run the event coder on articles found to be duplicates.", _bool),
    Setting("MARSAD_DEDUP_NEAR", "true",
            "Find near-duplicate articles (MinHash-LSH) besides exact copies.", _bool),
    Setting("MARSAD_DEDUP_WINDOW_DAYS", "30",
            "Days (of arrival time) an article stays in the near-duplicate index.",
            _positive_int),
    Setting("MARSAD_EVENT_MERGE_KM", "25",
            "Events of different articles this close (km) may be one incident.",
            _non_negative_float),
    Setting("MARSAD_EVENT_MERGE_DAYS", "1",
            "Events of different articles this many days apart may be one incident.",
            _non_negative_int),
    Setting("MARSAD_PRODUCER_LINGER_MS", "5",
            "How long (ms) a worker's producer waits to fill a batch before sending it "
            "(fewer, larger produce requests: less CPU per message in worker and broker).",
            _non_negative_int),
    Setting("MARSAD_COMPILED", "auto",
            "auto: run the coder's Cython build when it matches the source (infra/install.sh "
            "makes it); off: always pure Python (same output, slower).",
            _choice("auto", "off")),
    Setting("MARSAD_LOG_LEVEL", "INFO", "DEBUG, INFO, WARNING or ERROR.",
            _choice("DEBUG", "INFO", "WARNING", "ERROR")),
    Setting("MARSAD_LOG_FORMAT", "json", "json (structured) or console.",
            _choice("json", "console")),
)


@dataclass(frozen=True, repr=False)
class Settings:
    """Validated settings; attribute names are the variable names without MARSAD_."""

    kafka_bootstrap: str
    database_url: str
    topic_prefix: str
    partitions: int
    replication: int
    state_dir: Path
    cache_dir: Path
    kafka_controller_port: int
    kafka_heap: str
    kafka_security_protocol: str
    kafka_sasl_mechanism: str
    kafka_sasl_username: str
    kafka_sasl_password: str
    kafka_ssl_cafile: str
    web_host: str
    web_port: int
    worker_id: str
    sink_batch_size: int
    sink_batch_seconds: float
    max_article_bytes: int
    extract_duplicates: bool
    dedup_near: bool
    dedup_window_days: int
    event_merge_km: float
    event_merge_days: int
    producer_linger_ms: int
    compiled: str
    log_level: str
    log_format: str

    @property
    def kafka_port(self) -> int:
        """Port of the first bootstrap server (the local broker listens there)."""
        return int(self.kafka_bootstrap.split(",")[0].rpartition(":")[2])

    @property
    def kafka_host(self) -> str:
        return self.kafka_bootstrap.split(",")[0].rpartition(":")[0]

    @property
    def database_port(self) -> int:
        return urlsplit(self.database_url).port or 5432

    @property
    def database_host(self) -> str:
        return urlsplit(self.database_url).hostname or "127.0.0.1"

    @property
    def database_name(self) -> str:
        return urlsplit(self.database_url).path.lstrip("/") or "marsad"

    @property
    def database_user(self) -> str:
        return urlsplit(self.database_url).username or "marsad"

    @property
    def database_url_safe(self) -> str:
        """The database URL with any password hidden, for messages and logs."""
        parts = urlsplit(self.database_url)
        if parts.password:
            netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
            return parts._replace(netloc=netloc).geturl()
        return self.database_url

    def topic(self, name: str) -> str:
        """Full topic name for a logical topic name."""
        return f"{self.topic_prefix}.{name}"

    def __repr__(self) -> str:
        """Every setting, secrets masked: safe to log (a URL keeps all but its password)."""
        shown = []
        for item in fields(self):
            value = getattr(self, item.name)
            if item.name == "database_url":
                value = self.database_url_safe
            elif item.name in _SECRET_ATTRS and value:
                value = "***"
            shown.append(f"{item.name}={value!r}")
        return f"Settings({', '.join(shown)})"

    __str__ = __repr__


def _attr(env: str) -> str:
    return env.removeprefix("MARSAD_").lower()


_SECRET_ATTRS = frozenset(_attr(item.env) for item in SETTINGS if item.secret)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate every ``MARSAD_*`` variable; raise ``ConfigError`` listing problems."""
    environ = os.environ if environ is None else environ
    values: dict[str, object] = {}
    problems: list[str] = []
    for setting in SETTINGS:
        raw = environ.get(setting.env, setting.default)
        try:
            values[_attr(setting.env)] = setting.parse(raw)
        except ValueError as exc:
            shown = "***" if setting.secret else repr(raw)
            problems.append(f"{setting.env}={shown}: {exc}")
    unknown = sorted(k for k in environ if k.startswith("MARSAD_")
                     and k not in {s.env for s in SETTINGS})
    if unknown:
        problems.append(f"unknown variable(s) {', '.join(unknown)} (see `marsad config`)")
    if problems:
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems))
    expected = {f.name for f in fields(Settings)}
    assert expected == set(values), "SETTINGS and Settings disagree"
    return Settings(**values)  # type: ignore[arg-type]
