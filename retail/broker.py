"""The local stand-in for Event Hubs: one Apache Kafka broker in KRaft mode (broker and controller in one JVM),
started from the jars `retail setup` fetched. No Docker, no ZooKeeper.

Everything lives in one state folder (default `.cache/broker/`): `server.properties`, the formatted log
directories under `data/`, the broker's output in `broker.log`, and `broker.json` (pid and ports) while it runs.
Ports are free ones picked at the first start (so tests and a developer's broker never collide) and kept for
later starts, so a restarted broker has the same address and the same topics and offsets.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from retail.jars import jar_dir
from retail.paths import cache_dir
from retail.settings import Settings

READY_LINE = "Kafka Server started"  # what KafkaRaftServer logs once it serves clients
HEAP = "-Xmx512m"
LOG4J = """log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.org.apache.kafka.clients=WARN
"""


class BrokerError(RuntimeError):
    """The broker could not be started, or stopped, as asked; the message points at its log."""


@dataclass(frozen=True)
class BrokerInfo:
    pid: int
    port: int
    controller_port: int

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cluster_id() -> str:
    """Kafka's cluster-id format: a random UUID as 22 characters of URL-safe base64. Like Kafka's own
    `Uuid.randomUuid`, never one starting with '-', which the storage tool would read as an option."""
    while (candidate := base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")).startswith("-"):
        pass
    return candidate


def server_properties(data: Path, port: int, controller_port: int, partitions: int = 1) -> str:
    """A single-node KRaft configuration on loopback; replication factors of 1 for the internal topics (there is
    one broker), and no rebalance delay so consumers in tests start at once. One partition per topic: each one
    is a Spark task in every micro-batch of each query, and a laptop has few cores (an event hub's partition
    count is set in the cloud)."""
    return "\n".join([
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.voters=1@127.0.0.1:{controller_port}",
        f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}",
        f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}",
        "controller.listener.names=CONTROLLER",
        "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "inter.broker.listener.name=PLAINTEXT",
        f"log.dirs={data}",
        f"num.partitions={partitions}",
        "offsets.topic.replication.factor=1",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        "auto.create.topics.enable=true",
        "",
    ])


class LocalBroker:
    def __init__(self, state: Path | None = None) -> None:
        self.state = state or cache_dir() / "broker"
        self.log = self.state / "broker.log"
        self._info = self.state / "broker.json"

    def status(self) -> BrokerInfo | None:
        """The running broker, or None (a stale record of a dead process is removed)."""
        if not self._info.exists():
            return None
        info = BrokerInfo(**json.loads(self._info.read_text()))
        if _alive(info.pid):
            return info
        self._info.unlink(missing_ok=True)
        return None

    def bind(self, settings: Settings) -> Settings:
        """The settings with their streaming endpoint pointed at this broker (it picks free ports, so the
        local environment's configured address is only a default). Unchanged when no broker runs."""
        info = self.status()
        if info is None:
            return settings
        streaming = settings.streaming.model_copy(update={"bootstrap_servers": info.bootstrap_servers})
        return settings.model_copy(update={"streaming": streaming})

    def start(self, timeout: float = 90.0) -> BrokerInfo:
        """Start the broker (or return the one already running) and wait until it serves clients."""
        running = self.status()
        if running:
            return running
        port, controller_port = self._ports()
        data = self.state / "data"
        self.state.mkdir(parents=True, exist_ok=True)
        config = self.state / "server.properties"
        config.write_text(server_properties(data, port, controller_port))
        logging = self.state / "log4j.properties"
        logging.write_text(LOG4J)
        java = ["java", HEAP, f"-Dlog4j.configuration=file:{logging}", "-cp", _classpath()]
        if not (data / "meta.properties").exists():
            # Format once: the log directories keep their cluster id, so a restart keeps the topics and offsets.
            done = subprocess.run([*java, "kafka.tools.StorageTool", "format", "-t", cluster_id(), "-c", str(config),
                                   "--ignore-formatted"], capture_output=True, text=True)
            if done.returncode:
                raise BrokerError(f"formatting {data} failed: {done.stderr.strip() or done.stdout.strip()}")
        started_at = self.log.stat().st_size if self.log.exists() else 0
        with self.log.open("ab") as out:
            process = subprocess.Popen(
                [*java, "kafka.Kafka", str(config)],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        info = BrokerInfo(process.pid, port, controller_port)
        self._info.write_text(json.dumps(info.__dict__))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self._info.unlink(missing_ok=True)
                raise BrokerError(f"the broker exited with code {process.returncode}; see {self.log}")
            if READY_LINE in _tail(self.log, started_at) and _accepts(port):
                return info
            time.sleep(0.25)
        self.stop()
        raise BrokerError(f"the broker did not become ready in {timeout:.0f} s; see {self.log}")

    def _ports(self) -> tuple[int, int]:
        """The ports of the previous run when they are still free (a streaming job keeps its bootstrap address
        across a broker restart), new free ones otherwise."""
        previous = self.state / "ports.json"
        if previous.exists():
            port, controller_port = json.loads(previous.read_text())
            if not _accepts(port) and not _accepts(controller_port):
                return port, controller_port
        ports = free_port(), free_port()
        self.state.mkdir(parents=True, exist_ok=True)
        previous.write_text(json.dumps(ports))
        return ports

    def stop(self, timeout: float = 60.0) -> bool:
        """Shut the broker down cleanly (SIGTERM, as Kafka expects), forcefully after `timeout`. True if one ran."""
        info = self.status()
        if info is None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.killpg(info.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(info.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _alive(info.pid):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(info.pid, signal.SIGKILL)
        self._info.unlink(missing_ok=True)
        return True


def _classpath() -> str:
    folder = jar_dir("broker")
    if not any(folder.glob("kafka_*.jar")):
        raise BrokerError(f"no Kafka broker jars in {folder}: run `retail setup` first")
    return f"{folder}/*"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(FileNotFoundError):  # a zombie (exited, not yet reaped) counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    return True


def _accepts(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _tail(log: Path, offset: int) -> str:
    with log.open("rb") as f:
        f.seek(offset)
        return f.read().decode(errors="replace")
