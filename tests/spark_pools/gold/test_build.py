"""The daily sales mart refreshed day by day: equal to a full recompute, and only the changed days rewritten."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from pyspark.sql import DataFrame, SparkSession

from retail.settings import Settings, load_settings
from spark_pools import lake
from spark_pools.gold import marts
from spark_pools.gold.build import FactChange, _sales_daily, gold_path

pytestmark = pytest.mark.spark

SALES = ("date_key int, store_key bigint, product_key bigint, document_id string, quantity int, "
         "gross_amount decimal(14,2), discount_amount decimal(14,2), net_amount decimal(14,2), "
         "cost_amount decimal(14,2), sale_month string")
PRODUCTS = "product_key bigint, category string"


def _line(day: int, product: int, document: str, net: str) -> tuple:
    amount = Decimal(net)
    return 20260100 + day, 1, product, document, 1, amount, Decimal("0.00"), amount, amount / 2, "2026-01"


def _table(spark: SparkSession, settings: Settings, name: str, rows: list[tuple], schema: str, mode: str) -> int:
    lake.write(spark.createDataFrame(rows, schema), gold_path(settings, name), mode)
    return lake.version(spark, gold_path(settings, name))


def _mart(spark: SparkSession, settings: Settings) -> DataFrame:
    return lake.read(spark, gold_path(settings, "mart_sales_daily"))


@pytest.fixture
def built(spark: SparkSession, tmp_path: Path) -> tuple[Settings, int]:
    """A mart built in full from three days of sales of products 1 (Food) and 2 (Toys); the fact's version."""
    settings = load_settings("local").with_lake(tmp_path / "lake", tmp_path / "landing")
    _table(spark, settings, "dim_product", [(1, "Food"), (2, "Toys")], PRODUCTS, "overwrite")
    sales = [_line(1, 1, "D1", "10.00"), _line(1, 2, "D1", "4.50"), _line(2, 1, "D2", "3.00"),
             _line(3, 2, "D3", "7.25")]
    version = _table(spark, settings, "fact_sales", sales, SALES, "append")
    products = lake.read(spark, gold_path(settings, "dim_product"))
    assert _sales_daily(spark, settings, products, FactChange(-1, None), full=True).rows_written == 4
    return settings, version


def _refresh(spark: SparkSession, settings: Settings, change: FactChange) -> int:
    products = lake.read(spark, gold_path(settings, "dim_product"))
    metrics = _sales_daily(spark, settings, products, change, full=False)
    expected = marts.sales_daily(lake.read(spark, gold_path(settings, "fact_sales")), products)
    mart = _mart(spark, settings)
    assert sorted(mart.collect()) == sorted(expected.select(*mart.columns).collect())
    return metrics.rows_written


def test_only_the_days_the_fact_changed_and_the_days_of_recategorised_products_are_recomputed(
        spark: SparkSession, built: tuple[Settings, int]) -> None:
    settings, before = built
    _table(spark, settings, "fact_sales", [_line(4, 1, "D4", "2.00")], SALES, "append")
    _table(spark, settings, "dim_product", [(1, "Food"), (2, "Games"), (3, "New")], PRODUCTS, "overwrite")
    # Day 4 (new sale) and days 1 and 3 (product 2 moved to Games) are recomputed; day 2 is kept as it was.
    assert _refresh(spark, settings, FactChange(before, {20260104: "2026-01"})) == 4
    commit = lake.last_commit(spark, gold_path(settings, "mart_sales_daily"))[1]
    assert "20260101, 20260103, 20260104" in commit["operationParameters"]["predicate"]
    assert json.loads(commit["userMetadata"])["gold/fact_sales"] == before + 1
    assert _sales_daily(spark, settings, lake.read(spark, gold_path(settings, "dim_product")),
                        FactChange(before + 1, {}), full=False).rows_written == 0  # nothing new: no commit


def test_a_mart_not_built_from_the_version_the_run_started_from_is_rebuilt_whole(
        spark: SparkSession, built: tuple[Settings, int]) -> None:
    settings, _ = built
    _table(spark, settings, "fact_sales", [_line(2, 2, "D5", "1.00")], SALES, "append")  # a run the mart missed
    after = _table(spark, settings, "fact_sales", [_line(4, 1, "D4", "2.00")], SALES, "append")
    assert _refresh(spark, settings, FactChange(after - 1, {20260104: "2026-01"})) == 6
    assert "predicate" not in lake.last_commit(spark, gold_path(settings, "mart_sales_daily"))[1]["operationParameters"]
