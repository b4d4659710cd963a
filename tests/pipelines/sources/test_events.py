"""Real-time events produced for real to the local Kafka broker and read back with a Kafka consumer."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path

import pytest
from confluent_kafka import Consumer

from pipelines.catalog import EVENT_SCHEMA_VERSION, EVENT_TYPES
from pipelines.sources.events import EventSimulator, produce
from retail.broker import LocalBroker
from retail.settings import Settings, load_settings


def _settings(broker: LocalBroker) -> Settings:
    return broker.bind(load_settings("local"))


def _read_all(settings: Settings, expected: int) -> list:
    consumer = Consumer({"bootstrap.servers": settings.streaming.bootstrap_servers, "group.id": "read-all",
                         "auto.offset.reset": "earliest"})
    consumer.subscribe(sorted(settings.streaming.topics.values()))
    messages, deadline = [], time.monotonic() + 60
    while len(messages) < expected and time.monotonic() < deadline:
        message = consumer.poll(1.0)
        if message is not None and message.error() is None:
            messages.append(message)
    consumer.close()
    return messages


def test_events_arrive_complete_keyed_and_in_store_order(broker: LocalBroker) -> None:
    settings = _settings(broker)
    result = produce(settings, rate=300, duration=2)
    assert result.failed == 0 and result.sent == 600
    messages = _read_all(settings, result.sent)
    events = [json.loads(m.value()) for m in messages]
    assert len(events) == 600 and len({e["event_id"] for e in events}) == 600
    assert all(e["schema_version"] == EVENT_SCHEMA_VERSION for e in events)
    assert all(m.key().decode() == json.loads(m.value())["store_code"] for m in messages)
    by_topic = defaultdict(set)
    for m, e in zip(messages, events, strict=True):
        by_topic[m.topic()].add(e["event_type"])
    assert by_topic[settings.streaming.topics["pos"]] <= {"sale", "return"}
    assert by_topic[settings.streaming.topics["inventory"]] <= {"adjustment", "delivery"}
    # One store's events sit on one partition, in the order produced.
    sequences = defaultdict(list)
    for m, e in zip(messages, events, strict=True):
        sequences[(m.topic(), e["store_code"])].append((m.partition(), e["store_sequence"]))
    for seen in sequences.values():
        assert len({p for p, _ in seen}) == 1
        assert [s for _, s in seen] == sorted(s for _, s in seen)


def test_the_simulator_draws_every_event_type_with_its_fields() -> None:
    simulator = EventSimulator(scale="tiny", seed=1)
    events = [simulator.next().value for _ in range(2000)]
    assert {e["event_type"] for e in events} == set(EVENT_TYPES)
    sale = next(e for e in events if e["event_type"] == "sale")
    assert sale["quantity"] >= 1 and sale["unit_price"] > 0 and sale["currency"] == "GBP"
    without = EventSimulator("tiny", 1, feedback=False)
    assert {without.next().value["event_type"] for _ in range(500)} == set(EVENT_TYPES) - {"feedback"}


def test_event_hubs_settings_change_only_the_client_configuration(monkeypatch: pytest.MonkeyPatch,
                                                                   tmp_path: Path) -> None:
    from retail.kafka import client_config
    from retail.settings import SecretRef, StreamingAuth

    dev = load_settings("dev")
    streaming = dev.streaming.model_copy(update={"auth": StreamingAuth.EVENTHUBS_CONNECTION_STRING,
                                                 "connection_string": SecretRef(env="RETAIL_TEST_EH")})
    monkeypatch.setenv("RETAIL_TEST_EH", "Endpoint=sb://evhns-retail-dev.servicebus.windows.net/;SharedAccessKeyName=x")
    config = client_config(dev.model_copy(update={"streaming": streaming}))
    assert config["security.protocol"] == "SASL_SSL" and config["sasl.mechanism"] == "PLAIN"
    assert config["sasl.username"] == "$ConnectionString" and config["sasl.password"].startswith("Endpoint=sb://")
    entra = dev.streaming.model_copy(update={"auth": StreamingAuth.EVENTHUBS_ENTRA, "connection_string": None})
    entra_config = client_config(dev.model_copy(update={"streaming": entra}))
    assert entra_config["sasl.mechanism"] == "OAUTHBEARER" and callable(entra_config["oauth_cb"])
    assert client_config(load_settings("local")) == {"bootstrap.servers": "127.0.0.1:9092"}


def test_spark_kafka_options_come_from_the_same_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    from retail.kafka import SparkKafkaAuthError, spark_options
    from retail.settings import SecretRef, StreamingAuth

    dev = load_settings("dev")
    streaming = dev.streaming.model_copy(update={"connection_string": SecretRef(env="RETAIL_TEST_EH")})
    monkeypatch.setenv("RETAIL_TEST_EH", 'Endpoint=sb://evhns-retail-dev.servicebus.windows.net/;SharedAccessKey="k"')
    options = spark_options(dev.model_copy(update={"streaming": streaming}))
    assert options["kafka.bootstrap.servers"] == "evhns-retail-dev.servicebus.windows.net:9093"
    assert options["kafka.security.protocol"] == "SASL_SSL" and options["kafka.sasl.mechanism"] == "PLAIN"
    assert 'username="$ConnectionString"' in options["kafka.sasl.jaas.config"]
    assert 'SharedAccessKey=\\"k\\""' in options["kafka.sasl.jaas.config"]  # quotes escaped inside the JAAS value
    entra = dev.streaming.model_copy(update={"auth": StreamingAuth.EVENTHUBS_ENTRA, "connection_string": None})
    with pytest.raises(SparkKafkaAuthError, match="eventhubs-connection-string"):
        spark_options(dev.model_copy(update={"streaming": entra}))
    assert spark_options(load_settings("local")) == {"kafka.bootstrap.servers": "127.0.0.1:9092"}
