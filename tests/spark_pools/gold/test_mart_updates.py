"""Gold's marts recomputed in part: the daily sales mart refreshed day by day (equal to a full recompute, only
the changed days rewritten), and the monthly sums behind stock performance and RFM recomputed only in the months
that changed."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path

import pytest
from pyspark.sql import DataFrame, SparkSession

from retail.settings import Settings, load_settings
from spark_pools import lake
from spark_pools.gold import marts
from spark_pools.gold.derived import gold_path
from spark_pools.gold.incremental_facts import (
    FactChange,
)
from spark_pools.gold.mart_updates import (
    CUSTOMER_BY_MONTH,
    STOCK_BY_MONTH,
    update_customer_rfm,
    update_sales_daily,
    update_stock_performance,
)

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
    assert update_sales_daily(spark, settings, products, FactChange(-1, None), full=True).rows_written == 4
    return settings, version


def _refresh(spark: SparkSession, settings: Settings, change: FactChange) -> int:
    products = lake.read(spark, gold_path(settings, "dim_product"))
    metrics = update_sales_daily(spark, settings, products, change, full=False)
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
    assert re.findall(r"\d{8}", commit["operationParameters"]["predicate"]) == ["20260101", "20260103", "20260104"]
    assert json.loads(commit["userMetadata"])["gold/fact_sales"] == before + 1
    assert update_sales_daily(spark, settings, lake.read(spark, gold_path(settings, "dim_product")),
                        FactChange(before + 1, {}), full=False).rows_written == 0  # nothing new: no commit


def test_a_mart_whose_products_version_was_vacuumed_is_rebuilt_whole(
        spark: SparkSession, built: tuple[Settings, int]) -> None:
    """The categories the mart was built with cannot be read any more: which days they changed is not known."""
    settings, before = built
    products = gold_path(settings, "dim_product")
    _table(spark, settings, "dim_product", [(1, "Food"), (2, "Games")], PRODUCTS, "overwrite")
    current = lake.current_files(spark, products)
    gone = [f for f in Path(products).glob("*.parquet") if str(f) not in current]
    assert gone
    for file in gone:  # what VACUUM deletes once the retention has passed
        file.unlink()
    _table(spark, settings, "fact_sales", [_line(4, 1, "D4", "2.00")], SALES, "append")
    assert _refresh(spark, settings, FactChange(before, {20260104: "2026-01"})) == 5  # days 1-4, day 1 twice
    assert "predicate" not in lake.last_commit(spark, gold_path(settings, "mart_sales_daily"))[1]["operationParameters"]


def test_a_mart_not_built_from_the_version_the_run_started_from_is_rebuilt_whole(
        spark: SparkSession, built: tuple[Settings, int]) -> None:
    settings, _ = built
    _table(spark, settings, "fact_sales", [_line(2, 2, "D5", "1.00")], SALES, "append")  # a run the mart missed
    after = _table(spark, settings, "fact_sales", [_line(4, 1, "D4", "2.00")], SALES, "append")
    assert _refresh(spark, settings, FactChange(after - 1, {20260104: "2026-01"})) == 6
    assert "predicate" not in lake.last_commit(spark, gold_path(settings, "mart_sales_daily"))[1]["operationParameters"]


STOCK = {"fact_inventory_snapshot": "store_key bigint, product_key bigint, count_date date, on_hand_quantity int, "
                                    "count_month string",
         "fact_sales": "store_key bigint, product_key bigint, transaction_type string, quantity int, "
                       "net_amount decimal(14,2), cost_amount decimal(14,2), sale_month string",
         "fact_inventory_movement": "store_key bigint, product_key bigint, date_key int, movement_type string, "
                                    "quantity int, movement_month string"}


def _count(day: date, on_hand: int) -> tuple:
    return 1, 7, day, on_hand, f"{day:%Y-%m}"


def _sale(day: date, units: int) -> tuple:
    return 1, 7, "SALE", units, Decimal(units), Decimal(units) / 2, f"{day:%Y-%m}"


def test_stock_performance_recomputes_only_the_months_the_facts_changed(spark: SparkSession, tmp_path: Path) -> None:
    """The monthly sums are rewritten only in the months a fact's MERGE wrote, and the mart equals one computed
    from the whole facts; a fact changed behind the sums' back, or a new first day, recomputes every month."""
    settings = load_settings("local").with_lake(tmp_path / "lake", tmp_path / "landing")
    january, february = date(2026, 1, 5), date(2026, 2, 2)
    rows = {"fact_inventory_snapshot": [_count(january, 10), _count(february, 4)],
            "fact_sales": [_sale(january, 3), _sale(february, 1)],
            "fact_inventory_movement": [(1, 7, 20260110, "RECEIPT", 6, "2026-01")]}
    version = {name: _table(spark, settings, name, rows[name], STOCK[name], "append") for name in STOCK}
    _table(spark, settings, "dim_product", [(7, Decimal("2.00"))], "product_key bigint, unit_cost decimal(12,2)",
           "overwrite")
    sums = gold_path(settings, STOCK_BY_MONTH)

    def run(changes: dict[str, FactChange], first_day: date = january, full: bool = False) -> int:
        gold = {name: lake.read(spark, gold_path(settings, name)) for name in STOCK}
        products = lake.read(spark, gold_path(settings, "dim_product"))
        written, _ = update_stock_performance(spark, settings, gold, products, changes, first_day, full)
        expected = marts.stock_performance(marts.stock_by_month(*gold.values(), first_day), products)
        mart = lake.read(spark, gold_path(settings, "mart_stock_performance"))
        assert sorted(mart.collect()) == sorted(expected.select(*mart.columns).collect())
        return written.rows_written

    assert run({name: FactChange(-1, None) for name in STOCK}, full=True) == 2  # one row per month
    unchanged = {name: FactChange(v, {}) for name, v in version.items()}
    assert run(unchanged) == 0  # nothing new: no commit
    before = _table(spark, settings, "fact_sales", [_sale(february, 2)], STOCK["fact_sales"], "append")
    assert run(unchanged | {"fact_sales": FactChange(before - 1, {20260202: "2026-02"})}) == 1
    commit = lake.last_commit(spark, sums)[1]
    assert re.findall(r"\d{4}-\d\d", commit["operationParameters"]["predicate"]) == ["2026-02"]
    assert json.loads(commit["userMetadata"])["gold/fact_sales"] == before
    later = _table(spark, settings, "fact_sales", [_sale(january, 5)], STOCK["fact_sales"], "append")
    assert run(unchanged | {"fact_sales": FactChange(later, {})}) == 2  # the sums missed a version: all months
    assert run(unchanged | {"fact_sales": FactChange(later, {})}, first_day=february) == 2  # another first day


CUSTOMER_SALES = ("customer_key bigint, document_id string, sale_ts timestamp, net_amount decimal(14,2), "
                  "sale_month string")


def _bought(customer: int, document: str, day: date, net: str) -> tuple:
    return customer, document, datetime.combine(day, time(12)), Decimal(net), f"{day:%Y-%m}"


def test_customer_rfm_recomputes_only_the_months_sales_changed(spark: SparkSession, tmp_path: Path) -> None:
    """The customers' monthly sums are rewritten only in the months the sales MERGE wrote, and RFM equals one
    computed from the whole fact; a new as-of day rescores the customers without recomputing any month, and a
    fact changed behind the sums' back recomputes every month."""
    settings = load_settings("local").with_lake(tmp_path / "lake", tmp_path / "landing")
    january, february = date(2026, 1, 5), date(2026, 2, 2)
    version = _table(spark, settings, "fact_sales", [
        _bought(1, "D1", january, "10.00"), _bought(1, "D1", january, "5.00"), _bought(2, "D2", january, "7.00"),
        _bought(1, "D3", february, "20.00"), _bought(-1, "D4", february, "99.00")], CUSTOMER_SALES, "append")
    sums = gold_path(settings, CUSTOMER_BY_MONTH)

    def run(change: FactChange, as_of: date = date(2026, 2, 10), full: bool = False) -> tuple[int, int]:
        gold = {"fact_sales": lake.read(spark, gold_path(settings, "fact_sales"))}
        monthly, mart = update_customer_rfm(spark, settings, gold, {"fact_sales": change}, as_of, full)
        expected = {(r.customer_key, r.recency_days, r.frequency, r.monetary)
                    for r in marts.customer_rfm(marts.customer_by_month(gold["fact_sales"]), as_of).collect()}
        scored = lake.read(spark, gold_path(settings, "mart_customer_rfm"))
        assert {(r.customer_key, r.recency_days, r.frequency, r.monetary) for r in scored.collect()} == expected
        return monthly.rows_written, mart.rows_written

    assert run(FactChange(-1, None), full=True) == (3, 2)  # (month, customer) pairs; the unknown member left out
    scored = {r.customer_key: r for r in lake.read(spark, gold_path(settings, "mart_customer_rfm")).collect()}
    assert (scored[1].recency_days, scored[1].frequency, scored[1].monetary) == (8, 2, Decimal("35.00"))
    assert (scored[2].recency_days, scored[2].frequency, scored[2].monetary) == (36, 1, Decimal("7.00"))
    unchanged = FactChange(version, {})
    assert run(unchanged) == (0, 0)  # nothing new: no commit
    assert run(unchanged, as_of=date(2026, 2, 20)) == (0, 2)  # rescored, no month recomputed
    before = _table(spark, settings, "fact_sales", [_bought(2, "D5", february, "3.00")], CUSTOMER_SALES, "append")
    assert run(FactChange(before - 1, {20260202: "2026-02"})) == (2, 2)
    commit = lake.last_commit(spark, sums)[1]
    assert re.findall(r"\d{4}-\d\d", commit["operationParameters"]["predicate"]) == ["2026-02"]
    later = _table(spark, settings, "fact_sales", [_bought(2, "D6", january, "1.00")], CUSTOMER_SALES, "append")
    assert run(FactChange(later, {})) == (4, 2)  # the sums missed a version: every month
