"""Helpers for the streaming tests: send events, and compute what must come out (the broker: tests/conftest.py)."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from pathlib import Path

from confluent_kafka import Producer

from pipelines.catalog import EVENT_TYPES
from pipelines.sources.events import EventSimulator
from retail.broker import LocalBroker
from retail.kafka import client_config, topic
from retail.settings import Settings, load_settings


def stream_settings(broker: LocalBroker, folder: Path) -> Settings:
    """Local settings on this broker, with a private lake and topics of their own."""
    settings = broker.bind(load_settings("local")).with_lake(folder / "lake", folder / "landing")
    suffix = uuid.uuid4().hex[:8]
    topics = {role: f"{name}-{suffix}" for role, name in settings.streaming.topics.items()}
    return settings.model_copy(update={"streaming": settings.streaming.model_copy(update={"topics": topics})})


def send(settings: Settings, messages: list[tuple[str, str, str]]) -> None:
    """(topic role, key, raw value) messages, each confirmed by the broker."""
    producer = Producer({**client_config(settings), "enable.idempotence": True})
    failed: list[object] = []
    for role, key, value in messages:
        producer.produce(topic(settings, role), key=key, value=value,
                         on_delivery=lambda error, _: failed.append(error) if error else None)
        producer.poll(0)
    assert producer.flush(60) == 0 and not failed


def events(count: int, seed: int) -> list[dict]:
    simulator = EventSimulator(scale="tiny", seed=seed)
    return [simulator.next().value for _ in range(count)]


def as_messages(values: list[dict]) -> list[tuple[str, str, str]]:
    return [(EVENT_TYPES[v["event_type"]].topic_role, v["store_code"], json.dumps(v)) for v in values]


def expected_positions(values: list[dict]) -> dict[tuple[str, str], int]:
    """The batch recomputation: each distinct event's stock change summed per store × SKU (no stock count)."""
    unique = {v["event_id"]: v for v in values}
    positions: Counter[tuple[str, str]] = Counter()
    touched = set()
    for v in unique.values():
        sign = EVENT_TYPES[v["event_type"]].stock_sign
        if sign:
            positions[(v["store_code"], v["sku"])] += sign * v["quantity"]
            touched.add((v["store_code"], v["sku"]))
    return {key: positions[key] for key in touched}
