"""A single-node Apache Kafka broker in KRaft mode, run from Maven Central jars.

``ensure_jars`` resolves the broker with Maven (``infra/kafka/pom.xml``) into the cache;
``start`` formats the storage once and runs ``kafka.Kafka`` on 127.0.0.1 with the
machine's Java 17. Everything lives under ``<state>/kafka``; a PID file marks ours.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
import uuid
from pathlib import Path

from infra.processes import ServiceError, port_open, read_pid, spawn, stop_pid, wait_until
from marsad.config import PROJECT_ROOT, Settings

POM = PROJECT_ROOT / "infra" / "kafka" / "pom.xml"
LOG4J = PROJECT_ROOT / "infra" / "kafka" / "log4j.properties"
KAFKA_VERSION = "3.9.1"
BROKER_JAR = f"kafka_2.13-{KAFKA_VERSION}.jar"


def lib_dir(settings: Settings) -> Path:
    return settings.cache_dir / "kafka" / KAFKA_VERSION / "libs"


def home(settings: Settings) -> Path:
    return settings.state_dir / "kafka"


def pid_file(settings: Settings) -> Path:
    return home(settings) / "kafka.pid"


def log_file(settings: Settings) -> Path:
    return home(settings) / "kafka.log"


def ensure_jars(settings: Settings) -> Path:
    """Download the broker jars with Maven unless they are cached; return the lib folder."""
    libs = lib_dir(settings)
    if (libs / BROKER_JAR).exists():
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise ServiceError("Maven (mvn) is not installed: run `bash infra/install.sh` first")
    libs.mkdir(parents=True, exist_ok=True)
    cmd = [mvn, "-q", "-B", "-f", str(POM), "dependency:copy-dependencies",
           f"-DoutputDirectory={libs}", "-DincludeScope=runtime",
           f"-Dkafka.version={KAFKA_VERSION}"]
    result = subprocess.run(cmd, capture_output=True, text=True)  # noqa: S603
    if result.returncode != 0 or not (libs / BROKER_JAR).exists():
        raise ServiceError(f"Maven could not fetch Kafka {KAFKA_VERSION}:\n"
                           f"{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return libs


def _server_properties(settings: Settings) -> str:
    port, cport = settings.kafka_port, settings.kafka_controller_port
    host = settings.kafka_host
    data = home(settings) / "data"
    return "\n".join([
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.voters=1@{host}:{cport}",
        f"listeners=PLAINTEXT://{host}:{port},CONTROLLER://{host}:{cport}",
        f"advertised.listeners=PLAINTEXT://{host}:{port}",
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        f"log.dirs={data}",
        f"num.partitions={settings.partitions}",
        "default.replication.factor=1",
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=10",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        "auto.create.topics.enable=true",
        "log.retention.hours=720",
        "log.segment.bytes=67108864",
        "",
    ])


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise ServiceError("Java is not installed: run `bash infra/install.sh` first")
    return java


def _classpath(settings: Settings) -> str:
    return str(lib_dir(settings) / "*")


def is_running(settings: Settings) -> bool:
    return read_pid(pid_file(settings)) is not None


def start(settings: Settings, timeout: float = 90.0) -> str:
    """Start the local broker unless it runs; return a one-line description."""
    address = f"{settings.kafka_host}:{settings.kafka_port}"
    if is_running(settings):
        return f"Kafka {KAFKA_VERSION} already running on {address}"
    if port_open(settings.kafka_host, settings.kafka_port):
        return f"a broker not started by Marsad answers on {address}: using it"
    ensure_jars(settings)
    base = home(settings)
    (base / "data").mkdir(parents=True, exist_ok=True)
    config = base / "server.properties"
    config.write_text(_server_properties(settings))
    java = _java()
    if not (base / "data" / "meta.properties").exists():
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        result = subprocess.run(  # noqa: S603
            [java, "-cp", _classpath(settings), f"-Dlog4j.configuration=file:{LOG4J}",
             "kafka.tools.StorageTool", "format", "-t", cluster_id, "-c", str(config)],
            capture_output=True, text=True,
        )
        if result.returncode != 0:
            raise ServiceError(f"formatting Kafka storage failed:\n{result.stdout}{result.stderr}")
    cmd = [java, f"-Xmx{settings.kafka_heap}", f"-Xms{settings.kafka_heap}",
           "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-Djava.awt.headless=true",
           f"-Dlog4j.configuration=file:{LOG4J}", f"-Dkafka.logs.dir={base}",
           "-cp", _classpath(settings), "kafka.Kafka", str(config)]
    spawn(cmd, log_file(settings), pid_file(settings))
    wait_until(lambda: port_open(settings.kafka_host, settings.kafka_port), timeout,
               f"Kafka broker on {address}", log_file(settings),
               alive=lambda: is_running(settings))
    return f"Kafka {KAFKA_VERSION} (KRaft) started on {address}"


def stop(settings: Settings) -> str:
    """Stop the broker this project started (by PID file)."""
    if stop_pid(pid_file(settings), timeout=60):
        return "Kafka stopped"
    return "Kafka was not running (no live PID file)"
