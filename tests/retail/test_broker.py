"""The local Kafka broker for real: started from the fetched jars, used through a real Kafka client, restarted
with its data, stopped cleanly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient

from retail.broker import LocalBroker, cluster_id, server_properties
from retail.cli import cli


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[LocalBroker]:
    local = LocalBroker(tmp_path / "broker")
    yield local
    local.stop()


def _consume(bootstrap: str, topic: str, expected: int) -> list[tuple[str, str]]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "test", "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    received = []
    for _ in range(60):
        message = consumer.poll(1.0)
        if message is not None and message.error() is None:
            received.append((message.key().decode(), message.value().decode()))
        if len(received) >= expected:
            break
    consumer.close()
    return received


def test_the_broker_serves_clients_and_keeps_its_data_across_a_restart(broker: LocalBroker) -> None:
    info = broker.start()
    assert broker.status() == info and broker.start() == info  # starting twice starts nothing new
    producer = Producer({"bootstrap.servers": info.bootstrap_servers})
    for i in range(5):
        producer.produce("pos-events", key=f"S00{i % 2}", value=json.dumps({"n": i}))
    assert producer.flush(30) == 0
    assert "pos-events" in AdminClient({"bootstrap.servers": info.bootstrap_servers}).list_topics(timeout=10).topics
    assert broker.stop() and broker.status() is None
    again = broker.start()
    assert again.bootstrap_servers == info.bootstrap_servers  # same address: clients keep working
    received = _consume(again.bootstrap_servers, "pos-events", 5)
    assert sorted(json.loads(v)["n"] for _, v in received) == [0, 1, 2, 3, 4]
    assert "Kafka Server started" in broker.log.read_text()


def test_cluster_ids_never_look_like_an_option() -> None:
    ids = [cluster_id() for _ in range(2000)]
    assert all(len(i) == 22 and not i.startswith("-") for i in ids) and len(set(ids)) == 2000


def test_stop_without_a_broker_says_so(broker: LocalBroker) -> None:
    assert broker.stop() is False and broker.status() is None


def test_configuration_is_single_node_kraft_on_loopback(tmp_path: Path) -> None:
    config = dict(line.split("=", 1) for line in server_properties(tmp_path, 9092, 9093).splitlines() if line)
    assert config["process.roles"] == "broker,controller"
    assert config["controller.quorum.voters"] == "1@127.0.0.1:9093"
    assert config["advertised.listeners"] == "PLAINTEXT://127.0.0.1:9092"
    assert config["offsets.topic.replication.factor"] == "1"


def test_cli_status_exit_code(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("RETAIL_CACHE_DIR", str(tmp_path))
    result = CliRunner().invoke(cli, ["stream", "broker", "status"])
    assert result.exit_code == 1 and "no Kafka broker running" in result.output
