"""The large facts' daily MERGE: a record whose date changed month or day, the rows on an unknown member kept
beside a fact, and the marts' period read from the facts' statistics."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from functools import reduce
from pathlib import Path

import pytest
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from retail.settings import Settings, load_settings
from spark_pools import lake, small_commits
from spark_pools.gold.derived import gold_path
from spark_pools.gold.incremental_facts import (
    DAY_STATS,
    MOVEMENTS,
    SNAPSHOT,
    FactChange,
    days_covered,
    keep_unresolved,
    kept_unresolved,
    merge_loads,
    unresolved_path,
)
from spark_pools.gold.incremental_facts import SALES as SALES_FACT
from spark_pools.ops import Metrics
from spark_pools.silver.build import silver_path

pytestmark = pytest.mark.spark


MOVEMENT_SCHEMA = ("movement_id string, store_code string, sku string, movement_ts timestamp, movement_type string, "
                   "quantity int, reference string, movement_month string, _load_id string")


def _moving(spark: SparkSession, tmp_path: Path) -> tuple[Settings, Callable[[list[str], set[str], bool], FactChange],
                                                          Callable[[str, str, str], DataFrame]]:
    """The movements fact over a silver table written by hand: its settings, a MERGE of loads into it (with the
    months silver says records left, full or not), and a silver row (id, time, load)."""
    settings = load_settings("local").with_lake(tmp_path / "lake", tmp_path / "landing")
    dims = {"dim_store": spark.createDataFrame([(7, "S1")], "store_key bigint, store_code string"),
            "dim_product": spark.createDataFrame([(8, "P1")], "product_key bigint, sku string")}
    for name, frame in dims.items():  # the gold dimensions: `dims` are their reads, as in a run
        lake.write(frame, gold_path(settings, name), "overwrite")

    def merge(loads: list[str], moved_from: set[str], full: bool) -> FactChange:
        return merge_loads(spark, settings, MOVEMENTS, dims, None, loads, moved_from, full,
                                 Metrics("gold", MOVEMENTS.name))

    def movement(identifier: str, ts: str, load: str) -> DataFrame:
        return spark.createDataFrame([(identifier, "S1", "P1", None, "RECEIPT", 5, None, ts[:7], load)],
                                     MOVEMENT_SCHEMA).withColumn("movement_ts", F.to_timestamp(F.lit(ts)))

    return settings, merge, movement


def _facts(spark: SparkSession, settings: Settings) -> list[tuple]:
    fact = lake.read(spark, gold_path(settings, MOVEMENTS.name))
    return sorted(fact.select("movement_id", "date_key", "movement_month").collect())


def test_a_fact_merge_moves_a_record_silver_moved_to_another_month(spark: SparkSession, tmp_path: Path) -> None:
    """Silver names the month a record left (`_ops/silver_moves`); the MERGE covers it, and the daily marts are
    rebuilt whole since the day the record left changed too."""
    settings, merge, movement = _moving(spark, tmp_path)
    silver = silver_path(settings, MOVEMENTS.entity.name)
    lake.write(movement("M1", "2026-01-31 22:00:00", "L1").unionByName(movement("M2", "2026-01-31 23:00:00", "L1")),
               silver, "overwrite", MOVEMENTS.partition)
    merge(["L1"], set(), True)
    lake.write(movement("M1", "2026-02-01 09:00:00", "L2"), silver, "overwrite", MOVEMENTS.partition,
               replaceWhere="movement_id = 'M1'")  # silver moved M1: its date was corrected
    change = merge(["L2"], {"2026-01"}, False)
    assert _facts(spark, settings) == [("M1", 20260201, "2026-02"), ("M2", 20260131, "2026-01")]
    assert change.moved_from == {"2026-01"} and change.months == {"2026-01", "2026-02"}


@pytest.mark.parametrize("driver_rows", [small_commits.DRIVER_ROWS, 0], ids=["driver", "spark"])
def test_the_day_a_record_left_within_its_month_changed_too(spark: SparkSession, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch, driver_rows: int) -> None:
    """A record sent again with its date corrected within its month stays in its partition, but leaves a day whose
    daily sales a mart must recompute: the change names that day as well as the day it moved to."""
    monkeypatch.setattr(small_commits, "DRIVER_ROWS", driver_rows)  # the rows MERGEd from the driver, or by Spark
    settings, merge, movement = _moving(spark, tmp_path)
    silver = silver_path(settings, MOVEMENTS.entity.name)
    lake.write(reduce(DataFrame.unionByName, [movement("M1", "2026-01-29 22:00:00", "L1"),
                                              movement("M2", "2026-01-31 23:00:00", "L1"),
                                              movement("M3", "2026-01-28 10:00:00", "L1")]),
               silver, "overwrite", MOVEMENTS.partition)
    merge(["L1"], set(), True)
    lake.write(movement("M1", "2026-01-30 09:00:00", "L2").unionByName(movement("M4", "2026-01-27 08:00:00", "L2")),
               silver, "append", MOVEMENTS.partition)
    lake.write(lake.read(spark, silver).where("NOT (movement_id = 'M1' AND _load_id = 'L1')"), silver, "overwrite",
               MOVEMENTS.partition)  # silver kept M1's latest version, whose date was corrected
    change = merge(["L2"], set(), False)
    assert _facts(spark, settings) == [("M1", 20260130, "2026-01"), ("M2", 20260131, "2026-01"),
                                       ("M3", 20260128, "2026-01"), ("M4", 20260127, "2026-01")]
    assert change.days == {20260129: "2026-01", 20260130: "2026-01", 20260127: "2026-01"}  # M3's day is not
    assert not change.moved_from


UNRESOLVED_FACT = ("sales_line_id string, sale_month string, store_key bigint, product_key bigint, "
                   "customer_key bigint, store_code string, sku string, customer_id string")


def test_unresolved_rows_too_many_for_the_driver_go_through_spark(spark: SparkSession, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The rows kept beside a fact are read and written by the driver only while few; the same rows either way."""
    settings = load_settings("local").with_lake(tmp_path / "lake", tmp_path / "landing")
    fact, kept_path = gold_path(settings, "fact_sales"), unresolved_path(settings, SALES_FACT)
    lake.write(spark.createDataFrame([
        ("L1", "2026-01", 1, -1, 5, "S1", "SKU9", "C1"),   # unknown product with a code: kept
        ("L2", "2026-01", 1, 2, 5, "S1", "SKU2", "C1"),    # resolved
        ("L3", "2026-02", -1, 2, -1, "S7", "SKU2", None),  # unknown store with a code: kept
    ], UNRESOLVED_FACT), fact, "overwrite")
    version = lake.version(spark, fact)

    def by_spark() -> bool:
        return "Apache-Spark" in lake.last_commit(spark, kept_path)[1].get("engineInfo", "")

    keep_unresolved(spark, settings, SALES_FACT)  # after a rewrite their count is unknown: always Spark
    assert by_spark()
    for limit in (0, 10):
        monkeypatch.setattr(small_commits, "DRIVER_ROWS", limit)
        kept = kept_unresolved(spark, settings, SALES_FACT, version)
        assert sorted(r.sales_line_id for r in kept.frame.collect()) == ["L1", "L3"]
        assert (kept.rows is None) == (limit == 0)
        merged = spark.createDataFrame([("L1", "2026-01", 1, 3, 5, "S1", "SKU9", "C1")], UNRESOLVED_FACT)  # resolved
        keep_unresolved(spark, settings, SALES_FACT, (kept.frame, merged, 1))
        assert by_spark() == (limit == 0)
        assert [r.sales_line_id for r in lake.read(spark, kept_path).collect()] == ["L3"]
        lake.write(lake.read(spark, fact).where("sales_line_id != 'L2'"), kept_path, "overwrite",
                   userMetadata=json.dumps({"fact_version": version}))  # L1 and L3 again, for the next limit


def test_the_marts_period_is_read_from_the_facts_statistics_or_else_from_its_edge_months(
        spark: SparkSession, tmp_path: Path) -> None:
    settings = load_settings("local").with_lake(tmp_path / "lake", tmp_path / "landing")
    days = spark.createDataFrame([(20260105, "2026-01"), (20260131, "2026-01"), (20260214, "2026-02"),
                                  (20260302, "2026-03")], "date_key int, month string")
    snapshot, sales = gold_path(settings, SNAPSHOT.name), gold_path(settings, SALES_FACT.name)
    lake.write(days.withColumnRenamed("month", SNAPSHOT.partition), snapshot, "overwrite", SNAPSHOT.partition,
               DAY_STATS)
    lake.write(days.withColumnRenamed("month", SALES_FACT.partition), sales, "overwrite", SALES_FACT.partition)
    assert small_commits.column_range(snapshot, "date_key") == (20260105, 20260302)
    assert small_commits.column_range(sales, "date_key") is None  # written without statistics on the day
    for fact in (SNAPSHOT, SALES_FACT):
        assert days_covered(spark, settings, fact) == (date(2026, 1, 5), date(2026, 3, 2))
