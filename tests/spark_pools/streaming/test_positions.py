"""Real-time positions from a batch stock count and events, by hand: late, early and out-of-order events."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from delta.tables import DeltaTable
from pyspark.sql import DataFrame, SparkSession

from spark_pools import lake
from spark_pools.streaming import positions
from spark_pools.streaming.positions import BASELINE_SCHEMA, POSITION_SCHEMA, changes, new_alerts, rebuilt, recompute

EVENTS = "event_id string, event_ts timestamp, event_date date, store_code string, sku string, stock_change int"
AS_OF = date(2026, 11, 20)
APP = "query-id"


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
    found = _by_key(recompute(_events(spark, BATCH_1 + BATCH_2), _base(spark)))
    assert found == {("S1", "A"): (6, 2, True), ("S1", "B"): (4, 1, False), ("S2", "C"): (12, 1, None)}


def _table(spark: SparkSession, folder: Path, base: DataFrame) -> str:
    """A positions table as the job's first batch leaves it: the baseline, before any event."""
    empty = spark.createDataFrame([], POSITION_SCHEMA)
    rebuilt(empty, _events(spark, []), base, 0).write.format("delta").save(str(folder))
    return str(folder)


def _merge(spark: SparkSession, table: str, batch: list, base: DataFrame, batch_id: int) -> bool:
    return positions.merge(table, changes(_events(spark, batch), base), APP, batch_id)


def test_merging_batch_by_batch_in_any_order_equals_the_recomputation(spark: SparkSession, tmp_path: Path) -> None:
    base = _base(spark)
    expected = _by_key(recompute(_events(spark, BATCH_1 + BATCH_2), base))
    for order, batches in enumerate(((BATCH_1, BATCH_2), (BATCH_2, BATCH_1))):
        table = _table(spark, tmp_path / str(order), base)
        for batch_id, batch in enumerate(batches, start=1):
            assert _merge(spark, table, batch, base, batch_id)
        assert _by_key(lake.read(spark, table)) == expected


def test_a_batch_the_table_already_holds_is_not_added_again(spark: SparkSession, tmp_path: Path) -> None:
    base = _base(spark)
    table = _table(spark, tmp_path, base)
    assert _merge(spark, table, BATCH_1, base, 1)
    once = _by_key(lake.read(spark, table))
    assert not _merge(spark, table, BATCH_1, base, 1)  # replayed after a crash: its transaction is in the log
    assert not _merge(spark, table, BATCH_2, base, 1)
    assert _by_key(lake.read(spark, table)) == once
    history = DeltaTable.forPath(spark, table).history().collect()
    assert [h.operation for h in history].count("MERGE") == 1


def _alerts(table: str, batch_id: int) -> set[tuple[str, str]]:
    return {(a["store_code"], a["sku"]) for a in new_alerts(table, batch_id)}


def test_an_alert_is_raised_when_a_position_crosses_its_reorder_point_once(spark: SparkSession,
                                                                          tmp_path: Path) -> None:
    base = _base(spark)
    table = _table(spark, tmp_path, base)
    _merge(spark, table, BATCH_1, base, 1)
    assert _alerts(table, 1) == {("S1", "A")}
    assert _alerts(table, 1) == {("S1", "A")}  # read back again (a replayed batch): the same alert
    (alert,) = new_alerts(table, 1)
    assert (alert["on_hand"], alert["reorder_point"], alert["batch_id"]) == (7, 8.0, 1)
    _merge(spark, table, BATCH_2, base, 2)
    assert _alerts(table, 2) == set()  # A moved again but was already below


def test_a_rebuild_raises_no_alert_for_a_position_already_below(spark: SparkSession, tmp_path: Path) -> None:
    base = _base(spark)
    table = _table(spark, tmp_path, base)
    _merge(spark, table, BATCH_1, base, 1)
    again = rebuilt(lake.read(spark, table), _events(spark, BATCH_1 + BATCH_2), base, 2).localCheckpoint()
    again.write.format("delta").mode("overwrite").save(table)
    assert _by_key(lake.read(spark, table)) == _by_key(recompute(_events(spark, BATCH_1 + BATCH_2), base))
    assert _alerts(table, 2) == set()
