"""The streaming job: Event Hubs (Kafka protocol) → bronze, and → silver → real-time gold, exactly once.

Two Structured Streaming queries read the same topics, each with its own checkpoint in the lake
(`_ops/checkpoints/<query>`, `abfss://` on Synapse):
- `events_bronze`: every message as received, with its Kafka coordinates, into `bronze/events`: one small
  commit per micro-batch made from the driver (spark_pools/small_commits.py), carrying the query's
  idempotent-transaction id, so a batch replayed after a crash adds nothing twice. (Spark's Delta sink costs
  seconds of the pool's cores per commit, which the real-time query beside it would wait for.)
- `events_silver`: parse and check (spark_pools/streaming/events.py) → drop event ids already seen within the
  watermark (kept in the query's state, by arrival time, which never runs backwards, so no event is ever
  dropped as "late") → foreachBatch: gold positions (one MERGE, spark_pools/streaming/positions.py) and their
  low-stock alerts first, then silver and quarantine, each a small commit made from the driver
  (spark_pools/small_commits.py) of rows Spark computed. Every write of a micro-batch carries Delta's
  idempotent-transaction id (txnAppId = the query's id, txnVersion = the batch id), so a batch replayed after
  a crash commits nothing twice. It reads Kafka itself rather than bronze so the real-time path never waits
  for another query's commit; its rows keep the Kafka coordinates that find their bronze row.

The same code runs as a long-running Synapse Spark job definition; only the settings differ.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming import StreamingQuery

from retail.kafka import spark_options, topic
from retail.settings import Settings
from spark_pools import lake, small_commits
from spark_pools.streaming import positions
from spark_pools.streaming.events import BRONZE_SCHEMA, RULES, conform

BRONZE_QUERY, SILVER_QUERY = "events_bronze", "events_silver"
SILVER_SCHEMA = ("event_id string, event_type string, event_ts timestamp, event_date date, store_code string, "
                 "store_sequence long, sku string, quantity int, stock_change int, currency string, "
                 "unit_price decimal(12,2), reason string, reference string, rating int, topic string, "
                 "partition int, offset long, _arrival_ts timestamp, _query_id string, _batch_id long, "
                 "_processed_ts timestamp")
QUARANTINE_SCHEMA = ("dedup_key string, failed_rules array<string>, _original string, topic string, partition int, "
                     "offset long, _arrival_ts timestamp, _query_id string, _batch_id long, _processed_ts timestamp")
STREAM_METRICS = "stream_metrics"
METRICS_SCHEMA = ("query string, batch_id long, batch_ts timestamp, input_rows long, input_rows_per_s double, "
                  "processed_rows_per_s double, batch_duration_ms long, offsets_behind_latest long, "
                  "accepted long, quarantined long, duplicates long, late_dropped long, "
                  "quarantined_by_rule map<string,long>, visible_at timestamp")
TOPIC_ROLES = ("pos", "inventory", "feedback")
METRICS_EVERY_S = 15  # progress reports are kept for the last 100 micro-batches, so this loses none


class StreamConservationError(RuntimeError):
    """A micro-batch read more (or fewer) rows than it accounted for."""


def path(settings: Settings, name: str) -> str:
    layer = {"events": "bronze", "events_silver": "silver", "events_quarantine": "silver",
             STREAM_METRICS: "_ops"}.get(name, "gold")
    table = {"events_silver": "events", "events_quarantine": "_quarantine/events"}.get(name, name)
    return lake.table_path(settings, layer, table)


def checkpoint(settings: Settings, query: str) -> str:
    return lake.table_path(settings, "_ops", f"checkpoints/{query}")


@dataclass
class BatchCounts:
    """What the foreachBatch writer saw of one micro-batch; joined with the query's progress for the metrics."""

    accepted: int = 0
    quarantined: int = 0
    by_rule: dict[str, int] = field(default_factory=dict)
    visible_at: datetime | None = None


@contextmanager
def idempotent(spark: SparkSession, app_id: str, batch_id: int) -> Iterator[None]:
    """Delta's idempotent writes for a Spark write of one micro-batch, as session confs: a table that has
    committed this (txnAppId, txnVersion) before skips the write. (Driver-side commits check it themselves.)"""
    confs = {"spark.databricks.delta.write.txnAppId": app_id, "spark.databricks.delta.write.txnVersion": str(batch_id)}
    for key, value in confs.items():
        spark.conf.set(key, value)
    try:
        yield
    finally:
        for key in confs:
            spark.conf.unset(key)


def query_id(spark: SparkSession, settings: Settings, query: str) -> str:
    """The query's id, kept in its checkpoint: stable across restarts, so it names the query's transactions."""
    return json.loads(lake.read_text(spark, f"{checkpoint(settings, query)}/metadata"))["id"]


class BronzeWriter:
    """The foreachBatch function of `events_bronze`: the micro-batch's messages appended once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.app_id = ""

    def __call__(self, batch: DataFrame, batch_id: int) -> None:
        self.app_id = self.app_id or query_id(batch.sparkSession, self.settings, BRONZE_QUERY)
        small_commits.append(path(self.settings, "events"), batch, once=(self.app_id, batch_id),
                             constants={"_ingest_ts": datetime.now(UTC)})


class SilverWriter:
    """The foreachBatch function of `events_silver`: one micro-batch into quarantine, silver and gold."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.counts: dict[int, BatchCounts] = {}
        self.app_id = ""
        self.base: DataFrame | None = None
        self.base_version = -2  # the version of mart_inventory_position the baseline was read from

    def __call__(self, batch: DataFrame, batch_id: int) -> None:
        spark = batch.sparkSession
        self.app_id = self.app_id or query_id(spark, self.settings, SILVER_QUERY)
        # Materialised once: every later use reads these blocks; the plan with the stateful de-duplication runs
        # exactly once per batch (re-running it would also count its dropped duplicates again). A micro-batch is
        # small: in one partition, every later step is one task and needs no shuffle.
        rows = batch.coalesce(1).localCheckpoint(eager=True)
        try:
            self.counts[batch_id] = self._write(spark, rows, batch_id)
        finally:
            rows.unpersist()

    def _write(self, spark: SparkSession, rows: DataFrame, batch_id: int) -> BatchCounts:
        """Gold first: the positions (and their alerts) are what the real-time path is for, so they are written
        before silver and quarantine (the next batch waits for all of them). A batch that rebuilds the
        positions from silver writes silver first. Each write carries the batch's idempotent-transaction id,
        so whichever write a crash interrupted, the replayed batch commits only the ones still missing."""
        quarantine_rules = [r.name for r in RULES if r.action == "quarantine"]
        ok = F.size("_dq_failed") == 0
        per_rule = [F.sum(F.array_contains("_dq_failed", name).cast("long")).alias(name) for name in quarantine_rules]
        totals = rows.agg(F.count(F.lit(1)).alias("rows"), F.sum((~ok).cast("long")).alias("_bad"), *per_rule).first()
        counts = BatchCounts(accepted=totals["rows"] - (totals["_bad"] or 0), quarantined=totals["_bad"] or 0,
                             by_rule={n: totals[n] for n in quarantine_rules if totals[n]})
        good = rows.where(ok)
        lineage = {"_query_id": self.app_id, "_batch_id": batch_id, "_processed_ts": datetime.now(UTC)}
        if counts.accepted:
            base, rebuild = self._baseline(spark)
            if rebuild:
                self._append(good, "events_silver", batch_id, lineage)
            self._update_positions(spark, good, base, rebuild, batch_id)
            counts.visible_at = datetime.now(UTC)
            self._raise_alerts(batch_id)
            if not rebuild:
                self._append(good, "events_silver", batch_id, lineage)
        if counts.quarantined:
            bad = rows.where(~ok).withColumnsRenamed({"_dq_failed": "failed_rules", "value": "_original"})
            self._append(bad, "events_quarantine", batch_id, lineage)
        counts.visible_at = counts.visible_at or datetime.now(UTC)
        return counts

    def _append(self, frame: DataFrame, name: str, batch_id: int, lineage: dict[str, object]) -> None:
        """A driver-side commit of the batch's rows, in the table's columns (a Spark append costs seconds)."""
        small_commits.append(path(self.settings, name), frame, once=(self.app_id, batch_id), constants=lineage)

    def _baseline(self, spark: SparkSession) -> tuple[DataFrame, bool]:
        """The stock-count baseline, re-read (and reported as changed) when the batch mart has a new version."""
        version = lake.version(spark, lake.table_path(self.settings, "gold", "mart_inventory_position"))
        changed = version != self.base_version
        if changed or self.base is None:
            if self.base is not None:
                self.base.unpersist()
            self.base = positions.baseline(spark, self.settings).localCheckpoint(eager=True)
            self.base_version = version
        return self.base, changed

    def _update_positions(self, spark: SparkSession, new: DataFrame, base: DataFrame, rebuild: bool,
                          batch_id: int) -> None:
        """One write: a MERGE of the batch's stock changes (a driver-side commit of the few rows Spark computed),
        or, when the stock count changed (and on a run's first batch), every position rebuilt from silver by
        Spark, this batch's rows included (and the table's schema brought up to date with it)."""
        target = path(self.settings, positions.POSITIONS)
        if rebuild:
            silver = lake.read(spark, path(self.settings, "events_silver"))
            every = positions.rebuilt(lake.read(spark, target), silver, base, batch_id).localCheckpoint(eager=True)
            with idempotent(spark, self.app_id, batch_id):
                lake.write(every, target, "overwrite", overwriteSchema="true")
        else:
            positions.merge(target, positions.changes(new, base), self.app_id, batch_id)

    def _raise_alerts(self, batch_id: int) -> None:
        """The alerts of the batch's positions write, read back from the table: the same rows when a replayed
        batch finds its write already committed."""
        alerts = positions.new_alerts(path(self.settings, positions.POSITIONS), batch_id)
        small_commits.append(path(self.settings, positions.ALERTS), alerts, once=(self.app_id, batch_id))


def ensure_tables(spark: SparkSession, settings: Settings) -> None:
    """Create the empty tables the queries read or MERGE into (safe to repeat)."""
    schemas = {
        "events": (BRONZE_SCHEMA, None),
        "events_silver": (SILVER_SCHEMA, "event_date"),
        "events_quarantine": (QUARANTINE_SCHEMA, None),
        positions.POSITIONS: (positions.POSITION_SCHEMA, None),
        positions.ALERTS: (positions.ALERT_SCHEMA, None),
        STREAM_METRICS: (METRICS_SCHEMA, None),
    }
    for name, (schema, partition) in schemas.items():
        lake.create(spark, path(settings, name), schema, partition)


def kafka_source(spark: SparkSession, settings: Settings) -> DataFrame:
    """The environment's event topics as a stream of raw messages with their Kafka coordinates."""
    topics = ",".join(topic(settings, role) for role in TOPIC_ROLES)
    source = spark.readStream.format("kafka").options(**spark_options(settings)) \
        .option("subscribe", topics).option("startingOffsets", "earliest") \
        .option("maxOffsetsPerTrigger", settings.streaming.max_events_per_batch).load()
    return source.select("topic", "partition", "offset", F.col("timestamp").alias("kafka_ts"),
                         F.col("key").cast("string").alias("key"), F.col("value").cast("string").alias("value"))


def start_bronze(spark: SparkSession, settings: Settings, available_now: bool) -> StreamingQuery:
    stream = kafka_source(spark, settings).writeStream.foreachBatch(BronzeWriter(settings))
    return _start(stream, settings, BRONZE_QUERY, available_now).start()


def start_silver(spark: SparkSession, settings: Settings, available_now: bool, writer: SilverWriter) -> StreamingQuery:
    """Reads the same topics as bronze, with its own checkpoint, so the real-time path never waits for a bronze
    commit; every silver and quarantine row keeps the Kafka coordinates of its bronze row."""
    watermark = f"{settings.streaming.dedup_watermark_minutes} minutes"
    frame = conform(kafka_source(spark, settings).withColumn("_arrival_ts", F.current_timestamp())) \
        .withWatermark("_arrival_ts", watermark).dropDuplicatesWithinWatermark(["dedup_key"])
    stream = _start(frame.writeStream.foreachBatch(writer), settings, SILVER_QUERY, available_now)
    # The state's partition count is fixed by the query's first run (then kept in its checkpoint); a stream of
    # till events needs few, and each costs a task and a state file per micro-batch.
    shuffle = spark.conf.get("spark.sql.shuffle.partitions")
    spark.conf.set("spark.sql.shuffle.partitions", str(settings.streaming.state_partitions))
    try:
        return stream.start()
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", shuffle)


def _start(stream: object, settings: Settings, name: str, available_now: bool) -> object:
    stream = stream.queryName(name).option("checkpointLocation", checkpoint(settings, name))
    if available_now:
        return stream.trigger(availableNow=True)
    seconds = settings.streaming.bronze_trigger_seconds if name == BRONZE_QUERY else settings.streaming.trigger_seconds
    return stream.trigger(processingTime=f"{seconds} seconds")


def messages_read(progress: dict) -> int:
    """The Kafka messages a micro-batch read: its end offsets minus its start offsets, per partition. Counted
    from the offsets rather than taken from `numInputRows`, which Spark derives from the executed plan and can
    miss when foreachBatch runs several jobs; the first batch of a query has no start offsets to subtract."""
    total = 0
    for source in progress["sources"]:
        start, end = (json.loads(o) if isinstance(o, str) else o
                      for o in (source.get("startOffset"), source.get("endOffset")))
        if not isinstance(start, dict) or not isinstance(end, dict):
            return int(progress["numInputRows"])
        total += sum(offset - start.get(topic_, {}).get(partition, 0)
                     for topic_, partitions in end.items() for partition, offset in partitions.items())
    return total


def metrics_rows(query: StreamingQuery, writer: SilverWriter | None, after: int) -> list[dict]:
    """Metrics rows for the query's micro-batches newer than `after`, from its progress reports (and for the
    silver query the writer's counts). A silver batch that does not conserve its rows raises."""
    rows = []
    for progress in query.recentProgress:
        batch_id = progress["batchId"]
        if batch_id <= after or "addBatch" not in progress["durationMs"]:
            continue  # recorded already, or an idle report (it carries the id of the batch still to come)
        states = progress.get("stateOperators") or [{}]
        duplicates = int(states[0].get("customMetrics", {}).get("numDroppedDuplicateRows", 0))
        late = int(states[0].get("numRowsDroppedByWatermark", 0))
        behind = [int(s["metrics"]["maxOffsetsBehindLatest"]) for s in progress["sources"]
                  if s.get("metrics", {}).get("maxOffsetsBehindLatest") is not None]
        counts = writer.counts.pop(batch_id, None) if writer else None
        read = messages_read(progress)
        if not read:
            continue  # nothing read (a no-data batch that only advanced the watermark)
        if counts is not None:
            accounted = counts.accepted + counts.quarantined + duplicates + late
            if accounted != read:
                raise StreamConservationError(
                    f"{query.name} batch {batch_id}: read {read:,} messages, accounted for {accounted:,} "
                    f"(accepted {counts.accepted:,}, quarantined {counts.quarantined:,}, "
                    f"duplicates {duplicates:,}, dropped late {late:,})")
        c = counts or BatchCounts()
        rows.append({
            "query": query.name, "batch_id": batch_id,
            "batch_ts": datetime.fromisoformat(progress["timestamp"].replace("Z", "+00:00")), "input_rows": read,
            "input_rows_per_s": float(progress.get("inputRowsPerSecond") or 0),
            "processed_rows_per_s": float(progress.get("processedRowsPerSecond") or 0),
            "batch_duration_ms": int(progress["durationMs"].get("triggerExecution", 0)),
            "offsets_behind_latest": max(behind) if behind else None, "accepted": c.accepted,
            "quarantined": c.quarantined, "duplicates": duplicates, "late_dropped": late,
            "quarantined_by_rule": c.by_rule, "visible_at": c.visible_at})
    return rows


@dataclass
class StreamRun:
    batches: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)


class StreamJob:
    """Both queries with their metrics, for `retail stream run`, the tests, the bench and a Synapse job
    definition (through `spark_pools.jobs.run_stream`)."""

    def __init__(self, settings: Settings, spark: SparkSession) -> None:
        self.settings, self.spark = settings, spark
        self.writer = SilverWriter(settings)
        self.queries: list[StreamingQuery] = []
        self.recorded: dict[str, int] = {}
        self.run_info = StreamRun()
        self._stopping = threading.Event()
        ensure_tables(spark, settings)

    def run(self, available_now: bool = False, seconds: float | None = None) -> StreamRun:
        """Stream until stopped (or for `seconds`); with `available_now`, process what the topics hold, then
        return. A failed query raises its error after the other is stopped."""
        try:
            if available_now:
                for start in (self._bronze, self._silver):
                    query = start(True)
                    query.awaitTermination()
                    self.record()
                return self.run_info
            self._bronze(False)
            self._silver(False)
            deadline = None if seconds is None else time.monotonic() + seconds
            recorded = time.monotonic()
            while not self._stopping.is_set() and (deadline is None or time.monotonic() < deadline):
                if any(not query.isActive for query in self.queries):
                    break
                self._stopping.wait(1)
                if time.monotonic() - recorded >= METRICS_EVERY_S:  # a Delta commit: not every second
                    self.record()
                    recorded = time.monotonic()
            for query in self.queries:
                if query.exception() is not None:
                    raise query.exception()
            return self.run_info
        finally:
            for query in self.queries:
                query.stop()
            self.record()

    def stop(self) -> None:
        """Ask a running `run` (in another thread) to stop its queries and return."""
        self._stopping.set()

    def _bronze(self, available_now: bool) -> StreamingQuery:
        self.queries.append(start_bronze(self.spark, self.settings, available_now))
        return self.queries[-1]

    def _silver(self, available_now: bool) -> StreamingQuery:
        self.queries.append(start_silver(self.spark, self.settings, available_now, self.writer))
        return self.queries[-1]

    def record(self) -> None:
        """Append the metrics of the micro-batches finished since the last call to `_ops/stream_metrics`."""
        rows = []
        for query in self.queries:
            new = metrics_rows(query, self.writer if query.name == SILVER_QUERY else None,
                               self.recorded.get(query.name, -1))
            if new:
                self.recorded[query.name] = max(r["batch_id"] for r in new)
                self.run_info.batches[query.name] = self.run_info.batches.get(query.name, 0) + len(new)
                read = sum(r["input_rows"] for r in new)
                self.run_info.rows[query.name] = self.run_info.rows.get(query.name, 0) + read
            rows += new
        # A driver-side commit: a Spark append here would take a second of the cores from the next micro-batch.
        small_commits.append(path(self.settings, STREAM_METRICS), rows)
