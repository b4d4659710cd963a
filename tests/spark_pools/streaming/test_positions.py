"""Real-time positions from a batch stock count and events, by hand: late, early and out-of-order events."""

from __future__ import annotations

from datetime import date, datetime

from pyspark.sql import DataFrame, SparkSession

from spark_pools.streaming.positions import BASELINE_SCHEMA, advance, flag_new_alerts, recompute

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


def test_advancing_batch_by_batch_in_any_order_equals_the_recomputation(spark: SparkSession) -> None:
    base = _base(spark)
    expected = _by_key(recompute(_events(spark, BATCH_1 + BATCH_2), base))
    for first, second in ((BATCH_1, BATCH_2), (BATCH_2, BATCH_1)):
        start = recompute(_events(spark, []), base)
        middle = advance(start, _events(spark, first), base).localCheckpoint()
        merged = start.join(middle.select("store_code", "sku"), ["store_code", "sku"], "left_anti") \
            .unionByName(middle)
        after = advance(merged, _events(spark, second), base)
        untouched = merged.join(after.select("store_code", "sku"), ["store_code", "sku"], "left_anti")
        assert _by_key(untouched.unionByName(after)) == expected


def test_an_alert_is_raised_when_a_position_crosses_its_reorder_point_once(spark: SparkSession) -> None:
    base = _base(spark)
    start = recompute(_events(spark, []), base)
    first = flag_new_alerts(start, advance(start, _events(spark, BATCH_1), base))
    assert {(r.store_code, r.sku) for r in first.where("_alert").collect()} == {("S1", "A")}
    before = first.drop("_alert")
    second = flag_new_alerts(before, advance(before, _events(spark, BATCH_2), base))
    assert second.where("_alert").count() == 0
