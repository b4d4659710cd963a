"""Real-time events from store tills and stock rooms, for the streaming path (Event Hubs in the cloud, the local
Kafka broker here): sales, returns, stock adjustments, deliveries received and, optionally, feedback.

Every event is a JSON object with a schema version, a unique event id, the store it belongs to (also the Kafka
key, so one store's events stay in order on one partition) and a per-store sequence number that makes that
order checkable. Codes come from the same simulated world as the batch sources.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from pipelines import catalog
from pipelines.sources.scales import SCALES
from pipelines.sources.world import World, build_world
from retail.settings import Settings


@dataclass(frozen=True)
class Event:
    topic_role: str
    key: str
    value: dict


class EventSimulator:
    """Draws events with realistic codes: popular products sell more, deliveries bring whole cases."""

    def __init__(self, scale: str = "demo", seed: int = 7, feedback: bool = True) -> None:
        self.rng = np.random.default_rng(seed)
        self.world: World = build_world(SCALES[scale], self.rng, datetime.now(UTC).date())
        types = [t for t in catalog.EVENT_TYPES.values() if feedback or t.name != "feedback"]
        self.types = [t.name for t in types]
        shares = np.array([t.share for t in types])
        self.shares = shares / shares.sum()
        self.sequence: Counter[str] = Counter()

    def next(self, now: datetime | None = None) -> Event:
        world = self.world
        kind = self.types[self.rng.choice(len(self.types), p=self.shares)]
        store = world.stores.codes[self.rng.integers(len(world.stores.codes))]
        product = int(self.rng.choice(len(world.products.skus), p=world.products.popularity))
        self.sequence[store] += 1
        value: dict = {
            "schema_version": catalog.EVENT_SCHEMA_VERSION,
            "event_id": uuid.uuid4().hex,
            "event_type": kind,
            "event_ts": (now or datetime.now(UTC)).isoformat(timespec="milliseconds"),
            "store_code": store,
            "store_sequence": self.sequence[store],
            "sku": world.products.skus[product],
        }
        if kind in ("sale", "return"):
            value |= {"quantity": int(self.rng.integers(1, 4)), "currency": catalog.CURRENCY,
                      "unit_price": round(float(world.products.price[product]), 2)}
        elif kind == "adjustment":
            value |= {"quantity": int(self.rng.choice([-3, -2, -1, 1, 2])), "reason": "stock count"}
        elif kind == "delivery":
            value |= {"quantity": int(self.rng.choice([12, 24, 48])), "reference": f"PO-{self.rng.integers(10**6)}"}
        else:
            value |= {"rating": int(self.rng.integers(1, 6))}
        return Event(catalog.EVENT_TYPES[kind].topic_role, store, value)


@dataclass
class ProduceResult:
    sent: int
    failed: int
    seconds: float
    by_type: Counter[str]

    @property
    def rate(self) -> float:
        return self.sent / self.seconds if self.seconds else 0.0


def produce(settings: Settings, rate: float, duration: float, seed: int = 7, feedback: bool = True) -> ProduceResult:
    """Send `rate` × `duration` events to the environment's topics at `rate` a second, paced in 10 ms steps.
    Delivery is confirmed by the broker (acks=all, idempotent producer); failures are counted, not hidden."""
    from confluent_kafka import Producer

    from retail.kafka import client_config, topic

    simulator = EventSimulator(seed=seed, feedback=feedback)
    producer = Producer({**client_config(settings), "enable.idempotence": True, "linger.ms": 5})
    failed: list[str] = []
    by_type: Counter[str] = Counter()

    def delivered(error: object, _: object) -> None:
        if error is not None:
            failed.append(str(error))

    started = time.monotonic()
    total, sent = round(rate * duration), 0
    while sent < total:
        due = min(total, int((time.monotonic() - started) * rate) + 1)
        for _ in range(due - sent):
            event = simulator.next()
            while True:
                try:
                    producer.produce(topic(settings, event.topic_role), key=event.key,
                                     value=json.dumps(event.value), on_delivery=delivered)
                    break
                except BufferError:  # the client's queue is full: let the broker take some, then send it
                    producer.poll(0.05)
            by_type[event.value["event_type"]] += 1
            sent += 1
        producer.poll(0)
        time.sleep(0.01)
    remaining = producer.flush(60)
    seconds = time.monotonic() - started
    return ProduceResult(sent - len(failed) - remaining, len(failed) + remaining, seconds, by_type)
