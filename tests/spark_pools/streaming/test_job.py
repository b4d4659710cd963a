"""The streaming job against a real Kafka broker: malformed, duplicate and late events, and replays."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from retail.broker import LocalBroker
from retail.settings import Settings
from spark_pools import lake
from spark_pools.streaming.job import SILVER_QUERY, STREAM_METRICS, StreamJob, path
from spark_pools.streaming.positions import POSITIONS
from tests.spark_pools.streaming.conftest import as_messages, events, expected_positions, send, stream_settings

ROOT = Path(__file__).resolve().parents[3]


def _malformed(good: dict) -> dict[str, str]:
    """Raw message → the rule it must fail."""
    def variant(**changes: object) -> str:
        value = {**good, "event_id": f"bad-{len(changes)}-{sorted(changes)}"} | changes
        return json.dumps({k: v for k, v in value.items() if v is not None})

    return {
        '{"event_id": "broken", "store_code"': "is_json_object",
        "[1, 2, 3]": "is_json_object",
        variant(event_id=None): "mandatory_present",
        variant(schema_version=2): "schema_version_supported",
        variant(event_type="teleport"): "event_type_known",
        variant(quantity=0): "quantity_in_range",
        variant(quantity="lots", event_type="delivery"): "values_parse",
        variant(event_ts="yesterday", event_type="return"): "values_parse",
        variant(currency="EUR", event_type="sale"): "single_currency",
        variant(unit_price=-5, event_type="sale"): "price_in_range",
    }


def _positions(spark: SparkSession, settings: Settings) -> dict[tuple[str, str], int]:
    return {(r.store_code, r.sku): r.on_hand for r in lake.read(spark, path(settings, POSITIONS)).collect()}


def _versions(spark: SparkSession, settings: Settings) -> dict[str, int]:
    return {name: lake.version(spark, path(settings, name))
            for name in ("events", "events_silver", "events_quarantine", POSITIONS)}


@pytest.fixture(scope="module")
def streamed(spark: SparkSession, broker: LocalBroker, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """One stream run over good events, re-sent duplicates, malformed messages and a late event."""
    settings = stream_settings(broker, tmp_path_factory.mktemp("stream"))
    good = events(400, seed=11)
    late = {**events(1, seed=12)[0], "event_type": "delivery", "quantity": 24, "currency": None, "unit_price": None,
            "event_ts": (datetime.now(UTC) - timedelta(hours=3)).isoformat(timespec="milliseconds")}
    late = {k: v for k, v in late.items() if v is not None}
    malformed = _malformed(good[0])
    messages = as_messages(good) + as_messages(good[:25]) \
        + [("pos", "S001", raw) for raw in malformed] + as_messages([late])
    send(settings, messages)
    run = StreamJob(settings, spark).run(available_now=True)
    return {"settings": settings, "good": [*good, late], "malformed": malformed, "sent": len(messages), "run": run}


def test_bronze_keeps_every_message_as_received(spark: SparkSession, streamed: dict) -> None:
    bronze = lake.read(spark, path(streamed["settings"], "events"))
    assert bronze.count() == streamed["sent"]
    assert bronze.select("topic", "partition", "offset").distinct().count() == streamed["sent"]


def test_silver_holds_each_valid_event_once(spark: SparkSession, streamed: dict) -> None:
    silver = lake.read(spark, path(streamed["settings"], "events_silver"))
    ids = [r.event_id for r in silver.select("event_id").collect()]
    assert sorted(ids) == sorted(e["event_id"] for e in streamed["good"])


def test_malformed_events_are_quarantined_with_their_reason(spark: SparkSession, streamed: dict) -> None:
    rows = lake.read(spark, path(streamed["settings"], "events_quarantine")).collect()
    assert len(rows) == len(streamed["malformed"])
    reasons = {r._original: set(r.failed_rules) for r in rows}
    for raw, rule in streamed["malformed"].items():
        assert rule in reasons[raw], (raw, reasons[raw])


def test_positions_equal_a_recomputation_including_late_events(spark: SparkSession, streamed: dict) -> None:
    assert _positions(spark, streamed["settings"]) == expected_positions(streamed["good"])


def test_every_micro_batch_conserves_its_rows(spark: SparkSession, streamed: dict) -> None:
    metrics = lake.read(spark, lake.table_path(streamed["settings"], "_ops", STREAM_METRICS))
    silver = metrics.where(f"query = '{SILVER_QUERY}'").agg({"input_rows": "sum", "accepted": "sum",
                                                             "quarantined": "sum", "duplicates": "sum"}).first()
    assert silver["sum(input_rows)"] == streamed["sent"]
    assert silver["sum(accepted)"] == len(streamed["good"])
    assert silver["sum(quarantined)"] == len(streamed["malformed"])
    assert silver["sum(duplicates)"] == 25


def test_a_rerun_with_nothing_new_writes_nothing(spark: SparkSession, streamed: dict) -> None:
    settings = streamed["settings"]
    before = _versions(spark, settings)
    StreamJob(settings, spark).run(available_now=True)
    assert _versions(spark, settings) == before


def test_a_duplicate_sent_in_a_later_run_is_dropped(spark: SparkSession, streamed: dict) -> None:
    """The event ids seen within the watermark live in the query's state, which its checkpoint keeps."""
    settings = streamed["settings"]
    send(settings, as_messages(streamed["good"][100:110]))
    StreamJob(settings, spark).run(available_now=True)
    assert lake.read(spark, path(settings, "events_silver")).count() == len(streamed["good"])
    assert _positions(spark, settings) == expected_positions(streamed["good"])
    metrics = lake.read(spark, lake.table_path(settings, "_ops", STREAM_METRICS))
    assert metrics.where(f"query = '{SILVER_QUERY}'").agg({"duplicates": "sum"}).first()[0] == 25 + 10


RUN_JOB = ("import sys; from retail.settings import Settings; from spark_pools.session import get_spark; "
           "from spark_pools.streaming.job import StreamJob; settings = Settings.model_validate_json(sys.argv[1]); "
           "StreamJob(settings, get_spark(settings)).run()")


def test_exactly_once_across_a_killed_job_and_a_broker_restart(spark: SparkSession, broker: LocalBroker,
                                                               tmp_path: Path) -> None:
    """Kill the running job mid-stream (JVM and all), restart the broker, send more (with duplicates of events
    sent before the kill), restart the job from its checkpoints: every event exactly once, and positions equal
    a recomputation from the events."""
    settings = stream_settings(broker, tmp_path)
    settings = settings.model_copy(update={"streaming": settings.streaming.model_copy(
        update={"max_events_per_batch": 150, "trigger_seconds": 0.5})})
    first, second = events(1500, seed=21), events(400, seed=22)
    send(settings, as_messages(first))
    log = (tmp_path / "job.log").open("w")
    job = subprocess.Popen([sys.executable, "-c", RUN_JOB, settings.model_dump_json()], cwd=ROOT, stdout=log,
                           stderr=subprocess.STDOUT, start_new_session=True)
    silver = path(settings, "events_silver")
    deadline = time.monotonic() + 240
    while lake.version(spark, silver) < 3 and time.monotonic() < deadline and job.poll() is None:
        time.sleep(0.5)
    os.killpg(job.pid, signal.SIGKILL)  # mid-stream: a micro-batch is usually half written
    job.wait()
    processed = lake.read(spark, silver).count()
    assert 0 < processed < len(first), (tmp_path / "job.log").read_text()[-3000:]

    broker.stop()
    broker.start()
    settings = broker.bind(settings)
    send(settings, as_messages(second) + as_messages(first[:30]))
    StreamJob(settings, spark).run(available_now=True)

    everything = first + second
    ids = [r.event_id for r in lake.read(spark, silver).select("event_id").collect()]
    assert sorted(ids) == sorted(e["event_id"] for e in everything)
    assert lake.read(spark, path(settings, "events")).count() == len(everything) + 30
    assert _positions(spark, settings) == expected_positions(everything)
