"""Real-time positions from a batch stock count and events, by hand: late, early and out-of-order events."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession

from spark_pools import lake
from spark_pools.streaming.positions import BASELINE_SCHEMA, POSITION_SCHEMA, merge, new_alerts, rebuilt, recompute

EVENTS = "event_id string, event_ts timestamp, event_date date, store_code string, sku string, stock_change int"
AS_OF = date(2026, 11, 20)


def _base(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame([("S1", "A", 10, AS_OF, 8.0), ("S1", "B", 5, AS_OF, 2.0)], BASELINE_SCHEMA)


def _events(spark: SparkSession, rows: list[tuple[str, str, str, str, int]]) -> DataFrame:
    return spark.createDataFrame([(i, datetime.fromisoformat(ts), datetime.fromisoformat(ts).date(), store, sku, change)
                                  for i, ts, store, sku, change in rows], EVENTS)


BATCH_1 = [("e1", "2026-11-25T10:00:00", "S1", "A", -3),   # sale after the count: 10 - 3 = 7, below 8
           ("e2", "2026-11-19T09:00:00", "S1", "A", 24),   # a delivery before the count day: already counted
           ("e3", "2026-11-25T11:00:00", "S2", "C", 12)]   # no stock count: starts from 0, no reorder point
BATCH_2 = [("e4", "2026-11-21T08:00:00", "S1", "B", -1),   # late and out of order: still applied
           ("e5", "2026-11-25T12:00:00", "S1", "A", -1)]   # A stays below its reorder point


def _by_key(frame: DataFrame) -> dict[tuple[str, str], tuple]:
    return {(r.store_code, r.sku): (r.on_hand, r.events_applied, r.below_reorder_point) for r in frame.collect()}


def test_recompute_adds_only_events_after_the_count_day(spark: SparkSession) -> None:
    positions = _by_key(recompute(_events(spark, BATCH_1 + BATCH_2), _base(spark)))
    assert positions == {("S1", "A"): (6, 2, True), ("S1", "B"): (4, 1, False), ("S2", "C"): (12, 1, None)}


def _table(spark: SparkSession, folder: Path, base: DataFrame) -> DeltaTable:
    """A positions table as the job's first batch leaves it: the baseline, before any event."""
    empty = spark.createDataFrame([], POSITION_SCHEMA)
    rebuilt(empty, _events(spark, []), base, 0).write.format("delta").save(str(folder))
    return DeltaTable.forPath(spark, str(folder))


def test_merging_batch_by_batch_in_any_order_equals_the_recomputation(spark: SparkSession, tmp_path: Path) -> None:
    base = _base(spark)
    expected = _by_key(recompute(_events(spark, BATCH_1 + BATCH_2), base))
    for order, batches in enumerate(((BATCH_1, BATCH_2), (BATCH_2, BATCH_1))):
        table = _table(spark, tmp_path / str(order), base)
        for batch_id, batch in enumerate(batches, start=1):
            merge(table, _events(spark, batch), base, batch_id)
        assert _by_key(table.toDF()) == expected


def _alerts(table: DeltaTable, batch_id: int) -> set[tuple[str, str]]:
    return {(r.store_code, r.sku) for r in new_alerts(table.toDF(), batch_id).collect()}


def test_an_alert_is_raised_when_a_position_crosses_its_reorder_point_once(spark: SparkSession,
                                                                          tmp_path: Path) -> None:
    base = _base(spark)
    table = _table(spark, tmp_path, base)
    merge(table, _events(spark, BATCH_1), base, 1)
    assert _alerts(table, 1) == {("S1", "A")}
    assert _alerts(table, 1) == {("S1", "A")}  # read back again (a replayed batch): the same alert
    merge(table, _events(spark, BATCH_2), base, 2)
    assert _alerts(table, 2) == set()  # A moved again but was already below


def test_a_rebuild_raises_no_alert_for_a_position_already_below(spark: SparkSession, tmp_path: Path) -> None:
    base = _base(spark)
    table = _table(spark, tmp_path, base)
    merge(table, _events(spark, BATCH_1), base, 1)
    again = rebuilt(table.toDF(), _events(spark, BATCH_1 + BATCH_2), base, 2).localCheckpoint()
    again.write.format("delta").mode("overwrite").save(str(tmp_path))
    assert _by_key(lake.read(spark, str(tmp_path))) == _by_key(recompute(_events(spark, BATCH_1 + BATCH_2), base))
    assert _alerts(table, 2) == set()
